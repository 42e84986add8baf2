"""A second Owner's approval under races (issue 13), on two real connections committing for
real: two Owners approving the same proposal apply it once; two approvals that together would
leave one Owner apply only the first; an approval and its proposer's withdrawal, one of them;
an Owner leaving and another deleting their account never leave one Owner."""

import datetime
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.common.concurrency import service_request
from tests.common.races import race
from tests.unit.organizations.test_races import (
    _delete_account,
    _load_user,
    _members,
    _organization,
    _role_of,
    _user,
)
from warehouse_orgs.accounts.services import AccountDeletionRefused
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import Authority, TwoOwnersNeeded
from warehouse_orgs.organizations.models import Organization, OrganizationRole
from warehouse_orgs.organizations.owner_approval_interfaces import OwnerChangeRefused
from warehouse_orgs.organizations.owner_approval_models import (
    OrganizationOwnerChange,
    OwnerChangeKind,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services.membership import (
    DatabaseOrganizationMembershipService,
)
from warehouse_orgs.organizations.services.owner_approval import DatabaseOwnerApprovalService

OWNER = OrganizationRoleType.Owner
MEMBER = OrganizationRoleType.Member


@pytest.fixture
def owners(committed_database: Engine) -> uuid.UUID:
    """ "guarded": alice, bob and carol are Owners, dave a Member; it requires a second Owner.
    alice proposes to remove bob, to remove carol, and to make dave an Owner."""
    with Session(committed_database) as setup:
        users = {name: _user(setup, name) for name in ("alice", "bob", "carol", "dave")}
        organization = _organization(setup, "guarded")
        organization.owner_changes_need_approval = True
        roles = {
            name: OrganizationRole(
                organization_id=organization.id,
                user=users[name],
                role_name=MEMBER if name == "dave" else OWNER,
            )
            for name in users
        }
        setup.add_all(roles.values())
        setup.flush()
        expires = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=72)
        for name, kind in [
            ("bob", OwnerChangeKind.RemoveOwner),
            ("carol", OwnerChangeKind.RemoveOwner),
            ("dave", OwnerChangeKind.MakeOwner),
        ]:
            setup.add(
                OrganizationOwnerChange(
                    organization_id=organization.id,
                    kind=kind,
                    subject=name,
                    subject_key=f"role:{roles[name].id}",
                    role_id=roles[name].id,
                    old_role=roles[name].role_name,
                    new_role=OWNER if kind == OwnerChangeKind.MakeOwner else None,
                    proposed_by_id=users["alice"].id,
                    proposed_by_username="alice",
                    expires_at=expires,
                )
            )
        setup.commit()
        return organization.id


def _as(registry: Any, username: str, subject: str, decision: str) -> Any:
    """``username`` decides on the proposal about ``subject``."""

    def work(session: Session) -> Any:
        user = _load_user(session, username)
        service = DatabaseOwnerApprovalService(service_request(registry, session, user))
        change = session.scalars(
            select(OrganizationOwnerChange).where(OrganizationOwnerChange.subject == subject)
        ).one()
        return getattr(service, decision)(change)

    return work


def _statuses(engine: Engine) -> dict[str, tuple[str, str | None]]:
    with Session(engine) as check:
        return {
            change.subject: (change.status, change.decided_by_username)
            for change in check.scalars(select(OrganizationOwnerChange))
        }


def _count(engine: Engine, organization_id: uuid.UUID, tag: EventTag) -> int:
    event = Organization.Event
    with Session(engine) as check:
        return check.scalar(
            select(func.count())
            .select_from(event)
            .where(event.source_id == organization_id, event.tag == tag)
        )


