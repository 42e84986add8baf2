"""Periodic work for organizations."""

from pyramid.request import Request

from warehouse_orgs.organizations.interfaces import IOrganizationMembershipService


def expire_organization_invitations(request: Request) -> int:
    """Mark every overdue pending invitation expired (an event each); returns how many."""
    return request.find_service(IOrganizationMembershipService).expire_invitations()
