"""Who reaches a page of an organization's projects, told in a size that does not grow with
them: for each project the first few of its organization's Owners, of the teams with a role on
it and of the people with a role of their own, by name, and how many there are of each.

An organization of ten thousand members on one team has ten thousand people reaching each of
its projects; listing them all put 18 MB on a page of 25 projects. Names past the first few
are on the organization's People page, the team's Members page and the project's own pages.
"""

import uuid
from typing import Any

from sqlalchemy import Integer, String, Uuid, func, literal, select, union_all
from sqlalchemy.orm import Session

from warehouse_orgs.accounts.models import User
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationRole,
    Team,
    TeamProjectRole,
    TeamRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.project_interfaces import Holder, ProjectReach, TeamReach
from warehouse_orgs.packaging.models import Role

OWNERS, TEAMS, INDIVIDUALS = "organization", "team", "individual"


def project_reach(
    db: Session, organization: Organization, project_ids: list[uuid.UUID], shown: int
) -> dict[uuid.UUID, ProjectReach]:
    """One statement: the three kinds' first ``shown`` rows each, with their totals counted by
    a window before the cut, and each listed team's size counted once however many of the
    projects it reaches."""
    if not project_ids:
        return {}
    no_project = literal(None, Uuid).label("project_id")
    no_size = literal(None, Integer).label("members")

    owners = (
        select(
            User.username.label("name"),
            func.row_number().over(order_by=(User.username, User.id)).label("rank"),
            func.count().over().label("total"),
        )
        .join(OrganizationRole, OrganizationRole.user_id == User.id)
        .where(
            OrganizationRole.organization_id == organization.id,
            OrganizationRole.role_name == OrganizationRoleType.Owner,
        )
        .order_by(User.username)
        .limit(shown)
        .subquery()
    )
    # Only this organization's teams: a grant counts while the project is the team's
    # organization's (invariant 3), and every project asked about here is this one's.
    grants = (
        select(
            TeamProjectRole.project_id,
            TeamProjectRole.team_id,
            Team.name,
            TeamProjectRole.role_name,
            func.row_number()
            .over(partition_by=TeamProjectRole.project_id, order_by=(Team.name, Team.id))
            .label("rank"),
            func.count().over(partition_by=TeamProjectRole.project_id).label("total"),
        )
        .join(Team, Team.id == TeamProjectRole.team_id)
        .where(
            Team.organization_id == organization.id,
            TeamProjectRole.project_id.in_(project_ids),
        )
        .cte("grants")
    )
    shown_grants = select(grants).where(grants.c.rank <= shown).cte("shown_grants")
    # Served by the unique index on team_roles (team_id, organization_role_id).
    sizes = (
        select(TeamRole.team_id, func.count().label("members"))
        .where(TeamRole.team_id.in_(select(shown_grants.c.team_id)))
        .group_by(TeamRole.team_id)
        .subquery()
    )
    individuals = (
        select(
            Role.project_id,
            User.username,
            Role.role_name,
            func.row_number()
            .over(partition_by=Role.project_id, order_by=(User.username, Role.id))
            .label("rank"),
            func.count().over(partition_by=Role.project_id).label("total"),
        )
        .join(User, User.id == Role.user_id)
        .where(Role.project_id.in_(project_ids))
        .subquery()
    )
    rows = db.execute(
        union_all(
            select(
                no_project,
                literal(OWNERS, String).label("kind"),
                owners.c.name,
                literal(str(OrganizationRoleType.Owner), String).label("role_name"),
                owners.c.rank,
                owners.c.total,
                no_size,
            ),
            select(
                shown_grants.c.project_id,
                literal(TEAMS, String),
                shown_grants.c.name,
                shown_grants.c.role_name,
                shown_grants.c.rank,
                shown_grants.c.total,
                func.coalesce(sizes.c.members, 0),
            ).outerjoin(sizes, sizes.c.team_id == shown_grants.c.team_id),
            select(
                individuals.c.project_id,
                literal(INDIVIDUALS, String),
                individuals.c.username,
                individuals.c.role_name,
                individuals.c.rank,
                individuals.c.total,
                no_size,
            ).where(individuals.c.rank <= shown),
        )
    ).all()
    return _assemble(rows, project_ids)


def _assemble(rows: list[Any], project_ids: list[uuid.UUID]) -> dict[uuid.UUID, ProjectReach]:
    # A UNION keeps no order: each kind's rank (by name, in the database's collation) does.
    rows = sorted(rows, key=lambda row: row.rank)
    owners = [row.name for row in rows if row.kind == OWNERS]
    owner_count = next((row.total for row in rows if row.kind == OWNERS), 0)
    teams: dict[uuid.UUID, list[Any]] = {key: [] for key in project_ids}
    individuals: dict[uuid.UUID, list[Any]] = {key: [] for key in project_ids}
    for row in rows:
        if row.kind == TEAMS:
            teams[row.project_id].append(row)
        elif row.kind == INDIVIDUALS:
            individuals[row.project_id].append(row)
    reach = {}
    for key in project_ids:
        team_rows, individual_rows = teams[key], individuals[key]
        reach[key] = ProjectReach(
            owners=owners,
            owner_count=owner_count,
            teams=[TeamReach(row.name, str(row.role_name), row.members) for row in team_rows],
            team_count=team_rows[0].total if team_rows else 0,
            individuals=[Holder(row.name, str(row.role_name)) for row in individual_rows],
            individual_count=individual_rows[0].total if individual_rows else 0,
        )
    return reach
