"""/org/<name>/: an organization's public page.

Shared caches keep it for a minute, purged by the ``org-<normalized name>`` surrogate key
(organizations/page_cache.py, shared with the directory). The ETag covers everything the page
shows: the organization's details, its member count, the project count and the projects listed
on the page asked for, the badges other features add (``organizations.badges``), for a
Community organization (whose page shows them) the footer's sponsors, and the visitor.

The statement that finds the organization (``OrganizationProfileFactory``) also reads its
member and project counts and brings the page's projects as JSON, so the whole page, and a
revalidation answered 304 before anything is rendered, costs one statement, whatever the
size of the organization.
"""

import json
from dataclasses import dataclass
from typing import Any

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import TEXT, bindparam, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.organizations.badges import BadgeSource, badge_sources, badges_of
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationProject,
    OrganizationType,
)
from warehouse_orgs.organizations.page_cache import not_modified, page_etag, viewer
from warehouse_orgs.organizations.traversal import OrganizationFactory
from warehouse_orgs.packaging.models import Project
from warehouse_orgs.pagination import DEFAULT_PAGE_SIZE, Page, page_number

# What the page is made of: a deploy that changes one of them changes every tag.
PAGE_TEMPLATES = (
    "organizations/profile.html",
    "base.html",
    "_pagination.html",
    "_sponsor_footer.html",
)


@dataclass(frozen=True)
class ListedProject:
    name: str
    description: str | None


class OrganizationProfileFactory(OrganizationFactory):
    """The organization, with its member and project counts and the requested page of its
    projects (name and description, in name order), in the statement that finds it."""

    def badge_sources(self) -> tuple[BadgeSource, ...]:
        return badge_sources(self.request.registry)

    def statement_key(self) -> Any:
        return tuple(source.name for source in self.badge_sources())

    def page_columns(self) -> dict[str, Any]:
        # Read from the index on (organization_id, project_normalized_name): a page of 25 costs
        # the same for an organization with ten projects or ten thousand.
        listed = (
            select(Project.name, Project.description, OrganizationProject.project_normalized_name)
            .join(OrganizationProject, OrganizationProject.project_id == Project.id)
            .where(OrganizationProject.organization_id == Organization.id)
            .order_by(OrganizationProject.project_normalized_name)
            .limit(DEFAULT_PAGE_SIZE)
            .offset(bindparam("projects_offset"))
            .correlate(Organization)
            .subquery()
        )
        # JSON text, so the tag is taken from exactly what the page will print.
        in_order = aggregate_order_by(
            func.json_build_array(listed.c.name, listed.c.description),
            listed.c.project_normalized_name,
        )
        listed_json = select(func.coalesce(func.json_agg(in_order).cast(TEXT), "[]"))
        return {
            # Counted by the database as rows come and go (see Organization.member_count).
            "member_count": Organization.member_count,
            "project_total": Organization.project_count,
            "listed": listed_json.scalar_subquery(),
            **{source.label: source.column() for source in self.badge_sources()},
        }

    def page_parameters(self) -> dict[str, Any]:
        return {"projects_offset": (page_number(self.request) - 1) * DEFAULT_PAGE_SIZE}


def _may_manage(request: Request, organization: Organization) -> bool:
    """Members get a link to the organization's own pages; the ACL reads the visitor's own
    role, which the page's statement brought."""
    if request.user is None:
        return False
    return bool(request.has_permission(Permissions.OrganizationsRead, organization))


def _footer_digest(organization: Organization, request: Request) -> str:
    """The sponsors in the page's footer (request.footer_digest, which the sponsors feature
    adds); a Company organization's page shows none (organizations/profile.html)."""
    if organization.orgtype == OrganizationType.Company:
        return ""
    return request.footer_digest


def _etag(organization: Organization, request: Request, page: dict[str, Any], number: int) -> str:
    parts = (
        *viewer(request, _may_manage(request, organization)),
        organization.id, organization.name, organization.display_name, organization.orgtype,
        organization.link_url, organization.description, organization.created.isoformat(),
        page["member_count"], number, page["project_total"], page["listed"],
        *(page[source.label] for source in badge_sources(request.registry)),
        _footer_digest(organization, request),
    )  # fmt: skip
    return page_etag(PAGE_TEMPLATES, parts)


@view_config(
    route_name="organizations.profile",
    context=Organization,
    renderer="organizations/profile.html",
    request_method="GET",
)
def organization_profile(organization: Organization, request: Request) -> Any:
    if not organization.is_active:
        raise HTTPNotFound("There is no active organization with this name.")
    page = request.organization_page
    number = page_number(request)
    etag = _etag(organization, request, page, number)
    surrogate_key = f"org-{organization.normalized_name}"
    if (unchanged := not_modified(request, etag, surrogate_key)) is not None:
        return unchanged
    listed = [ListedProject(name, description) for name, description in json.loads(page["listed"])]
    return {
        "organization": organization,
        "member_count": page["member_count"],
        "badges": badges_of(badge_sources(request.registry), page),
        "may_manage": _may_manage(request, organization),
        "projects": Page(
            items=listed, number=number, size=DEFAULT_PAGE_SIZE, total=page["project_total"]
        ),
    }
