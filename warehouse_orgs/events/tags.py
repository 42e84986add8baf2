"""Every event tag, and one sentence for each: the history pages and exports use ``describe``."""

import enum
from collections.abc import Callable
from typing import Any

from warehouse_orgs.labels import label


class EventTag(enum.StrEnum):
    # Accounts
    AccountCreate = "account:create"
    AccountLoginSuccess = "account:login:success"
    AccountLoginFailure = "account:login:failure"
    AccountReauthenticate = "account:reauthenticate"
    AccountLogout = "account:logout"
    AccountPasswordChange = "account:password:change"
    AccountPasswordResetRequest = "account:password:reset:request"
    AccountPasswordReset = "account:password:reset"
    AccountTwoFactorAdd = "account:two_factor:add"
    AccountTwoFactorRemove = "account:two_factor:remove"
    AccountRecoveryCodesGenerate = "account:recovery_codes:generate"
    AccountRecoveryCodeUse = "account:recovery_codes:use"
    AccountEmailAdd = "account:email:add"
    AccountEmailVerify = "account:email:verify"
    AccountEmailPrimaryChange = "account:email:primary:change"
    AccountEmailRemove = "account:email:remove"
    AccountNameChange = "account:name:change"
    AccountPublicTeamProjectsChange = "account:public_team_projects:change"
    AccountStaffFlagChange = "account:staff_flag:change"
    AccountRateLimited = "account:rate_limited"

    # Organization applications
    OrganizationApplicationSubmit = "organization_application:submit"
    OrganizationApplicationEdit = "organization_application:edit"
    OrganizationApplicationWithdraw = "organization_application:withdraw"
    OrganizationApplicationApprove = "organization_application:approve"
    OrganizationApplicationDecline = "organization_application:decline"
    OrganizationApplicationDefer = "organization_application:defer"
    OrganizationApplicationRequestInformation = "organization_application:request_information"
    OrganizationApplicationAnswer = "organization_application:answer"
    OrganizationApplicationNote = "organization_application:note"

    # Organizations
    OrganizationCreate = "organization:create"
    OrganizationRename = "organization:rename"
    OrganizationDetailsChange = "organization:details:change"
    OrganizationDelete = "organization:delete"
    OrganizationRoleInvite = "organization:role:invite"
    OrganizationRoleInviteResend = "organization:role:invite:resend"
    OrganizationRoleInviteRevoke = "organization:role:invite:revoke"
    OrganizationRoleInviteAccept = "organization:role:invite:accept"
    OrganizationRoleInviteDecline = "organization:role:invite:decline"
    OrganizationRoleInviteExpire = "organization:role:invite:expire"
    OrganizationRoleAdd = "organization:role:add"
    OrganizationRoleChange = "organization:role:change"
    OrganizationRoleRemove = "organization:role:remove"
    OrganizationRoleLeave = "organization:role:leave"
    OrganizationRoleAccountDelete = "organization:role:account_delete"
    OrganizationRoleInviteAccountDelete = "organization:role:invite:account_delete"
    AdminOrganizationRoleAdd = "admin:organization:role:add"
    AdminOrganizationRoleChange = "admin:organization:role:change"
    AdminOrganizationRoleRemove = "admin:organization:role:remove"
    # Succession (issue 13): the detector's finding, and staff's handover to a member.
    OrganizationSuccessionRiskFound = "organization:succession_risk:found"
    OrganizationSuccessionRiskCleared = "organization:succession_risk:cleared"
    OrganizationHandoverStart = "organization:handover:start"
    OrganizationHandoverObject = "organization:handover:object"
    OrganizationHandoverCancel = "organization:handover:cancel"
    OrganizationHandoverComplete = "organization:handover:complete"
    # A second Owner's approval of owner changes (issue 13).
    OrganizationOwnerApprovalOn = "organization:owner_approval:on"
    OrganizationOwnerApprovalOff = "organization:owner_approval:off"
    OrganizationOwnerChangePropose = "organization:owner_change:propose"
    OrganizationOwnerChangeApprove = "organization:owner_change:approve"
    OrganizationOwnerChangeReject = "organization:owner_change:reject"
    OrganizationOwnerChangeWithdraw = "organization:owner_change:withdraw"
    OrganizationOwnerChangeLapse = "organization:owner_change:lapse"
    OrganizationOwnerChangeVoid = "organization:owner_change:void"

    # Verified domains, recorded on the organization (the daily re-check's have no actor).
    OrganizationDomainAdd = "organization:domain:add"
    OrganizationDomainVerify = "organization:domain:verify"
    OrganizationDomainVerifyFail = "organization:domain:verify_failed"
    OrganizationDomainRemove = "organization:domain:remove"
    OrganizationDomainLose = "organization:domain:lost"

    # Teams, recorded on the organization, the team, the member's account and the project.
    OrganizationTeamCreate = "organization:team:create"
    OrganizationTeamRename = "organization:team:rename"
    OrganizationTeamDelete = "organization:team:delete"
    OrganizationTeamRoleAdd = "organization:team_role:add"
    OrganizationTeamRoleRemove = "organization:team_role:remove"
    OrganizationTeamProjectRoleAdd = "organization:team_project_role:add"
    OrganizationTeamProjectRoleChange = "organization:team_project_role:change"
    OrganizationTeamProjectRoleRemove = "organization:team_project_role:remove"
    TeamCreate = "team:create"
    TeamRename = "team:rename"
    TeamRoleAdd = "team:team_role:add"
    TeamRoleRemove = "team:team_role:remove"
    TeamProjectRoleAdd = "team:team_project_role:add"
    TeamProjectRoleChange = "team:team_project_role:change"
    TeamProjectRoleRemove = "team:team_project_role:remove"
    AccountTeamRoleAdd = "account:team_role:add"
    AccountTeamRoleRemove = "account:team_role:remove"
    ProjectTeamProjectRoleAdd = "project:team_project_role:add"
    ProjectTeamProjectRoleChange = "project:team_project_role:change"
    ProjectTeamProjectRoleRemove = "project:team_project_role:remove"

    # Organization projects, recorded on the organization and the project.
    OrganizationProjectAdd = "organization:organization_project:add"
    OrganizationProjectRemove = "organization:organization_project:remove"
    ProjectOrganizationProjectAdd = "project:organization_project:add"
    ProjectOrganizationProjectRemove = "project:organization_project:remove"

    # Billing, recorded on the organization (the webhook's have no actor: the provider spoke).
    OrganizationBillingTermsAgreed = "organization:billing:terms_agreed"
    OrganizationBillingPaymentFailed = "organization:billing:payment_failed"
    OrganizationBillingReminderSent = "organization:billing:reminder_sent"
    OrganizationCustomerCreate = "organization:customer:create"
    OrganizationCustomerUpdate = "organization:customer:update"
    OrganizationCustomerDelete = "organization:customer:delete"
    OrganizationSubscriptionCreate = "organization:subscription:create"
    OrganizationSubscriptionStatusChange = "organization:subscription:status_change"
    OrganizationSubscriptionCancel = "organization:subscription:cancel"
    OrganizationSubscriptionSeatsChange = "organization:subscription:seats_change"
    OrganizationManualActivationAdd = "organization:manual_activation:add"
    OrganizationManualActivationUpdate = "organization:manual_activation:update"
    OrganizationManualActivationDelete = "organization:manual_activation:delete"

    # Sponsors, recorded on the sponsor, level or inquiry (a deletion on the staff member's
    # account, since the row and its history go). The feed's have no actor: the sync spoke.
    SponsorCreate = "sponsor:create"
    SponsorUpdate = "sponsor:update"
    SponsorFeedAdd = "sponsor:feed:add"
    SponsorFeedUpdate = "sponsor:feed:update"
    SponsorFeedUnlist = "sponsor:feed:unlist"
    SponsorLevelCreate = "sponsor_level:create"
    SponsorLevelUpdate = "sponsor_level:update"
    SponsorInquirySubmit = "sponsor_inquiry:submit"
    SponsorInquiryUpdate = "sponsor_inquiry:update"
    AccountSponsorDelete = "account:sponsor:delete"
    AccountSponsorLevelDelete = "account:sponsor_level:delete"

    # Projects
    ProjectCreate = "project:create"
    ProjectRoleAdd = "project:role:add"
    ProjectRoleChange = "project:role:change"
    ProjectRoleRemove = "project:role:remove"
    ProjectDelete = "project:delete"
    ProjectRoleAccountDelete = "project:role:account_delete"


