"""An organization's teams, who is on them, and their roles on the organization's projects.

Every change takes the organization's lock first (``locks.lock_organization``), the lock that
membership changes take too, then reads what it judges by again. So a person being added to a
team while an Owner removes them from the organization is either added first and then taken
off with their organization role (the database's cascade), or refused with the reason: never
left on the team. Unique constraints decide the remaining twins (two teams named alike, the
same person added twice) and turn into the same refusals the checks give.

A team membership hangs off the member's organization role (see ``TeamRole``), and a team's
project role counts only while the project belongs to the team's organization: the project's
access joins ``organization_projects`` on the team's organization (``project_access``).
"""

import dataclasses
import re
import uuid
from typing import Any

from sqlalchemy import (
    Select,
    String,
    Text,
    and_,
    delete,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from zope.interface import implementer

from warehouse_orgs.accounts.models import User
from warehouse_orgs.constraints import constraint_name, insert_or_refuse
from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import (
    ITeamService,
    ProjectAccess,
    TeamGrantRefused,
    TeamMembershipRefused,
    TeamNameUnavailable,
    TeamRefused,
    TeamSummary,
)
from warehouse_orgs.organizations.locks import lock_organization
from warehouse_orgs.organizations.models import (
    TEAM_NAME_MAX_LENGTH,
    TEAM_NAME_PATTERN,
    TEAM_NAME_RULE,
    Organization,
    OrganizationProject,
    OrganizationRole,
    Team,
    TeamProjectRole,
    TeamProjectRoleType,
    TeamRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services.organizations import (
    as_uuid,
    refuse_unless_in_good_standing,
)
from warehouse_orgs.packaging.models import Project
from warehouse_orgs.pagination import Page, paginate

# The database's names for the constraints behind the rules checked here.
ONE_TEAM_PER_NAME = "teams_organization_id_normalized_name_key"
ONE_MEMBERSHIP_PER_TEAM = "team_roles_team_id_organization_role_id_key"
ONE_ROLE_PER_TEAM_AND_PROJECT = "team_project_roles_team_id_project_id_key"
# A membership's key to the organization role: violated when the role went (or changed) after
# the check, which the lock rules out, but said in words if it ever happens.
MEMBERSHIP_NEEDS_ORGANIZATION_ROLE = "team_roles_organization_role_id_fkey"

OWN_TEAM_OWNER = (
    "You are on this team and not an Owner of the organization, so you cannot demote or "
    "remove your own team's Owner role; ask an organization Owner."
)
# Reasons a membership or a grant ended without anyone ending it by hand (see the event
# sentences in events/tags.py).
REASON_LEFT_ORGANIZATION = "left_organization"
REASON_BILLING_MANAGER = "billing_manager"
REASON_TEAM_DELETED = "team_deleted"

# A change to a team's project role is recorded on the organization, the team and the project.
_GRANT_ADDED = (
    EventTag.OrganizationTeamProjectRoleAdd,
    EventTag.TeamProjectRoleAdd,
    EventTag.ProjectTeamProjectRoleAdd,
)
_GRANT_CHANGED = (
    EventTag.OrganizationTeamProjectRoleChange,
    EventTag.TeamProjectRoleChange,
    EventTag.ProjectTeamProjectRoleChange,
)
_GRANT_REMOVED = (
    EventTag.OrganizationTeamProjectRoleRemove,
    EventTag.TeamProjectRoleRemove,
    EventTag.ProjectTeamProjectRoleRemove,
)

_TEAM_NAME = re.compile(TEAM_NAME_PATTERN)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_team_name(name: str) -> str:
    """The name as it will be stored; TeamRefused when the database would refuse it."""
    if not name or len(name) > TEAM_NAME_MAX_LENGTH or _CONTROL.search(name):
        raise TeamRefused(TEAM_NAME_RULE)
    if not _TEAM_NAME.fullmatch(name):
        raise TeamRefused(TEAM_NAME_RULE)
    return name


def _not_a_member(username: str, organization: Organization) -> TeamMembershipRefused:
    # Said alike whether the account exists or not, so the add form tells nobody which
    # usernames are taken.
    return TeamMembershipRefused(
        f"{username} is not a member of {organization.name}; only members can be on its teams."
    )


@implementer(ITeamService)
class DatabaseTeamService(RequestDatabaseService):
    # Reading

    def get_team(self, organization: Organization, name: str) -> Team | None:
        # Runs of spaces and punctuation fold into one, so a longer spelling may still name a
        # team; anything far longer names none, and need not reach the database.
        if len(name) > TEAM_NAME_MAX_LENGTH * 4:
            return None
        return self.db.scalars(
            select(Team).where(
                Team.organization_id == organization.id,
                Team.normalized_name == func.normalize_team_name(name),
            )
        ).one_or_none()

    def teams(self, organization: Organization) -> list[TeamSummary]:
        return [TeamSummary(*row) for row in self.db.execute(self._teams_query(organization))]

    def teams_page(self, organization: Organization, page: int) -> Page[TeamSummary]:
        rows = paginate(self.db, self._teams_query(organization), page, scalars=False)
        return dataclasses.replace(rows, items=[TeamSummary(*row) for row in rows.items])

    def _teams_query(self, organization: Organization) -> Select[tuple[Team, int, int]]:
        members = (
            select(func.count())
            .select_from(TeamRole)
            .where(TeamRole.team_id == Team.id)
            .scalar_subquery()
        )
        # Only projects the organization owns now: a grant left behind by a transfer reaches
        # nothing, so it is not counted either.
        projects = (
            select(func.count())
            .select_from(TeamProjectRole)
            .join(
                OrganizationProject,
                and_(
                    OrganizationProject.project_id == TeamProjectRole.project_id,
                    OrganizationProject.organization_id == Team.organization_id,
                ),
            )
            .where(TeamProjectRole.team_id == Team.id)
            .scalar_subquery()
        )
        # Served by the unique index on (organization_id, normalized_name).
        return (
            select(Team, members, projects)
            .where(Team.organization_id == organization.id)
            .order_by(Team.normalized_name, Team.id)
        )

    def team_members(self, team: Team) -> list[TeamRole]:
        return list(self.db.scalars(self._team_members_query(team)))

    def team_members_page(self, team: Team, page: int) -> Page[TeamRole]:
        return paginate(self.db, self._team_members_query(team), page)

    def candidate_usernames(self, team: Team, limit: int) -> list[str]:
        on_team = select(TeamRole.id).where(
            TeamRole.team_id == team.id, TeamRole.organization_role_id == OrganizationRole.id
        )
        return list(
            self.db.scalars(
                select(User.username)
                .join(OrganizationRole, OrganizationRole.user_id == User.id)
                .where(
                    OrganizationRole.organization_id == team.organization_id,
                    OrganizationRole.role_name != OrganizationRoleType.BillingManager,
                    ~on_team.exists(),
                )
                .order_by(User.username)
                .limit(limit)
            )
        )

    def _team_members_query(self, team: Team) -> Select[tuple[TeamRole]]:
        # Served by the unique index on (team_id, organization_role_id).
        return (
            select(TeamRole)
            .join(OrganizationRole, OrganizationRole.id == TeamRole.organization_role_id)
            .join(User, User.id == OrganizationRole.user_id)
            .where(TeamRole.team_id == team.id)
            .options(
                contains_eager(TeamRole.organization_role).contains_eager(OrganizationRole.user)
            )
            .order_by(User.username, TeamRole.id)
        )

    def get_team_role(self, team: Team, team_role_id: Any) -> TeamRole | None:
        key = as_uuid(team_role_id)
        if key is None:
            return None
        return self.db.scalars(
            select(TeamRole)
            .where(TeamRole.id == key, TeamRole.team_id == team.id)
            .options(joinedload(TeamRole.organization_role).joinedload(OrganizationRole.user))
        ).one_or_none()

    def team_role_of(self, team: Team, user: User) -> TeamRole | None:
        return self.db.scalars(
            select(TeamRole)
            .join(OrganizationRole, OrganizationRole.id == TeamRole.organization_role_id)
            .where(TeamRole.team_id == team.id, OrganizationRole.user_id == user.id)
        ).one_or_none()

    def team_projects(self, team: Team) -> list[TeamProjectRole]:
        return list(self.db.scalars(self._team_projects_query(team)))

    def team_projects_page(self, team: Team, page: int) -> Page[TeamProjectRole]:
        return paginate(self.db, self._team_projects_query(team), page)

    def _team_projects_query(self, team: Team) -> Select[tuple[TeamProjectRole]]:
        # Served by the unique index on (team_id, project_id).
        return (
            select(TeamProjectRole)
            .join(Project, Project.id == TeamProjectRole.project_id)
            .join(
                OrganizationProject,
                and_(
                    OrganizationProject.project_id == Project.id,
                    OrganizationProject.organization_id == team.organization_id,
                ),
            )
            .where(TeamProjectRole.team_id == team.id)
            .options(contains_eager(TeamProjectRole.project))
            .order_by(Project.normalized_name, TeamProjectRole.id)
        )

    def project_grants(self, project: Project) -> list[TeamProjectRole]:
        return list(
            self.db.scalars(
                select(TeamProjectRole)
                .join(Team, Team.id == TeamProjectRole.team_id)
                .join(
                    OrganizationProject,
                    and_(
                        OrganizationProject.project_id == TeamProjectRole.project_id,
                        OrganizationProject.organization_id == Team.organization_id,
                    ),
                )
                .where(TeamProjectRole.project_id == project.id)
                .options(contains_eager(TeamProjectRole.team))
                .order_by(Team.normalized_name)
            )
        )

    def get_grant(self, team: Team, project: Project) -> TeamProjectRole | None:
        return self.db.scalars(
            select(TeamProjectRole).where(
                TeamProjectRole.team_id == team.id, TeamProjectRole.project_id == project.id
            )
        ).one_or_none()

    def teams_of_user(self, user: User, organization: Organization | None = None) -> list[Team]:
        query = (
            select(Team)
            .join(TeamRole, TeamRole.team_id == Team.id)
            .join(OrganizationRole, OrganizationRole.id == TeamRole.organization_role_id)
            .join(Organization, Organization.id == Team.organization_id)
            .where(OrganizationRole.user_id == user.id)
            .options(contains_eager(Team.organization))
            .order_by(Organization.normalized_name, Team.normalized_name)
        )
        if organization is not None:
            query = query.where(Team.organization_id == organization.id)
        return list(self.db.scalars(query))

    def project_access(self, project_id: uuid.UUID) -> list[ProjectAccess]:
        owners = (
            select(
                OrganizationRole.user_id,
                literal(str(OrganizationRoleType.Owner), String).label("role_name"),
                null().cast(Text).label("team"),
            )
            .join(
                OrganizationProject,
                OrganizationProject.organization_id == OrganizationRole.organization_id,
            )
            .join(Organization, Organization.id == OrganizationRole.organization_id)
            .where(
                OrganizationProject.project_id == project_id,
                OrganizationRole.role_name == OrganizationRoleType.Owner,
                Organization.is_active,
            )
        )
        team_members = (
            select(OrganizationRole.user_id, TeamProjectRole.role_name, Team.name)
            .select_from(TeamProjectRole)
            .join(Team, Team.id == TeamProjectRole.team_id)
            # The guard against a grant outliving a transfer (Trail of Bits, TOB-PYPI26-13):
            # the project must belong to the team's organization now.
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
            .where(TeamProjectRole.project_id == project_id, Organization.is_active)
        )
        return [ProjectAccess(*row) for row in self.db.execute(union_all(owners, team_members))]

    def project_organization(self, project: Project) -> Organization | None:
        return self.db.scalars(
            select(Organization)
            .join(OrganizationProject, OrganizationProject.organization_id == Organization.id)
            .where(OrganizationProject.project_id == project.id, Organization.is_active)
        ).one_or_none()

    def changeable_grants(self, actor: User, grants: list[TeamProjectRole]) -> set[uuid.UUID]:
        owner_grants = [g for g in grants if g.role_name == TeamProjectRoleType.Owner]
        changeable = {g.id for g in grants if g.role_name != TeamProjectRoleType.Owner}
        if not owner_grants:
            return changeable
        # The actor's role in the teams' organization, with each team of it they are on.
        rows = self.db.execute(
            select(OrganizationRole.role_name, TeamRole.team_id)
            .join(Team, Team.organization_id == OrganizationRole.organization_id)
            .outerjoin(
                TeamRole,
                and_(
                    TeamRole.organization_role_id == OrganizationRole.id,
                    TeamRole.team_id == Team.id,
                ),
            )
            .where(
                OrganizationRole.user_id == actor.id,
                Team.id.in_({g.team_id for g in owner_grants}),
            )
        ).all()
        if any(row.role_name == OrganizationRoleType.Owner for row in rows):
            return changeable | {g.id for g in owner_grants}
        on_teams = {row.team_id for row in rows if row.team_id is not None}
        return changeable | {g.id for g in owner_grants if g.team_id not in on_teams}

    def may_change_grant(self, actor: User, grant: TeamProjectRole) -> bool:
        # One rule for a single grant and for a page of them.
        return grant.id in self.changeable_grants(actor, [grant])

    # Teams

    def create_team(self, organization: Organization, name: str) -> Team:
        lock_organization(self.db, organization)
        refuse_unless_in_good_standing(self.request, organization, TeamRefused)
        name = check_team_name(name)
        taken = TeamNameUnavailable(f"The organization already has a team named {name}.")
        if self.get_team(organization, name) is not None:
            raise taken
        team = Team(organization_id=organization.id, name=name)
        insert_or_refuse(self.db, team, {ONE_TEAM_PER_NAME: taken})
        team.organization = organization
        organization.record_event(EventTag.OrganizationTeamCreate, self.request, {"team": name})
        team.record_event(EventTag.TeamCreate, self.request)
        return team

    def rename_team(self, team: Team, name: str) -> str | None:
        organization = team.organization
        lock_organization(self.db, organization)
        team = self._current_team(team)
        name = check_team_name(name)
        old = team.name
        if name == old:
            return None
        other = self.get_team(organization, name)
        taken = TeamNameUnavailable(
            f"The organization already has a team named {other.name if other else name}."
        )
        if other is not None and other.id != team.id:
            raise taken
        try:
            with self.db.begin_nested():
                team.name = name
                self.db.flush()
        except IntegrityError as error:
            if constraint_name(error) == ONE_TEAM_PER_NAME:
                raise taken from error
            raise
        self.db.refresh(team, ["normalized_name"])
        details = {"team": name, "old_name": old}
        organization.record_event(EventTag.OrganizationTeamRename, self.request, details)
        team.record_event(EventTag.TeamRename, self.request, {"old_name": old})
        return old

    def delete_team(self, team: Team) -> list[TeamRole]:
        organization = team.organization
        lock_organization(self.db, organization)
        team = self._current_team(team)
        members = self.team_members(team)
        grants = self.team_projects(team)
        for grant in grants:
            grant.project.record_event(
                EventTag.ProjectTeamProjectRoleRemove,
                self.request,
                self._grant_details(team, grant.project, grant.role_name, REASON_TEAM_DELETED),
            )
        for member in members:
            self._record_membership_removal(
                team, member.organization_role.user, REASON_TEAM_DELETED, on_team=False
            )
        organization.record_event(
            EventTag.OrganizationTeamDelete, self.request, {"team": team.name}
        )
        # One statement; the memberships, project roles and the team's own history go with it
        # by ON DELETE CASCADE.
        self.db.flush()
        self.db.execute(delete(Team).where(Team.id == team.id))
        self.db.expunge(team)
        return members

    def _current_team(self, team: Team) -> Team:
        current = self.db.scalars(
            select(Team).where(Team.id == team.id).execution_options(populate_existing=True)
        ).one_or_none()
        if current is None:
            raise TeamRefused(f"The team {team.name} no longer exists.")
        return current

    def _team_of(self, team_id: uuid.UUID) -> Team:
        """By id: the membership or grant asked about may be one this session already
        deleted."""
        team = self.db.get(Team, team_id)
        if team is None:
            raise TeamRefused("That team no longer exists.")
        return team

    # Members

    def add_member_by_username(self, team: Team, username: str) -> TeamRole:
        user = self.db.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None:
            raise _not_a_member(username, team.organization)
        return self.add_member(team, user)

    def add_member(self, team: Team, user: User) -> TeamRole:
        organization = team.organization
        lock_organization(self.db, organization)
        team = self._current_team(team)
        role = self.db.scalars(
            select(OrganizationRole).where(
                OrganizationRole.organization_id == organization.id,
                OrganizationRole.user_id == user.id,
            )
        ).one_or_none()
        if role is None:
            raise _not_a_member(user.username, organization)
        if role.role_name == OrganizationRoleType.BillingManager:
            raise TeamMembershipRefused(
                f"{user.username} is a Billing Manager; Billing Managers cannot be on a team."
            )
        already = TeamMembershipRefused(f"{user.username} is already on the team {team.name}.")
        if self.team_role_of(team, user) is not None:
            raise already
        team_role = TeamRole(
            team_id=team.id,
            organization_id=organization.id,
            organization_role_id=role.id,
            organization_role_name=role.role_name,
        )
        insert_or_refuse(
            self.db,
            team_role,
            {
                ONE_MEMBERSHIP_PER_TEAM: already,
                MEMBERSHIP_NEEDS_ORGANIZATION_ROLE: TeamMembershipRefused(
                    f"{user.username} is no longer a member of {organization.name}."
                ),
            },
        )
        details = {"username": user.username}
        organization.record_event(
            EventTag.OrganizationTeamRoleAdd, self.request, {"team": team.name, **details}
        )
        team.record_event(EventTag.TeamRoleAdd, self.request, details)
        user.record_event(
            EventTag.AccountTeamRoleAdd,
            self.request,
            {"team": team.name, "organization": organization.name, **details},
        )
        return team_role

    def remove_member(self, team_role: TeamRole) -> None:
        team = self._team_of(team_role.team_id)
        lock_organization(self.db, team.organization)
        current = self.db.scalars(
            select(TeamRole)
            .where(TeamRole.id == team_role.id)
            .options(joinedload(TeamRole.organization_role).joinedload(OrganizationRole.user))
            .execution_options(populate_existing=True)
        ).one_or_none()
        if current is None:
            raise TeamMembershipRefused("That person is no longer on the team.")
        user = current.organization_role.user
        self.db.execute(delete(TeamRole).where(TeamRole.id == current.id))
        self.db.expunge(current)
        self._record_membership_removal(team, user, None)

    def end_team_memberships(self, organization_role: OrganizationRole, reason: str) -> list[Team]:
        # The caller (a membership change) holds the organization's lock already. One statement
        # when the person is on no team, which is the usual case.
        team_ids = self.db.scalars(
            delete(TeamRole)
            .where(TeamRole.organization_role_id == organization_role.id)
            .returning(TeamRole.team_id)
        ).all()
        if not team_ids:
            return []
        teams = list(
            self.db.scalars(
                select(Team).where(Team.id.in_(team_ids)).order_by(Team.normalized_name)
            )
        )
        for team in teams:
            self._record_membership_removal(team, organization_role.user, reason)
        return teams

    def _record_membership_removal(
        self, team: Team, user: User, reason: str | None, *, on_team: bool = True
    ) -> None:
        details: dict[str, Any] = {"username": user.username}
        if reason:
            details["reason"] = reason
        team.organization.record_event(
            EventTag.OrganizationTeamRoleRemove, self.request, {"team": team.name, **details}
        )
        if on_team:
            team.record_event(EventTag.TeamRoleRemove, self.request, details)
        user.record_event(
            EventTag.AccountTeamRoleRemove,
            self.request,
            {"team": team.name, "organization": team.organization.name, **details},
        )

    # Project roles

    def grant_project(
        self, team: Team, project: Project, role_name: TeamProjectRoleType
    ) -> TeamProjectRole:
        organization = team.organization
        lock_organization(self.db, organization)
        team = self._current_team(team)
        role_name = self._role(role_name)
        owned = self.db.scalar(
            select(OrganizationProject.id).where(
                OrganizationProject.project_id == project.id,
                OrganizationProject.organization_id == organization.id,
            )
        )
        if owned is None:
            raise TeamGrantRefused(
                f"{project.name} does not belong to {organization.name}; a team can only be "
                "given a role on its organization's projects."
            )
        already = TeamGrantRefused(
            f"The team {team.name} already has a role on {project.name}; change it instead."
        )
        if self.get_grant(team, project) is not None:
            raise already
        grant = TeamProjectRole(team_id=team.id, project_id=project.id, role_name=role_name)
        insert_or_refuse(self.db, grant, {ONE_ROLE_PER_TEAM_AND_PROJECT: already})
        grant.team, grant.project = team, project
        self._record_grant(_GRANT_ADDED, team, project, role_name)
        return grant

    def change_grant(self, grant: TeamProjectRole, role_name: TeamProjectRoleType) -> str | None:
        team = self._team_of(grant.team_id)
        lock_organization(self.db, team.organization)
        grant = self._current_grant(grant)
        role_name = self._role(role_name)
        old = TeamProjectRoleType(grant.role_name)
        if old == role_name:
            return None
        self._refuse_own_team_owner(grant)
        grant.role_name = role_name
        self.db.flush()
        self._record_grant(_GRANT_CHANGED, team, grant.project, role_name, old_role=old)
        return str(old)

    def revoke_grant(self, grant: TeamProjectRole) -> None:
        team = self._team_of(grant.team_id)
        lock_organization(self.db, team.organization)
        grant = self._current_grant(grant)
        self._refuse_own_team_owner(grant)
        project, role_name = grant.project, grant.role_name
        self.db.execute(delete(TeamProjectRole).where(TeamProjectRole.id == grant.id))
        self.db.expunge(grant)
        self._record_grant(_GRANT_REMOVED, team, project, role_name)

    def revoke_project_grants(self, organization: Organization, project: Project) -> int:
        lock_organization(self.db, organization)
        grants = list(
            self.db.scalars(
                select(TeamProjectRole)
                .join(Team, Team.id == TeamProjectRole.team_id)
                .where(
                    TeamProjectRole.project_id == project.id,
                    Team.organization_id == organization.id,
                )
                .options(contains_eager(TeamProjectRole.team))
                .order_by(Team.normalized_name)
            )
        )
        if not grants:
            return 0
        self.db.execute(
            delete(TeamProjectRole).where(TeamProjectRole.id.in_([g.id for g in grants]))
        )
        for grant in grants:
            self.db.expunge(grant)
            self._record_grant(_GRANT_REMOVED, grant.team, project, grant.role_name)
        return len(grants)

    def _current_grant(self, grant: TeamProjectRole) -> TeamProjectRole:
        current = self.db.scalars(
            select(TeamProjectRole)
            .where(TeamProjectRole.id == grant.id)
            .options(selectinload(TeamProjectRole.project), selectinload(TeamProjectRole.team))
            .execution_options(populate_existing=True)
        ).one_or_none()
        if current is None:
            raise TeamGrantRefused("The team no longer has a role on that project.")
        return current

    def _refuse_own_team_owner(self, grant: TeamProjectRole) -> None:
        actor = self.request.user
        if actor is not None and not self.may_change_grant(actor, grant):
            raise TeamGrantRefused(OWN_TEAM_OWNER)

    @staticmethod
    def _role(role_name: Any) -> TeamProjectRoleType:
        try:
            return TeamProjectRoleType(role_name)
        except ValueError:
            raise TeamGrantRefused("A team's role on a project is Owner or Maintainer.") from None

    def _grant_details(
        self, team: Team, project: Project, role_name: str, reason: str | None = None, **more: Any
    ) -> dict[str, Any]:
        details = {
            "team": team.name,
            "organization": team.organization.name,
            "project": project.name,
            "role": str(role_name),
            **{key: str(value) for key, value in more.items()},
        }
        if reason:
            details["reason"] = reason
        return details

    def _record_grant(
        self,
        tags: tuple[EventTag, EventTag, EventTag],
        team: Team,
        project: Project,
        role_name: str,
        **more: Any,
    ) -> None:
        on_organization, on_team, on_project = tags
        details = self._grant_details(team, project, role_name, **more)
        team.organization.record_event(on_organization, self.request, details)
        team.record_event(on_team, self.request, details)
        project.record_event(on_project, self.request, details)
