"""The verified-domain badge: a column for the organization's public page (organizations'
``add_organization_badge`` hook) and one for the directory (``add_directory_badge``), and the
surrogate keys a change to it purges."""

from typing import Any

from sqlalchemy import TEXT, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from warehouse_orgs.cache.keys import ChangeKind, RowChange
from warehouse_orgs.domains.models import MAX_DOMAINS_PER_ORGANIZATION, OrganizationDomain
from warehouse_orgs.organizations.cache_keys import organization_page_keys
from warehouse_orgs.organizations.directory import DIRECTORY_KEY
from warehouse_orgs.organizations.models import Organization

BADGE_NAME = "verified_domains"
BADGE_KIND = "Verified domain"


def verified_domains_column() -> Any:
    """JSON text of the organization's verified domains in name order, '[]' for none."""
    verified = (
        select(OrganizationDomain.domain)
        .where(
            OrganizationDomain.organization_id == Organization.id,
            OrganizationDomain.verified_at.is_not(None),
        )
        .order_by(OrganizationDomain.domain)
        .limit(MAX_DOMAINS_PER_ORGANIZATION)
        .correlate(Organization)
        .subquery()
    )
    in_order = func.json_agg(aggregate_order_by(verified.c.domain, verified.c.domain))
    return select(func.coalesce(in_order.cast(TEXT), "[]")).scalar_subquery()


def directory_badge_column() -> Any:
    """The directory's badge: "Verified: a.org, b.org", or NULL without a verified domain."""
    names = (
        select(
            func.string_agg(
                OrganizationDomain.domain, aggregate_order_by(", ", OrganizationDomain.domain)
            )
        )
        .where(
            OrganizationDomain.organization_id == Organization.id,
            OrganizationDomain.verified_at.is_not(None),
        )
        .correlate(Organization)
        .scalar_subquery()
    )
    return "Verified: " + names


def keys_for_domain(domain: OrganizationDomain, change: RowChange) -> set[str]:
    """A badge appears or goes: the organization's page (and whatever else shows its badges)
    changes. A domain added or checked without a change of badge shows nowhere public."""
    if change.kind == ChangeKind.updated and not change.touched("verified_at", "domain"):
        return set()
    if change.kind != ChangeKind.updated and domain.verified_at is None:
        return set()
    return organization_page_keys(change.db, [domain.organization_id]) | {DIRECTORY_KEY}
