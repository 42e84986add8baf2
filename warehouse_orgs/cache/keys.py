"""Which surrogate keys a change purges, found where the change is written: the session's flush.

A feature says, for each model whose rows its public pages show, which keys a change to a row
affects: ``config.register_origin_cache_keys(Model, key_factory)``, where
``key_factory(row, change)`` returns the keys (``change`` tells whether the row was created,
updated or deleted, which attributes changed and their old and new values, and gives the
session for a query). This package imports no feature; the features import it.

The request's session is watched:

- before a flush, the rows it will update or delete, so a factory's queries see them as they
  were (the projects of an organization about to be deleted with its links);
- after a flush, the rows it inserted, and those it deleted on its own (orphans, cascades);
- an ORM ``update()`` or ``delete()`` statement: the rows it matches are read first, and an
  updated row is read again afterwards, so both its old and new values count.

The keys are queued on the request's transaction as a task that purges them after the commit,
and never when the transaction fails, and purged once more ``origin_cache.repurge_seconds``
later (a real cache's default; see ``OriginCacheKeys``).
"""

import dataclasses
import enum
import re
from collections.abc import Callable, Iterable
from typing import Any

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.exc import ObjectDeletedError

from warehouse_orgs.cache.tasks import purge_origin_cache
from warehouse_orgs.db import REQUEST_INFO_KEY

REGISTRY_KEY = "origin_cache.keys"
# What a session's flush has handled before it wrote ((id of the row, kind of change)), for
# after it wrote.
_SEEN_INFO_KEY = "origin_cache.seen"
# The keys already queued for purging in the session's current transaction.
_QUEUED_INFO_KEY = "origin_cache.queued"


class ChangeKind(enum.StrEnum):
    created = "created"
    updated = "updated"
    deleted = "deleted"


@dataclasses.dataclass(frozen=True)
class RowChange:
    """What happened to one row, for a key factory."""

    row: Any
    kind: ChangeKind
    db: Session
    # False for a row an ORM update() statement changed: there is no history to tell which
    # attributes it set, so every attribute counts as touched.
    has_history: bool = True

    def touched(self, *attributes: str) -> bool:
        """Whether any of ``attributes`` changed (always, for a created or deleted row)."""
        if self.kind != ChangeKind.updated or not self.has_history:
            return True
        state = inspect(self.row)
        return any(state.attrs[name].history.has_changes() for name in attributes)

    def values(self, attribute: str) -> set[Any]:
        """The attribute's values before and after the change, without None."""
        try:
            history = inspect(self.row).attrs[attribute].load_history()
        except ObjectDeletedError:
            return set()
        found = [*history.added, *history.unchanged, *history.deleted]
        return {value for value in found if value is not None}


KeyFactory = Callable[[Any, RowChange], Iterable[str]]


def pep503_normalize(name: str) -> str:
    """The normal form the database's ``normalize_pep503_name`` gives a project or organization
    name, for a name only Python has (the old one, before a rename is written)."""
    return re.sub(r"[-_.]+", "-", name).lower()


class OriginCacheKeys:
    """The key factories the features registered, by model."""

    def __init__(self, repurge_seconds: float = 0) -> None:
        self.factories: dict[type, list[KeyFactory]] = {}
        # Added to every response that names its own keys: what every page shows (the footer).
        self.site_wide_keys: list[str] = []
        # A request that read the rows before the commit can hand its page to the cache just
        # after the purge, which would keep it until max-age; the same keys are purged again
        # this long after the commit, when any such request has long answered. 0: only once.
        self.repurge_seconds = repurge_seconds

    def register(self, model: type, factory: KeyFactory) -> None:
        self.factories.setdefault(model, []).append(factory)

    def watches(self, model: type) -> bool:
        return any(cls in self.factories for cls in model.__mro__)

    def keys_for(self, change: RowChange) -> set[str]:
        keys: set[str] = set()
        for cls in type(change.row).__mro__:
            for factory in self.factories.get(cls, ()):
                keys.update(factory(change.row, change))
        return keys


def _watching(session: Session) -> tuple[Request, OriginCacheKeys] | None:
    """The request a session belongs to and its app's factories; None for any other session
    (a test's own, another app's)."""
    request = session.info.get(REQUEST_INFO_KEY)
    if request is None:
        return None
    keys = request.registry.get(REGISTRY_KEY)
    if keys is None or not keys.factories:
        return None
    return request, keys


def _queue(request: Request, session: Session, keys: set[str]) -> None:
    """Queue a purge of the keys not yet queued in this transaction."""
    if not keys:
        return
    transaction = request.tm.get()
    queued_in, queued = session.info.get(_QUEUED_INFO_KEY, (None, set()))
    if queued_in is not transaction:
        queued = set()
        session.info[_QUEUED_INFO_KEY] = (transaction, queued)
    new = keys - queued
    if new:
        queued.update(new)
        request.enqueue_task(purge_origin_cache, sorted(new))
        repurge_seconds = request.registry[REGISTRY_KEY].repurge_seconds
        if repurge_seconds:
            request.enqueue_task_later(repurge_seconds, purge_origin_cache, sorted(new))


