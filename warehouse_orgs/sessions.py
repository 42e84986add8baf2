"""Browser sessions: signed cookies holding the CSRF token and flash messages.

The cookie is HttpOnly, SameSite=Lax and, in production, Secure. It carries no secrets of its
own; its signature uses SESSION_SECRET.
"""

from pyramid.config import Configurator
from pyramid.request import Request
from pyramid.session import JSONSerializer, SignedCookieSessionFactory

from warehouse_orgs.config import Environment

SESSION_COOKIE_NAME = "session_id"
SESSION_LIFETIME_SECONDS = 12 * 60 * 60


FLASH_QUEUES = ("error", "warning", "success", "")


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
    factory = SignedCookieSessionFactory(
        settings["sessions.secret"],
        cookie_name=SESSION_COOKIE_NAME,
        salt="warehouse_orgs.session",
        secure=settings["warehouse_orgs.env"] == Environment.production,
        httponly=True,
        samesite="Lax",
        timeout=SESSION_LIFETIME_SECONDS,
        reissue_time=SESSION_LIFETIME_SECONDS // 10,
        serializer=JSONSerializer(),
    )
    config.set_session_factory(factory)
    config.add_request_method(pop_flash_messages, name="pop_flash_messages")
