"""The owner rule that projects and organizations share: the last Owner cannot go.

Both keep it the same way. The row the roles hang off (the project, the organization) is locked
first, so two requests removing or demoting the last two Owners run one after the other; then
the role is read again as committed now, and the other Owners are counted. A trigger in the
database refuses the same thing for any path the services do not see (an account deleted while
its Owner role is the last one, by cascade), so the rule holds even against a bug here.
"""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

# The triggers raise check_violation under names ending in this; see the migration that adds
# them. Code that deletes rows by cascade recognises a broken owner rule by it.
OWNER_REQUIRED_SUFFIX = "_owner_required"


class LastOwnerRefused(Exception):
    """The change would leave a project or an organization without an Owner."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or "There must always be at least one Owner; add another first.")


def lock_rows(db: Session, model: Any, ids: Iterable[uuid.UUID]) -> None:
    """Lock these rows of ``model`` until the transaction ends, always in id order, so two
    requests locking overlapping sets cannot deadlock."""
    ids = sorted(set(ids))
    if ids:
        db.execute(select(model.id).where(model.id.in_(ids)).order_by(model.id).with_for_update())


def reload_for_update(db: Session, model: Any, row_id: uuid.UUID) -> Any:
    """The row as committed now (what this request loaded may predate a lock), or None."""
    return db.scalars(
        select(model).where(model.id == row_id).execution_options(populate_existing=True)
    ).one_or_none()


def refuse_if_last_owner(
    db: Session, role: Any, *, scope: str, owner: str, message: str = ""
) -> None:
    """Raise LastOwnerRefused when ``role`` is an Owner role and no other Owner shares its
    ``scope`` (the column naming the project or organization). The caller holds the lock."""
    role_model = type(role)
    if role.role_name != owner:
        return
    others = db.scalar(
        select(func.count())
        .select_from(role_model)
        .where(
            getattr(role_model, scope) == getattr(role, scope),
            role_model.role_name == owner,
            role_model.id != role.id,
        )
    )
    if not others:
        raise LastOwnerRefused(message)


def delete_in_one_statement(db: Session, row: Any) -> None:
    """Delete ``row`` with one DELETE and let the database's ON DELETE CASCADE take its roles.
    The ORM would delete loaded roles first, in a statement of their own, and the owner rule's
    trigger would see an ownerless project or organization."""
    model = type(row)
    db.flush()
    db.execute(delete(model).where(model.id == row.id))


def broke_owner_rule(error: IntegrityError) -> bool:
    """Whether the database refused a statement because it would leave no Owner."""
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or ""
    return name.endswith(OWNER_REQUIRED_SUFFIX)


def owner_rule_message(error: IntegrityError) -> str:
    """The trigger's own sentence, which names the project or organization."""
    diag = getattr(error.orig, "diag", None)
    return getattr(diag, "message_primary", None) or str(LastOwnerRefused())
