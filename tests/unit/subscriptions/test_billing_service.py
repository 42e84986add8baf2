"""The Stripe billing service against a real local Stripe (localstripe and our extension, run as
their own process by the ``local_stripe`` fixture), and its webhook check and shape readers on
their own. Each test stamps its own domain, so the objects of one test are never another's."""

import datetime
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from pyramid.exceptions import ConfigurationError

from tests.common.network import free_port
from warehouse_orgs.subscriptions.billing import (
    STRIPE_API_VERSION,
    UNAVAILABLE_MESSAGE,
    StripeBillingService,
    subscription_record,
)
from warehouse_orgs.subscriptions.interfaces import (
    BillingUnavailable,
    IBillingService,
    WebhookRefused,
)

OURS = "warehouse-orgs"
WEBHOOK_SECRET = "whsec_unit_test_secret"


def _domain() -> str:
    return f"t{uuid.uuid4().hex[:12]}.test"


@pytest.fixture
def billing(local_stripe: Any) -> StripeBillingService:
    return StripeBillingService(
        secret_key=local_stripe.secret_key,
        webhook_secret=local_stripe.webhook_secret,
        domain=_domain(),
        api_base=local_stripe.api_base,
    )


@pytest.fixture
def stripe_client(local_stripe: Any) -> stripe.StripeClient:
    """The test's own view of the local Stripe, to check what the service made there."""
    return stripe.StripeClient(
        local_stripe.secret_key,
        base_addresses={"api": local_stripe.api_base},
        stripe_version=STRIPE_API_VERSION,
    )


def _our_metadata(billing: StripeBillingService) -> dict[str, str]:
    return {"billing_service": OURS, "domain": billing.domain}


def _ours(billing: StripeBillingService, objects: Any) -> list[dict[str, Any]]:
    plain = [o.to_dict() for o in objects.auto_paging_iter()]
    return [o for o in plain if o.get("metadata", {}).get("domain") == billing.domain]


# Customers


def test_a_customer_is_made_once_per_idempotency_key_and_carries_our_metadata(
    billing, stripe_client
):
    organization_id = uuid.uuid4()
    key = f"customer-{organization_id}"
    first = billing.create_customer(organization_id, "Acme", "Acme's organization", key)
    again = billing.create_customer(organization_id, "Acme", "Acme's organization", key)
    other = billing.create_customer(uuid.uuid4(), "Other", "", f"customer-{uuid.uuid4()}")

    assert first.startswith("cus_")
    assert again == first
    assert other != first
    customer = stripe_client.v1.customers.retrieve(first).to_dict()
    assert customer["name"] == "Acme"
    assert customer["description"] == "Acme's organization"
    assert customer["metadata"] == {
        **_our_metadata(billing),
        "organization_id": str(organization_id),
    }


def test_a_customer_follows_the_organizations_name(billing, stripe_client):
    customer_id = billing.create_customer(uuid.uuid4(), "Acme", "", str(uuid.uuid4()))
    billing.update_customer(customer_id, "Acme Labs", "Renamed")
    customer = stripe_client.v1.customers.retrieve(customer_id).to_dict()
    assert (customer["name"], customer["description"]) == ("Acme Labs", "Renamed")


# The product and its prices


def test_syncing_twice_gives_one_product_and_one_active_price_per_interval(billing, stripe_client):
    product_id = billing.sync_product("Seats", "Per seat")
    assert billing.sync_product("Seats", "Per seat") == product_id
    monthly = billing.sync_price(product_id, 500, "usd", "month")
    yearly = billing.sync_price(product_id, 5000, "usd", "year")
    assert billing.sync_price(product_id, 500, "usd", "month") == monthly
    assert billing.sync_price(product_id, 5000, "USD", "year") == yearly

    products = _ours(billing, stripe_client.v1.products.list({"limit": 100}))
    assert [p["id"] for p in products] == [product_id]
    assert products[0]["metadata"] == _our_metadata(billing)
    prices = _ours(billing, stripe_client.v1.prices.list({"product": product_id, "active": True}))
    assert sorted((p["id"], p["recurring"]["interval"]) for p in prices) == sorted(
        [(monthly, "month"), (yearly, "year")]
    )
    for price in prices:
        # Per seat: the quantity is the seat count; never metered usage records.
        assert price["recurring"].get("usage_type", "licensed") == "licensed"
        assert price["currency"] == "usd"
        assert price["metadata"] == _our_metadata(billing)
    assert {p["id"]: p["unit_amount"] for p in prices} == {monthly: 500, yearly: 5000}


