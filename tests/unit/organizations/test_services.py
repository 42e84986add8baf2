import datetime

import pytest
from pyramid.authorization import ACLHelper
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.common.concurrency import in_thread, service_request, wait_until_blocked
from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import (
    OrganizationApplicationFactory,
    OrganizationFactory,
    OrganizationInvitationFactory,
    OrganizationRoleFactory,
)
from tests.common.events import event_tags
from warehouse_orgs.accounts.models import User
from warehouse_orgs.authnz import Permissions, user_principal
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import (
    InvitationRefused,
    LastOwnerRefused,
    NameUnavailable,
    OrganizationError,
    TooManyApplications,
)
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationInvitationStatus,
    OrganizationNameCatalog,
    OrganizationRole,
)
from warehouse_orgs.organizations.permissions import ROLE_PERMISSIONS, OrganizationRoleType
from warehouse_orgs.organizations.services import (
    DatabaseOrganizationApplicationService,
    DatabaseOrganizationMembershipService,
    DatabaseOrganizationService,
)

OWNER, MANAGER, MEMBER = (
    OrganizationRoleType.Owner,
    OrganizationRoleType.Manager,
    OrganizationRoleType.Member,
)


@pytest.fixture
def actor(db_session):
    return UserFactory.create(username="actor")


@pytest.fixture
def request_(app_registry, db_session, actor):
    return service_request(app_registry, db_session, actor)


@pytest.fixture
def service(request_):
    return DatabaseOrganizationService(request_)


@pytest.fixture
def applications(request_):
    return DatabaseOrganizationApplicationService(request_)


@pytest.fixture
def membership(request_):
    return DatabaseOrganizationMembershipService(request_)


def _details(name="new-org", **overrides):
    return {
        "name": name,
        "display_name": "New Org",
        "orgtype": "Community",
        "link_url": "https://example.com/",
        "description": "d",
        "usage": "u" * 40,
        "membership_size": "2-5",
        **overrides,
    }


def test_approval_creates_the_organization_and_declines_competitors(
    applications, service, db_session, actor
):
    application = applications.submit_application(actor, **_details("Shared_Name"))
    rival = OrganizationApplicationFactory.create(name="shared.name")
    organization, declined = applications.approve_application(application)
    assert organization.normalized_name == "shared-name"
    assert declined == [rival]
    assert rival.status == "declined"
    role = db_session.scalars(select(OrganizationRole)).one()
    assert (role.user_id, role.role_name) == (actor.id, "Owner")
    assert db_session.scalars(select(OrganizationNameCatalog.normalized_name)).all() == [
        "shared-name"
    ]
    assert event_tags(db_session, organization) == [
        EventTag.OrganizationCreate,
        EventTag.OrganizationRoleAdd,
    ]


def test_names_reserved_taken_or_once_used_are_refused(applications, service, db_session, actor):
    OrganizationFactory.create(name="taken")
    with pytest.raises(NameUnavailable, match="reserved"):
        applications.submit_application(actor, **_details("PyPI"))
    with pytest.raises(NameUnavailable, match="taken, or was used"):
        applications.submit_application(actor, **_details("Taken"))
    gone = OrganizationFactory.create(name="gone")
    service.delete(gone)
    with pytest.raises(NameUnavailable, match="taken, or was used"):
        applications.submit_application(actor, **_details("gone"))


def test_at_most_three_undecided_applications(applications, actor):
    for n in range(3):
        applications.submit_application(actor, **_details(f"app-{n}"))
    with pytest.raises(TooManyApplications):
        applications.submit_application(actor, **_details("app-3"))


def test_withdrawing_frees_the_name_and_the_slot(applications, service, actor):
    application = applications.submit_application(actor, **_details("free-me"))
    applications.withdraw_application(application)
    assert applications.submit_application(actor, **_details("free-me")).status == "submitted"
    with pytest.raises(OrganizationError, match="already withdrawn"):
        applications.withdraw_application(application)


def test_queue_position_counts_older_undecided_applications(applications, actor):
    older = OrganizationApplicationFactory.create()
    mine = applications.submit_application(actor, **_details("queued"))
    db_session = applications.db
    db_session.execute(
        text(
            "UPDATE organization_applications SET submitted = now() - interval '1 day' "
            "WHERE id = :id"
        ),
        {"id": older.id},
    )
    db_session.expire_all()
    assert applications.queue_position(mine) == 1
    assert applications.queue_position(older) == 0


