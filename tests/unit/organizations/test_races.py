"""Races on an organization's aggregates, each between two real connections committing for real.

Each test runs one request while the other holds its transaction open, in both orders where the
order changes who must lose, and judges the committed end state: the invariant holds, exactly one
request had its way, and the other was refused with the rule's own message, never a database
error. Without the aggregate's lock each of them ends in a state the rules forbid.
"""

import datetime
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.common.concurrency import in_thread, service_request, wait_until_blocked
from tests.common.races import Outcome, assert_first_won, race
from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.accounts.services import AccountDeletionRefused, DatabaseUserService
from warehouse_orgs.organizations.interfaces import (
    ApplicationRefused,
    InvitationRefused,
    LastOwnerRefused,
    MembershipRefused,
)
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationApplication,
    OrganizationInvitation,
    OrganizationInvitationStatus,
    OrganizationNameCatalog,
    OrganizationRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services import (
    DatabaseOrganizationApplicationService,
    DatabaseOrganizationMembershipService,
    hash_token,
)
from warehouse_orgs.organizations.services.membership import LAST_OWNER
from warehouse_orgs.ownership import OWNER_REQUIRED_SUFFIX

OWNER = OrganizationRoleType.Owner
MEMBER = OrganizationRoleType.Member


# Building the world, committed


def _user(session: Session, username: str, **flags: Any) -> User:
    user = User(username=username, password="x", **flags)
    user.emails.append(Email(email=f"{username}@example.com", primary=True, verified=True))
    session.add(user)
    return user


def _organization(session: Session, name: str = "raced") -> Organization:
    organization = Organization(
        name=name, display_name=name.title(), orgtype="Community",
        link_url="https://example.com/", description="",
    )  # fmt: skip
    session.add(organization)
    session.flush()
    session.refresh(organization, ["normalized_name"])
    session.add(
        OrganizationNameCatalog(
            normalized_name=organization.normalized_name, organization_id=organization.id
        )
    )
    return organization


def _user_id(session: Session, username: str) -> uuid.UUID:
    return session.scalars(select(User.id).where(User.username == username)).one()


def _load_user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def _role_of(session: Session, organization_id: uuid.UUID, username: str) -> OrganizationRole:
    return session.scalars(
        select(OrganizationRole)
        .join(User, User.id == OrganizationRole.user_id)
        .where(OrganizationRole.organization_id == organization_id, User.username == username)
    ).one()


def _members(engine: Engine, organization_id: uuid.UUID) -> dict[str, str]:
    with Session(engine) as check:
        return dict(
            check.execute(
                select(User.username, OrganizationRole.role_name)
                .join(OrganizationRole, OrganizationRole.user_id == User.id)
                .where(OrganizationRole.organization_id == organization_id)
            ).all()
        )


def _usernames(engine: Engine) -> set[str]:
    with Session(engine) as check:
        return set(check.scalars(select(User.username)))


def _refused(outcome: Outcome, kind: Any, message: str) -> None:
    assert isinstance(outcome.error, kind), repr(outcome.error)
    assert message in str(outcome.error)


# The existing race: two owners removing each other at the same moment.


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


# Account deletion against the other Owner leaving


@pytest.fixture
def two_owners(committed_database: Engine) -> uuid.UUID:
    """The organization "raced", owned by alice and bob."""
    with Session(committed_database) as setup:
        alice, bob = _user(setup, "alice"), _user(setup, "bob")
        organization = _organization(setup)
        setup.add_all(
            [
                OrganizationRole(organization=organization, user=alice, role_name=OWNER),
                OrganizationRole(organization=organization, user=bob, role_name=OWNER),
            ]
        )
        setup.commit()
        return organization.id


def _delete_account(app_registry: Any, username: str) -> Any:
    def work(session: Session) -> None:
        user = _load_user(session, username)
        DatabaseUserService(service_request(app_registry, session, user)).delete_user(user)

    return work


def _leave(app_registry: Any, organization_id: uuid.UUID, username: str) -> Any:
    def work(session: Session) -> None:
        user = _load_user(session, username)
        membership = DatabaseOrganizationMembershipService(
            service_request(app_registry, session, user)
        )
        membership.remove_role(_role_of(session, organization_id, username))

    return work