Details = dict[str, Any]


def _who(details: Details, key: str = "actor") -> str:
    return details.get(key) or "someone"


def _invitee(details: Details) -> str:
    """An invitation made by email address is recorded by that address, not the account."""
    return details.get("email") or details.get("username") or "someone"


# The login views record which step refused; the history says it in words.
_LOGIN_FAILURE_REASONS = {
    "wrong password": "the password was not right",
    "wrong totp value": "the authenticator app code was not right or had been used",
    "wrong recovery_code value": "the recovery code was not right or had been used",
}


def _login_failure_reason(details: Details) -> str:
    reason = details.get("reason")
    return _LOGIN_FAILURE_REASONS.get(reason, reason or "the reason was not recorded")


# The events store column names; the history names the fields as the settings form does.
_DETAIL_FIELDS = {
    "display_name": "the display name",
    "link_url": "the website",
    "description": "the description",
    "orgtype": "the type",
}


_SPONSOR_FIELDS = {
    "link_url": "the link",
    "color_logo_url": "the color logo",
    "white_logo_url": "the white logo",
    "logo_source_url": "the logo",
    "activity_markdown": "the activity",
    "level_name": "the level",
    "level_order": "the level's order",
    "is_active": "whether it is active",
    "footer": "whether it is in the footer",
    "psf_sponsor": "whether it is a PSF sponsor",
    "infra_sponsor": "whether it is an infrastructure sponsor",
    "one_time": "whether it is a one-time sponsor",
    "origin": "who keeps it",
    "yearly_amount": "the yearly amount",
    "is_open": "whether it is offered",
}


