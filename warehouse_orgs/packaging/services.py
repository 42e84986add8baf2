"""Projects and their individual roles, behind IProjectService."""

import dataclasses
import uuid
from typing import Any

from sqlalchemy import Text, false, func, null, or_, select, union_all
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import aliased, selectinload
from zope.interface import implementer

from warehouse_orgs.accounts.models import User
from warehouse_orgs.constraints import insert_or_refuse
from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.ownership import (
    LastOwnerRefused,
    delete_in_one_statement,
    lock_rows,
    refuse_if_last_owner,
    reload_for_update,
)
from warehouse_orgs.packaging.interfaces import IProjectService, ProjectAccessWay, ReachedProject
from warehouse_orgs.packaging.models import Project, ProjectRoleName, Role, select_project_by_name
from warehouse_orgs.pagination import Page, paginate

# The database's names for the constraints that back the service's own checks.
PROJECT_NAME_CONSTRAINT = "projects_normalized_name_key"
ROLE_UNIQUE_CONSTRAINT = "project_roles_user_id_project_id_key"


class ProjectNameUnavailable(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"the project name {name!r} is taken")
        self.name = name


class RoleAlreadyExists(Exception):
    def __init__(self, username: str, project_name: str) -> None:
        super().__init__(f"{username} already has a role on {project_name}")
        self.username = username


class RoleNotFound(Exception):
    """The role went away (another request removed it) while this one was working."""