def test_deleting_an_account_while_the_other_owner_leaves_keeps_an_owner(
    app_registry, committed_database, two_owners
):
    # alice's deletion counts bob as the other Owner and holds the organization; bob's leaving
    # waits, then finds alice gone and himself the last Owner.
    deletion, leaving = race(
        committed_database,
        _delete_account(app_registry, "alice"),
        _leave(app_registry, two_owners, "bob"),
    )

    assert_first_won(deletion, leaving)
    _refused(leaving, LastOwnerRefused, LAST_OWNER)
    assert _members(committed_database, two_owners) == {"bob": OWNER}
    assert "alice" not in _usernames(committed_database)


def test_leaving_while_the_other_owner_deletes_the_account_keeps_an_owner(
    app_registry, committed_database, two_owners
):
    # bob leaves and holds the organization; alice's deletion waits, then finds herself the
    # only Owner and is refused with the reason.
    leaving, deletion = race(
        committed_database,
        _leave(app_registry, two_owners, "bob"),
        _delete_account(app_registry, "alice"),
    )

    assert_first_won(leaving, deletion)
    _refused(
        deletion,
        AccountDeletionRefused,
        "You are the only owner of the organization raced. Make someone else an owner first.",
    )
    assert _members(committed_database, two_owners) == {"alice": OWNER}
    assert "alice" in _usernames(committed_database)


def _delete_user_row(username: str) -> Any:
    """An account deletion that skips every check: only the database's owner rule is left."""

    def work(session: Session) -> None:
        session.execute(text("DELETE FROM users WHERE username = :u"), {"u": username})

    return work


def _broke_owner_rule(outcome: Outcome, constraint: str) -> None:
    assert isinstance(outcome.error, IntegrityError), repr(outcome.error)
    assert outcome.error.orig.diag.constraint_name == constraint
    assert constraint.endswith(OWNER_REQUIRED_SUFFIX)


def test_the_database_refuses_deleting_the_last_owners_account_after_the_other_left(
    app_registry, committed_database, two_owners
):
    with Session(committed_database) as first:
        _leave(app_registry, two_owners, "bob")(first)
        first.commit()

    with Session(committed_database) as second:
        try:
            _delete_user_row("alice")(second)
            second.commit()
            deletion = Outcome()
        except IntegrityError as error:
            deletion = Outcome(error=error)

    _broke_owner_rule(deletion, "organization_roles_owner_required")
    assert "The organization raced would be left without an Owner." in str(deletion.error)
    assert _members(committed_database, two_owners) == {"alice": OWNER}
    assert "alice" in _usernames(committed_database)


def test_the_database_alone_keeps_an_owner_when_a_raw_deletion_races_the_other_leaving(
    app_registry, committed_database, two_owners
):
    leaving, deletion = race(
        committed_database,
        _leave(app_registry, two_owners, "bob"),
        _delete_user_row("alice"),
    )

    assert _members(committed_database, two_owners), "the organization has no Owner left"
    assert_first_won(leaving, deletion)
    _broke_owner_rule(deletion, "organization_roles_owner_required")


# Staff decisions against the applicant


@pytest.fixture
def application_id(committed_database: Engine) -> uuid.UUID:
    """alice's application for "raced", waiting for review; "staff" may decide it."""
    with Session(committed_database) as setup:
        alice = _user(setup, "alice")
        _user(setup, "staff", is_support=True)
        application = OrganizationApplication(
            name="raced", display_name="Raced", orgtype="Community",
            link_url="https://example.com/", description="Please.",
            usage="We maintain several packages together.", membership_size="2-5",
            submitted_by=alice,
        )  # fmt: skip
        setup.add(application)
        setup.commit()
        return application.id


def _applications(app_registry: Any, session: Session, username: str) -> Any:
    request = service_request(app_registry, session, _load_user(session, username))
    return DatabaseOrganizationApplicationService(request)


def _approve(app_registry: Any, application_id: uuid.UUID) -> Any:
    def work(session: Session) -> Any:
        service = _applications(app_registry, session, "staff")
        return service.approve_application(service.get_application(application_id))

    return work


def _withdraw(app_registry: Any, application_id: uuid.UUID) -> Any:
    def work(session: Session) -> None:
        service = _applications(app_registry, session, "alice")
        service.withdraw_application(service.get_application(application_id))

    return work


def _rename_application(app_registry: Any, application_id: uuid.UUID) -> Any:
    def work(session: Session) -> None:
        service = _applications(app_registry, session, "alice")
        service.edit_application(service.get_application(application_id), name="renamed")

    return work


def _application_state(engine: Engine, application_id: uuid.UUID) -> tuple[str, str, list[str]]:
    """The application's status and name, and the names of the organizations that exist."""
    with Session(engine) as check:
        application = check.get(OrganizationApplication, application_id)
        organizations = check.scalars(select(Organization.name)).all()
        return application.status, application.name, organizations


