"""Paying for a Company organization, end to end against the real local Stripe: the prices
before anything is paid, the terms, the hosted checkout, the webhook, good standing; then the
billing portal, a cancellation, its webhook, and the organization gated again.

The webtest app has no HTTP server for the local Stripe to deliver to, so each test takes the
events the local Stripe signed and posts them to /billing/webhook/ itself, as Stripe would.
"""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.db.subscriptions import StripeCustomerFactory, StripeSubscriptionFactory
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from tests.common.table_snapshots import table_snapshot
from warehouse_orgs.organizations.interfaces import IOrganizationStanding
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.subscriptions.models import (
    BillingTermsAgreement,
    StripeCustomer,
    StripeSubscription,
)
from warehouse_orgs.subscriptions.products import sync_products

ACTIVATE = "/manage/organization/acme/subscription/activate/"
BILLING = "/manage/organization/acme/subscription/"


@pytest.fixture
def synced(app_on_local_stripe, app_registry, db_session):
    """The product and prices exist at the local Stripe and here, as `make serve` makes them."""
    sync_products(service_request(app_registry, db_session))
    db_session.flush()
    return app_on_local_stripe


@pytest.fixture
def alice(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def acme(alice):
    organization = OrganizationFactory.create(
        name="acme", display_name="Acme Inc.", orgtype="Company"
    )
    OrganizationRoleFactory.create(
        organization=organization, user=alice, role_name=OrganizationRoleType.Owner
    )
    OrganizationRoleFactory.create(organization=organization, role_name=OrganizationRoleType.Member)
    return organization


def standing(app_registry, db_session, organization):
    db_session.expire_all()
    request = service_request(app_registry, db_session)
    return request.find_service(IOrganizationStanding).standing(organization)


def test_paying_then_canceling_a_company_organization(
    webtest_app, db_session, app_registry, synced, alice, acme
):
    local_stripe = synced
    log_in(webtest_app, alice)
    assert not standing(app_registry, db_session, acme).in_good_standing

    # Prices first, before anything is paid: 2 seats.
    page = webtest_app.get(ACTIVATE)
    assert "$5.00 per month" in main_text(page)
    assert "$10.00 per month" in main_text(page)
    form = page.forms["activate-billing-form"]

    # Neither the interval nor the terms chosen: refused beside the fields, nothing recorded.
    before = table_snapshot(db_session)
    refused = form.submit(status=400)
    assert field_error(refused, "billing-interval") == "Choose monthly or yearly billing."
    assert field_error(refused, "billing-terms") == "Accept the billing terms to go on."
    assert table_snapshot(db_session) == before

    form["interval"] = "month"
    form["terms"] = True
    to_checkout = form.submit(status=303)
    checkout_url = to_checkout.location
    assert checkout_url.startswith(local_stripe.api_base + "/checkout/")
    agreement = db_session.scalars(select(BillingTermsAgreement)).one()
    assert (agreement.user_id, agreement.interval) == (alice.id, "month")
    customer = db_session.scalars(select(StripeCustomer)).one()
    assert customer.organization_id == acme.id

    # Pay on the hosted page; it sends the person back to our billing page.
    back = local_stripe.pay(checkout_url)
    assert back == "http://localhost" + BILLING + "?checkout=done"
    waiting = webtest_app.get(back)
    assert "The payment provider is confirming the payment" in main_text(waiting)

    # Stripe's events arrive.
    local_stripe.deliver_newest(webtest_app, "checkout.session.completed", customer.customer_id)
    local_stripe.deliver_newest(webtest_app, "customer.subscription.created", customer.customer_id)
    subscription = db_session.scalars(
        select(StripeSubscription).options(joinedload(StripeSubscription.item))
    ).one()
    assert (subscription.status, subscription.item.quantity) == ("active", 2)
    assert standing(app_registry, db_session, acme).in_good_standing
    assert "organization:subscription:create" in event_tags(db_session, acme)
    paid = webtest_app.get(BILLING)
    assert "Acme Inc. is in good standing." in main_text(paid)
    assert "2 of 2 paid" in main_text(paid)

    # The portal: cancel now.
    to_portal = paid.forms["manage-billing-form"].submit(status=303)
    assert to_portal.location.startswith(local_stripe.api_base + "/portal/")
    local_stripe.portal_action(to_portal.location, subscription.subscription_id, "cancel")
    local_stripe.deliver_newest(webtest_app, "customer.subscription.deleted", customer.customer_id)
    db_session.expire_all()
    assert db_session.get(StripeSubscription, subscription.id).status == "canceled"
    assert not standing(app_registry, db_session, acme).in_good_standing
    again = webtest_app.get(BILLING)
    assert "Activate billing" in main_text(again)


def test_activating_twice_makes_one_customer(webtest_app, db_session, synced, alice, acme):
    log_in(webtest_app, alice)
    urls = []
    for interval in ("year", "month"):
        form = webtest_app.get(ACTIVATE).forms["activate-billing-form"]
        form["interval"] = interval
        form["terms"] = True
        urls.append(form.submit(status=303).location)
    assert all(url.startswith(synced.api_base + "/checkout/") for url in urls)
    (customer,) = db_session.scalars(select(StripeCustomer)).all()
    assert customer.organization_id == acme.id
    agreements = db_session.scalars(
        select(BillingTermsAgreement.interval).order_by(BillingTermsAgreement.agreed)
    ).all()
    assert agreements == ["year", "month"]
    # Without a live subscription the billing page offers activation, not the portal.
    assert "manage-billing-form" not in webtest_app.get(BILLING).forms


def test_a_provider_that_does_not_answer_changes_nothing(
    webtest_app, db_session, app_registry, alice, acme
):
    """No local Stripe here: billing points at a port nobody listens on."""
    from warehouse_orgs.subscriptions.models import (
        StripeSubscriptionPrice,
        StripeSubscriptionProduct,
    )

    product = StripeSubscriptionProduct(product_id="prod_offline", name="PyPI")
    db_session.add(product)
    db_session.flush()
    db_session.add(
        StripeSubscriptionPrice(
            price_id="price_offline", product_id=product.id, unit_amount=500, interval="month"
        )
    )
    db_session.flush()
    log_in(webtest_app, alice)
    form = webtest_app.get(ACTIVATE).forms["activate-billing-form"]
    form["interval"] = "month"
    form["terms"] = True
    before = table_snapshot(db_session)
    answer = form.submit(status=503)
    assert "did not answer" in main_text(answer)
    assert table_snapshot(db_session) == before


def test_community_organizations_have_no_billing(webtest_app, db_session, alice):
    community = OrganizationFactory.create(name="free", orgtype="Community")
    OrganizationRoleFactory.create(
        organization=community, user=alice, role_name=OrganizationRoleType.Owner
    )
    log_in(webtest_app, alice)
    for path in ("subscription/", "subscription/activate/"):
        page = webtest_app.get(f"/manage/organization/free/{path}", status=200)
        assert "it is free, and there is nothing to pay" in main_text(page)
        assert not page.html.select("main form")
    settings = webtest_app.get("/manage/organization/free/settings/")
    token = settings.html.find("input", attrs={"name": "csrf_token"})["value"]
    before = table_snapshot(db_session)
    webtest_app.post(
        "/manage/organization/free/subscription/activate/",
        {"csrf_token": token, "interval": "month", "terms": "y"},
        status=404,
    )
    assert table_snapshot(db_session) == before
    assert "Billing" not in [a.get_text(strip=True) for a in settings.html.select("nav a")]


def test_the_billing_pages_cost_the_same_however_many_people_and_subscriptions(
    webtest_app, db_session, alice, acme
):
    customer = StripeCustomerFactory.create(organization=acme)
    StripeSubscriptionFactory.create(customer=customer, status="canceled")
    log_in(webtest_app, alice)
    few = {path: len(webtest_app.get(path).sql_statements) for path in (ACTIVATE, BILLING)}
    for _ in range(30):
        OrganizationRoleFactory.create(organization=acme, role_name=OrganizationRoleType.Member)
    for _ in range(10):
        StripeSubscriptionFactory.create(customer=customer, status="canceled")
    StripeSubscriptionFactory.create(customer=customer, status="active")
    many = {path: webtest_app.get(path) for path in (ACTIVATE, BILLING)}
    assert "32 of 1 paid" in main_text(many[BILLING])
    assert len(many[BILLING].html.select("main table tbody tr")) == 12
    assert {path: len(page.sql_statements) for path, page in many.items()} == few
