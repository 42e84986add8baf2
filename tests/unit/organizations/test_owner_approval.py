"""The second-Owner rule and the proposals service (issue 13), on the limits the pages do not
reach easily: the rule itself, the cap on waiting proposals, and who may decide."""

import pytest

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.events import event_tags
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import Authority, SecondOwnerNeeded, TwoOwnersNeeded
from warehouse_orgs.organizations.owner_approval_interfaces import (
    OwnerChangeProposal,
    OwnerChangeRefused,
)
from warehouse_orgs.organizations.owner_approval_models import (
    MAX_WAITING_CHANGES,
    OwnerChangeKind,
)
from warehouse_orgs.organizations.owner_rule import guard_owner_change
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services.owner_approval import DatabaseOwnerApprovalService

OWNER = OrganizationRoleType.Owner


@pytest.fixture
def alice(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def bob(db_session):
    return UserFactory.create(username="bob")


@pytest.fixture
def organization(alice, bob):
    organization = OrganizationFactory.create(name="guarded", owner_changes_need_approval=True)
    for user in (alice, bob):
        OrganizationRoleFactory.create(organization=organization, user=user, role_name=OWNER)
    return organization


def _service(app_registry, db_session, user):
    return DatabaseOwnerApprovalService(service_request(app_registry, db_session, user))


@pytest.mark.parametrize(
    ("authority", "touches_owner", "gained", "outcome"),
    [
        (Authority.OneOwner, False, 0, None),  # not an owner change: never held back
        (Authority.OneOwner, True, 1, SecondOwnerNeeded),
        (Authority.OneOwner, True, -1, TwoOwnersNeeded),  # refused, not even proposed
        (Authority.OwnSelf, True, 0, None),
        (Authority.OwnSelf, True, -1, TwoOwnersNeeded),
        (Authority.TwoOwners, True, 0, None),
        (Authority.TwoOwners, True, -1, TwoOwnersNeeded),
        (Authority.Staff, True, 1, None),
    ],
)
def test_the_rule_with_two_owners(
    app_registry, db_session, alice, organization, authority, touches_owner, gained, outcome
):
    request = service_request(app_registry, db_session, alice)
    if outcome is None:
        guard_owner_change(
            request, organization, authority, touches_owner=touches_owner, owners_gained=gained
        )
    else:
        with pytest.raises(outcome):
            guard_owner_change(
                request, organization, authority, touches_owner=touches_owner, owners_gained=gained
            )
    assert organization.owner_changes_need_approval


def test_an_organization_without_the_rule_is_never_held_back(app_registry, db_session, alice):
    organization = OrganizationFactory.create(name="free")
    request = service_request(app_registry, db_session, alice)
    guard_owner_change(
        request, organization, Authority.OneOwner, touches_owner=True, owners_gained=-1
    )


def test_a_staff_change_leaving_one_owner_turns_the_rule_off(
    app_registry, db_session, alice, organization
):
    request = service_request(app_registry, db_session, alice)
    guard_owner_change(request, organization, Authority.Staff, touches_owner=True, owners_gained=-1)
    assert not organization.owner_changes_need_approval
    db_session.flush()
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationOwnerApprovalOff


def test_at_most_so_many_proposals_wait(app_registry, db_session, alice, organization):
    service = _service(app_registry, db_session, alice)
    for number in range(MAX_WAITING_CHANGES):
        service.propose(
            organization,
            OwnerChangeProposal(OwnerChangeKind.InviteOwner, invitee=f"person{number}"),
        )
    with pytest.raises(OwnerChangeRefused, match="20 proposals already wait"):
        service.propose(
            organization, OwnerChangeProposal(OwnerChangeKind.InviteOwner, invitee="one-more")
        )
    assert len(service.waiting(organization)) == MAX_WAITING_CHANGES


def test_the_same_invitee_waits_once_whatever_the_case(
    app_registry, db_session, alice, organization
):
    service = _service(app_registry, db_session, alice)
    service.propose(
        organization, OwnerChangeProposal(OwnerChangeKind.InviteOwner, invitee="New@Example.com")
    )
    with pytest.raises(OwnerChangeRefused, match="already waits for approval"):
        service.propose(
            organization,
            OwnerChangeProposal(OwnerChangeKind.InviteOwner, invitee="new@example.com"),
        )


def test_only_owners_propose_and_decide(app_registry, db_session, alice, organization):
    manager = UserFactory.create(username="manny")
    OrganizationRoleFactory.create(
        organization=organization, user=manager, role_name=OrganizationRoleType.Manager
    )
    proposal = OwnerChangeProposal(OwnerChangeKind.DeleteOrganization)
    with pytest.raises(OwnerChangeRefused, match="Only an Owner"):
        _service(app_registry, db_session, manager).propose(organization, proposal)
    change = _service(app_registry, db_session, alice).propose(organization, proposal)
    for decision in ("approve", "reject"):
        with pytest.raises(OwnerChangeRefused, match="Only an Owner"):
            getattr(_service(app_registry, db_session, manager), decision)(change)
    with pytest.raises(OwnerChangeRefused, match="Withdraw your own proposal instead"):
        _service(app_registry, db_session, alice).reject(change)
    assert change.is_waiting


def test_turning_the_rule_on_twice_changes_nothing(app_registry, db_session, alice, organization):
    assert _service(app_registry, db_session, alice).require_second_owner(organization) is False


def test_nothing_is_proposed_once_the_rule_is_off(app_registry, db_session, alice, organization):
    organization.owner_changes_need_approval = False
    with pytest.raises(OwnerChangeRefused, match="no longer requires"):
        _service(app_registry, db_session, alice).propose(
            organization, OwnerChangeProposal(OwnerChangeKind.DeleteOrganization)
        )
