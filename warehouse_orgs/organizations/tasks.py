"""Periodic work for organizations."""

from pyramid.request import Request

from warehouse_orgs.organizations.interfaces import IOrganizationMembershipService
from warehouse_orgs.organizations.owner_approval_emails import email_owners_about_change
from warehouse_orgs.organizations.owner_approval_interfaces import IOwnerApprovalService
from warehouse_orgs.organizations.succession_emails import email_members_about_handover
from warehouse_orgs.organizations.succession_interfaces import ISuccessionService, RiskSweep


def expire_organization_invitations(request: Request) -> int:
    """Mark every overdue pending invitation expired (an event each); returns how many."""
    return request.find_service(IOrganizationMembershipService).expire_invitations()


def find_ownerless_risk_organizations(request: Request) -> RiskSweep:
    """Mark organizations whose every Owner is inactive or disabled; clear those that recovered."""
    return request.find_service(ISuccessionService).find_ownerless_risk()


def complete_due_handovers(request: Request) -> int:
    """Apply the handovers whose seven days have passed without objection, telling every
    member; returns how many took effect."""
    outcomes = request.find_service(ISuccessionService).complete_due_handovers()
    for outcome in outcomes:
        handover = outcome.handover
        email_members_about_handover(
            request,
            "organization-handover-completed"
            if outcome.completed
            else "organization-handover-cancelled",
            handover.organization,
            handover,
            why=handover.decision_reason,
        )
    return sum(outcome.completed for outcome in outcomes)


def lapse_overdue_owner_changes(request: Request) -> int:
    """Mark lapsed the owner changes no second Owner approved within 72 hours, telling every
    Owner; returns how many."""
    lapsed = request.find_service(IOwnerApprovalService).lapse_overdue()
    for change in lapsed:
        email_owners_about_change(
            request, "organization-owner-change-decided", change.organization, change
        )
    return len(lapsed)
