"""What every /manage/organization/<name>/ page shares: the organization (from traversal, with
its ACL), the services, the status a refused form answers with, and, on the pages where the
organization grows (people, teams, projects), whether it is in good standing."""

import functools
from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.organizations.interfaces import (
    IOrganizationMembershipService,
    IOrganizationService,
    IOrganizationStanding,
    Standing,
)
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.organizations.owner_approval_emails import email_owners_about_change
from warehouse_orgs.organizations.owner_approval_interfaces import (
    IOwnerApprovalService,
    OwnerChangeProposal,
)

# The subscriptions feature's page (a route name, so organizations imports nothing of it).
BILLING = "manage.organization.subscription.activate"


class OrganizationPage:
    # Pages whose forms make the organization grow say, at the top, when it may not and why
    # (templates/manage/organization/_standing.html), and offer no form that would be refused.
    shows_standing = False

    def __init__(self, organization: Organization, request: Request) -> None:
        self.organization = organization
        self.request = request
        self.service = request.find_service(IOrganizationService)
        self.membership = request.find_service(IOrganizationMembershipService)

    @functools.cached_property
    def standing(self) -> Standing:
        """Asked once per page, however many forms read it. The services judge again, under
        the organization's lock, whatever is sent."""
        return self.request.find_service(IOrganizationStanding).standing(self.organization)

    def billing_url(self) -> str | None:
        """Where those who pay (OrganizationsBillingManage) set billing up, or None for the
        others."""
        if not self.request.has_permission(
            Permissions.OrganizationsBillingManage, self.organization
        ):
            return None
        return self.request.route_path(BILLING, organization_name=self.organization.name)

    def context(self, status: int = 200, **values: Any) -> dict[str, Any]:
        self.request.response.status = status
        if self.shows_standing:
            values.setdefault("standing", self.standing)
            if not self.standing.in_good_standing:
                values.setdefault("billing_url", self.billing_url())
        return {
            "organization": self.organization,
            "can_manage": bool(
                self.request.has_permission(Permissions.OrganizationsManage, self.organization)
            ),
            **values,
        }

    def done(self, message: str, route_name: str) -> HTTPSeeOther:
        self.request.session.flash(message, queue="success")
        return HTTPSeeOther(
            self.request.route_path(route_name, organization_name=self.organization.name)
        )

    def propose(self, proposal: OwnerChangeProposal) -> HTTPSeeOther:
        """A change the organization's second-Owner rule holds back (the service refused it
        with SecondOwnerNeeded): record it as a proposal, tell the other Owners, and show it
        waiting. OwnerChangeRefused when it cannot be proposed (one already waits)."""
        change = self.request.find_service(IOwnerApprovalService).propose(
            self.organization, proposal
        )
        email_owners_about_change(
            self.request,
            "organization-owner-change-proposed",
            self.organization,
            change,
            exclude=self.request.user,
        )
        return self.done(
            f"Proposed: {change.description}. It needs another Owner's approval; the other "
            "Owners are emailed, and it lapses if none approves it within 72 hours.",
            "manage.organization.owner_changes",
        )
