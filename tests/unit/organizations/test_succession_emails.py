"""The handover's emails (issue 13): every member told exactly once, read a batch at a time,
delivered after the commit."""

import pytest
from sqlalchemy import select

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from warehouse_orgs.accounts.models import User
from warehouse_orgs.organizations import succession_emails
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services.succession import DatabaseSuccessionService
from warehouse_orgs.organizations.succession_emails import email_members_about_handover

BATCH = 3
STARTED = "organization-handover-started"


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(succession_emails, "MEMBERS_PER_BATCH", BATCH)


def _organization(members: int):
    organization = OrganizationFactory.create(name="crowded")
    owner = UserFactory.create(username="gone-owner")
    OrganizationRoleFactory.create(
        organization=organization, user=owner, role_name=OrganizationRoleType.Owner
    )
    for n in range(members - 1):
        OrganizationRoleFactory.create(
            organization=organization,
            user=UserFactory.create(username=f"member-{n:02}"),
            role_name=OrganizationRoleType.Member,
        )
    return organization


def _handover(app_registry, db_session, organization):
    service = DatabaseSuccessionService(service_request(app_registry, db_session))
    return service.start_handover(organization, "member-00", "Nobody answers.")


def _role_reads(statements):
    return [s for s in statements if "FROM organization_roles" in s and "LIMIT" in s]


# Batches that end short, and a number of members that fills its last batch exactly.
@pytest.mark.parametrize("members", [BATCH * 2 + 2, BATCH * 3])
def test_every_member_gets_exactly_one_email_read_a_batch_at_a_time(
    app_registry, db_session, outbox, query_recorder, small_batches, members
):
    organization = _organization(members)
    handover = _handover(app_registry, db_session, organization)
    request = service_request(app_registry, db_session)
    with request.tm:
        with query_recorder:
            email_members_about_handover(request, STARTED, organization, handover)
        # Rendered, not sent: delivery waits for the commit.
        assert outbox.messages() == []

    recipients = sorted(message.recipient for message in outbox.messages())
    expected = [
        "gone-owner@example.com",
        *(f"member-{n:02}@example.com" for n in range(members - 1)),
    ]
    assert recipients == sorted(expected)
    assert {message.subject for message in outbox.messages()} == {
        "PyPI staff will make member-00 an Owner of crowded"
    }
    # A full last batch needs one more read to find the end.
    reads = _role_reads(query_recorder.statements)
    assert len(reads) == members // BATCH + 1


@pytest.mark.parametrize("who", ["the-support", "member-01"])
def test_the_one_who_started_it_is_told_once_member_or_not(
    app_registry, db_session, outbox, small_batches, who
):
    organization = _organization(BATCH + 1)
    UserFactory.create(username="the-support", is_support=True)
    handover = _handover(app_registry, db_session, organization)
    also = db_session.scalars(select(User).where(User.username == who)).one()
    request = service_request(app_registry, db_session)
    with request.tm:
        email_members_about_handover(request, STARTED, organization, handover, also=also)
    recipients = [message.recipient for message in outbox.messages()]
    assert recipients.count(f"{who}@example.com") == 1
    assert len(recipients) == len(set(recipients)) == BATCH + 1 + (who == "the-support")


def test_a_member_without_a_verified_address_is_skipped(
    app_registry, db_session, outbox, small_batches
):
    organization = _organization(BATCH + 1)
    unverified = UserFactory.create(username="unverified", primary_email__verified=False)
    OrganizationRoleFactory.create(
        organization=organization, user=unverified, role_name=OrganizationRoleType.Member
    )
    handover = _handover(app_registry, db_session, organization)
    request = service_request(app_registry, db_session)
    with request.tm:
        email_members_about_handover(request, STARTED, organization, handover)
    recipients = [message.recipient for message in outbox.messages()]
    assert "unverified@example.com" not in recipients
    assert len(recipients) == BATCH + 1
