"""How the organizations' public pages (``/org/<name>/``, ``/organizations/``) are cached.

A visitor without a session gets a copy that shared caches keep for a minute, purged by the
page's surrogate key. A signed-in copy shows the visitor (their name, the staff link, the
log-out form's token), so it is private and browsers must revalidate it.

Each copy is tagged with an ETag over everything it shows: the page's own parts (what its one
statement read), the visitor's, and the templates that render them. A revalidation whose tag
still matches is answered 304 before anything is rendered, so it costs what computing the tag
costs: the page's one statement.
"""

import functools
import hashlib
from collections.abc import Iterable
from typing import Any

from pyramid.httpexceptions import HTTPNotModified
from pyramid.request import Request
from pyramid.response import Response

from warehouse_orgs.paths import TEMPLATES_DIR
from warehouse_orgs.sessions import FLASH_QUEUES, SESSION_COOKIE_NAME

PUBLIC_MAX_AGE = 60


@functools.cache
def _templates_digest(names: tuple[str, ...]) -> str:
    # What the page is made of: a deploy that changes one of them changes every tag.
    digest = hashlib.sha256()
    for name in names:
        digest.update((TEMPLATES_DIR / name).read_bytes())
    return digest.hexdigest()


def viewer(request: Request, *shown: Any) -> tuple[Any, ...]:
    """What a page shows of its visitor, plus ``shown``: whatever else the page shows only
    some visitors (``/org/``'s Manage link)."""
    user = request.user
    if user is None:
        # The "Log in" link brings the visitor back to this very address.
        return ("anonymous", request.path_qs, *shown)
    return (user.id, user.username, user.is_staff, request.csrf_token(), *shown)


def page_etag(templates: tuple[str, ...], parts: Iterable[Any]) -> str:
    """The tag of a page rendered by ``templates`` from ``parts``: every value it shows, each
    turned to text."""
    text = "\x00".join(map(str, (_templates_digest(templates), *parts)))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _flash_waiting(request: Request) -> bool:
    if SESSION_COOKIE_NAME not in request.cookies:
        return False
    return any(request.session.peek_flash(queue) for queue in FLASH_QUEUES)


def _set_cache_headers(response: Response, request: Request, surrogate_key: str) -> None:
    if SESSION_COOKIE_NAME in request.cookies:
        response.cache_control = "private, no-cache"
    else:
        response.cache_control = f"public, max-age={PUBLIC_MAX_AGE}"
    response.vary = ("Cookie",)
    response.headers["Surrogate-Key"] = surrogate_key


def not_modified(request: Request, etag: str, surrogate_key: str) -> HTTPNotModified | None:
    """A 304 when the visitor's copy carries ``etag``; otherwise None, and the page's response
    carries the tag and the cache headers.

    A message waiting in the session (a flash) shows once, in a fresh render that empties the
    queue: such a render is never answered by a 304, and carries no tag, so the browser cannot
    later revalidate its copy, message and all, and be told to show it again.
    """
    if _flash_waiting(request):
        _set_cache_headers(request.response, request, surrogate_key)
        return None
    if etag in request.if_none_match:
        answer = HTTPNotModified()
        answer.etag = etag
        _set_cache_headers(answer, request, surrogate_key)
        return answer
    request.response.etag = etag
    _set_cache_headers(request.response, request, surrogate_key)
    return None
