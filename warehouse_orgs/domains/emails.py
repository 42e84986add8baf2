"""Who hears that a domain lost its badge: every Owner with a verified primary address. Rendered
now, delivered after the transaction commits (``warehouse_orgs.email``)."""

from typing import TYPE_CHECKING

from pyramid.request import Request

from warehouse_orgs.email import send_email
from warehouse_orgs.organizations.interfaces import IOrganizationMembershipService

if TYPE_CHECKING:
    from warehouse_orgs.domains.models import DomainCheck, OrganizationDomain
    from warehouse_orgs.organizations.models import Organization


def email_owners_domain_lost(
    request: Request,
    organization: "Organization",
    domain: "OrganizationDomain",
    found: "DomainCheck",
) -> None:
    owners = request.find_service(IOrganizationMembershipService).owners(organization)
    for owner in owners:
        primary = owner.primary_email
        if primary is None or not primary.verified:
            continue
        send_email(
            request,
            "organization-domain-lost",
            primary.email,
            reader=owner.username,
            organization_name=organization.name,
            domain=domain.domain,
            record_name=domain.record_name,
            record_value=domain.record_value,
            found=str(found),
            settings_url=request.route_url(
                "manage.organization.settings", organization_name=organization.name
            ),
        )
