"""The contract of an organization's projects: listing them with who reaches each, adding a
project someone owns, creating one in the organization, and the refusals. Kept beside
``interfaces.py`` (the organizations feature's other services) rather than in it, as its own
aggregate: a project and the row that puts it in an organization."""

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

from zope.interface import Interface

from warehouse_orgs.organizations.interfaces import OrganizationError

if TYPE_CHECKING:
    from sqlalchemy import Select

    from warehouse_orgs.accounts.models import User
    from warehouse_orgs.organizations.models import Organization
    from warehouse_orgs.packaging.models import Project
    from warehouse_orgs.pagination import Page

__all__ = [
    "AccessChange",
    "AccessSource",
    "AddProjectPreview",
    "IOrganizationProjectService",
    "OrganizationProjectRefused",
]


class OrganizationProjectRefused(OrganizationError):
    """The project cannot be added (it is in an organization already, the person asking is not
    its Owner)."""


class AccessSource(NamedTuple):
    """One way one person reaches a project: ``source`` is "organization" (an Owner of it),
    "team" (a member of ``team``, with the team's role) or "individual" (their own role)."""

    username: str
    role_name: str
    source: str
    team: str | None


@dataclasses.dataclass(frozen=True)
class AccessChange:
    """One person's access to a project before and after it joins the organization, each a
    list of "<role>, <through what>" (empty: no access)."""

    username: str
    before: list[str]
    after: list[str]

    @property
    def outcome(self) -> str:
        if not self.before:
            return "Gains access"
        if not self.after:
            return "Loses access"
        if self.before == self.after:
            return "Keeps access"
        return "Keeps access, through something else"


@dataclasses.dataclass(frozen=True)
class AddProjectPreview:
    """What adding a project to an organization would change, shown before it is confirmed."""

    project_name: str
    changes: list[AccessChange]
    actor_keeps_own_role: bool


class IOrganizationProjectService(Interface):
    """An organization's projects. Changes take the organization's lock, then the project's,
    and record events on both. Nothing here sends email."""

    def projects(organization: "Organization", page: int) -> "Page[Project]":
        """One page of the organization's projects, by name."""

    def access(
        organization: "Organization", project_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[AccessSource]]:
        """Who reaches each of these projects of the organization and through what (its
        Owners, its teams' members, individual roles), in one statement however many."""

    def reached_projects(user: "User") -> "Select[Any]":
        """A SELECT, not yet run, of ``(project_id, role_name, via)`` for the projects ``user``
        reaches as an Owner of an active organization or through one of its teams (only
        projects the team's organization owns now). Packaging joins it into a user's list of
        projects."""

    def addable_projects(user: "User") -> list[str]:
        """Names of the projects ``user`` is an individual Owner of and that belong to no
        organization: those they could add."""

    def preview_add(
        organization: "Organization", project: "Project", actor: "User"
    ) -> AddProjectPreview:
        """Who keeps, gains and loses access if ``actor`` adds ``project``; changes nothing.
        Raises OrganizationProjectRefused if it may not be added."""

    def add_project(
        organization: "Organization", project: "Project", actor: "User"
    ) -> AddProjectPreview:
        """Add the project, as previewed (judged again under the locks)."""

    def create_project(organization: "Organization", name: str, actor: "User") -> "Project":
        """Create a project in the organization; raises ProjectNameUnavailable if taken."""
