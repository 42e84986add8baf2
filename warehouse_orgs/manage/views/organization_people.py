"""/manage/organization/<name>/people/...: members, their roles, and invitations.

Who may do what comes from the organization's ACL (built from ``ROLE_PERMISSIONS``); the one
rule the ACL cannot say, that removing someone else needs OrganizationsManage while leaving
needs only OrganizationsRoleRemove, is checked in ``remove``.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

import wtforms
from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.request import Request
from pyramid.view import view_config, view_defaults

from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.accounts.views import rate_limited_message
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.confirmation import confirmed
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.manage.organization_forms import (
    ChangeMemberRoleForm,
    InvitationForm,
    InviteMemberForm,
    RemoveMemberForm,
    RevokeInvitationForm,
)
from warehouse_orgs.manage.views.organization_page import OrganizationPage
from warehouse_orgs.organizations.emails import email_invitee, email_owners, email_user
from warehouse_orgs.organizations.forms import role_choices
from warehouse_orgs.organizations.interfaces import (
    Authority,
    LastOwnerRefused,
    OrganizationError,
    People,
    SecondOwnerNeeded,
    TwoOwnersNeeded,
)
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationInvitation,
    OrganizationRole,
)
from warehouse_orgs.organizations.owner_approval_interfaces import (
    OwnerChangeProposal,
    OwnerChangeRefused,
)
from warehouse_orgs.organizations.owner_approval_models import OwnerChangeKind
from warehouse_orgs.organizations.owner_rule import TWO_OWNERS
from warehouse_orgs.organizations.permissions import (
    ROLE_PERMISSIONS,
    OrganizationRoleType,
    permissions_shown,
)
from warehouse_orgs.pagination import page_number
from warehouse_orgs.rate_limiting.interfaces import IRateLimiter

MANAGE = Permissions.OrganizationsManage
PEOPLE = "manage.organization.roles"
# The members' pages are ``page``; the invitations' have a parameter of their own.
INVITATIONS_PAGE = "invitations_page"
GONE = "That member or invitation is no longer here. Reload the page."
SOLE_OWNER = "You are the only Owner. Make someone else an Owner before you leave."


@dataclass
class MemberRow:
    """One line of the members table and what the person looking may do with it."""

    role: OrganizationRole
    is_me: bool
    can_change: bool
    can_remove: bool
    can_leave: bool
    # Why the person's own Leave is not offered, when it would be refused.
    leave_refused: str | None
    # The box its Remove (someone else's username) or Leave (the organization's name) asks for;
    # None when it offers neither.
    confirmation: wtforms.Field | None = field(repr=False)

    @property
    def has_actions(self) -> bool:
        return self.can_change or self.can_remove or self.can_leave or bool(self.leave_refused)


@dataclass
class InvitationRow:
    invitation: OrganizationInvitation
    expired: bool
    # The box its Revoke asks for: the invitee's username.
    confirmation: wtforms.Field = field(repr=False)


@dataclass
class Refused:
    """A removal whose confirmation was missing or wrong: its row's disclosure opens with the
    form as it was sent, errors beside the field."""

    form_id: str
    form: RemoveMemberForm | RevokeInvitationForm = field(repr=False)


def unsent_confirmation(blank: wtforms.Field, form_id: str) -> wtforms.Field:
    """A row's confirmation box as an unsent form would have it under ``html_id_prefix=form_id``.

    A page of 50 rows built a whole form per row only for this one empty field's id; a copy of
    one blank form's field, under the row's id, renders the same for a fraction of the cost.
    (Not copy.copy: a Field made without its form is an UnboundField, by Field.__new__.)
    """
    box = object.__new__(type(blank))
    vars(box).update(vars(blank))
    box.id = f"{form_id}-{blank.name}"
    box.label = wtforms.Label(box.id, blank.label.text)
    return box


def removal_form_id(role: OrganizationRole) -> str:
    return f"remove-role-{role.id}"


def revoke_form_id(invitation: OrganizationInvitation) -> str:
    return f"revoke-invitation-{invitation.id}"


def send_invitation_email(request: Request, invitation: OrganizationInvitation, token: str) -> None:
    email_invitee(
        request,
        invitation,
        "organization-member-invited",
        organization_name=invitation.organization.name,
        role=invitation.role_name,
        initiator=request.user.username,
        expires=invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        accept_url=request.route_url("accounts.verify_organization_role", _query={"token": token}),
        register_url=request.route_url("accounts.register"),
    )


def address_limits(request: Request, organization: Organization, address: str) -> list[Any]:
    """The limits on mailing ``address`` from this organization, as (limiter, key) pairs."""
    return [
        (
            request.find_service(IRateLimiter, name="organization_invite.address"),
            f"{organization.id}:{address.casefold()}",
        ),
        (
            request.find_service(IRateLimiter, name="organization_invite.inviter"),
            str(request.user.id),
        ),
    ]


def refused_by_limits(request: Request, limits: list[Any]) -> str | None:
    """Why mailing must wait, else None; the same for known and unknown addresses."""
    return rate_limited_message(
        request, *limits, too_many="Too many invitations to this address or from you today."
    )


def count_against_limits(limits: list[Any]) -> None:
    for limiter, key in limits:
        limiter.hit(key)


@view_defaults(context=Organization, renderer="manage/organization/people.html")
class OrganizationPeoplePage(OrganizationPage):
    shows_standing = True

    def __init__(self, organization: Organization, request: Request) -> None:
        super().__init__(organization, request)
        self.user_service = request.find_service(IUserService)

    def page(
        self,
        status: int = 200,
        invite_form: InviteMemberForm | None = None,
        error: str = "",
        refused: Refused | None = None,
    ) -> dict[str, Any]:
        now = datetime.datetime.now(datetime.UTC)
        invite_form = invite_form or InviteMemberForm(orgtype=self.organization.orgtype)
        roles_offered = role_choices(self.organization.orgtype)
        can_manage = bool(self.request.has_permission(MANAGE, self.organization))
        # Only those who manage the organization see its invitations.
        people = self.membership.people(
            self.organization,
            page_number(self.request),
            page_number(self.request, INVITATIONS_PAGE) if can_manage else None,
            now=now,
        )
        rows = self.member_rows(people, can_manage, refused)
        invitations = people.invitations.items if people.invitations else []
        revoke_blank = RevokeInvitationForm()
        invitation_rows = [
            InvitationRow(
                invitation,
                invitation.is_expired_at(now),
                self.confirmation(
                    revoke_confirmation(revoke_blank, invitation),
                    revoke_form_id(invitation),
                    refused,
                ),
            )
            for invitation in invitations
        ]
        return self.context(
            status,
            rows=rows,
            members=people.members,
            show_actions=any(row.has_actions for row in rows),
            invitations=invitation_rows,
            invitations_page=people.invitations,
            invitations_parameter=INVITATIONS_PAGE,
            invite_form=invite_form,
            role_choices=roles_offered,
            error=error,
            # Also in the context on its own, so the error summary at the top finds it.
            refused_removal=refused.form if refused else None,
            permission_labels=permissions_shown(self.organization.orgtype),
            role_permissions={
                role: set(permissions)
                for role, permissions in ROLE_PERMISSIONS.items()
                if role in roles_offered
            },
        )

    @staticmethod
    def confirmation(blank: wtforms.Field, form_id: str, refused: Refused | None) -> wtforms.Field:
        """The row's confirmation box: as sent, errors and all, when this row was refused."""
        if refused is not None and refused.form_id == form_id:
            return refused.form[blank.name]
        return unsent_confirmation(blank, form_id)

    def member_rows(
        self, people: People, can_manage: bool, refused: Refused | None
    ) -> list[MemberRow]:
        # Worked out from the page of roles and the Owner count already read, so the page's
        # statement count stays the same however many members there are.
        owners = people.owner_count
        may_leave = bool(
            self.request.has_permission(Permissions.OrganizationsRoleRemove, self.organization)
        )
        blank = RemoveMemberForm()
        rows = []
        # Under the second-Owner rule, two Owners is the fewest; otherwise one.
        fewest_owners = 2 if self.organization.owner_changes_need_approval else 1
        for role in people.members.items:
            is_me = role.user_id == self.request.user.id
            sole_owner = (
                is_me and role.role_name == OrganizationRoleType.Owner and owners <= fewest_owners
            )
            can_remove = can_manage and not is_me
            can_leave = is_me and may_leave and not sole_owner
            # Removing someone asks for their username; leaving, for the organization's name.
            asked = blank.confirm_name if is_me else blank.confirm_username
            rows.append(
                MemberRow(
                    role=role,
                    is_me=is_me,
                    can_change=can_manage and not is_me,
                    can_remove=can_remove,
                    can_leave=can_leave,
                    leave_refused=(SOLE_OWNER if owners == 1 else TWO_OWNERS)
                    if sole_owner
                    else None,
                    confirmation=self.confirmation(asked, removal_form_id(role), refused)
                    if can_remove or can_leave
                    else None,
                )
            )
        return rows

    @view_config(route_name=PEOPLE, request_method="GET", permission=Permissions.OrganizationsRead)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(route_name=PEOPLE, request_method="POST", permission=MANAGE, require_reauth=True)
    def invite(self) -> Any:
        form = InviteMemberForm(self.request.POST, orgtype=self.organization.orgtype)
        if not form.validate():
            return self.page(400, invite_form=form)
        if form.address is not None:
            return self.invite_address(form)
        user = self.user_service.get_user_by_username(form.username.data)
        if user is None:
            form.username.errors = ["There is no account with this username."]
            return self.page(400, invite_form=form)
        try:
            invitation, token = self.membership.invite(
                self.organization, user, OrganizationRoleType(form.role_name.data)
            )
        except SecondOwnerNeeded:
            return self.propose_invitation(form, user.username)
        except OrganizationError as refusal:
            form.username.errors = [str(refusal)]
            return self.page(409, invite_form=form)
        send_invitation_email(self.request, invitation, token)
        email_owners(
            self.request,
            "organization-member-invite-sent",
            self.organization,
            member=user.username,
            role=invitation.role_name,
        )
        return self.done(f"{user.username} is invited as {invitation.role_name}.", PEOPLE)

    def invite_address(self, form: InviteMemberForm) -> Any:
        """Everything the inviter sees here (status, flash, row, their own email) is the same
        whether or not an account has the address; only the invitee's message differs."""
        address = form.address
        limits = address_limits(self.request, self.organization, address)
        wait = refused_by_limits(self.request, limits)
        if wait:
            form.username.errors = [wait]
            return self.page(429, invite_form=form)
        try:
            invitation, token, _ = self.membership.invite_address(
                self.organization, address, OrganizationRoleType(form.role_name.data)
            )
        except SecondOwnerNeeded:
            return self.propose_invitation(form, address)
        except OrganizationError as refusal:
            form.username.errors = [str(refusal)]
            return self.page(409, invite_form=form)
        count_against_limits(limits)
        send_invitation_email(self.request, invitation, token)
        email_owners(
            self.request,
            "organization-member-invite-sent",
            self.organization,
            member=invitation.invitee_name,
            role=invitation.role_name,
        )
        return self.done(f"{invitation.invitee_name} is invited as {invitation.role_name}.", PEOPLE)

    def propose_invitation(self, form: InviteMemberForm, invitee: str) -> Any:
        """An invitation as Owner, held back for a second Owner: the same whether or not an
        account has the address (nothing about an account is looked up)."""
        try:
            return self.propose(OwnerChangeProposal(OwnerChangeKind.InviteOwner, invitee=invitee))
        except OwnerChangeRefused as refusal:
            form.username.errors = [str(refusal)]
            return self.page(409, invite_form=form)

    @view_config(
        route_name="manage.organization.change_role",
        request_method="POST",
        permission=MANAGE,
        require_reauth=True,
    )
    def change(self) -> Any:
        form = ChangeMemberRoleForm(self.request.POST, orgtype=self.organization.orgtype)
        role = (
            self.membership.get_role(self.organization, form.role_id.data)
            if form.validate()
            else None
        )
        if role is None:
            return self.page(400, error=form.first_error or GONE)
        user, new_role = role.user, OrganizationRoleType(form.role_name.data)
        if user.id == self.request.user.id and role.role_name == OrganizationRoleType.Owner:
            return self.page(
                400, error="You cannot change your own Owner role; ask another Owner to do it."
            )
        try:
            # The role as it was under the lock, or None when it already was new_role.
            old_role = self.membership.change_role(role, new_role)
        except SecondOwnerNeeded:
            kind = (
                OwnerChangeKind.MakeOwner
                if new_role == OrganizationRoleType.Owner
                else OwnerChangeKind.DemoteOwner
            )
            return self.propose_or_refuse(OwnerChangeProposal(kind, role=role, new_role=new_role))
        except (LastOwnerRefused, TwoOwnersNeeded) as refusal:
            return self.page(409, error=str(refusal))
        except OrganizationError as refusal:
            return self.page(400, error=str(refusal))
        if old_role is not None:
            context = {"member": user.username, "role": str(new_role), "old_role": old_role}
            email_user(
                self.request,
                "organization-member-role-changed",
                user,
                organization_name=self.organization.name,
                initiator=self.request.user.username,
                **context,
            )
        return self.done(f"{user.username} is now {new_role}.", PEOPLE)

    @view_config(
        route_name="manage.organization.delete_role",
        request_method="POST",
        permission=Permissions.OrganizationsRoleRemove,
        require_reauth=True,
    )
    def remove(self) -> Any:
        # Which confirmation applies, and the ids of its fields, depend on the row it names.
        form = RemoveMemberForm(self.request.POST)
        form.validate()
        role = (
            None
            if form.role_id.errors
            else self.membership.get_role(self.organization, form.role_id.data)
        )
        if role is None:
            return self.page(400, error=GONE)
        user = role.user
        leaving = user.id == self.request.user.id
        if not leaving and not self.request.has_permission(MANAGE, self.organization):
            raise HTTPForbidden("Only owners can remove other people from the organization.")
        form_id = removal_form_id(role)
        form = RemoveMemberForm(self.request.POST, html_id_prefix=form_id)
        valid = form.validate()
        if leaving:
            valid = confirmed(form.confirm_name, self.organization.name) and valid
        else:
            valid = confirmed(form.confirm_username, user.username) and valid
        if not valid:
            return self.page(400, refused=Refused(form_id, form))
        tag = EventTag.OrganizationRoleLeave if leaving else EventTag.OrganizationRoleRemove
        try:
            self.membership.remove_role(
                role, tag=tag, authority=Authority.OwnSelf if leaving else Authority.OneOwner
            )
        except SecondOwnerNeeded:
            return self.propose_or_refuse(
                OwnerChangeProposal(OwnerChangeKind.RemoveOwner, role=role)
            )
        except LastOwnerRefused:
            return self.page(409, error=last_owner_message(user.username, leaving))
        except OrganizationError as refusal:
            return self.page(409, error=str(refusal))
        email_owners(
            self.request,
            "organization-member-left" if leaving else "organization-member-removed",
            self.organization,
            member=user.username,
        )
        name = self.organization.name
        if leaving:
            self.request.session.flash(f"You left {name}.", queue="success")
            return HTTPSeeOther(self.request.route_path("manage.organizations"))
        email_user(
            self.request,
            "organization-member-removed",
            user,
            organization_name=name,
            initiator=self.request.user.username,
            member=user.username,
        )
        return self.done(f"{user.username} is removed from {name}.", PEOPLE)

    def propose_or_refuse(self, proposal: OwnerChangeProposal) -> Any:
        try:
            return self.propose(proposal)
        except OwnerChangeRefused as refusal:
            return self.page(409, error=str(refusal))

    def chosen_invitation(self) -> OrganizationInvitation | None:
        form = InvitationForm(self.request.POST)
        if not form.validate():
            return None
        return self.membership.get_invitation(self.organization, form.invitation_id.data)

    @view_config(
        route_name="manage.organization.revoke_invite",
        request_method="POST",
        permission=MANAGE,
        require_reauth=True,
    )
    def revoke(self) -> Any:
        invitation = self.chosen_invitation()
        if invitation is None:
            return self.page(400, error=GONE)
        form_id = revoke_form_id(invitation)
        form = RevokeInvitationForm(self.request.POST, html_id_prefix=form_id)
        valid = form.validate()
        asked = revoke_confirmation(form, invitation)
        if not (confirmed(asked, invitation.invitee_name) and valid):
            return self.page(400, refused=Refused(form_id, form))
        try:
            self.membership.revoke_invitation(invitation)
        except OrganizationError as refusal:
            return self.page(409, error=str(refusal))
        email_invitee(
            self.request,
            invitation,
            "organization-member-invite-revoked",
            organization_name=self.organization.name,
            initiator=self.request.user.username,
        )
        return self.done(f"The invitation to {invitation.invitee_name} is revoked.", PEOPLE)

    @view_config(
        route_name="manage.organization.resend_invite",
        request_method="POST",
        permission=MANAGE,
        require_reauth=True,
    )
    def resend(self) -> Any:
        invitation = self.chosen_invitation()
        if invitation is None:
            return self.page(400, error=GONE)
        # Sending again mails the address again: it counts against the same limits.
        limits = (
            address_limits(self.request, self.organization, invitation.invited_address)
            if invitation.is_by_address
            else []
        )
        wait = refused_by_limits(self.request, limits) if limits else None
        if wait:
            return self.page(429, error=wait)
        try:
            token = self.membership.resend_invitation(invitation)
        except OrganizationError as refusal:
            return self.page(409, error=str(refusal))
        count_against_limits(limits)
        send_invitation_email(self.request, invitation, token)
        return self.done(
            f"A new invitation link is on its way to {invitation.invitee_name}; the old one no "
            "longer works.",
            PEOPLE,
        )


def revoke_confirmation(
    form: RevokeInvitationForm, invitation: OrganizationInvitation
) -> wtforms.Field:
    """Revoking asks for what the row shows: the address typed, else the username."""
    return form.confirm_address if invitation.is_by_address else form.confirm_username


def last_owner_message(username: str, leaving: bool) -> str:
    who = "You are" if leaving else f"{username} is"
    return f"{who} the only Owner of this organization. Make someone else an Owner first."
