"""/organizations/: the public directory of active organizations.

Cached like an organization's own page (organizations/page_cache.py): shared caches keep a
visitor's copy for a minute, purged by ``organizations-directory`` whenever an organization is
created, renamed, given a new display name or type, closed, reopened or deleted, or gains or
loses a project (organizations/cache_keys.py). Whatever the number of organizations, a page
costs one statement (organizations/directory.py), and so does a revalidation answered 304:
the page's ETag is taken from the rows that statement brought.
"""

from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from warehouse_orgs.organizations.directory import (
    DIRECTORY_KEY,
    DirectoryEntry,
    DirectoryOrder,
    DirectoryQuery,
    directory_badges,
    directory_page,
)
from warehouse_orgs.organizations.forms import DirectorySearchForm
from warehouse_orgs.organizations.page_cache import not_modified, page_etag, viewer
from warehouse_orgs.pagination import Page, page_number

# What the page is made of: a deploy that changes one of them changes every tag.
PAGE_TEMPLATES = (
    "organizations/directory.html",
    "base.html",
    "_forms.html",
    "_pagination.html",
    "_sponsor_footer.html",
)


def _etag(request: Request, query: DirectoryQuery, page: Page[DirectoryEntry]) -> str:
    # Each entry's repr holds every field the table shows (name, display name, type, project
    # count, badges); the total and the page's number give the heading and the pagination.
    parts = (
        *viewer(request),
        query.text, query.orgtype, query.order, page.number, page.total,
        *map(repr, page.items),
        request.footer_digest,
    )  # fmt: skip
    return page_etag(PAGE_TEMPLATES, parts)


@view_config(
    route_name="organizations.directory",
    renderer="organizations/directory.html",
    request_method="GET",
)
def organization_directory(request: Request) -> Any:
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
    page = directory_page(request.db, directory_badges(request.registry), query, number)
    if (unchanged := not_modified(request, _etag(request, query, page), DIRECTORY_KEY)) is not None:
        return unchanged
    return {"form": form, "organizations": page, "searched": bool(query.text or query.orgtype)}
