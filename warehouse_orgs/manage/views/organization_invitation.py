"""/account/verify-organization-role/?token=: answering an invitation to an organization.

GET shows what the link offers and changes nothing (mail scanners follow links); POST accepts,
and POST with ``decline`` declines, with an optional message to the owners.
"""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.manage.organization_forms import DeclineInvitationForm
from warehouse_orgs.organizations.emails import email_owners
from warehouse_orgs.organizations.interfaces import (
    InvitationRefused,
    IOrganizationMembershipService,
    MembershipRefused,
)
from warehouse_orgs.organizations.models import OrganizationInvitation

TOKEN_MAX_LENGTH = 200


@view_defaults(
    route_name="accounts.verify_organization_role",
    renderer="accounts/verify_organization_role.html",
    permission=Permissions.AccountVerifyOrgRole,
)
class VerifyOrganizationRolePage:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.membership = request.find_service(IOrganizationMembershipService)
        self.token = request.params.get("token", "")[:TOKEN_MAX_LENGTH]
        # Answering from /manage/organizations/ sends the invitation's id instead of a token.
        self.invitation_id = request.POST.get("invitation_id", "")[:36]

    def invitation(self) -> tuple[OrganizationInvitation | None, str | None]:
        user = self.request.user
        try:
            if self.token:
                return self.membership.invitation_for_token(self.token, user), None
            if self.invitation_id:
                return self.membership.invitation_for_invitee(self.invitation_id, user), None
        except InvitationRefused as refusal:
            return None, str(refusal)
        return None, "This invitation link is not valid."

    def page(
        self,
        status: int,
        invitation: OrganizationInvitation | None,
        error: str | None,
        decline_form: DeclineInvitationForm | None = None,
    ) -> dict[str, Any]:
        self.request.response.status = status
        return {
            "invitation": invitation,
            "error": error,
            "token": self.token,
            "decline_form": decline_form or DeclineInvitationForm(),
        }

    @view_config(request_method="GET")
    def show(self) -> dict[str, Any]:
        invitation, error = self.invitation()
        return self.page(400 if error else 200, invitation, error)

    @view_config(request_method="POST")
    def accept(self) -> Any:
        invitation, error = self.invitation()
        if error:
            return self.page(400, None, error)
        organization = invitation.organization
        try:
            self.membership.accept_invitation(invitation, by=self.request.user)
        except MembershipRefused as refusal:
            # Staff added them directly while the invitation waited.
            return self.page(409, None, str(refusal))
        email_owners(
            self.request,
            "organization-member-added",
            organization,
            exclude=self.request.user,
            member=self.request.user.username,
            role=invitation.role_name,
        )
        self.request.session.flash(
            f"You are now a {invitation.role_name} of {organization.name}.", queue="success"
        )
        return HTTPSeeOther(
            self.request.route_path(
                "manage.organization.roles", organization_name=organization.name
            )
        )

    @view_config(request_method="POST", request_param="decline")
    def decline(self) -> Any:
        invitation, error = self.invitation()
        if error:
            return self.page(400, None, error)
        form = DeclineInvitationForm(self.request.POST)
        if not form.validate():
            return self.page(400, invitation, None, form)
        message = form.message.data or ""
        organization = invitation.organization
        self.membership.decline_invitation(invitation, message, by=self.request.user)
        email_owners(
            self.request,
            "organization-member-invite-declined",
            organization,
            # Declining an invitation made by address does not tell the owners which account
            # had it (accepting does: the account joins).
            member=invitation.invitee_name
            if invitation.is_by_address
            else self.request.user.username,
            message=message,
        )
        self.request.session.flash(
            f"You declined the invitation to {organization.name}.", queue="success"
        )
        return HTTPSeeOther(self.request.route_path("manage.organizations"))
