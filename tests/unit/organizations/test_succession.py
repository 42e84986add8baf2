"""Succession (issue 13): the detector on seeded activity, and the handover's life."""

import datetime

import pytest
from sqlalchemy import select

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.events import event_tags, events_of
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import OrganizationRole, OrganizationSuccessionRisk
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services.succession import DatabaseSuccessionService
from warehouse_orgs.organizations.succession_interfaces import CandidateRefused, HandoverRefused
from warehouse_orgs.organizations.tasks import complete_due_handovers

Owner = OrganizationRoleType.Owner
Member = OrganizationRoleType.Member
NOW = datetime.datetime.now(datetime.UTC)


def _ago(days):
    return NOW - datetime.timedelta(days=days)


def _org(name, *owners, members=()):
    organization = OrganizationFactory.create(name=name)
    for owner in owners:
        OrganizationRoleFactory.create(organization=organization, user=owner, role_name=Owner)
    for member in members:
        OrganizationRoleFactory.create(organization=organization, user=member, role_name=Member)
    return organization


@pytest.fixture
def service(app_registry, db_session):
    return DatabaseSuccessionService(service_request(app_registry, db_session))


def _at_risk(db_session):
    return set(db_session.scalars(select(OrganizationSuccessionRisk.organization_id)))


def test_the_detector_finds_organizations_whose_every_owner_is_away_or_disabled(
    service, db_session
):
    recent = UserFactory.create(last_login=_ago(3))
    old = UserFactory.create(last_login=_ago(400))
    never = UserFactory.create(last_login=None)
    disabled_recent = UserFactory.create(last_login=_ago(1), is_active=False)
    lively = _org("lively", recent, old)  # one active Owner is enough
    dormant = _org("dormant", old, never)
    disabled = _org("disabled", disabled_recent)
    single_old = _org("single-old", old, members=[recent])  # an active Member does not count
    inactive_org = _org("inactive-org", never)
    inactive_org.is_active = False
    db_session.flush()

    sweep = service.find_ownerless_risk(now=NOW)

    assert sweep.found == ["disabled", "dormant", "single-old"]
    assert _at_risk(db_session) == {dormant.id, disabled.id, single_old.id}
    assert lively.id not in _at_risk(db_session)
    assert event_tags(db_session, dormant) == [EventTag.OrganizationSuccessionRiskFound]
    # A second run finds nothing new and records nothing more.
    assert service.find_ownerless_risk(now=NOW).found == []
    assert event_tags(db_session, dormant) == [EventTag.OrganizationSuccessionRiskFound]

    # An Owner logs in again: the organization is cleared, with an event.
    old.last_login = NOW
    db_session.flush()
    sweep = service.find_ownerless_risk(now=NOW)
    assert sweep.cleared == ["dormant", "single-old"]
    assert _at_risk(db_session) == {disabled.id}
    assert event_tags(db_session, dormant)[-1] == EventTag.OrganizationSuccessionRiskCleared


def test_the_inactive_time_is_configurable(service, app_registry, db_session):
    owner = UserFactory.create(last_login=_ago(40))
    organization = _org("forty-days", owner)
    assert service.find_ownerless_risk(now=NOW).found == []
    app_registry.settings["succession.inactive_days"] = 30
    try:
        assert service.find_ownerless_risk(now=NOW).found == ["forty-days"]
    finally:
        del app_registry.settings["succession.inactive_days"]
    assert _at_risk(db_session) == {organization.id}


@pytest.fixture
def world(db_session):
    owner = UserFactory.create(username="gone-owner", last_login=_ago(900))
    member = UserFactory.create(username="steady-member")
    organization = _org("handed", owner, members=[member])
    return organization, owner, member


def _role(db_session, organization, user):
    db_session.expire_all()
    return db_session.scalars(
        select(OrganizationRole.role_name).where(
            OrganizationRole.organization_id == organization.id,
            OrganizationRole.user_id == user.id,
        )
    ).one()


