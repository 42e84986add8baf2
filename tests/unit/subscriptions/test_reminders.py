"""Owners of a Company organization out of good standing for more than 30 days are reminded,
at most once every 30 days; nobody else is."""

import datetime

import pytest
from sqlalchemy import select, update

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.db.subscriptions import ManualActivationFactory, StripeSubscriptionFactory
from tests.common.events import event_tags
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.subscriptions.models import BillingReminder
from warehouse_orgs.subscriptions.tasks import remind_lapsed_organizations
from warehouse_orgs.tasks import run_task

NOW = datetime.datetime.now(datetime.UTC)


def company(db_session, name, *, days_old, orgtype="Company", owner="olive"):
    organization = OrganizationFactory.create(name=name, orgtype=orgtype)
    OrganizationRoleFactory.create(
        organization=organization,
        user=UserFactory.create(username=f"{owner}-{name}"),
        role_name=OrganizationRoleType.Owner,
    )
    db_session.execute(
        update(Organization)
        .where(Organization.id == organization.id)
        .values(created=NOW - datetime.timedelta(days=days_old))
    )
    db_session.flush()
    return organization


def remind(app_registry):
    return run_task(app_registry, remind_lapsed_organizations, (), {})


@pytest.fixture
def world(db_session):
    return {
        "lapsed": company(db_session, "lapsed", days_old=40),
        "young": company(db_session, "young", days_old=10),
        "community": company(db_session, "free", days_old=400, orgtype="Community"),
        "paying": company(db_session, "paying", days_old=400),
        "canceled-lately": company(db_session, "canceled-lately", days_old=400),
        "activation-ended": company(db_session, "activation-ended", days_old=400),
        "activated": company(db_session, "activated", days_old=400),
    }


def test_only_long_lapsed_companies_are_reminded_once_a_month(
    app_registry, db_session, outbox, world
):
    StripeSubscriptionFactory.create(customer__organization=world["paying"], status="active")
    StripeSubscriptionFactory.create(
        customer__organization=world["canceled-lately"],
        status="canceled",
        provider_updated=NOW - datetime.timedelta(days=5),
    )
    ManualActivationFactory.create(
        organization=world["activation-ended"],
        expires=(NOW - datetime.timedelta(days=45)).date(),
    )
    ManualActivationFactory.create(organization=world["activated"])
    db_session.flush()

    assert remind(app_registry) == ["activation-ended", "lapsed"]
    assert sorted(m.recipient.split("@")[0] for m in outbox.messages()) == [
        "olive-activation-ended",
        "olive-lapsed",
    ]
    (message, *_) = outbox.messages()
    assert "is still not in good standing" in message.subject
    assert event_tags(db_session, world["lapsed"])[-1] == "organization:billing:reminder_sent"

    # The next day: nothing more.
    assert remind(app_registry) == []
    assert len(outbox.messages()) == 2

    # 31 days after the last reminder: again.
    db_session.execute(update(BillingReminder).values(sent=NOW - datetime.timedelta(days=31)))
    db_session.flush()
    assert remind(app_registry) == ["activation-ended", "lapsed"]
    assert len(db_session.scalars(select(BillingReminder)).all()) == 2
