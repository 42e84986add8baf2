"""What a project's public page says of the organization it is in."""

from typing import Any

from pyramid.request import Request
from sqlalchemy import ColumnElement, func, select

from warehouse_orgs.organizations.models import Organization, OrganizationProject
from warehouse_orgs.packaging import ProjectOwner, ProjectOwnerLookup
from warehouse_orgs.packaging.models import Project


def _owning_organization_column() -> ColumnElement[Any]:
    """The active organization the project belongs to, as [name, display name, type], or
    NULL. An organization that is not active (closed by staff) gives it no name: its own page
    answers nothing either."""
    return (
        select(
            func.json_build_array(
                Organization.name, Organization.display_name, Organization.orgtype
            )
        )
        .join(OrganizationProject, OrganizationProject.organization_id == Organization.id)
        .where(OrganizationProject.project_id == Project.id, Organization.is_active)
        .correlate(Project)
        .scalar_subquery()
    )


def _read_owning_organization(request: Request, value: Any) -> ProjectOwner | None:
    if value is None:
        return None
    name, display_name, orgtype = value
    return ProjectOwner(
        name=name,
        display_name=display_name,
        url=request.route_path("organizations.profile", organization_name=name),
        kind=orgtype,
    )


owning_organization = ProjectOwnerLookup(
    column=_owning_organization_column, read=_read_owning_organization
)