def test_without_objection_the_member_becomes_owner_after_seven_days(
    app_registry, db_session, world, outbox
):
    organization, _owner, member = world
    staff = UserFactory.create(is_superuser=True)
    service = DatabaseSuccessionService(service_request(app_registry, db_session, staff))
    handover = service.start_handover(organization, "steady-member", "Owner unreachable.", now=NOW)
    assert handover.takes_effect_at == NOW + datetime.timedelta(days=7)

    task = DatabaseSuccessionService(service_request(app_registry, db_session))
    # Six days on, nothing happens.
    assert task.complete_due_handovers(now=NOW + datetime.timedelta(days=6)) == []
    assert _role(db_session, organization, member) == Member
    # Seven days on, the member is an Owner, with an event.
    outcomes = task.complete_due_handovers(now=NOW + datetime.timedelta(days=7, seconds=1))
    assert [o.completed for o in outcomes] == [True]
    assert _role(db_session, organization, member) == Owner
    assert handover.status == "completed"
    assert event_tags(db_session, organization)[-2:] == [
        EventTag.OrganizationHandoverStart,
        EventTag.OrganizationHandoverComplete,
    ]
    assert "steady-member changed from Member to Owner" in (
        events_of(db_session, organization)[-1].sentence
    )


def test_the_periodic_task_completes_a_due_handover_and_emails_every_member(
    app_registry, db_session, world, outbox
):
    organization, _owner, member = world
    service = DatabaseSuccessionService(service_request(app_registry, db_session))
    handover = service.start_handover(organization, "steady-member", "Owner unreachable.")
    # The clock moved: the row says it is due.
    handover.takes_effect_at = NOW - datetime.timedelta(minutes=1)
    db_session.flush()
    request = service_request(app_registry, db_session)
    with request.tm:
        assert complete_due_handovers(request) == 1
    assert _role(db_session, organization, member) == Owner
    # Sent after the commit, to the new Owner and the old one alike.
    subjects = {(m.recipient, m.subject) for m in outbox.messages()}
    expected = "steady-member is now an Owner of handed"
    assert subjects == {
        ("gone-owner@example.com", expected),
        ("steady-member@example.com", expected),
    }


def test_an_objection_stops_the_handover_for_good(app_registry, db_session, world):
    organization, owner, member = world
    service = DatabaseSuccessionService(service_request(app_registry, db_session))
    service.start_handover(organization, "steady-member", "Owner unreachable.", now=NOW)
    as_owner = DatabaseSuccessionService(service_request(app_registry, db_session, owner))
    handover = as_owner.object_to_handover(organization, owner, "I am still here.")
    assert handover.status == "objected"
    assert handover.decided_by_id == owner.id
    assert service.complete_due_handovers(now=NOW + datetime.timedelta(days=30)) == []
    assert _role(db_session, organization, member) == Member
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationHandoverObject
    with pytest.raises(HandoverRefused):
        as_owner.object_to_handover(organization, owner, "")


def test_a_member_cannot_object(app_registry, db_session, world):
    organization, _owner, member = world
    service = DatabaseSuccessionService(service_request(app_registry, db_session, member))
    service.start_handover(organization, "steady-member", "Owner unreachable.")
    with pytest.raises(HandoverRefused, match="Only an Owner"):
        service.object_to_handover(organization, member, "")


def test_the_candidate_must_be_a_member_and_not_yet_owner(service, db_session, world):
    organization, _owner, _member = world
    UserFactory.create(username="outsider")
    with pytest.raises(CandidateRefused, match="not a member"):
        service.start_handover(organization, "outsider", "why")
    with pytest.raises(CandidateRefused, match="already an Owner"):
        service.start_handover(organization, "gone-owner", "why")


def test_only_one_handover_is_pending(service, world):
    organization, _owner, _member = world
    service.start_handover(organization, "steady-member", "first")
    with pytest.raises(HandoverRefused, match="already has a pending handover"):
        service.start_handover(organization, "steady-member", "second")


def test_a_candidate_who_left_cancels_the_handover(service, db_session, world):
    organization, _owner, member = world
    handover = service.start_handover(organization, "steady-member", "Owner unreachable.", now=NOW)
    role = db_session.scalars(
        select(OrganizationRole).where(OrganizationRole.user_id == member.id)
    ).one()
    db_session.delete(role)
    db_session.flush()
    outcomes = service.complete_due_handovers(now=NOW + datetime.timedelta(days=8))
    assert [o.completed for o in outcomes] == [False]
    db_session.refresh(handover)
    assert handover.status == "cancelled"
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationHandoverCancel
