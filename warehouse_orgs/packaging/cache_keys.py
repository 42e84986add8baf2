"""The surrogate keys of a project's public page, and which changes purge them.

``/project/<name>/`` sends ``project-<normalized name>``; it shows the project's name,
description and creation date and its individual roles with their people's usernames (other
features add what they show there: the organization, its teams).
"""

import uuid
from collections.abc import Iterable

from pyramid.config import Configurator
from sqlalchemy import select
from sqlalchemy.orm import Session

from warehouse_orgs.accounts.models import User
from warehouse_orgs.cache.keys import ChangeKind, RowChange, pep503_normalize
from warehouse_orgs.packaging.models import Project, Role


def project_page_key(normalized_name: str) -> str:
    return f"project-{normalized_name}"


def project_page_keys(db: Session, project_ids: Iterable[uuid.UUID]) -> set[str]:
    """The keys of these projects' pages, in one statement."""
    ids = set(project_ids)
    if not ids:
        return set()
    names = db.scalars(select(Project.normalized_name).where(Project.id.in_(ids)))
    return {project_page_key(name) for name in names}


def related_ids(
    change: RowChange, foreign_key: str, relationship: str | None = None
) -> set[uuid.UUID]:
    """The ids a row points to through ``foreign_key`` before and after the change, and those
    of the objects its ``relationship`` held: a row taken out of a collection has lost its
    object but kept its key, and a new one may have only the object until it is written."""
    ids = set(change.values(foreign_key))
    if relationship is not None:
        ids.update(row.id for row in change.values(relationship) if row.id is not None)
    return ids


def keys_for_project(project: Project, change: RowChange) -> set[str]:
    if not change.touched("name", "description", "created"):
        return set()
    # A rename purges the page under the old name too.
    return {project_page_key(pep503_normalize(name)) for name in change.values("name")}


def keys_for_project_role(role: Role, change: RowChange) -> set[str]:
    if not change.touched("role_name", "user_id", "project_id", "user", "project"):
        return set()
    return project_page_keys(change.db, related_ids(change, "project_id", "project"))


def keys_for_user(user: User, change: RowChange) -> set[str]:
    """The pages that name the user in their roles (a deletion takes the roles with it)."""
    if change.kind == ChangeKind.created or not change.touched("username"):
        return set()
    return project_page_keys(
        change.db, change.db.scalars(select(Role.project_id).where(Role.user_id == user.id))
    )


def includeme(config: Configurator) -> None:
    config.register_origin_cache_keys(Project, keys_for_project)
    config.register_origin_cache_keys(Role, keys_for_project_role)
    config.register_origin_cache_keys(User, keys_for_user)