def _sponsor_fields(fields: list[str]) -> str:
    return ", ".join(_SPONSOR_FIELDS.get(name, f"the {name.replace('_', ' ')}") for name in fields)


def _inquiry_updated(details: Details) -> str:
    parts = []
    if details.get("status"):
        parts.append(f"marked the inquiry from {details.get('company')} {label(details['status'])}")
    if "notes" in (details.get("fields") or []):
        parts.append(
            "changed its notes"
            if parts
            else f"changed the notes on the inquiry from {details.get('company')}"
        )
    return f"{_who(details)} " + " and ".join(parts or ["changed the inquiry"])


# What a domain's look-up found (domains.models.DomainCheck), as the history says it.
_DOMAIN_CHECKS = {
    "missing": "its TXT record was not found",
    "wrong": "its TXT record did not hold the expected value",
    "unavailable": "the DNS look-up got no answer",
}


def _domain_check(details: Details) -> str:
    return _DOMAIN_CHECKS.get(details.get("result") or "", "the record was not found")


def _detail_fields(fields: list[str]) -> str:
    return ", ".join(_DETAIL_FIELDS.get(name, name.replace("_", " ")) for name in fields)


# Why a membership or a grant ended when nobody removed it by hand; the services record the
# key, the history says it in words.
_ENDED_BECAUSE = {
    "left_organization": "they are no longer a member of the organization",
    "billing_manager": "Billing Managers cannot be on a team",
    "team_deleted": "the team was deleted",
}


def _ended(details: Details, sentence: str) -> str:
    reason = _ENDED_BECAUSE.get(details.get("reason", ""))
    return f"{sentence}: {reason}" if reason else sentence


def _team_member_removed(details: Details, where: str) -> str:
    if details.get("reason"):
        return _ended(details, f"{details.get('username')} left {where}")
    if details.get("username") == details.get("actor"):
        return f"{details.get('username')} left {where}"
    return f"{_who(details)} removed {details.get('username')} from {where}"


# Billing: statuses are stored in the provider's spelling and read in words.
def _by(details: Details) -> str:
    return f" by {details['actor']}" if details.get("actor") else ""