@implementer(IProjectService)
class DatabaseProjectService(RequestDatabaseService):
    def get_project_by_name(self, name: str) -> Project | None:
        return self.db.scalars(select_project_by_name(name)).unique().one_or_none()

    def create_project(self, name: str, creator: User) -> Project:
        if self.get_project_by_name(name) is not None:
            raise ProjectNameUnavailable(name)
        project = Project(name=name)
        Role(project=project, user=creator, role_name=ProjectRoleName.Owner)
        # Another request may take the name between the check and the insert; the unique
        # constraint then decides, and the answer is the same as above.
        insert_or_refuse(self.db, project, {PROJECT_NAME_CONSTRAINT: ProjectNameUnavailable(name)})
        project.record_event(EventTag.ProjectCreate, self.request, {"project": project.name})
        self._record_role_event(EventTag.ProjectRoleAdd, project, creator, ProjectRoleName.Owner)
        return project

    def delete_project(self, project: Project) -> None:
        lock_rows(self.db, Project, [project.id])
        # The project's own history goes with it, so each collaborator's keeps the deletion.
        people = {role.user.id: role.user for role in project.roles}
        actor = self.request.user
        if actor is not None:
            people.setdefault(actor.id, actor)
        for user in people.values():
            user.record_event(EventTag.ProjectDelete, self.request, {"project": project.name})
        delete_in_one_statement(self.db, project)

    def get_role(self, project: Project, role_id: uuid.UUID | str) -> Role | None:
        try:
            role_id = uuid.UUID(str(role_id))
        except ValueError:
            return None
        return next((role for role in project.roles if role.id == role_id), None)

    def add_role(self, project: Project, user: User, role_name: ProjectRoleName) -> Role:
        lock_rows(self.db, Project, [project.id])
        if any(role.user_id == user.id for role in project.roles):
            raise RoleAlreadyExists(user.username, project.name)
        role = Role(user=user, role_name=ProjectRoleName(role_name))
        project.roles.append(role)
        insert_or_refuse(
            self.db, role, {ROLE_UNIQUE_CONSTRAINT: RoleAlreadyExists(user.username, project.name)}
        )
        self._record_role_event(EventTag.ProjectRoleAdd, project, user, role.role_name)
        return role

    def change_role(self, role: Role, role_name: ProjectRoleName) -> Role:
        role_name = ProjectRoleName(role_name)
        role = self._locked(role)
        old_role = ProjectRoleName(role.role_name)
        if old_role == role_name:
            return role
        self._refuse_if_last_owner(role)
        role.role_name = role_name
        self.db.flush()
        self._record_role_event(
            EventTag.ProjectRoleChange, role.project, role.user, role_name, old_role=old_role
        )
        return role

    def remove_role(self, role: Role) -> None:
        role = self._locked(role)
        old_role = ProjectRoleName(role.role_name)
        self._refuse_if_last_owner(role)
        project, user = role.project, role.user
        project.roles.remove(role)
        self.db.flush()
        self._record_role_event(EventTag.ProjectRoleRemove, project, user, old_role)

    def projects_for_user(self, user: User, page: int) -> Page[ReachedProject]:
        own = select(
            Role.project_id,
            Role.role_name.cast(Text).label("role_name"),
            null().cast(Text).label("via"),
        ).where(Role.user_id == user.id)
        sources = self.request.registry.get("packaging.user_project_sources", [])
        ways = union_all(own, *(source(self.request, user) for source in sources)).subquery()
        # Owner before Maintainer, own role before the others; each list in one column.
        order = (ways.c.role_name.desc(), ways.c.via.asc().nulls_first())
        query = (
            select(
                Project,
                func.array_agg(aggregate_order_by(ways.c.role_name, *order)),
                func.array_agg(aggregate_order_by(ways.c.via, *order)),
            )
            .join(ways, ways.c.project_id == Project.id)
            .group_by(Project.id)
            .order_by(Project.normalized_name)
        )
        rows = paginate(self.db, query, page, scalars=False)
        items = [
            ReachedProject(
                project, [ProjectAccessWay(*way) for way in zip(roles, vias, strict=True)]
            )
            for project, roles, vias in rows.items
        ]
        return dataclasses.replace(rows, items=items)

    def record_account_deletion(self, user: User) -> None:
        roles = self.db.scalars(
            select(Role).where(Role.user_id == user.id).options(selectinload(Role.project))
        ).all()
        for role in roles:
            self._record_role_event(
                EventTag.ProjectRoleAccountDelete, role.project, user, role.role_name
            )

    def sole_owned_project_names(self, user: User, *, lock: bool = False) -> list[str]:
        if lock:
            # The deletion that follows must not race another Owner leaving.
            owned = select(Role.project_id).where(
                Role.user_id == user.id, Role.role_name == ProjectRoleName.Owner
            )
            lock_rows(self.db, Project, self.db.scalars(owned).all())
        other = aliased(Role)
        other_owner = (
            select(other.id)
            .where(
                other.project_id == Project.id,
                other.role_name == ProjectRoleName.Owner,
                other.user_id != user.id,
            )
            .exists()
        )
        return list(
            self.db.scalars(
                select(Project.name)
                .join(Role, Role.project_id == Project.id)
                .where(Role.user_id == user.id, Role.role_name == ProjectRoleName.Owner)
                .where(~other_owner, ~self._administered_elsewhere(Project.id))
                .order_by(Project.normalized_name)
            )
        )

    def history(self, project: Project, page: int) -> Page[Any]:
        query = (
            select(Project.Event)
            .where(Project.Event.source_id == project.id)
            .order_by(Project.Event.time.desc(), Project.Event.id)
        )
        return paginate(self.db, query, page)

    def _administered_elsewhere(self, project_ids: Any) -> Any:
        """A condition on ``project_ids``: someone other than its individual Owners
        administers the project (as a registered exemption says), or False."""
        sources = self.request.registry.get("packaging.owner_rule_exemptions", [])
        return or_(false(), *(project_ids.in_(source(self.request)) for source in sources))

    def _refuse_if_last_owner(self, role: Role) -> None:
        """The last individual Owner stays, unless the project is administered elsewhere."""
        try:
            refuse_if_last_owner(self.db, role, scope="project_id", owner=ProjectRoleName.Owner)
        except LastOwnerRefused:
            exempt = self.db.scalar(
                select(self._administered_elsewhere(Project.id)).where(
                    Project.id == role.project_id
                )
            )
            if not exempt:
                raise

    def _locked(self, role: Role) -> Role:
        """Lock the project (the one lock for its roles), then read the role as committed."""
        lock_rows(self.db, Project, [role.project_id])
        current = reload_for_update(self.db, Role, role.id)
        if current is None:
            raise RoleNotFound(str(role.id))
        return current

    def _record_role_event(
        self,
        tag: EventTag,
        project: Project,
        user: User,
        role_name: str,
        *,
        old_role: str | None = None,
    ) -> None:
        details = {"project": project.name, "username": user.username, "role": str(role_name)}
        if old_role is not None:
            details["old_role"] = str(old_role)
        project.record_event(tag, self.request, details)