def test_two_owners_approving_the_same_proposal_apply_it_once(
    app_registry, committed_database, owners
):
    first, second = race(
        committed_database,
        _as(app_registry, "bob", "dave", "approve"),
        _as(app_registry, "carol", "dave", "approve"),
    )
    assert first.succeeded
    # The second waited for the organization's lock, then found it decided.
    assert isinstance(second.error, OwnerChangeRefused), repr(second.error)
    assert str(second.error) == ("This proposal is no longer waiting: approved and applied by bob.")
    assert _statuses(committed_database)["dave"] == ("applied", "bob")
    assert _members(committed_database, owners)["dave"] == OWNER
    assert _count(committed_database, owners, EventTag.OrganizationOwnerChangeApprove) == 1
    assert _count(committed_database, owners, EventTag.OrganizationRoleChange) == 1


def test_two_approvals_that_together_leave_one_owner_apply_only_the_first(
    app_registry, committed_database, owners
):
    # carol approves bob's removal while bob approves carol's: either alone is allowed.
    first, second = race(
        committed_database,
        _as(app_registry, "carol", "bob", "approve"),
        _as(app_registry, "bob", "carol", "approve"),
    )
    assert first.succeeded
    assert isinstance(second.error, OwnerChangeRefused), repr(second.error)
    # bob, removed meanwhile, is no longer an Owner who may decide.
    assert str(second.error) == "Only an Owner of the organization can do this."
    members = _members(committed_database, owners)
    assert members == {"alice": OWNER, "carol": OWNER, "dave": MEMBER}
    assert _statuses(committed_database)["bob"] == ("applied", "carol")
    assert _statuses(committed_database)["carol"] == ("waiting", None)


def test_an_approval_racing_its_withdrawal_ends_with_one_of_them(
    app_registry, committed_database, owners
):
    approval, withdrawal = race(
        committed_database,
        _as(app_registry, "carol", "bob", "approve"),
        _as(app_registry, "alice", "bob", "withdraw"),
    )
    assert approval.succeeded
    assert isinstance(withdrawal.error, OwnerChangeRefused), repr(withdrawal.error)
    assert _statuses(committed_database)["bob"] == ("applied", "carol")
    assert "bob" not in _members(committed_database, owners)


def test_a_withdrawal_first_refuses_the_approval_waiting_for_it(
    app_registry, committed_database, owners
):
    withdrawal, approval = race(
        committed_database,
        _as(app_registry, "alice", "bob", "withdraw"),
        _as(app_registry, "carol", "bob", "approve"),
    )
    assert withdrawal.succeeded
    assert str(approval.error) == "This proposal is no longer waiting: withdrawn by alice."
    assert _members(committed_database, owners)["bob"] == OWNER


def _leave(registry: Any, organization_id: uuid.UUID, username: str) -> Any:
    def work(session: Session) -> None:
        user = _load_user(session, username)
        membership = DatabaseOrganizationMembershipService(service_request(registry, session, user))
        membership.remove_role(
            _role_of(session, organization_id, username), authority=Authority.OwnSelf
        )

    return work


def test_an_owner_leaving_while_another_deletes_the_account_keeps_two_owners(
    app_registry, committed_database, owners
):
    # Three Owners: either may go alone. bob leaves first; alice's deletion waits for the
    # organization, then finds herself one of two Owners and is refused with the reason.
    leaving, deletion = race(
        committed_database,
        _leave(app_registry, owners, "bob"),
        _delete_account(app_registry, "alice"),
    )
    assert leaving.succeeded
    assert isinstance(deletion.error, AccountDeletionRefused), repr(deletion.error)
    assert "guarded requires a second Owner's approval for owner changes" in str(deletion.error)
    assert _members(committed_database, owners) == {"alice": OWNER, "carol": OWNER, "dave": MEMBER}


def test_an_account_deleted_while_another_owner_leaves_keeps_two_owners(
    app_registry, committed_database, owners
):
    deletion, leaving = race(
        committed_database,
        _delete_account(app_registry, "alice"),
        _leave(app_registry, owners, "bob"),
    )
    assert deletion.succeeded
    assert isinstance(leaving.error, TwoOwnersNeeded), repr(leaving.error)
    assert _members(committed_database, owners) == {"bob": OWNER, "carol": OWNER, "dave": MEMBER}
