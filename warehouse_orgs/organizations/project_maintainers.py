"""Who a project's public page lists because a team of its organization gives them a role."""

from pyramid.request import Request
from sqlalchemy import and_, select

from warehouse_orgs.accounts.models import User
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationProject,
    OrganizationRole,
    Team,
    TeamProjectRole,
    TeamRole,
)
from warehouse_orgs.packaging import PublicMaintainer
from warehouse_orgs.packaging.models import Project


def opted_in_team_members(request: Request, project: Project) -> list[PublicMaintainer]:
    """Members of the project's teams who chose to be listed (``User.public_team_projects``),
    one entry per team, in one statement. A team's role counts only while the project belongs
    to the team's organization, and an organization that is not active is not named, as on
    the rest of the page."""
    rows = request.db.execute(
        select(User.username, TeamProjectRole.role_name, Team.name, Organization.display_name)
        .select_from(TeamProjectRole)
        .join(Team, Team.id == TeamProjectRole.team_id)
        .join(
            OrganizationProject,
            and_(
                OrganizationProject.project_id == TeamProjectRole.project_id,
                OrganizationProject.organization_id == Team.organization_id,
            ),
        )
        .join(Organization, Organization.id == Team.organization_id)
        .join(TeamRole, TeamRole.team_id == Team.id)
        .join(OrganizationRole, OrganizationRole.id == TeamRole.organization_role_id)
        .join(User, User.id == OrganizationRole.user_id)
        .where(
            TeamProjectRole.project_id == project.id,
            Organization.is_active,
            User.public_team_projects,
        )
        .order_by(User.username, Team.normalized_name)
    ).all()
    return [
        PublicMaintainer(
            username=username,
            role_name=role_name,
            through=f"through the team {team} of {organization}",
        )
        for username, role_name, team, organization in rows
    ]