def test_a_changed_amount_makes_a_new_price_and_archives_the_old_one(billing, stripe_client):
    product_id = billing.sync_product("Seats", "Per seat")
    old_monthly = billing.sync_price(product_id, 500, "usd", "month")
    yearly = billing.sync_price(product_id, 5000, "usd", "year")

    new_monthly = billing.sync_price(product_id, 600, "usd", "month")

    assert new_monthly != old_monthly
    assert stripe_client.v1.prices.retrieve(old_monthly).to_dict()["active"] is False
    new = stripe_client.v1.prices.retrieve(new_monthly).to_dict()
    assert (new["active"], new["unit_amount"]) == (True, 600)
    # The other interval is left alone.
    assert stripe_client.v1.prices.retrieve(yearly).to_dict()["active"] is True
    # Back to the old amount: that price is active again, the 600 one archived.
    assert billing.sync_price(product_id, 500, "usd", "month") == old_monthly
    assert stripe_client.v1.prices.retrieve(old_monthly).to_dict()["active"] is True
    assert stripe_client.v1.prices.retrieve(new_monthly).to_dict()["active"] is False


def test_a_renamed_product_is_updated_not_made_again(billing, stripe_client):
    product_id = billing.sync_product("Seats", "Per seat")
    assert billing.sync_product("Company seats", "Per seat, per month or year") == product_id
    product = stripe_client.v1.products.retrieve(product_id).to_dict()
    assert (product["name"], product["description"]) == (
        "Company seats",
        "Per seat, per month or year",
    )


def test_another_deployments_product_is_never_taken(local_stripe, billing):
    ours = billing.sync_product("Seats", "Per seat")
    neighbour = StripeBillingService(
        secret_key=local_stripe.secret_key,
        webhook_secret=local_stripe.webhook_secret,
        domain=_domain(),
        api_base=local_stripe.api_base,
    )
    assert neighbour.sync_product("Seats", "Per seat") != ours


# Checkout, portal, subscriptions


@pytest.fixture
def priced(billing) -> dict[str, str]:
    product_id = billing.sync_product("Seats", "Per seat")
    return {
        "month": billing.sync_price(product_id, 500, "usd", "month"),
        "year": billing.sync_price(product_id, 5000, "usd", "year"),
    }


def _paid_subscription(
    local_stripe: Any, billing: StripeBillingService, price_id: str, seats: int
) -> tuple[str, str]:
    """A customer who went through the hosted checkout and paid: (customer id, subscription
    id)."""
    customer_id = billing.create_customer(uuid.uuid4(), "Acme", "", str(uuid.uuid4()))
    url = billing.create_checkout_session(
        customer_id,
        price_id,
        seats,
        success_url="http://localhost/done",
        cancel_url="http://localhost/back",
        idempotency_key=str(uuid.uuid4()),
    )
    assert local_stripe.pay(url) == "http://localhost/done"
    (session,) = local_stripe.client().v1.checkout.sessions.list({"customer": customer_id}).data
    return customer_id, session.subscription


def test_a_checkout_session_sends_the_customer_to_a_hosted_page(
    local_stripe, billing, priced, stripe_client
):
    customer_id = billing.create_customer(uuid.uuid4(), "Acme", "", str(uuid.uuid4()))
    key = str(uuid.uuid4())
    arguments = (customer_id, priced["month"], 3, "http://localhost/done", "http://localhost/back")
    url = billing.create_checkout_session(*arguments, idempotency_key=key)
    assert url.startswith(("http://", "https://"))
    # The same key finds the same session (a double click).
    assert billing.create_checkout_session(*arguments, idempotency_key=key) == url
    sessions = _ours(billing, stripe_client.v1.checkout.sessions.list({"customer": customer_id}))
    (session,) = sessions
    assert session["url"] == url
    assert session["mode"] == "subscription"


