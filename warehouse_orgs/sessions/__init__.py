"""Browser sessions kept on the server, found by a random key in an HttpOnly cookie.

Server-side, so that logging out, changing the password or an admin's action really ends a
session: a copied cookie stops working the moment its row is gone. The cookie is HttpOnly,
SameSite=Lax and, in production, Secure.

A visitor who never needs a session (a public page with no form) gets no cookie and no row.
"""

import datetime
import secrets
import uuid
from typing import Any

from pyramid.config import Configurator
from pyramid.interfaces import ISession
from pyramid.request import Request
from pyramid.response import Response
from zope.interface import implementer

from warehouse_orgs.environment import Environment
from warehouse_orgs.sessions.interfaces import ISessionStore
from warehouse_orgs.sessions.services import DatabaseSessionStore
from warehouse_orgs.sessions.tasks import purge_expired_sessions

SESSION_COOKIE_NAME = "session_id"
SESSION_LIFETIME = datetime.timedelta(hours=12)
# An unchanged session is written back (to push its expiry on) at most this often.
SESSION_REFRESH_INTERVAL = datetime.timedelta(hours=1)
FLASH_QUEUES = ("error", "warning", "success", "")
_FLASH_PREFIX = "_flash_"
_CSRF_KEY = "_csrft_"
# The signed-in user's id; the security policy writes it, the store indexes it.
AUTH_USERID_KEY = "auth.userid"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _new_key() -> str:
    return secrets.token_urlsafe(32)


@implementer(ISession)
class ServerSideSession(dict):
    """A dict that knows when it changed, with Pyramid's flash and CSRF helpers."""

    def __init__(
        self,
        data: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        created: datetime.datetime | None = None,
        expires: datetime.datetime | None = None,
    ) -> None:
        super().__init__(data or {})
        self.key = key
        self.new = key is None
        self.created = (created or _now()).timestamp()
        self.expires = expires
        self.is_changed = False
        # Keys whose rows must go when the response leaves (after invalidate or rotate).
        self.retired_keys: list[str] = []

    # Mutations mark the session as changed so it is saved.
    def changed(self) -> None:
        self.is_changed = True

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.changed()

    def pop(self, key: str, *default: Any) -> Any:
        self.changed()
        return super().pop(key, *default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.changed()
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self.changed()

    def clear(self) -> None:
        super().clear()
        self.changed()

    def popitem(self) -> tuple[str, Any]:
        self.changed()
        return super().popitem()

    def invalidate(self) -> None:
        """Empty the session and give it a new key; the old row is deleted."""
        self.rotate()
        self.clear()

    def rotate(self) -> None:
        """Keep the contents under a new key (at login, against session fixation)."""
        if self.key is not None:
            self.retired_keys.append(self.key)
        self.key = None
        self.new = True
        self.created = _now().timestamp()
        self.changed()

    # Flash messages
    def flash(self, msg: str, queue: str = "", allow_duplicate: bool = True) -> None:
        messages = self.setdefault(_FLASH_PREFIX + queue, [])
        if allow_duplicate or msg not in messages:
            messages.append(msg)

    def pop_flash(self, queue: str = "") -> list[str]:
        if _FLASH_PREFIX + queue not in self:
            return []
        return self.pop(_FLASH_PREFIX + queue)

    def peek_flash(self, queue: str = "") -> list[str]:
        return list(self.get(_FLASH_PREFIX + queue, []))

    # CSRF (SessionCSRFStoragePolicy keeps its own key; these satisfy ISession)
    def new_csrf_token(self) -> str:
        token = secrets.token_urlsafe(32)
        self[_CSRF_KEY] = token
        return token

    def get_csrf_token(self) -> str:
        return self.get(_CSRF_KEY) or self.new_csrf_token()


class ServerSideSessionFactory:
    def __init__(self, *, secure: bool) -> None:
        self.secure = secure

    def __call__(self, request: Request) -> ServerSideSession:
        key = request.cookies.get(SESSION_COOKIE_NAME)
        stored = request.find_service(ISessionStore).load(key) if key else None
        if stored is None:
            session = ServerSideSession()
        else:
            session = ServerSideSession(
                stored.data, key=key, created=stored.created, expires=stored.expires
            )
        request.add_response_callback(self._save)
        return session

    def _save(self, request: Request, response: Response) -> None:
        session: ServerSideSession = request.session
        store = request.find_service(ISessionStore)
        for retired in session.retired_keys:
            store.delete(retired)

        if session.new and not session:
            # Nothing worth keeping: no row, and drop a stale cookie if the browser sent one.
            if SESSION_COOKIE_NAME in request.cookies:
                response.delete_cookie(SESSION_COOKIE_NAME)
            return

        now = _now()
        due_for_refresh = (
            session.expires is None
            or session.expires - now < SESSION_LIFETIME - SESSION_REFRESH_INTERVAL
        )
        if not (session.is_changed or session.new or due_for_refresh):
            return

        if session.key is None:
            session.key = _new_key()
        expires = now + SESSION_LIFETIME
        userid = session.get(AUTH_USERID_KEY)
        store.save(session.key, dict(session), uuid.UUID(userid) if userid else None, expires)
        response.set_cookie(
            SESSION_COOKIE_NAME,
            session.key,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            httponly=True,
            secure=self.secure,
            samesite="Lax",
            path="/",
        )


def pop_flash_messages(request: Request) -> list[tuple[str, str]]:
    """Every flash message waiting in the session, as (queue, message), emptying the queues.

    A visitor without a session cookie has no messages, and reading them must not create a
    session: that would set a cookie on every public page and stop a CDN from caching it.
    """
    if SESSION_COOKIE_NAME not in request.cookies:
        return []
    return [
        (queue, message) for queue in FLASH_QUEUES for message in request.session.pop_flash(queue)
    ]


def includeme(config: Configurator) -> None:
    settings = config.registry.settings
    production = settings["warehouse_orgs.env"] == Environment.production
    config.register_service_factory(DatabaseSessionStore.create_service, ISessionStore)
    config.add_periodic_task(purge_expired_sessions, datetime.timedelta(hours=6))
    config.set_session_factory(ServerSideSessionFactory(secure=production))
    config.add_request_method(pop_flash_messages, name="pop_flash_messages")
