"""``POST /billing/webhook/`` through the real app: the provider's signature is the only proof;
a bad or missing one answers 400 and changes nothing; each event is applied once however often
it is delivered; news arriving out of order does no harm; another deployment's events are
ignored; payloads in the current API's shape and in localstripe's older one both work; a failed
payment reaches the Owners and Billing Managers by email after commit.

Another deployment's events (on a shared provider account) are not recorded: they are told
apart by their metadata before the database is touched, so a replay costs no more than the
first delivery, and this deployment's table holds only its own events.
"""

import datetime
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tests.common.concurrency import service_request
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.db.subscriptions import (
    StripeCustomerFactory,
    StripeSubscriptionFactory,
    StripeSubscriptionPriceFactory,
)
from tests.common.events import event_tags
from tests.common.table_snapshots import table_snapshot
from tests.common.webhooks import (
    checkout_session_object,
    customer_object,
    envelope,
    invoice_object,
    sign,
    signed_delivery,
    subscription_object,
)
from warehouse_orgs.organizations.interfaces import IOrganizationStanding
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.subscriptions.billing import billing_domain
from warehouse_orgs.subscriptions.interfaces import IBillingService
from warehouse_orgs.subscriptions.models import (
    StripeSubscription,
    StripeWebhookEvent,
)

WEBHOOK = "/billing/webhook/"
NOTHING_IGNORED = frozenset()


@pytest.fixture
def secret(app_registry: Any) -> str:
    return app_registry.settings["billing.webhook_secret"]


@pytest.fixture
def domain(app_registry: Any) -> str:
    return billing_domain(app_registry.settings)


@pytest.fixture
def customer(db_session: Any) -> Any:
    organization = OrganizationFactory.create(orgtype="Company", name="acme")
    return StripeCustomerFactory.create(organization=organization, customer_id="cus_acme")


def deliver(app: Any, event: dict[str, Any], secret: str, **kwargs: Any) -> Any:
    body, signature = signed_delivery(event, secret)
    return app.post(
        WEBHOOK,
        body,
        headers={"Stripe-Signature": signature},
        content_type="application/json",
        **kwargs,
    )


def subscription_row(db_session: Any, subscription_id: str) -> StripeSubscription:
    db_session.expire_all()
    return db_session.scalars(
        select(StripeSubscription)
        .where(StripeSubscription.subscription_id == subscription_id)
        .options(joinedload(StripeSubscription.item))
    ).one()


def rows(db_session: Any, model: Any) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


# --- The signature ----------------------------------------------------------------------------


def refused_without_a_change(webtest_app: Any, db_session: Any, body: bytes, headers: Any) -> Any:
    before = table_snapshot(db_session)
    response = webtest_app.post(
        WEBHOOK, body, headers=headers, content_type="application/json", status=400
    )
    assert table_snapshot(db_session).changed_tables(before, ignore=NOTHING_IGNORED) == []
    assert response.content_type == "text/plain"
    return response


def test_a_forged_signature_is_refused_and_changes_nothing(
    webtest_app, db_session, customer, domain
):
    event = envelope(
        "customer.subscription.created",
        subscription_object("sub_forged", customer.customer_id, domain=domain),
    )
    body, signature = signed_delivery(event, "whsec_someone_else")
    response = refused_without_a_change(
        webtest_app, db_session, body, {"Stripe-Signature": signature}
    )
    assert "signature" in response.text


def test_a_body_changed_after_signing_is_refused(webtest_app, db_session, customer, domain, secret):
    event = envelope(
        "customer.subscription.created",
        subscription_object("sub_tampered", customer.customer_id, quantity=1, domain=domain),
    )
    body, signature = signed_delivery(event, secret)
    tampered = body.replace(b'"quantity": 1', b'"quantity": 900')
    assert tampered != body
    refused_without_a_change(webtest_app, db_session, tampered, {"Stripe-Signature": signature})


def test_an_old_signature_is_refused(webtest_app, db_session, customer, domain, secret):
    """A delivery captured and replayed an hour later: Stripe's tolerance is five minutes."""
    body = json.dumps(
        envelope(
            "customer.subscription.created",
            subscription_object("sub_stale", customer.customer_id, domain=domain),
        )
    ).encode()
    an_hour_ago = int(datetime.datetime.now(datetime.UTC).timestamp()) - 3600
    headers = {"Stripe-Signature": sign(body, secret, at=an_hour_ago)}
    refused_without_a_change(webtest_app, db_session, body, headers)


def test_a_delivery_without_a_signature_is_refused(webtest_app, db_session, customer, domain):
    body = json.dumps(
        envelope(
            "customer.subscription.created",
            subscription_object("sub_unsigned", customer.customer_id, domain=domain),
        )
    ).encode()
    refused_without_a_change(webtest_app, db_session, body, {})