def test_a_paid_subscription_is_read_back_with_its_status_seats_and_period(
    local_stripe, billing, priced
):
    customer_id, subscription_id = _paid_subscription(local_stripe, billing, priced["month"], 3)

    found = billing.retrieve_subscription(subscription_id)

    assert found is not None
    assert found.subscription_id == subscription_id
    assert found.customer_id == customer_id
    assert found.status == "active"
    assert found.quantity == 3
    assert found.price_id == priced["month"]
    assert (found.subscription_item_id or "").startswith("si_")
    assert found.cancel_at_period_end is False
    now = datetime.datetime.now(datetime.UTC)
    assert found.current_period_end is not None
    assert now + datetime.timedelta(days=27) < found.current_period_end
    assert found.current_period_end < now + datetime.timedelta(days=32)
    # The subscription the checkout made is ours, so its events are recognised.
    assert found.metadata == _our_metadata(billing)


def test_the_local_stripes_signed_events_read_as_the_subscription_fetched(
    local_stripe, billing, priced
):
    _, subscription_id = _paid_subscription(local_stripe, billing, priced["month"], 2)
    (created,) = local_stripe.events(type="customer.subscription.created", related=subscription_id)
    payload, headers = local_stripe.signed(created["id"])

    event = billing.verify_webhook(payload, headers["Stripe-Signature"])

    assert (event.event_id, event.event_type) == (created["id"], "customer.subscription.created")
    assert subscription_record(event.data) == billing.retrieve_subscription(subscription_id)
    # Signed for this deployment's secret only.
    with pytest.raises(WebhookRefused):
        _service_at(local_stripe.api_base).verify_webhook(payload, headers["Stripe-Signature"])


def test_seats_follow_update_seats(local_stripe, billing, priced):
    _, subscription_id = _paid_subscription(local_stripe, billing, priced["year"], 2)
    item_id = billing.retrieve_subscription(subscription_id).subscription_item_id

    billing.update_seats(item_id, 5, idempotency_key=str(uuid.uuid4()))

    assert billing.retrieve_subscription(subscription_id).quantity == 5


def test_cancel_at_period_end_keeps_it_active_until_then(local_stripe, billing, priced):
    _, subscription_id = _paid_subscription(local_stripe, billing, priced["month"], 1)
    billing.cancel_subscription_at_period_end(subscription_id)
    found = billing.retrieve_subscription(subscription_id)
    assert (found.status, found.cancel_at_period_end) == ("active", True)


def test_cancel_ends_it_now_and_a_second_cancel_does_nothing(local_stripe, billing, priced):
    _, subscription_id = _paid_subscription(local_stripe, billing, priced["month"], 1)
    billing.cancel_subscription(subscription_id)
    assert billing.retrieve_subscription(subscription_id).status == "canceled"
    billing.cancel_subscription(subscription_id)
    assert billing.retrieve_subscription(subscription_id).status == "canceled"


def test_a_subscription_the_provider_does_not_know_is_none(billing):
    assert billing.retrieve_subscription("sub_doesnotexist") is None
    # Canceling it is nothing to do, not an error.
    billing.cancel_subscription("sub_doesnotexist")


def test_the_portal_session_is_a_hosted_page(local_stripe, billing):
    customer_id = billing.create_customer(uuid.uuid4(), "Acme", "", str(uuid.uuid4()))
    url = billing.create_portal_session(customer_id, return_url="http://localhost/back")
    assert url.startswith(("http://", "https://"))


# A provider that does not answer


def _service_at(api_base: str, **options: Any) -> StripeBillingService:
    return StripeBillingService(
        secret_key="sk_test_nobody",
        webhook_secret=WEBHOOK_SECRET,
        domain="localhost",
        api_base=api_base,
        **options,
    )


def _every_call(billing: StripeBillingService) -> list[tuple[str, tuple]]:
    return [
        ("create_customer", (uuid.uuid4(), "Acme", "", "k")),
        ("update_customer", ("cus_x", "Acme", "")),
        ("sync_product", ("Seats", "")),
        ("sync_price", ("prod_x", 500, "usd", "month")),
        ("create_checkout_session", ("cus_x", "price_x", 1, "http://a/", "http://b/", "k")),
        ("create_portal_session", ("cus_x", "http://a/")),
        ("retrieve_subscription", ("sub_x",)),
        ("update_seats", ("si_x", 2, "k")),
        ("cancel_subscription", ("sub_x",)),
        ("cancel_subscription_at_period_end", ("sub_x",)),
    ]


