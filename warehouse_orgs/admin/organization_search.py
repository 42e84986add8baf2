"""The search box of /admin/organizations/: ``key:value`` terms and free text, ANDed.

``name:`` matches the normalized name; ``org:`` (or ``organization:``) and free text match the
name or the display name; ``url:`` the link; ``desc:`` the description; ``type:`` is
``company`` or ``community``; ``is:`` is ``active``, ``inactive`` or ``ownerless-risk`` (every
Owner inactive or disabled, as the daily succession detector last found). A value with spaces is
quoted: ``desc:"open source"``. Every match ignores case, and ``%`` or ``_`` are taken
literally.
"""

import re
import shlex
from typing import Any

from sqlalchemy import ColumnElement, exists, or_

from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationSuccessionRisk,
    OrganizationType,
)

SEARCH_MAX_LENGTH = 200
KEYS = ("name", "org", "organization", "url", "desc", "type", "is")
_TERM = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)


class SearchError(ValueError):
    """The search text cannot be understood; the message says why, for the person typing."""


def _normalized(value: str) -> str:
    # What normalize_pep503_name does in the database, so "Foo_Bar" finds "foo-bar".
    return re.sub(r"[-_.]+", "-", value).lower()


def _name_matches(value: str) -> ColumnElement[bool]:
    return Organization.normalized_name.contains(_normalized(value), autoescape=True)


def _name_or_display_name_matches(value: str) -> ColumnElement[bool]:
    return or_(_name_matches(value), Organization.display_name.icontains(value, autoescape=True))


def _condition(key: str, value: str) -> ColumnElement[bool]:
    if key == "name":
        return _name_matches(value)
    if key in ("org", "organization"):
        return _name_or_display_name_matches(value)
    if key == "url":
        return Organization.link_url.icontains(value, autoescape=True)
    if key == "desc":
        return Organization.description.icontains(value, autoescape=True)
    if key == "type":
        types = {str(t).lower(): t for t in OrganizationType}
        if value.lower() not in types:
            raise SearchError("type: is either company or community.")
        return Organization.orgtype == types[value.lower()]
    if key == "is":
        if value.lower() == "ownerless-risk":
            # The detector's rows, read through their unique index on organization_id.
            return exists().where(OrganizationSuccessionRisk.organization_id == Organization.id)
        if value.lower() not in ("active", "inactive"):
            raise SearchError("is: is active, inactive or ownerless-risk.")
        return Organization.is_active.is_(value.lower() == "active")
    raise SearchError(f"Unknown search key {key}:.")


def parse(q: str) -> list[ColumnElement[bool]]:
    """The WHERE conditions for search text ``q``; SearchError if it cannot be understood."""
    if len(q) > SEARCH_MAX_LENGTH:
        raise SearchError(f"Use at most {SEARCH_MAX_LENGTH} characters.")
    try:
        terms = shlex.split(q)
    except ValueError as error:
        raise SearchError("A quotation mark is not closed.") from error
    conditions: list[Any] = []
    for term in terms:
        match = _TERM.match(term)
        if match is None:
            conditions.append(_name_or_display_name_matches(term))
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
        if key not in KEYS:
            raise SearchError(
                f"Unknown search key {match.group(1)}:. Use one of "
                + ", ".join(f"{k}:" for k in KEYS)
                + ", or plain words."
            )
        if not value:
            raise SearchError(f"Give a value after {key}:.")
        conditions.append(_condition(key, value))
    return conditions