def _changes(
    registry: OriginCacheKeys, session: Session, rows: Iterable[Any], kind: ChangeKind
) -> set[str]:
    keys: set[str] = set()
    for row in rows:
        if registry.watches(type(row)):
            keys |= registry.keys_for(RowChange(row, kind, session))
    return keys


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    watching = _watching(session)
    if watching is None:
        return
    request, registry = watching
    deleted = list(session.deleted)
    updated = [row for row in session.dirty if session.is_modified(row)]
    session.info[_SEEN_INFO_KEY] = {
        *((id(row), ChangeKind.deleted) for row in deleted),
        *((id(row), ChangeKind.updated) for row in updated),
    }
    keys = _changes(registry, session, deleted, ChangeKind.deleted)
    keys |= _changes(registry, session, updated, ChangeKind.updated)
    _queue(request, session, keys)


def _after_flush(session: Session, flush_context: Any) -> None:
    watching = _watching(session)
    if watching is None:
        return
    request, registry = watching
    seen = session.info.get(_SEEN_INFO_KEY, set())
    # Rows updated by the flush's own doing (an attribute set by another before_flush).
    updated = [
        row
        for row in session.dirty
        if (id(row), ChangeKind.updated) not in seen and session.is_modified(row)
    ]
    keys = _changes(registry, session, session.new, ChangeKind.created)
    keys |= _changes(registry, session, updated, ChangeKind.updated)
    _queue(request, session, keys)


def _deleted_by_the_flush(session: Session, row: Any) -> None:
    """A row the flush found to delete on its own: an orphan taken out of a collection, a
    cascade from a deleted parent. The database no longer has it, so a factory's queries about
    it find nothing; its own attributes and the rows they point to are still there."""
    if (id(row), ChangeKind.deleted) in session.info.get(_SEEN_INFO_KEY, set()):
        return
    watching = _watching(session)
    if watching is None:
        return
    request, registry = watching
    _queue(request, session, _changes(registry, session, [row], ChangeKind.deleted))


def _after_flush_postexec(session: Session, flush_context: Any) -> None:
    session.info.pop(_SEEN_INFO_KEY, None)


def _on_orm_execute(state: ORMExecuteState) -> Any:
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return None
    session = state.session
    watching = _watching(session)
    if watching is None:
        return None
    request, registry = watching
    model = state.bind_mapper.class_
    if not registry.watches(model):
        return None
    where = state.statement.whereclause
    matched = select(model) if where is None else select(model).where(where)
    rows = session.scalars(matched).all()
    if state.is_delete:
        _queue(request, session, _changes(registry, session, rows, ChangeKind.deleted))
        return None
    keys: set[str] = set()
    for row in rows:
        keys |= registry.keys_for(RowChange(row, ChangeKind.updated, session, has_history=False))
    result = state.invoke_statement()
    primary_key = state.bind_mapper.primary_key[0]
    ids = [inspect(row).identity[0] for row in rows]
    if ids:
        after = session.scalars(select(model).where(primary_key.in_(ids))).all()
        for row in after:
            keys |= registry.keys_for(
                RowChange(row, ChangeKind.updated, session, has_history=False)
            )
    _queue(request, session, keys)
    return result


def listen_to_sessions() -> None:
    """Watch every session for flushes and ORM update/delete statements. The listeners are on
    the Session class, once per process, because tests and tasks make sessions from other
    session makers; each one acts only for a session a request of an app with factories owns."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("persistent_to_deleted", _deleted_by_the_flush),
        ("after_flush_postexec", _after_flush_postexec),
        ("do_orm_execute", _on_orm_execute),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _register_origin_cache_keys(config: Configurator, model: type, factory: KeyFactory) -> None:
    config.registry[REGISTRY_KEY].register(model, factory)


def _add_site_wide_surrogate_key(config: Configurator, key: str) -> None:
    config.registry[REGISTRY_KEY].site_wide_keys.append(key)


def site_wide_keys(registry: Registry) -> list[str]:
    return registry[REGISTRY_KEY].site_wide_keys


def includeme(config: Configurator) -> None:
    config.registry[REGISTRY_KEY] = OriginCacheKeys(
        float(config.registry.settings.get("origin_cache.repurge_seconds", 0))
    )
    config.add_directive("register_origin_cache_keys", _register_origin_cache_keys)
    config.add_directive("add_site_wide_surrogate_key", _add_site_wide_surrogate_key)
    listen_to_sessions()