def test_a_stopped_provider_gives_billing_unavailable_for_every_call(caplog):
    billing = _service_at(f"http://127.0.0.1:{free_port()}", max_network_retries=0)
    for name, arguments in _every_call(billing):
        with pytest.raises(BillingUnavailable) as refused:
            getattr(billing, name)(*arguments)
        assert str(refused.value) == UNAVAILABLE_MESSAGE, name
    # The detail is in the log for whoever looks into it, not on the person's page.
    assert "APIConnectionError" in caplog.text


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_provider_that_hangs_is_given_up_on_after_the_timeout(silent_server):
    billing = _service_at(silent_server, timeout=0.5, max_network_retries=0)
    started = time.monotonic()
    with pytest.raises(BillingUnavailable):
        billing.retrieve_subscription("sub_x")
    assert time.monotonic() - started < 5


def test_a_provider_error_is_billing_unavailable_too(local_stripe, billing):
    # A price for a product that does not exist: the provider answers 4xx.
    with pytest.raises(BillingUnavailable, match="Nothing was changed"):
        billing.sync_price("prod_doesnotexist", 500, "usd", "month")


# Webhooks


def _sign(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header the way Stripe makes one: HMAC-SHA256 of "t.payload"."""
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


CURRENT_SUBSCRIPTION = {
    "id": "sub_current",
    "object": "subscription",
    "customer": "cus_1",
    "status": "active",
    "cancel_at_period_end": False,
    "metadata": {"billing_service": OURS, "domain": "localhost"},
    "items": {
        "object": "list",
        "data": [
            {
                "id": "si_1",
                "object": "subscription_item",
                "quantity": 4,
                "current_period_start": 1790000000,
                "current_period_end": 1792592000,
                "price": {
                    "id": "price_1",
                    "object": "price",
                    "recurring": {"interval": "month", "usage_type": "licensed"},
                },
            }
        ],
    },
}
# localstripe's: the period on the subscription, a plan rather than a price, no price key.
OLD_SUBSCRIPTION = {
    "id": "sub_old",
    "object": "subscription",
    "customer": {"id": "cus_2", "object": "customer"},
    "status": "past_due",
    "cancel_at_period_end": True,
    "current_period_end": 1792592000,
    "quantity": 2,
    "metadata": {},
    "items": {
        "object": "list",
        "data": [{"id": "si_2", "quantity": "2", "plan": {"id": "plan_2", "interval": "year"}}],
    },
}


def _event(data_object: dict[str, Any], event_type: str = "customer.subscription.updated"):
    return {
        "id": "evt_1",
        "object": "event",
        "api_version": STRIPE_API_VERSION,
        "created": 1790000100,
        "type": event_type,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "data": {"object": data_object},
    }


@pytest.fixture
def verifier() -> StripeBillingService:
    return _service_at("http://127.0.0.1:9")


@pytest.mark.parametrize("data_object", [CURRENT_SUBSCRIPTION, OLD_SUBSCRIPTION])
def test_a_signed_event_is_read_in_either_shape(verifier, data_object):
    payload = json.dumps(_event(data_object)).encode()

    event = verifier.verify_webhook(payload, _sign(payload))

    assert event.event_id == "evt_1"
    assert event.event_type == "customer.subscription.updated"
    assert event.created == datetime.datetime.fromtimestamp(1790000100, datetime.UTC)
    # A plain dict, the object as sent, nested lists and all.
    assert event.data == data_object
    assert type(event.data) is dict
    assert type(event.data["items"]["data"][0]) is dict


SIGNED_BODY = b'{"id": "evt_1"}'
# Each a way a delivery is not the provider's: (header, body), made when the test runs.
NOT_THE_PROVIDERS = {
    "another secret": lambda: (_sign(SIGNED_BODY, secret="whsec_someone_else"), SIGNED_BODY),
    "another body": lambda: (_sign(SIGNED_BODY), b'{"id": "evt_2"}'),
    # Too old to be believed: a replay of a captured delivery.
    "an hour old": lambda: (_sign(SIGNED_BODY, at=int(time.time()) - 3600), SIGNED_BODY),
    "a made-up signature": lambda: ("t=1,v1=abc", SIGNED_BODY),
    "garbage": lambda: ("garbage", SIGNED_BODY),
    "empty": lambda: ("", SIGNED_BODY),
    "no header": lambda: (None, SIGNED_BODY),
}


@pytest.mark.parametrize("case", list(NOT_THE_PROVIDERS))
def test_a_webhook_without_the_providers_signature_is_refused(verifier, case):
    header, payload = NOT_THE_PROVIDERS[case]()
    with pytest.raises(WebhookRefused):
        verifier.verify_webhook(payload, header)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json at all",
        b"\xff\xfe\x00",
        b"[1, 2, 3]",
        b'{"object": "event"}',
        json.dumps({**_event(CURRENT_SUBSCRIPTION), "data": {"object": "sub_1"}}).encode(),
        json.dumps({**_event(CURRENT_SUBSCRIPTION), "created": None}).encode(),
    ],
)
def test_a_signed_payload_that_is_no_readable_event_is_refused(verifier, payload):
    with pytest.raises(WebhookRefused):
        verifier.verify_webhook(payload, _sign(payload))


# Shapes


def test_a_current_subscription_reads_its_period_and_price_from_the_item():
    record = subscription_record(CURRENT_SUBSCRIPTION)
    assert record.subscription_id == "sub_current"
    assert record.customer_id == "cus_1"
    assert record.price_id == "price_1"
    assert record.subscription_item_id == "si_1"
    assert record.quantity == 4
    assert record.current_period_end == datetime.datetime.fromtimestamp(1792592000, datetime.UTC)
    assert record.metadata == {"billing_service": OURS, "domain": "localhost"}


def test_an_old_subscription_reads_its_period_from_itself_and_its_plan_as_price():
    record = subscription_record(OLD_SUBSCRIPTION)
    assert record.customer_id == "cus_2"
    assert record.status == "past_due"
    assert record.price_id == "plan_2"
    assert record.quantity == 2
    assert record.cancel_at_period_end is True
    assert record.current_period_end == datetime.datetime.fromtimestamp(1792592000, datetime.UTC)


def test_a_subscription_without_items_has_no_seats():
    bare = {"id": "sub_3", "customer": "cus_3", "status": "incomplete"}
    record = subscription_record(bare)
    assert (record.quantity, record.subscription_item_id, record.price_id) == (0, None, None)
    assert record.current_period_end is None


# Configuration


def test_the_api_version_is_the_one_the_sdk_was_built_for():
    # An SDK upgrade that moves to a newer API must be a decision: the shapes may change.
    from stripe._api_version import _ApiVersion

    assert STRIPE_API_VERSION == _ApiVersion.CURRENT


def test_the_app_registers_the_configured_backend(app_registry, db_session):
    from tests.common.concurrency import service_request

    request = service_request(app_registry, db_session)
    service = request.find_service(IBillingService)
    assert isinstance(service, StripeBillingService)
    assert service.domain == app_registry.settings["billing.domain"]


@pytest.mark.parametrize("missing", ["billing.secret_key", "billing.webhook_secret"])
def test_a_missing_secret_is_a_configuration_error(missing):
    settings = {
        "site.url": "https://pypi.example",
        "billing.secret_key": "sk_test_x",
        "billing.webhook_secret": "whsec_x",
    }
    del settings[missing]
    request = type("Request", (), {"registry": type("Registry", (), {"settings": settings})})
    with pytest.raises(ConfigurationError, match=missing.removeprefix("billing.")):
        StripeBillingService.create_service(None, request)


def test_the_domain_defaults_to_the_sites_host():
    settings = {
        "site.url": "https://pypi.example:8443/x",
        "billing.secret_key": "sk_test_x",
        "billing.webhook_secret": "whsec_x",
    }
    request = type("Request", (), {"registry": type("Registry", (), {"settings": settings})})
    assert StripeBillingService.create_service(None, request).domain == "pypi.example"


def test_staff_links_go_to_the_dashboard_of_the_keys_mode():
    test_mode = _service_at("http://127.0.0.1:9")
    assert test_mode.dashboard_url("customers", "cus_1") == (
        "https://dashboard.stripe.com/test/customers/cus_1"
    )
    live = StripeBillingService("sk_live_x", WEBHOOK_SECRET, "pypi.example")
    assert live.dashboard_url("subscriptions", "sub_1") == (
        "https://dashboard.stripe.com/subscriptions/sub_1"
    )
    with pytest.raises(ValueError, match="No dashboard page"):
        live.dashboard_url("../admin", "x")