def test_the_webhook_needs_no_session_and_no_csrf_token(webtest_app, customer, domain, secret):
    event = envelope(
        "customer.subscription.created",
        subscription_object("sub_plain", customer.customer_id, domain=domain),
    )
    response = deliver(webtest_app, event, secret, status=200)
    assert response.text == "Applied.\n"
    assert "Set-Cookie" not in response.headers


def test_opening_the_webhook_in_a_browser_says_it_takes_posts(webtest_app):
    response = webtest_app.get(WEBHOOK, status=405)
    assert response.headers["Allow"] == "POST"
    assert "webhook" in response.text


# --- At most once, in any order -------------------------------------------------------------


def test_a_replayed_event_is_applied_once(webtest_app, db_session, customer, domain, secret):
    event = envelope(
        "customer.subscription.created",
        subscription_object("sub_replayed", customer.customer_id, quantity=4, domain=domain),
    )
    first = deliver(webtest_app, event, secret, status=200)
    again = deliver(webtest_app, event, secret, status=200)
    assert (first.text, again.text) == (
        "Applied.\n",
        "Already applied, or not this site's.\n",
    )
    assert rows(db_session, StripeSubscription) == 1
    assert rows(db_session, StripeWebhookEvent) == 1
    assert event_tags(db_session, customer.organization) == ["organization:subscription:create"]


def test_an_update_delivered_after_the_deletion_leaves_it_canceled(
    webtest_app, db_session, customer, domain, secret
):
    sent = datetime.datetime.now(datetime.UTC)
    created, updated, deleted = (
        envelope(
            kind,
            subscription_object("sub_late", customer.customer_id, status=status, domain=domain),
            created=sent + datetime.timedelta(seconds=offset),
        )
        for kind, status, offset in [
            ("customer.subscription.created", "active", 0),
            ("customer.subscription.updated", "active", 10),
            ("customer.subscription.deleted", "canceled", 20),
        ]
    )
    for event in (created, deleted, updated):
        deliver(webtest_app, event, secret, status=200)
    assert subscription_row(db_session, "sub_late").status == "canceled"
    assert rows(db_session, StripeWebhookEvent) == 3


@pytest.mark.parametrize("older_shape", [False, True], ids=["current-api", "localstripe"])
def test_both_payload_shapes_are_read(
    webtest_app, db_session, customer, domain, secret, older_shape
):
    period_end = datetime.datetime(2027, 2, 1, 8, 30, tzinfo=datetime.UTC)
    event = envelope(
        "customer.subscription.created",
        subscription_object(
            "sub_shaped",
            customer.customer_id,
            item_id="si_shaped",
            quantity=6,
            period_end=period_end,
            domain=domain,
            older_shape=older_shape,
        ),
    )
    deliver(webtest_app, event, secret, status=200)
    row = subscription_row(db_session, "sub_shaped")
    assert (row.status, row.item.subscription_item_id, row.item.quantity) == (
        "active",
        "si_shaped",
        6,
    )
    assert row.current_period_end == period_end


def test_another_domains_event_is_answered_and_ignored(webtest_app, db_session, customer, secret):
    event = envelope(
        "customer.subscription.created",
        subscription_object("sub_staging", customer.customer_id, domain="staging.example.org"),
    )
    before = table_snapshot(db_session)
    deliver(webtest_app, event, secret, status=200)
    assert table_snapshot(db_session).changed_tables(before, ignore=NOTHING_IGNORED) == []


def test_a_customer_update_is_kept(webtest_app, db_session, customer, domain, secret):
    event = envelope(
        "customer.updated",
        customer_object(customer.customer_id, email="accounts@acme.example", domain=domain),
    )
    deliver(webtest_app, event, secret, status=200)
    db_session.refresh(customer)
    assert customer.billing_email == "accounts@acme.example"


def test_the_local_stripes_own_deliveries_of_a_paid_checkout_are_applied(
    webtest_app, db_session, app_registry, app_on_local_stripe
):
    """The real thing: a checkout paid on the local Stripe, whose signed events (its shapes,
    its signature) are posted as it would deliver them. The checkout's event names its
    subscription by id only, so the webhook fetches it from the local Stripe."""
    local_stripe = app_on_local_stripe
    request = service_request(app_registry, db_session)
    billing = request.find_service(IBillingService)
    organization = OrganizationFactory.create(orgtype="Company", name="acme")
    customer_id = billing.create_customer(organization.id, "Acme", "", str(uuid.uuid4()))
    StripeCustomerFactory.create(organization=organization, customer_id=customer_id)
    price_id = billing.sync_price(billing.sync_product("Seats", "Per seat"), 500, "usd", "month")
    price = StripeSubscriptionPriceFactory.create(price_id=price_id)
    checkout = billing.create_checkout_session(
        customer_id,
        price_id,
        3,
        "http://localhost/done",
        "http://localhost/back",
        str(uuid.uuid4()),
    )
    local_stripe.pay(checkout)
    (completed,) = local_stripe.events(type="checkout.session.completed", related=customer_id)
    (created,) = local_stripe.events(type="customer.subscription.created", related=customer_id)
    subscription_id = completed["event"]["data"]["object"]["subscription"]
    assert isinstance(subscription_id, str)

    for entry in (completed, created, completed):
        body, headers = local_stripe.signed(entry["id"])
        webtest_app.post(
            WEBHOOK,
            body,
            headers={"Stripe-Signature": headers["Stripe-Signature"]},
            content_type="application/json",
            status=200,
        )

    row = subscription_row(db_session, subscription_id)
    assert (row.status, row.item.quantity, row.price_id) == ("active", 3, price.id)
    assert rows(db_session, StripeWebhookEvent) == 2
    assert event_tags(db_session, organization) == ["organization:subscription:create"]
    assert request.find_service(IOrganizationStanding).standing(organization).in_good_standing


