"""An organization's projects: the list with who reaches each and through what, adding a
project someone owns, and creating one directly in the organization.

Adding and creating take the organization's lock, then the project's, and judge by what is
committed by then. The link row (``organization_projects``) is inserted before any individual
Owner role goes: the database's owner rule (migration 8a4f2b6c1d37) lets a project lose its
last individual Owner only once it belongs to an organization, whose Owners administer it.
"""

import uuid
from typing import Any

from sqlalchemy import Select, String, Text, and_, delete, literal, select, union_all, update
from sqlalchemy.orm import selectinload
from zope.interface import implementer

from warehouse_orgs.accounts.models import User
from warehouse_orgs.constraints import insert_or_refuse
from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import ITeamService
from warehouse_orgs.organizations.locks import lock_organization, lock_organizations
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationProject,
    OrganizationRole,
    Team,
    TeamProjectRole,
    TeamRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.project_interfaces import (
    AccessChange,
    AccessSource,
    IOrganizationProjectService,
    MoveOptions,
    OrganizationProjectRefused,
    ProjectMovePreview,
    ProjectReach,
    RemovalOwnerChoice,
)
from warehouse_orgs.organizations.services.organizations import refuse_unless_in_good_standing
from warehouse_orgs.organizations.services.project_reach import project_reach
from warehouse_orgs.ownership import lock_rows
from warehouse_orgs.packaging.interfaces import IProjectService
from warehouse_orgs.packaging.models import Project, ProjectRoleName, Role
from warehouse_orgs.pagination import Page, paginate

ONE_ORGANIZATION_CONSTRAINT = "organization_projects_project_id_key"
# Those who may bring a project into an organization (OrganizationProjectsAdd).
TRANSFER_TARGET_ROLES = (OrganizationRoleType.Owner, OrganizationRoleType.Manager)


def keeps_individual_owner_role(organization_role_name: str | None) -> bool:
    """Whether the person who adds a project to an organization, or creates one in it, keeps
    (or is given) an individual Owner role on it. The one place this rule is written down.

    An Owner of the organization administers every organization project through that role, so
    an individual Owner role would only be a second, forgotten way in. Anyone else (a Manager)
    would otherwise lose the project they just brought in: Warehouse issue 20337, where a
    Manager created a project in the organization and then could not manage it.
    """
    return organization_role_name != OrganizationRoleType.Owner


def _in_other_organization(name: str) -> OrganizationProjectRefused:
    return OrganizationProjectRefused(
        f"This project belongs to the organization {name}. Transfer it from there instead."
    )


