"""/org/<name>/: an organization's public page.

Shared caches keep it for a minute, purged by the ``org-<normalized name>`` surrogate key. The
ETag covers everything the page shows, so a revalidation costs two small queries and no
rendering.
"""

import hashlib
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPNotModified
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, select

from warehouse_orgs.organizations.models import Organization, OrganizationProject
from warehouse_orgs.packaging.models import Project
from warehouse_orgs.pagination import DEFAULT_PAGE_SIZE, Page, page_number
from warehouse_orgs.sessions import SESSION_COOKIE_NAME

PUBLIC_MAX_AGE = 60


def _etag(organization: Organization, request: Request, project_count: int, number: int) -> str:
    # A signed-in visitor's copy carries their own header, so it has a tag of its own.
    viewer = request.user.id if request.user is not None else "anonymous"
    parts = (
        organization.id, organization.name, organization.display_name, organization.orgtype,
        organization.link_url, organization.description, len(organization.roles),
        project_count, number, viewer,
    )  # fmt: skip
    return hashlib.sha256("\x00".join(map(str, parts)).encode()).hexdigest()[:32]


def _cache_headers(response: Any, request: Request, organization: Organization) -> None:
    if SESSION_COOKIE_NAME in request.cookies:
        response.cache_control = "private, no-cache"
    else:
        response.cache_control = f"public, max-age={PUBLIC_MAX_AGE}"
    response.vary = ("Cookie",)
    response.headers["Surrogate-Key"] = f"org-{organization.normalized_name}"


@view_config(
    route_name="organizations.profile",
    context=Organization,
    renderer="organizations/profile.html",
    request_method="GET",
)
def organization_profile(organization: Organization, request: Request) -> Any:
    if not organization.is_active:
        raise HTTPNotFound("There is no active organization with this name.")
    number = page_number(request)
    projects = (
        select(Project)
        .join(OrganizationProject, OrganizationProject.project_id == Project.id)
        .where(OrganizationProject.organization_id == organization.id)
    )
    total = request.db.scalar(select(func.count()).select_from(projects.subquery())) or 0
    etag = _etag(organization, request, total, number)
    if etag in request.if_none_match:
        not_modified = HTTPNotModified()
        not_modified.etag = etag
        _cache_headers(not_modified, request, organization)
        return not_modified
    rows = request.db.scalars(
        projects.order_by(Project.normalized_name)
        .limit(DEFAULT_PAGE_SIZE)
        .offset((number - 1) * DEFAULT_PAGE_SIZE)
    ).all()
    request.response.etag = etag
    _cache_headers(request.response, request, organization)
    return {
        "organization": organization,
        "member_count": len(organization.roles),
        "projects": Page(items=list(rows), number=number, size=DEFAULT_PAGE_SIZE, total=total),
    }
