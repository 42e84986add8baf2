"""What a project's public page says of the organization it is in."""

from pyramid.request import Request
from sqlalchemy import select

from warehouse_orgs.organizations.models import Organization, OrganizationProject
from warehouse_orgs.packaging import ProjectOwner
from warehouse_orgs.packaging.models import Project


def owning_organization(request: Request, project: Project) -> ProjectOwner | None:
    """The active organization the project belongs to, or None. An organization that is not
    active (closed by staff) gives it no name: its own page answers nothing either."""
    row = request.db.execute(
        select(Organization.name, Organization.display_name, Organization.orgtype)
        .join(OrganizationProject, OrganizationProject.organization_id == Organization.id)
        .where(OrganizationProject.project_id == project.id, Organization.is_active)
    ).one_or_none()
    if row is None:
        return None
    return ProjectOwner(
        name=row.name,
        display_name=row.display_name,
        url=request.route_path("organizations.profile", organization_name=row.name),
        kind=row.orgtype,
    )