@implementer(IOrganizationProjectService)
class DatabaseOrganizationProjectService(RequestDatabaseService):
    # Reading

    def projects(self, organization: Organization, page: int) -> Page[Project]:
        query = (
            select(Project)
            .join(OrganizationProject, OrganizationProject.project_id == Project.id)
            .where(OrganizationProject.organization_id == organization.id)
            .order_by(Project.normalized_name)
        )
        return paginate(self.db, query, page)

    def access(
        self, organization: Organization, project_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[AccessSource]]:
        access: dict[uuid.UUID, list[AccessSource]] = {key: [] for key in project_ids}
        if not project_ids:
            return access
        owners = (
            select(
                OrganizationProject.project_id,
                User.username,
                literal(str(OrganizationRoleType.Owner), String).label("role_name"),
                literal("organization", String).label("source"),
                literal(None, String).label("team"),
            )
            .join(
                OrganizationRole,
                OrganizationRole.organization_id == OrganizationProject.organization_id,
            )
            .join(User, User.id == OrganizationRole.user_id)
            .where(
                OrganizationProject.organization_id == organization.id,
                OrganizationProject.project_id.in_(project_ids),
                OrganizationRole.role_name == OrganizationRoleType.Owner,
            )
        )
        # Only this organization's teams: a grant counts while the project is the team's
        # organization's (invariant 3), and every project listed here is this one's.
        teams = (
            select(
                TeamProjectRole.project_id,
                User.username,
                TeamProjectRole.role_name,
                literal("team", String),
                Team.name,
            )
            .join(Team, Team.id == TeamProjectRole.team_id)
            .join(TeamRole, TeamRole.team_id == Team.id)
            .join(OrganizationRole, OrganizationRole.id == TeamRole.organization_role_id)
            .join(User, User.id == OrganizationRole.user_id)
            .where(
                Team.organization_id == organization.id,
                TeamProjectRole.project_id.in_(project_ids),
            )
        )
        individuals = (
            select(
                Role.project_id,
                User.username,
                Role.role_name,
                literal("individual", String),
                literal(None, String),
            )
            .join(User, User.id == Role.user_id)
            .where(Role.project_id.in_(project_ids))
        )
        rows = self.db.execute(union_all(owners, teams, individuals))
        for row in rows:
            access[row[0]].append(
                AccessSource(username=row[1], role_name=str(row[2]), source=row[3], team=row[4])
            )
        order = {"organization": 0, "team": 1, "individual": 2}
        for sources in access.values():
            sources.sort(key=lambda s: (order[s.source], s.team or "", s.username))
        return access

    def reach(
        self, organization: Organization, project_ids: list[uuid.UUID], shown: int
    ) -> dict[uuid.UUID, ProjectReach]:
        return project_reach(self.db, organization, project_ids, shown)

    def reached_projects(self, user: User) -> Select[Any]:
        as_owner = (
            select(
                OrganizationProject.project_id,
                literal(str(ProjectRoleName.Owner), Text).label("role_name"),
                ("as an Owner of " + Organization.name).label("via"),
            )
            .join(Organization, Organization.id == OrganizationProject.organization_id)
            .join(OrganizationRole, OrganizationRole.organization_id == Organization.id)
            .where(
                OrganizationRole.user_id == user.id,
                OrganizationRole.role_name == OrganizationRoleType.Owner,
                Organization.is_active,
            )
        )
        through_team = (
            select(
                TeamProjectRole.project_id,
                TeamProjectRole.role_name.cast(Text),
                ("through the team " + Team.name + " of " + Organization.name),
            )
            .join(Team, Team.id == TeamProjectRole.team_id)
            # Invariant 3: only while the project belongs to the team's organization.
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
            .where(OrganizationRole.user_id == user.id, Organization.is_active)
        )
        return union_all(as_owner, through_team).subquery().select()

    def addable_projects(self, user: User, limit: int) -> list[str]:
        # An anti-join on the unique project_id, not a NOT IN over every organization project.
        in_an_organization = select(OrganizationProject.project_id).where(
            OrganizationProject.project_id == Project.id
        )
        return list(
            self.db.scalars(
                select(Project.name)
                .join(Role, Role.project_id == Project.id)
                .where(
                    Role.user_id == user.id,
                    Role.role_name == ProjectRoleName.Owner,
                    ~in_an_organization.exists(),
                )
                .order_by(Project.normalized_name)
                .limit(limit)
            )
        )

    def preview_add(
        self, organization: Organization, project: Project, actor: User
    ) -> ProjectMovePreview:
        current = self.current_organization(project)
        if current is not None and current.id == organization.id:
            raise OrganizationProjectRefused(
                f"{project.name} is already a project of {current.name}."
            )
        if current is not None:
            raise _in_other_organization(current.name)
        # Judged in the preview too, so nobody is walked through a change that would be
        # refused; ``add_project`` judges it again under the lock.
        refuse_unless_in_good_standing(self.request, organization, OrganizationProjectRefused)
        individuals = self._sources(project, None)
        if not any(
            s.username == actor.username and s.role_name == ProjectRoleName.Owner
            for s in individuals
        ):
            raise OrganizationProjectRefused(
                f"You are not an Owner of {project.name}: only its Owners can add it to an "
                "organization."
            )
        return self._preview_joining(project, organization, individuals, [], None, actor)

    def move_options(self, project: Project, actor: User) -> MoveOptions:
        current, actor_role = self._placement(project, actor)
        may_move = current is None or actor_role == OrganizationRoleType.Owner
        targets = (
            [
                name
                for organization_id, name in self._organizations_managed_by(actor)
                if current is None or organization_id != current.id
            ]
            if may_move
            else []
        )
        if current is None or not may_move:
            return MoveOptions(current.name if current else None, targets, False, [])
        return MoveOptions(
            current.name, targets, True, self._owner_choices(self._sources(project, current))
        )

    def preview_transfer(
        self, project: Project, target_name: str, actor: User
    ) -> ProjectMovePreview:
        source = self.current_organization(project)
        target = self._target(actor, target_name)
        if source is None:
            return self.preview_add(target, project, actor)
        if source.id == target.id:
            raise OrganizationProjectRefused(
                f"{project.name} is already a project of {source.name}."
            )
        self._refuse_unless_owner(source, actor, "transfer it to another organization")
        # Only the organization it joins must be in good standing: a project may always
        # leave one that is not.
        refuse_unless_in_good_standing(self.request, target, OrganizationProjectRefused)
        before = self._sources(project, source)
        individuals = [s for s in before if s.source == "individual"]
        return self._preview_joining(project, target, individuals, before, source, actor)

    def preview_remove(self, project: Project, actor: User, new_owner: str) -> ProjectMovePreview:
        source = self.current_organization(project)
        if source is None:
            raise OrganizationProjectRefused(f"{project.name} belongs to no organization.")
        self._refuse_unless_owner(source, actor, "remove it from the organization")
        before = self._sources(project, source)
        if new_owner not in {choice.username for choice in self._owner_choices(before)}:
            raise OrganizationProjectRefused(
                "Choose someone who reaches the project now to be its Owner."
            )
        after: dict[str, list[str]] = {}
        for s in before:
            if s.source == "individual" and s.username != new_owner:
                after.setdefault(s.username, []).append(_way(s, source.name))
        after.setdefault(new_owner, []).insert(0, f"{ProjectRoleName.Owner}, own role")
        return ProjectMovePreview(
            project_name=project.name,
            changes=_changes(_ways(before, source.name), after),
            source=source.name,
            new_owner=new_owner,
        )

    # Changing

    def add_project(
        self, organization: Organization, project: Project, actor: User
    ) -> ProjectMovePreview:
        lock_organization(self.db, organization)
        lock_rows(self.db, Project, [project.id])
        # Judged again under the locks: another request may have added it, or taken the
        # actor's role, since the preview.
        preview = self.preview_add(organization, project, actor)
        insert_or_refuse(
            self.db,
            OrganizationProject(organization_id=organization.id, project_id=project.id),
            {ONE_ORGANIZATION_CONSTRAINT: _in_other_organization("another organization")},
        )
        self._record_joined(organization, project, created=False)
        self._settle_own_role(project, actor, preview.actor_keeps_own_role)
        return preview

    def create_project(self, organization: Organization, name: str, actor: User) -> Project:
        lock_organization(self.db, organization)
        refuse_unless_in_good_standing(self.request, organization, OrganizationProjectRefused)
        actor_role = self._roles_of(actor).get(organization.id)
        # Packaging's service makes the creator its Owner and records the creation; it raises
        # ProjectNameUnavailable for a name taken.
        project = self.request.find_service(IProjectService).create_project(name, actor)
        self.db.add(OrganizationProject(organization_id=organization.id, project_id=project.id))
        self.db.flush()
        self._record_joined(organization, project, created=True)
        self._settle_own_role(project, actor, keeps_individual_owner_role(actor_role))
        return project

    def transfer_project(
        self, project: Project, target_name: str, actor: User
    ) -> ProjectMovePreview:
        source = self.current_organization(project)
        target = self._target(actor, target_name)
        if source is None:
            return self.add_project(target, project, actor)
        lock_organizations(self.db, [source.id, target.id])
        lock_rows(self.db, Project, [project.id])
        # Judged again under the locks: a role or the project's organization may have changed.
        preview = self.preview_transfer(project, target_name, actor)
        moved = self.db.execute(
            update(OrganizationProject)
            .where(
                OrganizationProject.project_id == project.id,
                OrganizationProject.organization_id == source.id,
            )
            .values(organization_id=target.id)
        )
        if moved.rowcount != 1:
            raise OrganizationProjectRefused(
                f"{project.name} has just left {source.name}. Reload the page."
            )
        # Invariant 3, in the same transaction: the old organization's teams lose the project.
        self.request.find_service(ITeamService).revoke_project_grants(source, project)
        self._record_left(source, project, to=target.name)
        self._record_joined(target, project, created=False, source=source.name)
        self._settle_own_role(project, actor, preview.actor_keeps_own_role)
        return preview

    def remove_project(self, project: Project, actor: User, new_owner: str) -> ProjectMovePreview:
        source = self.current_organization(project)
        if source is None:
            raise OrganizationProjectRefused(f"{project.name} belongs to no organization.")
        lock_organization(self.db, source)
        lock_rows(self.db, Project, [project.id])
        preview = self.preview_remove(project, actor, new_owner)
        owner = self.db.scalars(select(User).where(User.username == new_owner)).one()
        # The Owner first: the database refuses the link's deletion while there is none.
        self._make_owner(project, owner)
        self.request.find_service(ITeamService).revoke_project_grants(source, project)
        self.db.execute(
            delete(OrganizationProject).where(OrganizationProject.project_id == project.id)
        )
        self._record_left(source, project, owner=new_owner)
        return preview

    # Reading, for the previews

    def current_organization(self, project: Project) -> Organization | None:
        return self.db.scalars(
            select(Organization)
            .join(OrganizationProject, OrganizationProject.organization_id == Organization.id)
            .where(OrganizationProject.project_id == project.id)
            # With the roles its ACL reads, for the permission checks on it.
            .options(selectinload(Organization.roles))
            .execution_options(populate_existing=True)
        ).one_or_none()

    def _placement(self, project: Project, actor: User) -> tuple[Organization | None, str | None]:
        """The organization the project is in, if any, and ``actor``'s role in it, in one
        statement that reads none of its other members' roles."""
        actor_role = (
            select(OrganizationRole.role_name)
            .where(
                OrganizationRole.organization_id == Organization.id,
                OrganizationRole.user_id == actor.id,
            )
            .scalar_subquery()
        )
        row = self.db.execute(
            select(Organization, actor_role)
            .join(OrganizationProject, OrganizationProject.organization_id == Organization.id)
            .where(OrganizationProject.project_id == project.id)
        ).one_or_none()
        return (row[0], row[1]) if row is not None else (None, None)

    def _sources(self, project: Project, organization: Organization | None) -> list[AccessSource]:
        """Who reaches the project now: individual roles, and the Owners and teams of
        ``organization`` while it is active (an inactive one grants nothing)."""
        if organization is not None and organization.is_active:
            return self.access(organization, [project.id])[project.id]
        rows = self.db.execute(
            select(User.username, Role.role_name)
            .join(User, User.id == Role.user_id)
            .where(Role.project_id == project.id)
            .order_by(User.username)
        )
        return [AccessSource(username, str(role), "individual", None) for username, role in rows]

    def _roles_of(self, user: User) -> dict[uuid.UUID, str]:
        rows = self.db.execute(
            select(OrganizationRole.organization_id, OrganizationRole.role_name).where(
                OrganizationRole.user_id == user.id
            )
        )
        return {organization_id: role for organization_id, role in rows}

    def _organizations_managed_by(self, user: User) -> list[tuple[uuid.UUID, str]]:
        rows = self.db.execute(
            select(Organization.id, Organization.name)
            .join(OrganizationRole, OrganizationRole.organization_id == Organization.id)
            .where(
                OrganizationRole.user_id == user.id,
                OrganizationRole.role_name.in_(TRANSFER_TARGET_ROLES),
                Organization.is_active,
            )
            .order_by(Organization.normalized_name)
        )
        return [(organization_id, name) for organization_id, name in rows]

    def _target(self, actor: User, name: str) -> Organization:
        """The organization ``name`` if ``actor`` may move projects into it."""
        organization = self.db.scalars(
            select(Organization)
            .join(OrganizationRole, OrganizationRole.organization_id == Organization.id)
            .where(
                Organization.name == name,
                OrganizationRole.user_id == actor.id,
                OrganizationRole.role_name.in_(TRANSFER_TARGET_ROLES),
                Organization.is_active,
            )
        ).one_or_none()
        if organization is None:
            raise OrganizationProjectRefused(
                "Choose an active organization you are an Owner or Manager of."
            )
        return organization

    def _refuse_unless_owner(self, organization: Organization, actor: User, action: str) -> None:
        if self._roles_of(actor).get(organization.id) != OrganizationRoleType.Owner:
            raise OrganizationProjectRefused(f"Only Owners of {organization.name} can {action}.")

    def _target_owners(self, organization: Organization) -> list[str]:
        return list(
            self.db.scalars(
                select(User.username)
                .join(OrganizationRole, OrganizationRole.user_id == User.id)
                .where(
                    OrganizationRole.organization_id == organization.id,
                    OrganizationRole.role_name == OrganizationRoleType.Owner,
                )
                .order_by(User.username)
            )
        )

    def _preview_joining(
        self,
        project: Project,
        target: Organization,
        individuals: list[AccessSource],
        before: list[AccessSource],
        source: Organization | None,
        actor: User,
    ) -> ProjectMovePreview:
        """The preview of a move into ``target``: individual roles stay (the actor's Owner role
        as ``keeps_individual_owner_role`` says), ``target``'s Owners come in, everything the
        old organization gave goes."""
        keeps = keeps_individual_owner_role(self._roles_of(actor).get(target.id))
        after: dict[str, list[str]] = {}
        for s in individuals:
            if s.username == actor.username and s.role_name == ProjectRoleName.Owner and not keeps:
                continue
            after.setdefault(s.username, []).append(_way(s, target.name))
        if keeps and not any(
            s.username == actor.username and s.role_name == ProjectRoleName.Owner
            for s in individuals
        ):
            # A Manager moving in a project they reach only through the old organization.
            own = [way for way in after.get(actor.username, []) if not way.endswith("own role")]
            after[actor.username] = [f"{ProjectRoleName.Owner}, own role", *own]
        for username in self._target_owners(target):
            after.setdefault(username, []).append(
                f"{OrganizationRoleType.Owner}, as an Owner of {target.name}"
            )
        old = before if source is not None else individuals
        return ProjectMovePreview(
            project_name=project.name,
            changes=_changes(_ways(old, source.name if source else ""), after),
            source=source.name if source else None,
            target=target.name,
            actor_keeps_own_role=keeps,
        )

    @staticmethod
    def _owner_choices(sources: list[AccessSource]) -> list[RemovalOwnerChoice]:
        owners = {
            s.username
            for s in sources
            if s.source == "individual" and s.role_name == ProjectRoleName.Owner
        }
        return [
            RemovalOwnerChoice(username, username in owners)
            for username in sorted({s.username for s in sources})
        ]

    # Writing, shared

    def _record_joined(
        self,
        organization: Organization,
        project: Project,
        *,
        created: bool,
        source: str | None = None,
    ) -> None:
        details: dict[str, Any] = {"project": project.name, "created": created}
        project_details: dict[str, Any] = {"organization": organization.name, "created": created}
        if source is not None:
            details["from"] = project_details["from"] = source
        organization.record_event(EventTag.OrganizationProjectAdd, self.request, details)
        project.record_event(EventTag.ProjectOrganizationProjectAdd, self.request, project_details)

    def _record_left(
        self,
        organization: Organization,
        project: Project,
        *,
        to: str | None = None,
        owner: str | None = None,
    ) -> None:
        more = {"to": to} if to is not None else {"owner": owner}
        organization.record_event(
            EventTag.OrganizationProjectRemove, self.request, {"project": project.name, **more}
        )
        project.record_event(
            EventTag.ProjectOrganizationProjectRemove,
            self.request,
            {"organization": organization.name, **more},
        )

    def _settle_own_role(self, project: Project, actor: User, keeps: bool) -> None:
        """After a move into an organization: the actor holds an individual Owner role exactly
        when ``keeps_individual_owner_role`` says so."""
        if keeps:
            self._make_owner(project, actor)
            return
        role = self._role(project, actor)
        if role is not None and role.role_name == ProjectRoleName.Owner:
            # The project is in the organization by now, whose Owners administer it, so
            # packaging lets its last individual Owner go.
            self.request.find_service(IProjectService).remove_role(role)

    def _make_owner(self, project: Project, user: User) -> None:
        projects = self.request.find_service(IProjectService)
        role = self._role(project, user)
        if role is None:
            projects.add_role(project, user, ProjectRoleName.Owner)
        elif role.role_name != ProjectRoleName.Owner:
            projects.change_role(role, ProjectRoleName.Owner)

    def _role(self, project: Project, user: User) -> Role | None:
        return self.db.scalars(
            select(Role)
            .where(Role.project_id == project.id, Role.user_id == user.id)
            .execution_options(populate_existing=True)
        ).one_or_none()


def _way(source: AccessSource, organization_name: str) -> str:
    """One way in, in words: "Maintainer, through the team Docs of acme"."""
    if source.source == "organization":
        return f"{OrganizationRoleType.Owner}, as an Owner of {organization_name}"
    if source.source == "team":
        return f"{source.role_name}, through the team {source.team} of {organization_name}"
    return f"{source.role_name}, own role"


def _ways(sources: list[AccessSource], organization_name: str) -> dict[str, list[str]]:
    ways: dict[str, list[str]] = {}
    for source in sources:
        ways.setdefault(source.username, []).append(_way(source, organization_name))
    return ways


def _changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[AccessChange]:
    return [
        AccessChange(username, before.get(username, []), after.get(username, []))
        for username in sorted(before.keys() | after.keys())
    ]