def test_approving_while_the_applicant_withdraws(app_registry, committed_database, application_id):
    approval, withdrawal = race(
        committed_database,
        _approve(app_registry, application_id),
        _withdraw(app_registry, application_id),
    )

    assert_first_won(approval, withdrawal)
    _refused(withdrawal, ApplicationRefused, "This application is already approved.")
    assert _application_state(committed_database, application_id) == (
        "approved",
        "raced",
        ["raced"],
    )


def test_withdrawing_while_staff_approve(app_registry, committed_database, application_id):
    withdrawal, approval = race(
        committed_database,
        _withdraw(app_registry, application_id),
        _approve(app_registry, application_id),
    )

    assert_first_won(withdrawal, approval)
    _refused(approval, ApplicationRefused, "This application is already withdrawn.")
    # Never withdrawn with an organization.
    assert _application_state(committed_database, application_id) == ("withdrawn", "raced", [])


def test_renaming_the_application_while_staff_approve_it(
    app_registry, committed_database, application_id
):
    approval, renaming = race(
        committed_database,
        _approve(app_registry, application_id),
        _rename_application(app_registry, application_id),
    )

    assert_first_won(approval, renaming)
    _refused(renaming, ApplicationRefused, "this one is approved")
    # Never renamed after approval: the application and its organization keep the same name.
    assert _application_state(committed_database, application_id) == (
        "approved",
        "raced",
        ["raced"],
    )


def test_approving_while_the_applicant_renames_approves_the_new_name(
    app_registry, committed_database, application_id
):
    renaming, approval = race(
        committed_database,
        _rename_application(app_registry, application_id),
        _approve(app_registry, application_id),
    )

    assert renaming.succeeded
    assert approval.succeeded
    assert _application_state(committed_database, application_id) == (
        "approved",
        "renamed",
        ["renamed"],
    )


# An invitation answered while it is revoked


@pytest.fixture
def invitation(committed_database: Engine) -> tuple[uuid.UUID, uuid.UUID]:
    """owen owns "raced" and has invited carol, who has not answered yet."""
    with Session(committed_database) as setup:
        owen, carol = _user(setup, "owen"), _user(setup, "carol")
        _user(setup, "staff", is_superuser=True)
        organization = _organization(setup)
        setup.add(OrganizationRole(organization=organization, user=owen, role_name=OWNER))
        invitation = OrganizationInvitation(
            organization=organization, user=carol, invited_by=owen, role_name=MEMBER,
            token_hash=hash_token("carol-token"),
            expires_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7),
        )  # fmt: skip
        setup.add(invitation)
        setup.commit()
        return organization.id, invitation.id


def _membership(app_registry: Any, session: Session, username: str) -> Any:
    request = service_request(app_registry, session, _load_user(session, username))
    return DatabaseOrganizationMembershipService(request)


def _accept(app_registry: Any) -> Any:
    def work(session: Session) -> None:
        membership = _membership(app_registry, session, "carol")
        carol = _load_user(session, "carol")
        membership.accept_invitation(membership.invitation_for_token("carol-token", carol))

    return work


def _revoke(app_registry: Any, organization_id: uuid.UUID, invitation_id: uuid.UUID) -> Any:
    def work(session: Session) -> None:
        membership = _membership(app_registry, session, "owen")
        organization = session.get(Organization, organization_id)
        membership.revoke_invitation(membership.get_invitation(organization, invitation_id))

    return work


def _invitation_state(engine: Engine, invitation_id: uuid.UUID) -> str:
    with Session(engine) as check:
        return check.get(OrganizationInvitation, invitation_id).status


def test_accepting_while_an_owner_revokes(app_registry, committed_database, invitation):
    organization_id, invitation_id = invitation
    acceptance, revocation = race(
        committed_database,
        _accept(app_registry),
        _revoke(app_registry, organization_id, invitation_id),
    )

    assert_first_won(acceptance, revocation)
    _refused(
        revocation,
        InvitationRefused,
        "Only a pending invitation can be revoked; this one was accepted.",
    )
    assert _members(committed_database, organization_id) == {"owen": OWNER, "carol": MEMBER}
    assert _invitation_state(committed_database, invitation_id) == "accepted"


def test_revoking_while_the_invitee_accepts(app_registry, committed_database, invitation):
    organization_id, invitation_id = invitation
    revocation, acceptance = race(
        committed_database,
        _revoke(app_registry, organization_id, invitation_id),
        _accept(app_registry),
    )

    assert_first_won(revocation, acceptance)
    _refused(acceptance, InvitationRefused, "This invitation was already revoked.")
    assert _members(committed_database, organization_id) == {"owen": OWNER}
    assert _invitation_state(committed_database, invitation_id) == "revoked"


