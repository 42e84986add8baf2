"""/organizations/: the public directory of active organizations.

Cached like an organization's own page (organizations/views.py): shared caches keep a
visitor's copy for a minute, purged by ``organizations-directory`` whenever an organization is
created, renamed, given a new display name or type, closed, reopened or deleted, or gains or
loses a project (organizations/cache_keys.py). Whatever the number of organizations, a page
costs one statement (organizations/directory.py).
"""

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from warehouse_orgs.organizations.directory import (
    DIRECTORY_KEY,
    DirectoryOrder,
    DirectoryQuery,
    directory_badges,
    directory_page,
)
from warehouse_orgs.organizations.forms import DirectorySearchForm
from warehouse_orgs.organizations.views import PUBLIC_MAX_AGE
from warehouse_orgs.pagination import page_number
from warehouse_orgs.sessions import SESSION_COOKIE_NAME


def _cache_headers(request: Request) -> None:
    response = request.response
    if SESSION_COOKIE_NAME in request.cookies:
        # A signed-in copy shows the visitor's name and their log-out form's token.
        response.cache_control = "private, no-cache"
    else:
        response.cache_control = f"public, max-age={PUBLIC_MAX_AGE}"
    response.vary = ("Cookie",)
    response.headers["Surrogate-Key"] = DIRECTORY_KEY


@view_config(
    route_name="organizations.directory",
    renderer="organizations/directory.html",
    request_method="GET",
)
def organization_directory(request: Request) -> dict[str, Any]:
    form = DirectorySearchForm(request.GET)
    number = page_number(request)
    if not form.validate():
        request.response.status = 400
        return {"form": form, "organizations": None, "searched": True}
    query = DirectoryQuery(
        text=form.q.data or "",
        orgtype=form.type.data or "",
        order=DirectoryOrder(form.sort.data or DirectoryOrder.name),
    )
    _cache_headers(request)
    return {
        "form": form,
        "organizations": directory_page(
            request.db, directory_badges(request.registry), query, number
        ),
        "searched": bool(query.text or query.orgtype),
    }
