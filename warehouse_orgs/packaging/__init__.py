"""Packaging: projects and the individual roles people hold on them."""

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pyramid.config import Configurator
from pyramid.request import Request
from sqlalchemy import ColumnElement, Select

from warehouse_orgs.accounts.models import User
from warehouse_orgs.packaging.interfaces import IProjectService
from warehouse_orgs.packaging.models import ACE, Project
from warehouse_orgs.packaging.services import DatabaseProjectService

# ``config.add_project_access_source(source)``: ``source(request, project)`` returns ACL
# entries a feature grants on the project besides its individual roles.
ProjectAccessSource = Callable[[Request, Project], list[ACE]]

# ``config.add_user_project_source(source)``: ``source(request, user)`` returns a SELECT of
# ``(project_id, role_name, via)`` rows, the projects a feature lets ``user`` reach besides
# their individual roles and through what ("the team Docs of acme"). Their list of projects
# joins it into its one statement, so it must not run anything itself.
UserProjectSource = Callable[[Request, User], Select[Any]]

# ``config.add_owner_rule_exemption(source)``: ``source(request)`` returns a SELECT of the ids
# of projects someone else administers (the Owners of an organization that owns them), which
# may therefore lose their last individual Owner. The database's owner rule makes the same
# exception (migration 8a4f2b6c1d37).
OwnerRuleExemption = Callable[[Request], Select[Any]]


# How many people a project's public page lists from each source (its own roles, each
# feature's); it counts the rest. A project with hundreds of roles costs its page no more.
MAINTAINERS_SHOWN = 100

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class ProjectPageSource(Generic[T]):
    """Something a feature adds to a project's public page, read in the one statement that
    finds the project. ``column()`` builds a scalar SQL expression correlated with
    ``Project``: it is built once per application and shared by every request, so it must
    not depend on one. ``read(request, value)`` turns the value it gave into what the page
    shows."""

    column: Callable[[], ColumnElement[Any]]
    read: Callable[[Request, Any], T]


@dataclasses.dataclass(frozen=True)
class ProjectOwner:
    """Who a project belongs to besides its people, as its public page names it."""

    name: str
    display_name: str
    url: str
    # What kind of owner, in the feature's own words (an organization's type), for a page
    # that treats kinds differently.
    kind: str | None = None


# ``config.add_project_owner_lookup(lookup)``: ``lookup.read`` gives the ``ProjectOwner`` a
# feature knows of (the organization the project is in), or None. Packaging only shows it: it
# knows nothing of organizations.
ProjectOwnerLookup = ProjectPageSource[ProjectOwner | None]


@dataclasses.dataclass(frozen=True)
class PublicMaintainer:
    """Someone a project's public page lists besides its individual roles, because a feature
    gives them a role on it and they chose to be named. ``through`` says, in words, how they
    reach the project (a team of its organization, say)."""

    username: str
    role_name: str
    through: str


@dataclasses.dataclass(frozen=True)
class MaintainerListing:
    """The first ``MAINTAINERS_SHOWN`` of a source's people, and how many it has in all."""

    shown: list[PublicMaintainer]
    total: int


# ``config.add_project_maintainer_source(source)``: ``source.read`` gives the
# ``MaintainerListing`` of the people a feature names on the project's public page. Packaging
# only lists them: it knows nothing of teams.
ProjectMaintainerSource = ProjectPageSource[MaintainerListing]


def public_maintainers(
    request: Request, values: Sequence[Any]
) -> tuple[list[PublicMaintainer], int]:
    """Every registered source's people, in the order the sources were added, and how many
    they have in all. ``values`` are their columns' values, in the same order."""
    sources = request.registry.get("packaging.project_maintainer_sources", [])
    listings = [source.read(request, value) for source, value in zip(sources, values, strict=True)]
    shown = [maintainer for listing in listings for maintainer in listing.shown]
    return shown, sum(listing.total for listing in listings)


def project_owner(request: Request, values: Sequence[Any]) -> ProjectOwner | None:
    """The first owner a registered lookup names, or None. ``values`` are the lookups'
    columns' values, in the order they were added."""
    lookups = request.registry.get("packaging.project_owner_lookups", [])
    for lookup, value in zip(lookups, values, strict=True):
        owner = lookup.read(request, value)
        if owner is not None:
            return owner
    return None


def refuse_deleting_sole_owners(request: Request, user: User, *, lock: bool) -> list[str]:
    """An account that is the only Owner of a project cannot go: the project would be left
    with nobody able to manage it."""
    names = request.find_service(IProjectService).sole_owned_project_names(user, lock=lock)
    if not names:
        return []
    return [
        f"You are the only owner of {', '.join(names)}. Add another owner or delete "
        f"{'it' if len(names) == 1 else 'them'} first."
    ]


def record_account_deletion(request: Request, user: User) -> None:
    request.find_service(IProjectService).record_account_deletion(user)


def _add_project_access_source(config: Configurator, source: ProjectAccessSource) -> None:
    config.registry.setdefault("packaging.project_access_sources", []).append(source)


def _add_owner_rule_exemption(config: Configurator, source: OwnerRuleExemption) -> None:
    config.registry.setdefault("packaging.owner_rule_exemptions", []).append(source)


def _add_user_project_source(config: Configurator, source: UserProjectSource) -> None:
    config.registry.setdefault("packaging.user_project_sources", []).append(source)


def _add_project_owner_lookup(config: Configurator, lookup: ProjectOwnerLookup) -> None:
    config.registry.setdefault("packaging.project_owner_lookups", []).append(lookup)


def _add_project_maintainer_source(config: Configurator, source: ProjectMaintainerSource) -> None:
    config.registry.setdefault("packaging.project_maintainer_sources", []).append(source)


def includeme(config: Configurator) -> None:
    config.register_service_factory(DatabaseProjectService.create_service, IProjectService)
    config.add_account_deletion_check(refuse_deleting_sole_owners)
    config.add_account_deletion_hook(record_account_deletion)
    config.add_directive("add_project_access_source", _add_project_access_source)
    config.add_directive("add_project_owner_lookup", _add_project_owner_lookup)
    config.add_directive("add_project_maintainer_source", _add_project_maintainer_source)
    config.add_directive("add_user_project_source", _add_user_project_source)
    config.add_directive("add_owner_rule_exemption", _add_owner_rule_exemption)
    # The public page's statement reads what it shows along with the project (ProjectFactory).
    # Imported here: the views module imports this package's names.
    from warehouse_orgs.packaging.views import PROJECT_PAGE_ROUTE, project_page_columns

    config.registry.setdefault("packaging.project_pages", {})[PROJECT_PAGE_ROUTE] = (
        project_page_columns
    )
    config.include(".cache_keys")
