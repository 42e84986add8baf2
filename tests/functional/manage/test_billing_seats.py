"""Seats follow the people, against the real local Stripe: removing someone from a paid
Company organization lowers the subscription's quantity at the provider after the commit, and
the daily reconciliation repairs what a lost webhook left wrong; deleting the organization
cancels its subscription, or is refused while the provider cannot be asked."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.db.subscriptions import StripeSubscriptionFactory
from tests.common.pages import main_text
from tests.common.sessions import log_in
from warehouse_orgs.organizations.models import Organization, OrganizationRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.subscriptions.models import StripeCustomer, StripeSubscription
from warehouse_orgs.subscriptions.products import sync_products
from warehouse_orgs.subscriptions.tasks import reconcile_subscriptions

PEOPLE = "/manage/organization/acme/people/"


@pytest.fixture
def alice(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def acme(alice):
    organization = OrganizationFactory.create(name="acme", orgtype="Company")
    OrganizationRoleFactory.create(
        organization=organization, user=alice, role_name=OrganizationRoleType.Owner
    )
    OrganizationRoleFactory.create(
        organization=organization,
        user=UserFactory.create(username="bob"),
        role_name=OrganizationRoleType.Member,
    )
    return organization


@pytest.fixture
def paid(webtest_app, db_session, app_registry, app_on_local_stripe, alice, acme):
    """acme pays for its 2 seats, monthly, through the hosted checkout; alice is logged in."""
    local_stripe = app_on_local_stripe
    sync_products(service_request(app_registry, db_session))
    log_in(webtest_app, alice)
    form = webtest_app.get("/manage/organization/acme/subscription/activate/").forms[
        "activate-billing-form"
    ]
    form["interval"], form["terms"] = "month", True
    local_stripe.pay(form.submit(status=303).location)
    customer = db_session.scalars(select(StripeCustomer)).one()
    local_stripe.deliver_newest(webtest_app, "customer.subscription.created", customer.customer_id)
    return db_session.scalars(
        select(StripeSubscription).options(joinedload(StripeSubscription.item))
    ).one()


def provider_seats(local_stripe, subscription_id):
    found = local_stripe.client().v1.subscriptions.retrieve(subscription_id)
    return found["items"]["data"][0]["quantity"]


def test_removing_a_member_lowers_the_seats_at_the_provider(
    webtest_app, db_session, app_on_local_stripe, paid, acme
):
    assert provider_seats(app_on_local_stripe, paid.subscription_id) == 2
    bob_role = db_session.scalars(
        select(OrganizationRole).where(
            OrganizationRole.organization_id == acme.id, OrganizationRole.role_name == "Member"
        )
    ).one()
    form = webtest_app.get(PEOPLE).forms[f"remove-role-{bob_role.id}"]
    form["confirm_username"] = "bob"
    form.submit(status=303)

    # After the commit, the task set the quantity and read it back into the mirror.
    assert provider_seats(app_on_local_stripe, paid.subscription_id) == 1
    db_session.expire_all()
    item = db_session.get(
        StripeSubscription, paid.id, options=[joinedload(StripeSubscription.item)]
    )
    assert item.item.quantity == 1


def test_reconciliation_repairs_a_lost_cancellation(
    webtest_app, db_session, app_registry, app_on_local_stripe, paid, acme
):
    local_stripe = app_on_local_stripe
    portal = (
        webtest_app.get("/manage/organization/acme/subscription/")
        .forms["manage-billing-form"]
        .submit(status=303)
    )
    local_stripe.portal_action(portal.location, paid.subscription_id, "cancel")
    # The customer.subscription.deleted webhook never arrives.
    db_session.expire_all()
    assert db_session.get(StripeSubscription, paid.id).status == "active"

    changes = reconcile_subscriptions(service_request(app_registry, db_session))

    assert changes == [f"{paid.subscription_id}: ('active', 2) → ('canceled', 2)"]
    db_session.expire_all()
    assert db_session.get(StripeSubscription, paid.id).status == "canceled"
    # A second run finds nothing more to do.
    assert reconcile_subscriptions(service_request(app_registry, db_session)) == []


def delete_acme(webtest_app, status):
    form = webtest_app.get("/manage/organization/acme/settings/").forms["delete-organization-form"]
    form["confirm_organization_name"] = "acme"
    return form.submit(status=status)


def test_deleting_a_paying_organization_cancels_its_subscription(
    webtest_app, db_session, app_on_local_stripe, paid, acme
):
    acme_id = acme.id
    delete_acme(webtest_app, 303)
    found = app_on_local_stripe.client().v1.subscriptions.retrieve(paid.subscription_id)
    assert found["status"] == "canceled"
    db_session.expire_all()
    assert db_session.scalar(select(Organization.id).where(Organization.id == acme_id)) is None


def test_an_organization_whose_subscription_cannot_be_canceled_stays(
    webtest_app, db_session, alice, acme
):
    """No local Stripe: the provider does not answer."""
    StripeSubscriptionFactory.create(customer__organization=acme, status="active")
    log_in(webtest_app, alice)
    refused = delete_acme(webtest_app, 409)
    assert "could not be canceled and the organization is not deleted" in main_text(refused)
    db_session.expire_all()
    assert db_session.get(Organization, acme.id) is not None