def _seats(count: Any) -> str:
    return f"{count} seat" if count == 1 else f"{count} seats"


def _subscription_started(d: Details) -> str:
    if d.get("status") is None:
        return "A subscription started"
    return f"A subscription started ({label(d['status'])}, {_seats(d.get('seats', 0))})"


def _subscription_status_changed(d: Details) -> str:
    if d.get("renews"):
        return "The subscription will renew instead of ending"
    if d.get("status") is None:
        return "The subscription's status changed"
    return f"The subscription went from {label(d.get('old_status'))} to {label(d['status'])}"


def _subscription_canceled(d: Details) -> str:
    if d.get("at_period_end"):
        when = f"on {d['period_end']}" if d.get("period_end") else "at the end of its period"
        return f"The subscription was set to end {when}{_by(d)}"
    if d.get("reason") == "customer_deleted":
        return "The subscription ended: its customer was deleted at the payment provider"
    return f"The subscription was canceled{_by(d)}"


def _manual_activation(d: Details, verb: str) -> str:
    if d.get("seat_limit") is None:
        return f"{_who(d)} {verb} the manual activation"
    return (
        f"{_who(d)} {verb} the manual activation: {_seats(d['seat_limit'])} until "
        f"{d.get('expires')}"
    )


_SENTENCES: dict[EventTag, Callable[[Details], str]] = {
    EventTag.AccountCreate: lambda d: f"Account {d.get('username', '')} created".strip(),
    EventTag.AccountLoginSuccess: lambda d: (
        "Logged in"
        + (
            " with a recovery code"
            if d.get("two_factor_method") == "recovery_code"
            else " with two-factor authentication"
            if d.get("two_factor_method")
            else ""
        )
    ),
    EventTag.AccountLoginFailure: lambda d: f"Failed login: {_login_failure_reason(d)}",
    EventTag.AccountReauthenticate: lambda d: "Confirmed the password to continue",
    EventTag.AccountLogout: lambda d: "Logged out",
    EventTag.AccountPasswordChange: lambda d: "Password changed; other sessions were ended",
    EventTag.AccountPasswordResetRequest: lambda d: (
        f"A password reset link was sent to {d['email']}"
        if d.get("email")
        else "A password reset link was sent"
    ),
    EventTag.AccountPasswordReset: lambda d: (
        "Password reset with an emailed link; every session was ended"
    ),
    EventTag.AccountTwoFactorAdd: lambda d: "Two-factor authentication (authenticator app) added",
    EventTag.AccountTwoFactorRemove: lambda d: "Two-factor authentication removed",
    EventTag.AccountRecoveryCodesGenerate: lambda d: "New recovery codes generated",
    EventTag.AccountRecoveryCodeUse: lambda d: "A recovery code was used",
    EventTag.AccountEmailAdd: lambda d: f"Email {d.get('email')} added",
    EventTag.AccountEmailVerify: lambda d: f"Email {d.get('email')} verified",
    EventTag.AccountEmailPrimaryChange: lambda d: (
        f"Primary email changed from {d.get('old_primary')} to {d.get('new_primary')}"
    ),
    EventTag.AccountEmailRemove: lambda d: f"Email {d.get('email')} removed",
    EventTag.AccountNameChange: lambda d: f"Name changed to {d.get('name') or '(none)'}",
    EventTag.AccountPublicTeamProjectsChange: lambda d: (
        "Chose to be listed on the public pages of projects reached through a team"
        if d.get("public")
        else "Chose not to be listed on the public pages of projects reached through a team"
    ),
    EventTag.AccountStaffFlagChange: lambda d: (
        f"{d.get('flag')} role {'granted' if d.get('value') else 'removed'}"
        + (f" by {d['actor']}" if d.get("actor") else " from the command line")
    ),
    EventTag.AccountRateLimited: lambda d: f"Too many failed attempts at {d.get('action')}",
    EventTag.OrganizationApplicationSubmit: lambda d: (
        f"{_who(d)} applied for the organization {d.get('organization')}"
    ),
    EventTag.OrganizationApplicationEdit: lambda d: f"{_who(d)} edited the application",
    EventTag.OrganizationApplicationWithdraw: lambda d: f"{_who(d)} withdrew the application",
    EventTag.OrganizationApplicationApprove: lambda d: f"{_who(d)} approved the application",
    EventTag.OrganizationApplicationDecline: lambda d: f"{_who(d)} declined the application",
    EventTag.OrganizationApplicationDefer: lambda d: f"{_who(d)} deferred the application",
    EventTag.OrganizationApplicationRequestInformation: lambda d: (
        f"{_who(d)} asked the applicant for more information"
    ),
    EventTag.OrganizationApplicationAnswer: lambda d: f"{_who(d)} answered a question",
    EventTag.OrganizationApplicationNote: lambda d: f"{_who(d)} added an internal note",
    EventTag.OrganizationCreate: lambda d: (
        f"Organization {d.get('organization')} created, applied for by {d.get('submitted_by')}"
    ),
    EventTag.OrganizationRename: lambda d: (
        f"{_who(d)} renamed the organization from {d.get('old_name')} to {d.get('new_name')}"
    ),
    EventTag.OrganizationDetailsChange: lambda d: (
        f"{_who(d)} changed {_detail_fields(d.get('fields', [])) or 'the details'}"
    ),
    EventTag.OrganizationDelete: lambda d: (
        f"{_who(d)} deleted the organization {d.get('organization')}"
    ),
    EventTag.OrganizationRoleInvite: lambda d: (
        f"{_who(d)} invited {_invitee(d)} as {d.get('role')}"
    ),
    EventTag.OrganizationRoleInviteResend: lambda d: (
        f"{_who(d)} sent {_invitee(d)} a new invitation"
    ),
    EventTag.OrganizationRoleInviteRevoke: lambda d: (
        f"{_who(d)} revoked the invitation of {_invitee(d)}"
    ),
    EventTag.OrganizationRoleInviteAccept: lambda d: (
        f"{d.get('username')} accepted the invitation and joined as {d.get('role')}"
    ),
    EventTag.OrganizationRoleInviteDecline: lambda d: f"{_invitee(d)} declined the invitation",
    EventTag.OrganizationRoleInviteExpire: lambda d: f"The invitation of {_invitee(d)} expired",
    EventTag.OrganizationRoleAdd: lambda d: (
        f"{_who(d)} added {d.get('username')} as {d.get('role')}"
    ),
    EventTag.OrganizationRoleChange: lambda d: (
        f"{_who(d)} changed {d.get('username')} from {d.get('old_role')} to {d.get('role')}"
    ),
    EventTag.OrganizationRoleRemove: lambda d: (
        f"{_who(d)} removed {d.get('username')} ({d.get('role')})"
    ),
    EventTag.OrganizationRoleLeave: lambda d: f"{d.get('username')} left the organization",
    EventTag.OrganizationRoleAccountDelete: lambda d: (
        f"{d.get('username')} ({d.get('role')}) left: their account was deleted"
    ),
    EventTag.OrganizationRoleInviteAccountDelete: lambda d: (
        f"The invitation of {_invitee(d)} ended: their account was deleted"
    ),
    EventTag.AdminOrganizationRoleAdd: lambda d: (
        f"{_who(d)} added {d.get('username')} as {d.get('role')}"
    ),
    EventTag.AdminOrganizationRoleChange: lambda d: (
        f"{_who(d)} changed {d.get('username')} from {d.get('old_role')} to {d.get('role')}"
    ),
    EventTag.AdminOrganizationRoleRemove: lambda d: (
        f"{_who(d)} removed {d.get('username')} ({d.get('role')})"
    ),
    EventTag.OrganizationDomainAdd: lambda d: f"{_who(d)} added the domain {d.get('domain')}",
    EventTag.OrganizationDomainVerify: lambda d: f"{_who(d)} verified the domain {d.get('domain')}",
    EventTag.OrganizationDomainVerifyFail: lambda d: (
        f"{_who(d)} tried to verify the domain {d.get('domain')}: {_domain_check(d)}"
    ),
    EventTag.OrganizationDomainRemove: lambda d: f"{_who(d)} removed the domain {d.get('domain')}",
    EventTag.OrganizationDomainLose: lambda d: (
        f"The domain {d.get('domain')} is no longer verified: {_domain_check(d)}"
    ),
    EventTag.OrganizationSuccessionRiskFound: lambda d: (
        f"No Owner has logged in for {d.get('inactive_days')} days or more (or their accounts "
        "are disabled): PyPI staff may hand the organization over to a member"
    ),
    EventTag.OrganizationSuccessionRiskCleared: lambda d: "An Owner is active again",
    EventTag.OrganizationHandoverStart: lambda d: (
        f"{_who(d)} started a handover making {d.get('candidate')} an Owner on "
        f"{d.get('takes_effect_at')} unless an Owner objects: {d.get('reason')}"
    ),
    EventTag.OrganizationHandoverObject: lambda d: (
        f"{_who(d)} objected to the handover to {d.get('candidate')}"
        + (f": {d['objection']}" if d.get("objection") else "")
    ),
    EventTag.OrganizationHandoverCancel: lambda d: (
        f"The handover to {d.get('candidate')} was cancelled{_by(d)}"
        + (f": {d['why']}" if d.get("why") else "")
    ),
    EventTag.OrganizationHandoverComplete: lambda d: (
        f"The handover took effect: {d.get('username')} was already {d.get('role')}"
        if d.get("old_role") == d.get("role")
        else f"The handover took effect: {d.get('username')} changed from {d.get('old_role')} "
        f"to {d.get('role')}"
    ),
    EventTag.OrganizationOwnerApprovalOn: lambda d: (
        f"{_who(d)} turned on: owner changes need a second Owner's approval"
    ),
    EventTag.OrganizationOwnerApprovalOff: lambda d: (
        "Owner changes no longer need a second Owner's approval"
        + (f": {d['why']}" if d.get("why") else "")
    ),
    EventTag.OrganizationOwnerChangePropose: lambda d: (
        f"{_who(d)} proposed to {d.get('change')}; it waits for a second Owner's approval"
    ),
    EventTag.OrganizationOwnerChangeApprove: lambda d: (
        f"{_who(d)} approved {d.get('proposer')}'s proposal to {d.get('change')}"
    ),
    EventTag.OrganizationOwnerChangeReject: lambda d: (
        f"{_who(d)} rejected {d.get('proposer')}'s proposal to {d.get('change')}"
    ),
    EventTag.OrganizationOwnerChangeWithdraw: lambda d: (
        f"{_who(d)} withdrew their proposal to {d.get('change')}"
    ),
    EventTag.OrganizationOwnerChangeLapse: lambda d: (
        f"{d.get('proposer')}'s proposal to {d.get('change')} lapsed: no second Owner approved "
        "it within 72 hours"
    ),
    EventTag.OrganizationOwnerChangeVoid: lambda d: (
        f"{d.get('proposer')}'s proposal to {d.get('change')} could not be applied: {d.get('why')}"
    ),
    EventTag.OrganizationTeamCreate: lambda d: f"{_who(d)} created the team {d.get('team')}",
    EventTag.OrganizationTeamRename: lambda d: (
        f"{_who(d)} renamed the team {d.get('old_name')} to {d.get('team')}"
    ),
    EventTag.OrganizationTeamDelete: lambda d: f"{_who(d)} deleted the team {d.get('team')}",
    EventTag.OrganizationTeamRoleAdd: lambda d: (
        f"{_who(d)} added {d.get('username')} to the team {d.get('team')}"
    ),
    EventTag.OrganizationTeamRoleRemove: lambda d: _team_member_removed(
        d, f"the team {d.get('team')}"
    ),
    EventTag.OrganizationTeamProjectRoleAdd: lambda d: (
        f"{_who(d)} made the team {d.get('team')} {d.get('role')} of {d.get('project')}"
    ),
    EventTag.OrganizationTeamProjectRoleChange: lambda d: (
        f"{_who(d)} changed the team {d.get('team')} on {d.get('project')} from "
        f"{d.get('old_role')} to {d.get('role')}"
    ),
    EventTag.OrganizationTeamProjectRoleRemove: lambda d: _ended(
        d, f"{_who(d)} removed the team {d.get('team')} ({d.get('role')}) from {d.get('project')}"
    ),
    EventTag.TeamCreate: lambda d: f"{_who(d)} created the team {d.get('team')}",
    EventTag.TeamRename: lambda d: (
        f"{_who(d)} renamed the team from {d.get('old_name')} to {d.get('team')}"
    ),
    EventTag.TeamRoleAdd: lambda d: f"{_who(d)} added {d.get('username')} to the team",
    EventTag.TeamRoleRemove: lambda d: _team_member_removed(d, "the team"),
    EventTag.TeamProjectRoleAdd: lambda d: (
        f"{_who(d)} made the team {d.get('role')} of {d.get('project')}"
    ),
    EventTag.TeamProjectRoleChange: lambda d: (
        f"{_who(d)} changed the team on {d.get('project')} from {d.get('old_role')} to "
        f"{d.get('role')}"
    ),
    EventTag.TeamProjectRoleRemove: lambda d: (
        f"{_who(d)} removed the team ({d.get('role')}) from {d.get('project')}"
    ),
    EventTag.AccountTeamRoleAdd: lambda d: (
        f"{_who(d)} added you to the team {d.get('team')} of {d.get('organization')}"
    ),
    EventTag.AccountTeamRoleRemove: lambda d: (
        _ended(d, f"You left the team {d.get('team')} of {d.get('organization')}")
        if d.get("reason") or d.get("actor") == d.get("username")
        else f"{_who(d)} removed you from the team {d.get('team')} of {d.get('organization')}"
    ),
    EventTag.ProjectTeamProjectRoleAdd: lambda d: (
        f"{_who(d)} made the team {d.get('team')} of {d.get('organization')} {d.get('role')}"
    ),
    EventTag.ProjectTeamProjectRoleChange: lambda d: (
        f"{_who(d)} changed the team {d.get('team')} of {d.get('organization')} from "
        f"{d.get('old_role')} to {d.get('role')}"
    ),
    EventTag.ProjectTeamProjectRoleRemove: lambda d: _ended(
        d,
        f"{_who(d)} removed the team {d.get('team')} of {d.get('organization')} ({d.get('role')})",
    ),
    EventTag.OrganizationProjectAdd: lambda d: (
        f"{_who(d)} transferred the project {d.get('project')} here from {d.get('from')}"
        if d.get("from")
        else f"{_who(d)} {'created' if d.get('created') else 'added'} the project "
        f"{d.get('project')}"
    ),
    EventTag.OrganizationProjectRemove: lambda d: (
        f"{_who(d)} transferred the project {d.get('project')} to {d.get('to')}"
        if d.get("to")
        else f"{_who(d)} removed the project {d.get('project')} from the organization, leaving "
        f"{d.get('owner')} its Owner"
    ),
    EventTag.ProjectOrganizationProjectAdd: lambda d: (
        f"{_who(d)} {'created the project in' if d.get('created') else 'added the project to'}"
        f" the organization {d.get('organization')}"
        + (f", transferring it from {d['from']}" if d.get("from") else "")
    ),
    EventTag.ProjectOrganizationProjectRemove: lambda d: (
        f"{_who(d)} took the project out of the organization {d.get('organization')}"
        + (
            f" to transfer it to {d['to']}"
            if d.get("to")
            else f", leaving {d.get('owner')} its Owner"
        )
    ),
    # Billing
    EventTag.OrganizationBillingTermsAgreed: lambda d: (
        f"{_who(d)} agreed to the billing terms"
        + (f" ({d['revision']})" if d.get("revision") else "")
        + (f", choosing {label(d['interval']).lower()} billing" if d.get("interval") else "")
    ),
    EventTag.OrganizationBillingPaymentFailed: lambda d: (
        "A payment failed; the Owners and Billing Managers were told by email"
    ),
    EventTag.OrganizationBillingReminderSent: lambda d: (
        "The Owners were reminded by email that the organization is not in good standing"
    ),
    EventTag.OrganizationCustomerCreate: lambda d: (
        f"Billing was set up with the payment provider{_by(d)}"
    ),
    EventTag.OrganizationCustomerUpdate: lambda d: (
        f"The billing email at the payment provider became {d['billing_email']}"
        if d.get("billing_email")
        else "The billing email at the payment provider was removed"
    ),
    EventTag.OrganizationCustomerDelete: lambda d: (
        "The organization's customer was deleted at the payment provider"
    ),
    EventTag.OrganizationSubscriptionCreate: _subscription_started,
    EventTag.OrganizationSubscriptionStatusChange: _subscription_status_changed,
    EventTag.OrganizationSubscriptionCancel: _subscription_canceled,
    EventTag.OrganizationSubscriptionSeatsChange: lambda d: (
        f"The subscription's seats went from {d.get('old_seats')} to {d.get('seats')}"
        if d.get("seats") is not None
        else "The subscription's seats changed"
    ),
    EventTag.OrganizationManualActivationAdd: lambda d: _manual_activation(d, "added"),
    EventTag.OrganizationManualActivationUpdate: lambda d: _manual_activation(d, "changed"),
    EventTag.OrganizationManualActivationDelete: lambda d: f"{_who(d)} ended the manual activation",
    EventTag.SponsorCreate: lambda d: f"{_who(d)} added the sponsor {d.get('name')}",
    EventTag.SponsorUpdate: lambda d: (
        f"{_who(d)} changed {_sponsor_fields(d.get('fields') or [])} of {d.get('name')}"
    ),
    EventTag.SponsorFeedAdd: lambda d: f"The PSF feed added the sponsor {d.get('name')}",
    EventTag.SponsorFeedUpdate: lambda d: (
        f"The PSF feed changed {_sponsor_fields(d.get('fields') or [])} of {d.get('name')}"
    ),
    EventTag.SponsorFeedUnlist: lambda d: (
        f"The PSF feed no longer lists {d.get('name')}, so it is no longer shown as a PSF sponsor"
    ),
    EventTag.SponsorLevelCreate: lambda d: (
        f"{_who(d)} added the level {d.get('name')} at ${d.get('yearly_amount', 0):,} a year"
    ),
    EventTag.SponsorLevelUpdate: lambda d: (
        f"{_who(d)} changed {_sponsor_fields(d.get('fields') or [])} of the level {d.get('name')}"
    ),
    EventTag.SponsorInquirySubmit: lambda d: (
        f"{d.get('company')} sent an inquiry"
        + (f" about the {d['level']} level" if d.get("level") else "")
    ),
    EventTag.SponsorInquiryUpdate: _inquiry_updated,
    EventTag.AccountSponsorDelete: lambda d: f"{_who(d)} deleted the sponsor {d.get('name')}",
    EventTag.AccountSponsorLevelDelete: lambda d: (
        f"{_who(d)} deleted the sponsor level {d.get('name')}"
    ),
    EventTag.ProjectCreate: lambda d: f"Project {d.get('project')} created by {_who(d)}",
    EventTag.ProjectRoleAdd: lambda d: f"{_who(d)} added {d.get('username')} as {d.get('role')}",
    EventTag.ProjectRoleChange: lambda d: (
        f"{_who(d)} changed {d.get('username')} from {d.get('old_role')} to {d.get('role')}"
    ),
    EventTag.ProjectRoleRemove: lambda d: (
        f"{_who(d)} removed {d.get('username')} ({d.get('role')})"
    ),
    EventTag.ProjectDelete: lambda d: f"Project {d.get('project')} deleted by {_who(d)}",
    EventTag.ProjectRoleAccountDelete: lambda d: (
        f"{d.get('username')} ({d.get('role')}) left: their account was deleted"
    ),
}


def describe(tag: str, details: Details) -> str:
    """The event as a sentence a person can read."""
    try:
        return _SENTENCES[EventTag(tag)](details)
    except ValueError:
        # A tag from a newer deploy, read by an older one during a rollout.
        return tag
