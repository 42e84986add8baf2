"""IOrganizationMembershipService: roles, the last Owner, and invitations."""

import datetime

import pytest
from sqlalchemy import text

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationInvitationFactory,
    OrganizationRoleFactory,
)
from tests.common.events import event_tags
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import (
    InvitationRefused,
    LastOwnerRefused,
    OrganizationError,
)
from warehouse_orgs.organizations.models import OrganizationInvitationStatus
from warehouse_orgs.organizations.permissions import OrganizationRoleType

MANAGER = OrganizationRoleType.Manager
MEMBER = OrganizationRoleType.Member


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def test_billing_manager_only_in_company_organizations(membership, service, db_session):
    community = OrganizationFactory.create()
    with pytest.raises(OrganizationError, match="only in Company"):
        membership.add_role(community, UserFactory.create(), OrganizationRoleType.BillingManager)
    company = OrganizationFactory.create(orgtype="Company")
    membership.add_role(company, UserFactory.create(), OrganizationRoleType.BillingManager)


def test_the_last_owner_can_be_neither_removed_nor_demoted(membership, service, db_session):
    role = OrganizationRoleFactory.create()
    with pytest.raises(LastOwnerRefused):
        membership.remove_role(role)
    with pytest.raises(LastOwnerRefused):
        membership.change_role(role, MANAGER)
    second = OrganizationRoleFactory.create(organization=role.organization)
    membership.change_role(role, MANAGER)
    with pytest.raises(LastOwnerRefused):
        membership.remove_role(second)


def test_the_organizations_that_need_an_owner_are_named(membership, service, db_session):
    alone = OrganizationRoleFactory.create(organization=OrganizationFactory.create(name="solo"))
    user = alone.user
    shared = OrganizationRoleFactory.create(
        organization=OrganizationFactory.create(name="pair"), user=user
    )
    OrganizationRoleFactory.create(organization=shared.organization)
    # One of two Owners where a second Owner's approval is required; one of three is not.
    guarded = OrganizationFactory.create(name="guarded", owner_changes_need_approval=True)
    roomy = OrganizationFactory.create(name="roomy", owner_changes_need_approval=True)
    for organization, others in ((guarded, 1), (roomy, 2)):
        OrganizationRoleFactory.create(organization=organization, user=user)
        for _ in range(others):
            OrganizationRoleFactory.create(organization=organization)
    assert membership.organizations_needing_owner(user) == [("guarded", 2), ("solo", 1)]


# Invitations


def test_invitation_tokens_are_stored_hashed_and_work_once(membership, service, db_session):
    organization = OrganizationFactory.create()
    invitee = UserFactory.create()
    invitation, token = membership.invite(organization, invitee, MANAGER)
    assert token not in invitation.token_hash
    assert membership.invitation_for_token(token, invitee) is invitation
    membership.accept_invitation(invitation)
    with pytest.raises(InvitationRefused, match="already accepted"):
        membership.invitation_for_token(token, invitee)
    assert membership.role_of(organization, invitee).role_name == "Manager"


def test_a_token_works_only_for_its_invitee(membership, service):
    invitation = OrganizationInvitationFactory.create(token="t-1")
    with pytest.raises(InvitationRefused, match="for another account"):
        membership.invitation_for_token("t-1", UserFactory.create())
    with pytest.raises(InvitationRefused, match="not valid"):
        membership.invitation_for_token("t-unknown", invitation.user)


def test_revoked_resent_and_expired_tokens_stop_working(membership, service, db_session):
    revoked = OrganizationInvitationFactory.create(token="revoked")
    membership.revoke_invitation(revoked)
    with pytest.raises(InvitationRefused, match="already revoked"):
        membership.invitation_for_token("revoked", revoked.user)

    resent = OrganizationInvitationFactory.create(token="old")
    new_token = membership.resend_invitation(resent)
    with pytest.raises(InvitationRefused, match="not valid"):
        membership.invitation_for_token("old", resent.user)
    assert membership.invitation_for_token(new_token, resent.user) is resent

    overdue = OrganizationInvitationFactory.create(
        token="late", expires_at=_now() - datetime.timedelta(minutes=1)
    )
    with pytest.raises(InvitationRefused, match="expired"):
        membership.invitation_for_token("late", overdue.user)
    assert membership.expire_invitations() == 1
    assert overdue.status == OrganizationInvitationStatus.Expired
    assert event_tags(db_session, overdue.organization)[-1] == EventTag.OrganizationRoleInviteExpire


