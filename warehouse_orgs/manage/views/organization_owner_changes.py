"""/manage/organization/<name>/owner-changes/: changes to who owns the organization waiting for
a second Owner's approval, and the decisions on them (issue 13).

Only Owners see the page and decide. The proposer may withdraw a proposal; any other Owner may
approve or reject it. Every step is emailed to every Owner, so that a proposal made from a
taken-over account is seen by the others.
"""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.view import view_config, view_defaults

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.manage.organization_forms import OwnerChangeForm
from warehouse_orgs.manage.views.organization_page import OrganizationPage
from warehouse_orgs.manage.views.organization_people import send_invitation_email
from warehouse_orgs.organizations.emails import email_owners, email_user, owners_of
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.organizations.owner_approval_emails import email_owners_about_change
from warehouse_orgs.organizations.owner_approval_interfaces import (
    IOwnerApprovalService,
    OwnerChangeRefused,
)
from warehouse_orgs.organizations.owner_approval_models import (
    APPROVAL_WINDOW,
    OrganizationOwnerChange,
    OwnerChangeKind,
)
from warehouse_orgs.pagination import page_number

MANAGE = Permissions.OrganizationsManage
OWNER_CHANGES = "manage.organization.owner_changes"
DECIDED = "decided_page"
GONE = "That proposal is not here. Reload the page."


@view_defaults(context=Organization, renderer="manage/organization/owner_changes.html")
class OwnerChangesPage(OrganizationPage):
    @property
    def approvals(self) -> Any:
        return self.request.find_service(IOwnerApprovalService)

    def page(self, status: int = 200, error: str = "") -> dict[str, Any]:
        return self.context(
            status,
            waiting=self.approvals.waiting(self.organization),
            decided=self.approvals.decided(self.organization, page_number(self.request, DECIDED)),
            decided_parameter=DECIDED,
            window_hours=int(APPROVAL_WINDOW.total_seconds() // 3600),
            error=error,
        )

    @view_config(route_name=OWNER_CHANGES, request_method="GET", permission=MANAGE)
    def show(self) -> dict[str, Any]:
        return self.page()

    def chosen(self) -> OrganizationOwnerChange | None:
        form = OwnerChangeForm(self.request.POST)
        if not form.validate():
            return None
        return self.approvals.get_change(self.organization, form.change_id.data)

    def refused(self, refusal: OwnerChangeRefused, change: OrganizationOwnerChange) -> Any:
        # Not doomed: the refusal may have recorded that the proposal lapsed or became void,
        # which every Owner hears of.
        if refusal.decided:
            email_owners_about_change(
                self.request, "organization-owner-change-decided", self.organization, change
            )
        return self.page(409, error=str(refusal))

    @view_config(
        route_name=f"{OWNER_CHANGES}.approve",
        request_method="POST",
        permission=MANAGE,
        require_reauth=True,
    )
    def approve(self) -> Any:
        change = self.chosen()
        if change is None:
            return self.page(400, error=GONE)
        # Collected first: a deletion takes the Owners' roles with it.
        owners = owners_of(self.request, self.organization)
        try:
            applied = self.approvals.approve(change)
        except OwnerChangeRefused as refusal:
            return self.refused(refusal, change)
        name = self.organization.name
        kind = OwnerChangeKind(change.kind)
        if kind != OwnerChangeKind.DeleteOrganization:
            # A deletion took the proposal with it; its Owners get the deletion's own message.
            email_owners_about_change(
                self.request,
                "organization-owner-change-decided",
                self.organization,
                change,
                owners=owners,
            )
        if kind == OwnerChangeKind.InviteOwner and applied.invitation is not None:
            send_invitation_email(self.request, applied.invitation, applied.token)
        elif kind == OwnerChangeKind.RemoveOwner and applied.member is not None:
            email_user(
                self.request,
                "organization-member-removed",
                applied.member,
                organization_name=name,
                initiator=self.request.user.username,
                member=applied.member.username,
            )
        elif kind in (OwnerChangeKind.MakeOwner, OwnerChangeKind.DemoteOwner):
            email_user(
                self.request,
                "organization-member-role-changed",
                applied.member,
                organization_name=name,
                initiator=self.request.user.username,
                member=applied.member.username,
                role=change.new_role,
                old_role=change.old_role,
            )
        elif kind == OwnerChangeKind.DeleteOrganization:
            email_owners(self.request, "organization-deleted", self.organization, owners=owners)
            self.request.session.flash(f"The organization {name} is deleted.", queue="success")
            return HTTPSeeOther(self.request.route_path("manage.organizations"))
        return self.done(f"Approved and done: {change.description}.", OWNER_CHANGES)

    @view_config(
        route_name=f"{OWNER_CHANGES}.reject",
        request_method="POST",
        permission=MANAGE,
        require_reauth=True,
    )
    def reject(self) -> Any:
        return self.decide(self.approvals.reject, "Rejected")

    @view_config(
        route_name=f"{OWNER_CHANGES}.withdraw",
        request_method="POST",
        permission=MANAGE,
        require_reauth=True,
    )
    def withdraw(self) -> Any:
        return self.decide(self.approvals.withdraw, "Withdrawn")

    def decide(self, decision: Any, done: str) -> Any:
        change = self.chosen()
        if change is None:
            return self.page(400, error=GONE)
        try:
            decision(change)
        except OwnerChangeRefused as refusal:
            return self.refused(refusal, change)
        email_owners_about_change(
            self.request,
            "organization-owner-change-decided",
            self.organization,
            change,
            exclude=self.request.user,
        )
        return self.done(f"{done}: {change.description}.", OWNER_CHANGES)
