"""Projects and the individual roles people hold on them.

A project's name is unique by its PEP 503 normalized form, which the database computes with the
``normalize_pep503_name`` SQL function (created by the migration), so ``Foo_Bar`` and
``foo-bar`` can never both exist, whatever path the rows come in by.
"""

import datetime
import enum
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pyramid.authorization import Allow
from pyramid.request import Request
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Select,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from warehouse_orgs.authnz import Permissions, user_principal
from warehouse_orgs.db import Model
from warehouse_orgs.events.models import HasEvents

if TYPE_CHECKING:
    from warehouse_orgs.accounts.models import User

PROJECT_NAME_MAX_LENGTH = 100
# Letters, digits, and . _ - between them (PEP 508 names), compared ignoring case.
PROJECT_NAME_PATTERN = r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$"
DESCRIPTION_MAX_LENGTH = 5000


class ProjectRoleName(enum.StrEnum):
    Owner = "Owner"
    Maintainer = "Maintainer"


# Who may do what on a project, by individual role: the one place this is written down.
ROLE_PERMISSIONS: dict[ProjectRoleName, tuple[Permissions, ...]] = {
    ProjectRoleName.Owner: (
        Permissions.ProjectsRead,
        Permissions.ProjectsWrite,
        Permissions.ProjectsUpload,
    ),
    ProjectRoleName.Maintainer: (Permissions.ProjectsRead, Permissions.ProjectsUpload),
}

ACE = tuple[str, str, list[str]]


class Project(HasEvents, Model):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(
            f"length(name) <= {PROJECT_NAME_MAX_LENGTH} AND name ~* '{PROJECT_NAME_PATTERN}'",
            name="valid_name",
        ),
    )

    name: Mapped[str] = mapped_column(Text)
    normalized_name: Mapped[str] = mapped_column(
        Text, Computed("normalize_pep503_name(name)", persisted=True), unique=True
    )
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    description: Mapped[str] = mapped_column(String(DESCRIPTION_MAX_LENGTH), server_default="")
    total_size: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    # NULL means the index-wide default applies.
    upload_limit: Mapped[int | None] = mapped_column(BigInteger)

    roles: Mapped[list["Role"]] = relationship(
        back_populates="project",
        cascade="all, delete-orphan",
        passive_deletes=True,
        # Owners first ("Owner" sorts after "Maintainer"), then in the order they were added.
        order_by="(Role.role_name.desc(), Role.created, Role.id)",
    )

    # Entries other features grant (the owning organization's Owners, teams), from the sources
    # registered with ``add_project_access_source``. The traversal factory leaves a loader,
    # run on the first permission check: a visitor's page, which checks none, never asks.
    # (Not annotated: SQLAlchemy would take an annotation for a column.)
    grants_loader = None
    _granted_elsewhere = None

    @property
    def granted_elsewhere(self) -> tuple[ACE, ...]:
        if self._granted_elsewhere is None:
            loader: Callable[[], tuple[ACE, ...]] | None = self.grants_loader
            self._granted_elsewhere = loader() if loader is not None else ()
        return self._granted_elsewhere

    # No __parent__: the root's grants (staff, "any signed-in user") never reach a project.
    def __acl__(self) -> list[ACE]:
        # Each source of access contributes its own entries; organization and team grants are
        # added beside the individual roles, never mixed into them.
        return [*self.individual_role_acl(), *self.granted_elsewhere]

    def individual_role_acl(self) -> list[ACE]:
        # Every role, whoever asks: on the public page, which does not load them, the first
        # permission check reads them (only their user ids, so one statement).
        return [
            (
                Allow,
                user_principal(role.user_id),
                [str(p) for p in ROLE_PERMISSIONS[ProjectRoleName(role.role_name)]],
            )
            for role in self.roles
        ]


class Role(Model):
    __tablename__ = "project_roles"
    __table_args__ = (
        UniqueConstraint("user_id", "project_id"),
        CheckConstraint(
            "role_name IN ({})".format(", ".join(f"'{name}'" for name in ProjectRoleName)),
            name="valid_role_name",
        ),
    )

    role_name: Mapped[str] = mapped_column(String(20))
    # The unique (user_id, project_id) key serves lookups by user; this index those by project.
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    # By name: accounts knows nothing of projects, so User gets no back reference.
    user: Mapped["User"] = relationship("User")
    project: Mapped[Project] = relationship(back_populates="roles")


def select_project_by_name(name: str) -> Select[tuple[Project]]:
    """The project whose normalized name matches ``name``'s, with its roles and their users,
    in one statement (read its result with ``.unique()``)."""
    return (
        select(Project)
        .where(Project.normalized_name == func.normalize_pep503_name(name))
        .options(joinedload(Project.roles).joinedload(Role.user))
    )


# The statement a page registered columns for (``packaging.project_pages``: route name → a
# function of the registry giving labelled columns correlated with ``Project``), built once
# per application: building it costs more than running it.
PAGE_STATEMENTS_KEY = "packaging.project_page_statements"


class ProjectFactory:
    """Traversal root for ``/.../{project_name}/...`` routes: the name resolves to the row.

    A page that registered columns of its own (the public page) gets the project and them in
    one statement, without the roles: its ACL reads them on the first permission check, which
    a page anyone may see never makes. Every other page (the manage pages list and change the
    roles) gets the roles with their users in the statement that finds the project.
    """

    def __init__(self, request: Request) -> None:
        self.request = request

    def __getitem__(self, name: str) -> Project:
        if len(name) > PROJECT_NAME_MAX_LENGTH:
            raise KeyError(name)
        page_statement = self._page_statement()
        project: Project | None
        if page_statement is None:
            project = self.request.db.scalars(select_project_by_name(name)).unique().one_or_none()
        else:
            row = self.request.db.execute(page_statement, {"project_name": name}).one_or_none()
            project = None if row is None else row[0]
            if row is not None:
                self.request.project_page = row._mapping
        if project is None:
            raise KeyError(name)
        sources = self.request.registry.get("packaging.project_access_sources", [])
        project.grants_loader = lambda: tuple(
            entry for source in sources for entry in source(self.request, project)
        )
        project._granted_elsewhere = None  # the session may hand back an instance asked before
        return project

    def _page_statement(self) -> Select[Any] | None:
        route = self.request.matched_route
        registry = self.request.registry
        page_columns = registry.get("packaging.project_pages", {})
        if route is None or route.name not in page_columns:
            return None
        statements = registry.setdefault(PAGE_STATEMENTS_KEY, {})
        if route.name not in statements:
            columns = page_columns[route.name](registry)
            statements[route.name] = (
                select(Project)
                .where(
                    Project.normalized_name
                    == func.normalize_pep503_name(bindparam("project_name", type_=Text))
                )
                .add_columns(*(column.label(label) for label, column in columns.items()))
            )
        return statements[route.name]