def test_invitees_need_a_verified_email_and_no_membership(membership, db_session):
    organization = OrganizationFactory.create()
    unverified = UserFactory.create()
    db_session.execute(
        text("UPDATE user_emails SET verified = false WHERE user_id = :u"), {"u": unverified.id}
    )
    db_session.expire_all()
    with pytest.raises(InvitationRefused, match="no verified email"):
        membership.invite(organization, unverified, MEMBER)
    member = OrganizationRoleFactory.create(organization=organization, role_name=MEMBER).user
    with pytest.raises(InvitationRefused, match="already a member"):
        membership.invite(organization, member, MEMBER)
    invitee = UserFactory.create()
    membership.invite(organization, invitee, MEMBER)
    with pytest.raises(InvitationRefused, match="already has a pending invitation"):
        membership.invite(organization, invitee, MEMBER)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("revoke_invitation", "Only a pending invitation can be revoked; this one was accepted."),
        (
            "resend_invitation",
            "Only a pending or expired invitation can be sent again; this one was accepted.",
        ),
    ],
)
def test_an_accepted_invitation_can_be_neither_revoked_nor_resent(
    membership, db_session, action, message
):
    invitation = OrganizationInvitationFactory.create(token="joined")
    membership.accept_invitation(invitation)
    tags_before = event_tags(db_session, invitation.organization)
    token_hash = invitation.token_hash

    with pytest.raises(InvitationRefused, match=message):
        getattr(membership, action)(invitation)

    db_session.expire_all()
    assert invitation.status == OrganizationInvitationStatus.Accepted
    assert invitation.token_hash == token_hash
    assert membership.role_of(invitation.organization, invitation.user) is not None
    assert event_tags(db_session, invitation.organization) == tags_before


@pytest.mark.parametrize("expired", [False, True], ids=["pending", "expired"])
def test_resending_to_someone_who_became_a_member_meanwhile_is_refused(
    membership, db_session, expired
):
    expires_at = _now() + datetime.timedelta(days=-1 if expired else 1)
    invitation = OrganizationInvitationFactory.create(
        token="stale",
        expires_at=expires_at,
        status=(
            OrganizationInvitationStatus.Expired
            if expired
            else OrganizationInvitationStatus.Pending
        ),
    )
    # Staff added them directly while the invitation waited.
    membership.add_role(invitation.organization, invitation.user, MEMBER)
    tags_before = event_tags(db_session, invitation.organization)
    token_hash = invitation.token_hash

    with pytest.raises(InvitationRefused, match=f"{invitation.user.username} is already a member."):
        membership.resend_invitation(invitation)

    db_session.expire_all()
    assert invitation.token_hash == token_hash
    assert invitation.expires_at == expires_at
    assert event_tags(db_session, invitation.organization) == tags_before


def test_the_people_page_shows_expired_invitations_for_a_week_after_expiry(membership, db_session):
    organization = OrganizationFactory.create()
    now = _now()

    def invitation(status, expired_days_ago):
        return OrganizationInvitationFactory.create(
            organization=organization,
            status=status,
            expires_at=now - datetime.timedelta(days=expired_days_ago),
        )

    pending = invitation(OrganizationInvitationStatus.Pending, -3)
    recent = invitation(OrganizationInvitationStatus.Expired, 1)
    six_days = invitation(OrganizationInvitationStatus.Expired, 6)
    invitation(OrganizationInvitationStatus.Expired, 8)  # past its week
    invitation(OrganizationInvitationStatus.Revoked, -3)
    invitation(OrganizationInvitationStatus.Declined, -3)
    OrganizationInvitationFactory.create()  # another organization's

    def shown(at):
        return {i.id for i in membership.invitations(organization, now=at)}

    assert shown(now) == {pending.id, recent.id, six_days.id}
    # Two days on, the one that expired six days ago has had its week.
    assert shown(now + datetime.timedelta(days=2)) == {pending.id, recent.id}
    # Ten days on, only the pending one is left (expiring it is the periodic task's work).
    assert shown(now + datetime.timedelta(days=10)) == {pending.id}
    # Without ``now``, the real clock.
    assert {i.id for i in membership.invitations(organization)} == shown(now)
