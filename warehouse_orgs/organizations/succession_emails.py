"""Who hears about a handover (issue 13): every member, at every step, and the staff member who
started it when an Owner objects. Rendered now, delivered after commit."""

from typing import Any

from pyramid.request import Request

from warehouse_orgs.accounts.models import User
from warehouse_orgs.events.history import actor_name
from warehouse_orgs.organizations.emails import email_user
from warehouse_orgs.organizations.interfaces import IOrganizationMembershipService
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.organizations.succession_models import OrganizationHandover

HANDOVER_PAGE = "manage.organization.handover"


def email_members_about_handover(
    request: Request,
    name: str,
    organization: Organization,
    handover: OrganizationHandover,
    *,
    also: User | None = None,
    **context: Any,
) -> None:
    """Email every member (and ``also``, once) message ``name`` about ``handover``."""
    readers = [
        role.user
        for role in request.find_service(IOrganizationMembershipService).roles(organization)
    ]
    if also is not None and all(reader.id != also.id for reader in readers):
        readers.append(also)
    for reader in readers:
        email_user(
            request,
            name,
            reader,
            organization_name=organization.name,
            candidate=handover.candidate_username,
            reason=handover.reason,
            takes_effect_at=f"{handover.takes_effect_at:%Y-%m-%d %H:%M} UTC",
            handover_url=request.route_url(HANDOVER_PAGE, organization_name=organization.name),
            initiator=actor_name(request),
            **context,
        )
