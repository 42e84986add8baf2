from typing import TYPE_CHECKING, Any, NamedTuple

from zope.interface import Interface


class ProjectAccessWay(NamedTuple):
    """One way a person reaches a project: the role, and through what (None: their own)."""

    role_name: str
    via: str | None


class ReachedProject(NamedTuple):
    project: "Project"
    ways: list[ProjectAccessWay]


if TYPE_CHECKING:
    import uuid

    from warehouse_orgs.accounts.models import User
    from warehouse_orgs.packaging.models import Project, ProjectRoleName, Role
    from warehouse_orgs.pagination import Page


class IProjectService(Interface):
    def get_project_by_name(name: str) -> "Project | None":
        """The project whose normalized name matches ``name``'s, roles and users loaded."""

    def create_project(name: str, creator: "User") -> "Project":
        """Create a project owned by ``creator``; raises ProjectNameUnavailable if taken."""

    def delete_project(project: "Project") -> None:
        """Delete the project, its roles and its history; each collaborator's history keeps a
        line saying so."""

    def get_role(project: "Project", role_id: "uuid.UUID | str") -> "Role | None":
        """The project's role with this id, or None (also for another project's role)."""

    def add_role(project: "Project", user: "User", role_name: "ProjectRoleName") -> "Role":
        """Give ``user`` a role; raises RoleAlreadyExists if they have one."""

    def change_role(role: "Role", role_name: "ProjectRoleName") -> "Role":
        """Change a role; raises LastOwnerRefused rather than demote the only Owner of a
        project nobody else administers (``config.add_owner_rule_exemption``)."""

    def remove_role(role: "Role") -> None:
        """Remove a role; raises LastOwnerRefused rather than remove the only Owner of a
        project nobody else administers (``config.add_owner_rule_exemption``)."""

    def projects_for_user(user: "User", page: int) -> "Page[ReachedProject]":
        """One page of the projects ``user`` reaches, by name: through their own role and
        through what other features register (``config.add_user_project_source``)."""

    def record_account_deletion(user: "User") -> None:
        """Before ``user``'s account goes: each project's history records that they left."""

    def sole_owned_project_names(user: "User", *, lock: bool = False) -> list[str]:
        """Names of the projects whose only Owner is ``user`` and that nobody else administers
        (``config.add_owner_rule_exemption``). With ``lock``, those projects
        stay locked until the transaction ends, for a deletion that follows."""

    def history(project: "Project", page: int) -> "Page[Any]":
        """One page of the project's events, newest first."""