def test_the_acl_follows_the_permission_table(service, db_session):
    organization = OrganizationFactory.create()
    people = {role: UserFactory.create() for role in OrganizationRoleType}
    for role_name, user in people.items():
        OrganizationRoleFactory.create(organization=organization, user=user, role_name=role_name)
    db_session.expire_all()
    organization = service.get_organization_by_name(organization.name)
    helper = ACLHelper()
    for role_name, user in people.items():
        principals = [user_principal(user.id)]
        granted = {p for p in Permissions if helper.permits(organization, principals, p)}
        assert granted == set(ROLE_PERMISSIONS[role_name]), role_name
    # Staff hold nothing on an organization they are not members of.
    assert not any(helper.permits(organization, ["group:admins"], p) for p in Permissions)


def test_billing_manager_only_in_company_organizations(membership, service, db_session):
    community = OrganizationFactory.create()
    with pytest.raises(OrganizationError, match="only in Company"):
        membership.add_role(community, UserFactory.create(), OrganizationRoleType.BillingManager)
    company = OrganizationFactory.create(orgtype="Company")
    membership.add_role(company, UserFactory.create(), OrganizationRoleType.BillingManager)


def test_company_never_becomes_community(service):
    company = OrganizationFactory.create(orgtype="Company")
    with pytest.raises(OrganizationError, match="cannot become a Community"):
        service.update_details(company, orgtype="Community")
    community = OrganizationFactory.create()
    assert service.update_details(community, orgtype="Company") == ["orgtype"]


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


def test_rename_keeps_the_old_name_for_redirects(service, db_session):
    organization = OrganizationFactory.create(name="before")
    service.rename(organization, "After")
    assert service.get_organization_by_name("before") is organization
    assert service.get_organization_by_name("after") is organization
    other = OrganizationFactory.create(name="other")
    with pytest.raises(NameUnavailable):
        service.rename(other, "before")


def test_sole_owners_are_named(membership, service, db_session):
    alone = OrganizationRoleFactory.create(organization=OrganizationFactory.create(name="solo"))
    shared = OrganizationRoleFactory.create(
        organization=OrganizationFactory.create(name="pair"), user=alone.user
    )
    OrganizationRoleFactory.create(organization=shared.organization)
    assert membership.sole_owned_organizations(alone.user) == ["solo"]


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
        token="late",
        expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1),
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


# The race: two owners removing each other at the same moment.


def test_two_concurrent_removals_of_the_last_two_owners_leave_one(app_registry, committed_database):
    with Session(committed_database) as setup:
        alice = User(username="alice", password="x")
        bob = User(username="bob", password="x")
        organization = Organization(
            name="raced", display_name="Raced", orgtype="Community",
            link_url="https://example.com/", description="",
        )  # fmt: skip
        setup.add_all(
            [
                OrganizationRole(organization=organization, user=alice, role_name=OWNER),
                OrganizationRole(organization=organization, user=bob, role_name=OWNER),
            ]
        )
        setup.commit()
        organization_id = organization.id

    def removal(session, username):
        service = DatabaseOrganizationMembershipService(service_request(app_registry, session))
        role = session.scalars(
            select(OrganizationRole)
            .join(User, User.id == OrganizationRole.user_id)
            .where(OrganizationRole.organization_id == organization_id, User.username == username)
        ).one()
        return service, role

    with Session(committed_database) as first, Session(committed_database) as second:
        service, role = removal(first, "alice")
        service.remove_role(role)  # holds the organization's row lock until commit

        other_service, other_role = removal(second, "bob")
        thread, outcome = in_thread(lambda: other_service.remove_role(other_role))
        wait_until_blocked(committed_database)
        first.commit()
        thread.join(timeout=10)
        second.rollback()

    assert isinstance(outcome.get("error"), LastOwnerRefused)
    with Session(committed_database) as check:
        owners = check.scalars(
            select(User.username)
            .join(OrganizationRole, OrganizationRole.user_id == User.id)
            .where(OrganizationRole.organization_id == organization_id)
        ).all()
    assert owners == ["bob"]