# --- A failed payment ---------------------------------------------------------------------------


@pytest.mark.parametrize("older_shape", [False, True], ids=["current-api", "localstripe"])
def test_a_failed_payment_emails_the_owners_and_billing_managers_once(
    webtest_app, db_session, outbox, customer, domain, secret, older_shape
):
    organization = customer.organization
    subscription = StripeSubscriptionFactory.create(customer=customer, subscription_id="sub_due")
    told = {}
    for role in OrganizationRoleType:
        told[role] = OrganizationRoleFactory.create(organization=organization, role_name=role)
    event = envelope(
        "invoice.payment_failed",
        invoice_object(
            customer.customer_id,
            subscription.subscription_id,
            domain=domain,
            older_shape=older_shape,
        ),
    )
    deliver(webtest_app, event, secret, status=200)
    deliver(webtest_app, event, secret, status=200)

    messages = outbox.messages()
    wanted = [OrganizationRoleType.Owner, OrganizationRoleType.BillingManager]
    assert sorted(m.recipient for m in messages) == sorted(
        told[role].user.primary_email.email for role in wanted
    )
    assert {m.subject for m in messages} == {"A payment for acme failed"}
    body = messages[0].body("plain")
    assert "http://localhost/manage/organization/acme/subscription/" in body
    assert event_tags(db_session, organization) == ["organization:billing:payment_failed"]


def test_no_email_leaves_when_applying_the_event_fails(
    webtest_app, db_session, outbox, customer, domain, secret
):
    """Emails go after commit: a delivery that is rolled back (here, its checkout names a
    subscription the provider must be asked about, and in these settings nobody answers)
    sends nothing and records nothing, so the provider's retry starts afresh."""
    OrganizationRoleFactory.create(organization=customer.organization)
    event = envelope(
        "checkout.session.completed",
        checkout_session_object(customer.customer_id, "sub_unfetchable", domain=domain),
    )
    before = table_snapshot(db_session)
    deliver(webtest_app, event, secret, status=503)
    assert table_snapshot(db_session).changed_tables(before, ignore=NOTHING_IGNORED) == []
    assert outbox.messages() == []


# --- Hostile input ------------------------------------------------------------------------------

HOSTILE = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=20), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ("id", "customer", "status", "items", "quantity", "metadata", "subscription", "email")


@given(body=st.binary(max_size=2000), signed=st.booleans())
@HOSTILE
def test_any_body_is_refused_or_answered_never_a_server_error(
    webtest_app, db_connection, secret, body, signed
):
    savepoint = db_connection.begin_nested()
    try:
        headers = {"Stripe-Signature": sign(body, secret)} if signed else {}
        response = webtest_app.post(
            WEBHOOK, body, headers=headers, content_type="application/json", expect_errors=True
        )
        assert response.status_int in (200, 400), response.text
    finally:
        savepoint.rollback()


@given(
    kind=st.sampled_from(
        [
            "checkout.session.completed",
            "customer.subscription.updated",
            "customer.updated",
            "customer.deleted",
            "invoice.payment_failed",
        ]
    ),
    changes=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4),
)
@HOSTILE
def test_a_signed_event_with_strange_contents_never_causes_a_server_error(
    webtest_app, db_connection, customer, secret, kind, changes
):
    """Only the provider can sign; still, an object in a shape nobody expected is read as
    nothing to apply, never a 500 (which would make the provider retry it for days)."""
    savepoint = db_connection.begin_nested()
    try:
        obj = {**subscription_object("sub_strange", customer.customer_id, domain=None), **changes}
        response = deliver(webtest_app, envelope(kind, obj), secret, expect_errors=True)
        assert response.status_int in (200, 400, 503), response.text
        if kind != "checkout.session.completed":
            assert response.status_int != 503
    finally:
        savepoint.rollback()
