"""The verified-domains service: what views, the daily task and staff review may ask."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zope.interface import Interface

from warehouse_orgs.domains.models import DomainCheck, OrganizationDomain

if TYPE_CHECKING:
    from warehouse_orgs.organizations.models import Organization


class DomainRefused(Exception):
    """Why a domain cannot be added, verified or removed, in words for the page."""


@dataclass(frozen=True)
class VerifiedDomain:
    """A domain an organization has verified (for staff review, domains.review)."""

    domain: str
    organization_name: str
    organization_display_name: str


@dataclass(frozen=True)
class RecheckSummary:
    checked: int
    still_verified: int
    lost: int
    # Left as they were: no definite answer this time.
    unanswered: int


class IDomainVerificationService(Interface):
    def create_service(context: Any, request: Any) -> "IDomainVerificationService":
        """The service for this request."""

    def domains(organization: "Organization") -> list[OrganizationDomain]:
        """The organization's domains, verified or not, in name order (one statement)."""

    def get_domain(organization: "Organization", domain_id: str) -> OrganizationDomain | None:
        """The organization's domain with this id (a string from a form), or None."""

    def add_domain(organization: "Organization", text: str) -> OrganizationDomain:
        """Add a domain (normalized) with a new token; DomainRefused for a bad name, one the
        organization has already, or one past the limit. Records an event."""

    def verify_domain(domain: OrganizationDomain) -> DomainCheck:
        """Look the domain's TXT record up and record what was found; the record found marks
        the domain verified. Records an event either way."""

    def remove_domain(domain: OrganizationDomain) -> None:
        """Delete the domain, and with it its badge. Records an event. Raises DomainRefused
        when it was removed meanwhile."""

    def recheck_verified_domains() -> RecheckSummary:
        """Look every verified domain's record up again; a definite answer without it takes
        the badge away, records an event and emails the organization's Owners."""


__all__ = [
    "DomainCheck",
    "DomainRefused",
    "IDomainVerificationService",
    "OrganizationDomain",
    "RecheckSummary",
    "VerifiedDomain",
]
