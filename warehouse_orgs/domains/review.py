"""Staff review of an application: whether its website is on a domain some organization has
verified ("www.example.org is on example.org, verified by acme"). A fact of the review's own
one-row statement (organizations' ``add_application_review_fact`` hook), so it costs the page
no statement."""

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import TEXT, func, select

from warehouse_orgs.domains.interfaces import VerifiedDomain
from warehouse_orgs.domains.models import OrganizationDomain
from warehouse_orgs.domains.names import host_of_link
from warehouse_orgs.organizations.models import Organization

if TYPE_CHECKING:
    from warehouse_orgs.organizations.models import OrganizationApplication

FACT_NAME = "verified_domains"
# Many organizations could verify the same domain; staff need the first few.
MAX_SHOWN = 10


def domains_above(host: str) -> list[str]:
    """The host and each name it is under, without the top-level one (www.example.org:
    www.example.org, example.org)."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def verified_domains_fact(application: "OrganizationApplication") -> Any:
    """JSON text of [domain, organization name, display name] for each verified domain the
    website's host is on, the closest first; None for a website without a host name."""
    host = host_of_link(application.link_url)
    if host is None:
        return None
    # The partial index on verified domains answers each candidate name.
    found = (
        select(OrganizationDomain.domain, Organization.name, Organization.display_name)
        .join(Organization, Organization.id == OrganizationDomain.organization_id)
        .where(
            OrganizationDomain.domain.in_(domains_above(host)),
            OrganizationDomain.verified_at.is_not(None),
        )
        .order_by(func.length(OrganizationDomain.domain).desc(), Organization.name)
        .limit(MAX_SHOWN)
        .subquery()
    )
    rows = func.json_agg(func.json_build_array(found.c.domain, found.c.name, found.c.display_name))
    return select(func.coalesce(rows.cast(TEXT), "[]")).scalar_subquery()


def verified_domains_of_link(
    link_url: str, facts: dict[str, Any]
) -> tuple[str | None, list[VerifiedDomain]]:
    """The website's host and the verified domains it is on, from the review's facts."""
    host = host_of_link(link_url)
    value = facts.get(FACT_NAME)
    if host is None or value is None:
        return host, []
    return host, [VerifiedDomain(*row) for row in json.loads(value)]
