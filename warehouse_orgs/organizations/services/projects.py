"""An organization's projects: the list with who reaches each and through what, adding a
project someone owns, and creating one directly in the organization.

Adding and creating take the organization's lock, then the project's, and judge by what is
committed by then. The link row (``organization_projects``) is inserted before any individual
Owner role goes: the database's owner rule (migration 8a4f2b6c1d37) lets a project lose its
last individual Owner only once it belongs to an organization, whose Owners administer it.
"""

import uuid
from typing import Any

from sqlalchemy import Select, String, Text, and_, literal, select, union_all
from zope.interface import implementer

from warehouse_orgs.accounts.models import User
from warehouse_orgs.constraints import insert_or_refuse
from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.locks import lock_organization
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
    AddProjectPreview,
    IOrganizationProjectService,
    OrganizationProjectRefused,
)
from warehouse_orgs.ownership import lock_rows
from warehouse_orgs.packaging.interfaces import IProjectService
from warehouse_orgs.packaging.models import Project, ProjectRoleName, Role
from warehouse_orgs.pagination import Page, paginate

ONE_ORGANIZATION_CONSTRAINT = "organization_projects_project_id_key"


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

    def addable_projects(self, user: User) -> list[str]:
        in_an_organization = select(OrganizationProject.project_id)
        return list(
            self.db.scalars(
                select(Project.name)
                .join(Role, Role.project_id == Project.id)
                .where(
                    Role.user_id == user.id,
                    Role.role_name == ProjectRoleName.Owner,
                    Project.id.not_in(in_an_organization),
                )
                .order_by(Project.normalized_name)
            )
        )

    def preview_add(
        self, organization: Organization, project: Project, actor: User
    ) -> AddProjectPreview:
        current = self.db.scalars(
            select(Organization.name)
            .join(OrganizationProject, OrganizationProject.organization_id == Organization.id)
            .where(OrganizationProject.project_id == project.id)
        ).one_or_none()
        if current == organization.name:
            raise OrganizationProjectRefused(f"{project.name} is already a project of {current}.")
        if current is not None:
            raise _in_other_organization(current)
        roles = self.db.execute(
            select(User.id, User.username, Role.role_name)
            .join(User, User.id == Role.user_id)
            .where(Role.project_id == project.id)
            .order_by(User.username)
        ).all()
        if not any(r.id == actor.id and r.role_name == ProjectRoleName.Owner for r in roles):
            raise OrganizationProjectRefused(
                f"You are not an Owner of {project.name}: only its Owners can add it to an "
                "organization."
            )
        members = self.db.execute(
            select(User.id, User.username, OrganizationRole.role_name)
            .join(User, User.id == OrganizationRole.user_id)
            .where(OrganizationRole.organization_id == organization.id)
        ).all()
        actor_role = next((m.role_name for m in members if m.id == actor.id), None)
        keeps = keeps_individual_owner_role(actor_role)
        owners = {m.username for m in members if m.role_name == OrganizationRoleType.Owner}
        through_organization = f"Owner, as an Owner of {organization.name}"
        before: dict[str, list[str]] = {}
        after: dict[str, list[str]] = {}
        for role in roles:
            own = f"{role.role_name}, own role"
            before.setdefault(role.username, []).append(own)
            if role.id != actor.id or keeps:
                after.setdefault(role.username, []).append(own)
        for username in sorted(owners):
            after.setdefault(username, []).append(through_organization)
        changes = [
            AccessChange(username, before.get(username, []), after.get(username, []))
            for username in sorted(before.keys() | after.keys())
        ]
        return AddProjectPreview(
            project_name=project.name,
            changes=changes,
            actor_keeps_own_role=keeps,
        )

    # Changing

    def add_project(
        self, organization: Organization, project: Project, actor: User
    ) -> AddProjectPreview:
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
        self._record_added(organization, project, created=False)
        if not preview.actor_keeps_own_role:
            self._remove_own_role(project, actor)
        return preview

    def create_project(self, organization: Organization, name: str, actor: User) -> Project:
        lock_organization(self.db, organization)
        actor_role = self.db.scalar(
            select(OrganizationRole.role_name).where(
                OrganizationRole.organization_id == organization.id,
                OrganizationRole.user_id == actor.id,
            )
        )
        # Packaging's service makes the creator its Owner and records the creation; it raises
        # ProjectNameUnavailable for a name taken.
        project = self.request.find_service(IProjectService).create_project(name, actor)
        self.db.add(OrganizationProject(organization_id=organization.id, project_id=project.id))
        self.db.flush()
        self._record_added(organization, project, created=True)
        if not keeps_individual_owner_role(actor_role):
            self._remove_own_role(project, actor)
        return project

    def _record_added(self, organization: Organization, project: Project, *, created: bool) -> None:
        details: dict[str, Any] = {"project": project.name, "created": created}
        organization.record_event(EventTag.OrganizationProjectAdd, self.request, details)
        project.record_event(
            EventTag.ProjectOrganizationProjectAdd,
            self.request,
            {"organization": organization.name, "created": created},
        )

    def _remove_own_role(self, project: Project, user: User) -> None:
        """The actor's individual role goes. Packaging's ``remove_role`` would refuse to take
        the last individual Owner; here the project is in the organization already (flushed
        above), so the database's owner rule lets it go, and its Owners administer it."""
        role = self.db.scalars(
            select(Role).where(Role.project_id == project.id, Role.user_id == user.id)
        ).one()
        project.roles.remove(role)
        self.db.flush()
        project.record_event(
            EventTag.ProjectRoleRemove,
            self.request,
            {"project": project.name, "username": user.username, "role": str(role.role_name)},
        )
