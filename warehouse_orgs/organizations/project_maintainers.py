"""Who a project's public page lists because a team of its organization gives them a role."""

from typing import Any

from pyramid.request import Request
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from warehouse_orgs.accounts.models import User
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationProject,
    OrganizationRole,
    Team,
    TeamProjectRole,
    TeamRole,
)
from warehouse_orgs.packaging import (
    MAINTAINERS_SHOWN,
    MaintainerListing,
    ProjectMaintainerSource,
    PublicMaintainer,
)
from warehouse_orgs.packaging.models import Project


def _opted_in_team_members_column() -> ColumnElement[Any]:
    """Members of the project's teams who chose to be listed (``User.public_team_projects``),
    one entry per team, as [how many in all, the first ``MAINTAINERS_SHOWN`` of them as
    [username, role, team, organization] by username then team]. A team's role counts only
    while the project belongs to the team's organization, and an organization that is not
    active is not named, as on the rest of the page."""
    # The project's teams first, on their own: the OFFSET 0 keeps Postgres from planning all
    # seven tables as one join, whose search for an order cost ten times what running it does.
    teams = (
        select(
            Team.id,
            Team.name,
            Team.normalized_name,
            TeamProjectRole.role_name,
            Organization.display_name,
        )
        .select_from(TeamProjectRole)
        .join(Team, Team.id == TeamProjectRole.team_id)
        .join(
            OrganizationProject,
            and_(
                OrganizationProject.project_id == TeamProjectRole.project_id,
                OrganizationProject.organization_id == Team.organization_id,
            ),
        )
        .join(Organization, Organization.id == OrganizationProject.organization_id)
        .where(TeamProjectRole.project_id == Project.id, Organization.is_active)
        .offset(0)
        .correlate(Project)
        .subquery()
    )
    in_order = (User.username, teams.c.normalized_name)
    members = (
        select(
            User.username,
            teams.c.role_name,
            teams.c.name,
            teams.c.display_name,
            func.row_number().over(order_by=in_order).label("place"),
        )
        .select_from(teams)
        .join(TeamRole, TeamRole.team_id == teams.c.id)
        .join(OrganizationRole, OrganizationRole.id == TeamRole.organization_role_id)
        .join(User, User.id == OrganizationRole.user_id)
        .where(User.public_team_projects)
        .subquery()
    )
    shown = func.json_agg(
        aggregate_order_by(
            func.json_build_array(
                members.c.username, members.c.role_name, members.c.name, members.c.display_name
            ),
            members.c.place,
        )
    ).filter(members.c.place <= MAINTAINERS_SHOWN)
    return select(func.json_build_array(func.count(), shown)).scalar_subquery()


def _read_opted_in_team_members(request: Request, value: Any) -> MaintainerListing:
    total, shown = value
    return MaintainerListing(
        shown=[
            PublicMaintainer(
                username=username,
                role_name=role_name,
                through=f"through the team {team} of {organization}",
            )
            for username, role_name, team, organization in shown or ()
        ],
        total=total,
    )


opted_in_team_members = ProjectMaintainerSource(
    column=_opted_in_team_members_column, read=_read_opted_in_team_members
)
