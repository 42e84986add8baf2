"""The surrogate keys of an organization's public page, and which changes purge them and the
project pages that show the organization.

``/org/<name>/`` sends ``org-<normalized name>``: it shows the organization's details, its
member count, and its projects' names and descriptions. A project's page
(``project-<normalized name>``, packaging's) shows the organization it is in (name, display
name, type, whether active) and the members its teams reach it through, who chose to be named.
The directory (``organizations-directory``) lists every active organization's name, display
name, type, age and project count.
"""

import uuid
from collections.abc import Iterable

from pyramid.config import Configurator
from sqlalchemy import select
from sqlalchemy.orm import Session

from warehouse_orgs.accounts.models import User
from warehouse_orgs.cache.keys import ChangeKind, RowChange, pep503_normalize
from warehouse_orgs.organizations.directory import DIRECTORY_KEY
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationProject,
    OrganizationRole,
    Team,
    TeamProjectRole,
    TeamRole,
)
from warehouse_orgs.packaging.cache_keys import project_page_keys, related_ids
from warehouse_orgs.packaging.models import Project

# What the organization's page shows of the row itself.
PAGE_FIELDS = ("name", "display_name", "orgtype", "link_url", "description", "is_active", "created")
# What its projects' pages show of it (the type decides whether they have the sponsor footer).
PROJECT_PAGE_FIELDS = ("name", "display_name", "orgtype", "is_active")
# What the directory shows of it, or orders it by.
DIRECTORY_FIELDS = ("name", "display_name", "orgtype", "is_active", "created")


def organization_page_key(normalized_name: str) -> str:
    return f"org-{normalized_name}"


def organization_page_keys(db: Session, organization_ids: Iterable[uuid.UUID]) -> set[str]:
    ids = set(organization_ids)
    if not ids:
        return set()
    names = db.scalars(select(Organization.normalized_name).where(Organization.id.in_(ids)))
    return {organization_page_key(name) for name in names}


def _projects_of_teams(db: Session, team_ids: Iterable[uuid.UUID]) -> set[str]:
    ids = set(team_ids)
    if not ids:
        return set()
    return project_page_keys(
        db, db.scalars(select(TeamProjectRole.project_id).where(TeamProjectRole.team_id.in_(ids)))
    )


def keys_for_organization(organization: Organization, change: RowChange) -> set[str]:
    keys: set[str] = set()
    if change.touched(*PAGE_FIELDS):
        # A rename purges the old name's page too: it now redirects to the new one.
        keys |= {organization_page_key(pep503_normalize(n)) for n in change.values("name")}
    if change.kind != ChangeKind.created and change.touched(*PROJECT_PAGE_FIELDS):
        keys |= project_page_keys(
            change.db,
            change.db.scalars(
                select(OrganizationProject.project_id).where(
                    OrganizationProject.organization_id == organization.id
                )
            ),
        )
    return keys


def directory_keys_for_organization(organization: Organization, change: RowChange) -> set[str]:
    """Created, deleted, renamed, closed or reopened, a new display name or type: the list."""
    return {DIRECTORY_KEY} if change.touched(*DIRECTORY_FIELDS) else set()


def directory_keys_for_organization_project(
    link: OrganizationProject, change: RowChange
) -> set[str]:
    """The database counts an organization's projects as links come and go (project_count)."""
    return {DIRECTORY_KEY} if change.touched("organization_id", "project_id") else set()


def directory_keys_for_project(project: Project, change: RowChange) -> set[str]:
    """A deleted project takes its link with it in the database (ON DELETE CASCADE), which
    the session never sees."""
    if change.kind != ChangeKind.deleted:
        return set()
    in_organization = change.db.scalar(
        select(OrganizationProject.organization_id).where(
            OrganizationProject.project_id == project.id
        )
    )
    return {DIRECTORY_KEY} if in_organization is not None else set()


def keys_for_member(role: OrganizationRole, change: RowChange) -> set[str]:
    """Joining or leaving changes the member count; leaving also ends the person's teams (by
    the database's cascade), so the pages naming them through a team change too."""
    if not change.touched("organization_id", "organization"):
        return set()
    keys = organization_page_keys(change.db, related_ids(change, "organization_id", "organization"))
    if change.kind == ChangeKind.deleted:
        keys |= _projects_of_teams(
            change.db,
            change.db.scalars(
                select(TeamRole.team_id).where(TeamRole.organization_role_id == role.id)
            ),
        )
    return keys


def keys_for_organization_project(link: OrganizationProject, change: RowChange) -> set[str]:
    """A project added, moved or removed: both organizations' lists and the project's owner."""
    if not change.touched("organization_id", "project_id"):
        return set()
    return organization_page_keys(
        change.db, related_ids(change, "organization_id")
    ) | project_page_keys(change.db, related_ids(change, "project_id"))


def keys_for_project(project: Project, change: RowChange) -> set[str]:
    """The organization's page lists its projects' names and descriptions."""
    if change.kind == ChangeKind.created or not change.touched("name", "description"):
        return set()
    return organization_page_keys(
        change.db,
        change.db.scalars(
            select(OrganizationProject.organization_id).where(
                OrganizationProject.project_id == project.id
            )
        ),
    )


def keys_for_team(team: Team, change: RowChange) -> set[str]:
    """Project pages name the team of each person they list through one."""
    if change.kind == ChangeKind.created or not change.touched("name"):
        return set()
    return _projects_of_teams(change.db, [team.id])


def keys_for_team_member(member: TeamRole, change: RowChange) -> set[str]:
    if not change.touched("team_id", "organization_role_id", "team", "organization_role"):
        return set()
    return _projects_of_teams(change.db, related_ids(change, "team_id", "team"))


def keys_for_team_grant(grant: TeamProjectRole, change: RowChange) -> set[str]:
    if not change.touched("role_name", "team_id", "project_id", "team", "project"):
        return set()
    return project_page_keys(change.db, related_ids(change, "project_id", "project"))


def keys_for_person(user: User, change: RowChange) -> set[str]:
    """A person's name, or their choice to be named, on the pages their teams reach; a deleted
    account also leaves the member count of each of their organizations."""
    if change.kind == ChangeKind.created or not change.touched("username", "public_team_projects"):
        return set()
    db = change.db
    roles = select(OrganizationRole.id).where(OrganizationRole.user_id == user.id)
    keys = _projects_of_teams(
        db, db.scalars(select(TeamRole.team_id).where(TeamRole.organization_role_id.in_(roles)))
    )
    if change.kind == ChangeKind.deleted:
        keys |= organization_page_keys(
            db,
            db.scalars(
                select(OrganizationRole.organization_id).where(OrganizationRole.user_id == user.id)
            ),
        )
    return keys


def includeme(config: Configurator) -> None:
    config.register_origin_cache_keys(Organization, keys_for_organization)
    config.register_origin_cache_keys(OrganizationRole, keys_for_member)
    config.register_origin_cache_keys(OrganizationProject, keys_for_organization_project)
    config.register_origin_cache_keys(Project, keys_for_project)
    config.register_origin_cache_keys(Team, keys_for_team)
    config.register_origin_cache_keys(TeamRole, keys_for_team_member)
    config.register_origin_cache_keys(TeamProjectRole, keys_for_team_grant)
    config.register_origin_cache_keys(User, keys_for_person)
    config.register_origin_cache_keys(Organization, directory_keys_for_organization)
    config.register_origin_cache_keys(OrganizationProject, directory_keys_for_organization_project)
    config.register_origin_cache_keys(Project, directory_keys_for_project)