# The same person invited twice, or added by staff while accepting


def _invite(app_registry: Any, organization_id: uuid.UUID, username: str) -> Any:
    def work(session: Session) -> None:
        membership = _membership(app_registry, session, "owen")
        organization = session.get(Organization, organization_id)
        membership.invite(organization, _load_user(session, username), MEMBER)

    return work


def test_two_invitations_to_the_same_person_at_once(app_registry, committed_database, invitation):
    organization_id, _ = invitation
    with Session(committed_database) as setup:
        _user(setup, "dave")
        setup.commit()

    first, second = race(
        committed_database,
        _invite(app_registry, organization_id, "dave"),
        _invite(app_registry, organization_id, "dave"),
    )

    assert_first_won(first, second)
    _refused(second, InvitationRefused, "dave already has a pending invitation.")
    with Session(committed_database) as check:
        pending = check.scalars(
            select(OrganizationInvitation.status).where(
                OrganizationInvitation.user_id == _user_id(check, "dave")
            )
        ).all()
    assert pending == [OrganizationInvitationStatus.Pending]


def _staff_adds(app_registry: Any, organization_id: uuid.UUID, username: str) -> Any:
    def work(session: Session) -> None:
        membership = _membership(app_registry, session, "staff")
        organization = session.get(Organization, organization_id)
        membership.add_role(organization, _load_user(session, username), MEMBER)

    return work


def test_accepting_while_staff_add_the_same_person(app_registry, committed_database, invitation):
    organization_id, invitation_id = invitation
    acceptance, addition = race(
        committed_database,
        _accept(app_registry),
        _staff_adds(app_registry, organization_id, "carol"),
    )

    assert_first_won(acceptance, addition)
    _refused(addition, MembershipRefused, "carol is already a member.")
    assert _members(committed_database, organization_id) == {"owen": OWNER, "carol": MEMBER}
    assert _invitation_state(committed_database, invitation_id) == "accepted"


def test_staff_adding_someone_while_they_accept(app_registry, committed_database, invitation):
    organization_id, invitation_id = invitation
    addition, acceptance = race(
        committed_database,
        _staff_adds(app_registry, organization_id, "carol"),
        _accept(app_registry),
    )

    assert_first_won(addition, acceptance)
    _refused(acceptance, MembershipRefused, "You are already a member of raced.")
    assert _members(committed_database, organization_id) == {"owen": OWNER, "carol": MEMBER}
    assert _invitation_state(committed_database, invitation_id) == "pending"


# An invitation to an address answered while its holder removes the address


@pytest.fixture
def address_invitation(committed_database: Engine) -> uuid.UUID:
    """owen owns "raced" and invited dana@second.example, an address carol has verified."""
    with Session(committed_database) as setup:
        owen, carol = _user(setup, "owen"), _user(setup, "carol")
        carol.emails.append(Email(email="dana@second.example", primary=False, verified=True))
        organization = _organization(setup)
        setup.add(OrganizationRole(organization=organization, user=owen, role_name=OWNER))
        setup.add(
            OrganizationInvitation(
                organization=organization, email="dana@second.example",
                invited_address="dana@second.example", invited_by=owen, role_name=MEMBER,
                token_hash=hash_token("dana-token"),
                expires_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7),
            )
        )  # fmt: skip
        setup.commit()
        return organization.id


def test_accepting_an_address_invitation_while_the_address_is_removed(
    app_registry, committed_database, address_invitation
):
    def remove_address(session: Session) -> None:
        carol = _load_user(session, "carol")
        address = next(e for e in carol.emails if e.email == "dana@second.example")
        DatabaseUserService(service_request(app_registry, session, carol)).remove_email(
            carol, address
        )

    def accept(session: Session) -> None:
        membership = _membership(app_registry, session, "carol")
        carol = _load_user(session, "carol")
        invitation = membership.invitation_for_token("dana-token", carol)
        membership.accept_invitation(invitation, by=carol)

    # The acceptance waits for the removal (the address row is locked with the answer), then
    # finds the address gone: without that lock it read the address as it was before the
    # removal committed, and carol joined through an address no longer hers.
    removal, acceptance = race(committed_database, remove_address, accept)
    assert_first_won(removal, acceptance)
    _refused(acceptance, InvitationRefused, "This invitation link is not valid.")
    assert _members(committed_database, address_invitation) == {"owen": OWNER}
