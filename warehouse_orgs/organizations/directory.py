"""The public directory of organizations (/organizations/): which ones it lists, in what order,
and the badges beside each.

A badge is a column of the directory's one statement, computed from ``Organization``'s row:
its text, or NULL when the organization has no such badge. Features add theirs with
``config.add_directory_badge(name, column)`` (``column()`` builds the SQL expression), so the
directory imports none of them and a page costs one statement whatever badges there are. A
feature that adds a badge also purges ``DIRECTORY_KEY`` when the badge is given or taken away
(a key factory, see warehouse_orgs/cache/keys.py).
"""

import datetime
import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyramid.config import Configurator
from pyramid.registry import Registry
from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.pagination import DEFAULT_PAGE_SIZE, Page
from warehouse_orgs.search import LIKE_ESCAPE, contains_pattern

# The directory's surrogate key: every change to what it lists purges it.
DIRECTORY_KEY = "organizations-directory"
BADGES_KEY = "organizations.directory_badges"

BadgeColumn = Callable[[], ColumnElement[Any]]


class DirectoryOrder(enum.StrEnum):
    name = "name"
    newest = "newest"
    projects = "projects"


# Each order is the order of an index over the active organizations (models.py,
# _directory_indexes); the normalized name, unique, settles ties.
_ORDER_BY = {
    DirectoryOrder.name: lambda c: [c.normalized_name],
    DirectoryOrder.newest: lambda c: [c.created.desc(), c.normalized_name],
    DirectoryOrder.projects: lambda c: [c.project_count.desc(), c.normalized_name],
}


@dataclass(frozen=True)
class DirectoryQuery:
    """What a visitor asked for: text to find in names, a type, an order."""

    text: str = ""
    orgtype: str = ""
    order: DirectoryOrder = DirectoryOrder.name


@dataclass(frozen=True)
class DirectoryEntry:
    name: str
    display_name: str
    orgtype: str
    project_count: int
    created: datetime.datetime
    badges: list[str]


def _normalized(text: str) -> str:
    # As the database's normalize_pep503_name, so "acme_tools" finds "acme-tools".
    return re.sub(r"[-_.]+", "-", text).lower()


def _conditions(query: DirectoryQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Organization.is_active]
    if query.orgtype:
        conditions.append(Organization.orgtype == query.orgtype)
    if query.text:
        # Each side is answered by a trigram index (normalized_name's and display_name's).
        conditions.append(
            or_(
                Organization.normalized_name.ilike(
                    contains_pattern(_normalized(query.text)), escape=LIKE_ESCAPE
                ),
                Organization.display_name.ilike(contains_pattern(query.text), escape=LIKE_ESCAPE),
            )
        )
    return conditions


def directory_badges(registry: Registry) -> dict[str, BadgeColumn]:
    return registry.get(BADGES_KEY, {})


def directory_page(
    db: Session,
    badges: dict[str, BadgeColumn],
    query: DirectoryQuery,
    number: int,
    size: int = DEFAULT_PAGE_SIZE,
) -> Page[DirectoryEntry]:
    """Page ``number`` of the active organizations ``query`` finds, with their total, in one
    statement: the count and the page are two subqueries joined on true, so a page past the
    end still brings the total (with no organization)."""
    conditions = _conditions(query)
    total = select(func.count().label("total")).where(*conditions).subquery("total")
    badge_labels = [f"badge_{n}" for n in range(len(badges))]
    listed = (
        select(
            Organization.name,
            Organization.normalized_name,
            Organization.display_name,
            Organization.orgtype,
            Organization.project_count,
            Organization.created,
            *(
                column().label(label)
                for column, label in zip(badges.values(), badge_labels, strict=True)
            ),
        )
        .where(*conditions)
        .order_by(*_ORDER_BY[query.order](Organization))
        .limit(size)
        .offset((number - 1) * size)
        .subquery("listed")
    )
    statement = (
        select(total.c.total, listed)
        .select_from(total.outerjoin(listed, true()))
        # The join keeps the page's order in practice; this makes it a promise.
        .order_by(*_ORDER_BY[query.order](listed.c))
    )
    rows = db.execute(statement).all()
    items = [
        DirectoryEntry(
            name=row.name,
            display_name=row.display_name,
            orgtype=row.orgtype,
            project_count=row.project_count,
            created=row.created,
            badges=[row._mapping[label] for label in badge_labels if row._mapping[label]],
        )
        for row in rows
        if row.name is not None
    ]
    return Page(items=items, number=number, size=size, total=rows[0].total)


def _add_directory_badge(config: Configurator, name: str, column: BadgeColumn) -> None:
    """Show a badge in the directory: ``column()`` gives, for the organization of the row, the
    badge's text or NULL. Badges show in the order they were added."""

    def register() -> None:
        config.registry.setdefault(BADGES_KEY, {})[name] = column

    config.action(("organizations.directory_badge", name), register)


def _type_badge() -> ColumnElement[Any]:
    return Organization.orgtype


def includeme(config: Configurator) -> None:
    config.add_directive("add_directory_badge", _add_directory_badge)
    config.add_directory_badge("type", _type_badge)
