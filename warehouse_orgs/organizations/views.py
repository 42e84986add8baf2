"""/org/<name>/: an organization's public page.

Shared caches keep it for a minute, purged by the ``org-<normalized name>`` surrogate key. The
ETag covers everything the page shows: the organization's details, its member count, the
project count and, for the page asked for, a digest of the projects listed, taken by the
database in the same statement as the count, and (for a Community organization, whose page
shows them) the footer's sponsors. A revalidation therefore costs the same few
statements whatever the size of the organization, and renders nothing.
"""

import functools
import hashlib
from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPNotModified
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import Select, Text, cast, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationProject,
    OrganizationType,
)
from warehouse_orgs.packaging.models import Project
from warehouse_orgs.pagination import DEFAULT_PAGE_SIZE, Page, page_number
from warehouse_orgs.paths import TEMPLATES_DIR
from warehouse_orgs.sessions import FLASH_QUEUES, SESSION_COOKIE_NAME

PUBLIC_MAX_AGE = 60
# What the page is made of: a deploy that changes one of them changes every tag.
PAGE_TEMPLATES = (
    "organizations/profile.html",
    "base.html",
    "_pagination.html",
    "_sponsor_footer.html",
)


@functools.cache
def _templates_digest() -> str:
    digest = hashlib.sha256()
    for name in PAGE_TEMPLATES:
        digest.update((TEMPLATES_DIR / name).read_bytes())
    return digest.hexdigest()


def _listed_projects(organization: Organization, number: int) -> Select[Any]:
    return (
        select(Project)
        .join(OrganizationProject, OrganizationProject.project_id == Project.id)
        .where(OrganizationProject.organization_id == organization.id)
        .order_by(Project.normalized_name)
        .limit(DEFAULT_PAGE_SIZE)
        .offset((number - 1) * DEFAULT_PAGE_SIZE)
    )


def _project_summary(request: Request, organization: Organization, number: int) -> Any:
    """The organization's project count, and a digest of what the page lists of them.

    JSON keeps the fields apart whatever they hold, so no two different lists share a digest.
    """
    listed = (
        _listed_projects(organization, number)
        .with_only_columns(Project.id, Project.name, Project.description, Project.normalized_name)
        .subquery()
    )
    fields = func.json_build_array(listed.c.id, listed.c.name, listed.c.description)
    in_order = aggregate_order_by(fields, listed.c.normalized_name)
    digest = select(func.md5(func.coalesce(cast(func.json_agg(in_order), Text), "")))
    total = select(func.count()).where(OrganizationProject.organization_id == organization.id)
    return request.db.execute(
        select(total.scalar_subquery().label("total"), digest.scalar_subquery().label("digest"))
    ).one()


def _may_manage(request: Request, organization: Organization) -> bool:
    """Members get a link to the organization's own pages; the ACL reads the roles the page
    loads anyway for its member count."""
    if request.user is None:
        return False
    return bool(request.has_permission(Permissions.OrganizationsRead, organization))


def _viewer(request: Request, organization: Organization) -> tuple[Any, ...]:
    """What the page shows of the visitor: a signed-in copy carries their name, the staff
    link, the log-out form's CSRF token and, for members, the Manage link, so it has a tag of
    its own."""
    user = request.user
    if user is None:
        return ("anonymous",)
    return (
        user.id,
        user.username,
        user.is_staff,
        request.csrf_token(),
        _may_manage(request, organization),
    )


def _footer_digest(organization: Organization, request: Request) -> str:
    """The sponsors in the page's footer (request.footer_digest, which the sponsors feature
    adds); a Company organization's page shows none (organizations/profile.html)."""
    if organization.orgtype == OrganizationType.Company:
        return ""
    return request.footer_digest


def _etag(
    organization: Organization, request: Request, number: int, total: int, digest: str
) -> str:
    parts = (
        _templates_digest(), *_viewer(request, organization),
        organization.id, organization.name, organization.display_name, organization.orgtype,
        organization.link_url, organization.description, organization.created.isoformat(),
        len(organization.roles), number, total, digest, _footer_digest(organization, request),
    )  # fmt: skip
    return hashlib.sha256("\x00".join(map(str, parts)).encode()).hexdigest()[:32]


def _flash_waiting(request: Request) -> bool:
    # A cached copy would not show them; only a fresh render does (and empties the queues).
    if SESSION_COOKIE_NAME not in request.cookies:
        return False
    return any(request.session.peek_flash(queue) for queue in FLASH_QUEUES)


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
    summary = _project_summary(request, organization, number)
    etag = _etag(organization, request, number, summary.total, summary.digest)
    if etag in request.if_none_match and not _flash_waiting(request):
        not_modified = HTTPNotModified()
        not_modified.etag = etag
        _cache_headers(not_modified, request, organization)
        return not_modified
    rows = request.db.scalars(_listed_projects(organization, number)).all()
    request.response.etag = etag
    _cache_headers(request.response, request, organization)
    return {
        "organization": organization,
        "member_count": len(organization.roles),
        "may_manage": _may_manage(request, organization),
        "projects": Page(
            items=list(rows), number=number, size=DEFAULT_PAGE_SIZE, total=summary.total
        ),
    }
