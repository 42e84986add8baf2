"""The contract of an organization's projects: listing them with who reaches each, adding a
project someone owns, creating one in the organization, transferring one to another
organization, removing one from its organization, and the refusals. Kept beside
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
    "Holder",
    "IOrganizationProjectService",
    "MoveOptions",
    "OrganizationProjectRefused",
    "ProjectMovePreview",
    "ProjectReach",
    "RemovalOwnerChoice",
    "TeamReach",
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


class Holder(NamedTuple):
    """Someone holding a role: an Owner of the organization, or a person's own role on a
    project."""

    username: str
    role_name: str


class TeamReach(NamedTuple):
    """A team with a role on a project, and how many members it has."""

    name: str
    role_name: str
    member_count: int


@dataclasses.dataclass(frozen=True)
class ProjectReach:
    """Who reaches one of an organization's projects, in a size that does not grow with them:
    the first few (by name) of the organization's Owners, of the teams with a role on it and of
    the people with a role of their own, and how many there are of each."""

    owners: list[str]
    owner_count: int
    teams: list[TeamReach]
    team_count: int
    individuals: list[Holder]
    individual_count: int


@dataclasses.dataclass(frozen=True)
class AccessChange:
    """One person's access to a project before and after a move (into, between or out of
    organizations), each a list of "<role>, <through what>" (empty: no access)."""

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
class ProjectMovePreview:
    """What adding a project to an organization, transferring it to another or removing it
    from its organization would change, shown before it is confirmed.

    ``source`` is the organization it leaves and ``target`` the one it joins (None: none).
    ``actor_keeps_own_role`` says whether the person moving it keeps an individual Owner role
    (a move into an organization); ``new_owner`` who holds one afterwards (a removal)."""

    project_name: str
    changes: list[AccessChange]
    source: str | None = None
    target: str | None = None
    actor_keeps_own_role: bool = True
    new_owner: str | None = None

    @property
    def losing(self) -> list[str]:
        return [change.username for change in self.changes if not change.after]


@dataclasses.dataclass(frozen=True)
class RemovalOwnerChoice:
    """Someone who may be left the project's individual Owner when it leaves its organization:
    everyone who reaches it now. ``is_owner``: they already hold that role."""

    username: str
    is_owner: bool


@dataclasses.dataclass(frozen=True)
class MoveOptions:
    """What a person may do with a project's place in organizations, for its settings page:
    the organization it is in (None: none), the organizations they may transfer it to, and
    whether they may remove it from its organization, leaving one of ``owner_choices`` its
    individual Owner."""

    organization: str | None
    targets: list[str]
    may_remove: bool
    owner_choices: list[RemovalOwnerChoice]


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

    def reach(
        organization: "Organization", project_ids: list[uuid.UUID], shown: int
    ) -> dict[uuid.UUID, ProjectReach]:
        """``access`` for a list of projects, bounded: the first ``shown`` of each kind of
        way in, and how many there are, in one statement however many people reach them."""

    def reached_projects(user: "User") -> "Select[Any]":
        """A SELECT, not yet run, of ``(project_id, role_name, via)`` for the projects ``user``
        reaches as an Owner of an active organization or through one of its teams (only
        projects the team's organization owns now). Packaging joins it into a user's list of
        projects."""

    def addable_projects(user: "User", limit: int) -> list[str]:
        """Names of the projects ``user`` is an individual Owner of and that belong to no
        organization (those they could add), the first ``limit`` by name."""

    def preview_add(
        organization: "Organization", project: "Project", actor: "User"
    ) -> ProjectMovePreview:
        """Who keeps, gains and loses access if ``actor`` adds ``project``; changes nothing.
        Raises OrganizationProjectRefused if it may not be added."""

    def add_project(
        organization: "Organization", project: "Project", actor: "User"
    ) -> ProjectMovePreview:
        """Add the project, as previewed (judged again under the locks)."""

    def create_project(organization: "Organization", name: str, actor: "User") -> "Project":
        """Create a project in the organization; raises ProjectNameUnavailable if taken."""

    def current_organization(project: "Project") -> "Organization | None":
        """The organization the project belongs to (active or not), or None."""

    def move_options(project: "Project", actor: "User") -> MoveOptions:
        """Where ``actor`` may transfer the project (active organizations they are an Owner or
        Manager of, less its own; none when it is in an organization they are not an Owner
        of), and whether they may remove it from its organization and leave whom its Owner
        (everyone who reaches it now). A fixed number of statements."""

    def preview_transfer(project: "Project", target_name: str, actor: "User") -> ProjectMovePreview:
        """Who keeps, gains and loses access if ``actor`` moves the project into the
        organization ``target_name`` (from its organization, or from none); changes nothing.
        Raises OrganizationProjectRefused if they may not."""

    def transfer_project(project: "Project", target_name: str, actor: "User") -> ProjectMovePreview:
        """Move the project as previewed, judged again under both organizations' locks and the
        project's. The old organization's team grants go in the same transaction."""

    def preview_remove(project: "Project", actor: "User", new_owner: str) -> ProjectMovePreview:
        """Who keeps and loses access if ``actor`` takes the project out of its organization
        and ``new_owner`` holds (or is given) its individual Owner role; changes nothing.
        Raises OrganizationProjectRefused if they may not (not an Owner of the organization,
        an owner who does not reach the project)."""

    def remove_project(project: "Project", actor: "User", new_owner: str) -> ProjectMovePreview:
        """Take the project out of its organization as previewed, judged again under the
        locks: the new Owner's role first, then the team grants and the link go."""
