"""The local Stripe (dev/localstripe_ext.py), driven with the official SDK over HTTP as the
application drives it, and its hosted pages with plain HTTP as a person's browser would."""

import contextlib
import http.server
import json
import os
import threading
import urllib.error
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from tests.common.localstripe import LocalStripeForTests, http_request
from warehouse_orgs.cli import dev
from warehouse_orgs.cli import local_stripe as local_stripe_module
from warehouse_orgs.cli.local_stripe import BACKEND_CLASS, LocalStripeError, running_local_stripe
from warehouse_orgs.config import maybe_set_compound


@pytest.fixture
def client(local_stripe: LocalStripeForTests) -> stripe.StripeClient:
    return local_stripe.client()


@pytest.fixture
def seat_price(client: stripe.StripeClient) -> Any:
    product = client.v1.products.create({"name": "Organization seats"})
    return client.v1.prices.create(
        {
            "product": product.id,
            "unit_amount": 500,
            "currency": "usd",
            "recurring": {"interval": "month"},
            "metadata": {"domain": "localhost"},
        }
    )


@pytest.fixture
def customer(client: stripe.StripeClient) -> Any:
    return client.v1.customers.create({"name": "Acme Tools", "metadata": {"domain": "localhost"}})


def _checkout(
    client: stripe.StripeClient, customer: Any, price: Any, quantity: int = 3, key: str = ""
) -> Any:
    return client.v1.checkout.sessions.create(
        {
            "mode": "subscription",
            "customer": customer.id,
            "line_items": [{"price": price.id, "quantity": quantity}],
            "success_url": "http://localhost/billing/done/?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://localhost/billing/",
            "metadata": {"domain": "localhost"},
            "subscription_data": {"metadata": {"billing_service": "warehouse-orgs"}},
        },
        options={"idempotency_key": key or str(uuid.uuid4())},
    )


def _paid_subscription(
    local_stripe: LocalStripeForTests, client: stripe.StripeClient, customer: Any, price: Any
) -> Any:
    session = _checkout(client, customer, price)
    local_stripe.pay(session.url)
    session = client.v1.checkout.sessions.retrieve(session.id)
    return client.v1.subscriptions.retrieve(session.subscription)


def _verified(local_stripe: LocalStripeForTests, entry: dict[str, Any]) -> stripe.Event:
    return stripe.Webhook.construct_event(
        entry["payload"], entry["headers"]["Stripe-Signature"], local_stripe.webhook_secret
    )


def test_prices_are_created_found_and_archived(client: stripe.StripeClient, seat_price: Any):
    yearly = client.v1.prices.create(
        {
            "product": seat_price.product,
            "unit_amount": 5000,
            "currency": "USD",
            "recurring": {"interval": "year"},
        }
    )
    assert yearly.type == "recurring"
    assert yearly.currency == "usd"
    assert yearly.recurring.interval == "year"
    assert client.v1.prices.retrieve(seat_price.id).unit_amount == 500

    listed = client.v1.prices.list({"product": seat_price.product})
    assert [price.id for price in listed.data] == [yearly.id, seat_price.id]  # newest first
    assert listed.has_more is False
    monthly = client.v1.prices.list(
        {"product": seat_price.product, "recurring": {"interval": "month"}}
    )
    assert [price.id for price in monthly.data] == [seat_price.id]

    archived = client.v1.prices.update(yearly.id, {"active": False, "metadata": {"old": "yes"}})
    assert archived.active is False
    assert archived.metadata.to_dict() == {"old": "yes"}
    active = client.v1.prices.list({"product": seat_price.product, "active": True})
    assert [price.id for price in active.data] == [seat_price.id]


def test_a_price_needs_a_product_and_an_amount(client: stripe.StripeClient):
    with pytest.raises(stripe.InvalidRequestError) as refusal:
        client.v1.prices.create({"unit_amount": 500, "currency": "usd"})
    assert refusal.value.http_status == 400
    assert refusal.value.param == "product"
    with pytest.raises(stripe.InvalidRequestError) as refusal:
        client.v1.prices.create({"product": "prod_missing", "unit_amount": 5, "currency": "usd"})
    assert refusal.value.http_status == 404


def test_search_finds_objects_by_metadata(client: stripe.StripeClient):
    domain = f"search-{uuid.uuid4().hex[:8]}.example"
    product = client.v1.products.create({"name": "Seats", "metadata": {"domain": domain}})
    client.v1.products.create({"name": "Seats", "metadata": {"domain": "elsewhere.example"}})
    found = client.v1.products.search({"query": f"metadata['domain']:'{domain}' AND active:'true'"})
    assert [p.id for p in found.data] == [product.id]


def test_the_same_idempotency_key_gives_the_same_checkout_session(
    local_stripe: LocalStripeForTests, client: stripe.StripeClient, customer: Any, seat_price: Any
):
    key = f"checkout-{uuid.uuid4()}"
    first = _checkout(client, customer, seat_price, key=key)
    second = _checkout(client, customer, seat_price, key=key)
    assert second.id == first.id
    assert first.status == "open"
    assert first.url == f"{local_stripe.api_base}/checkout/{first.id}"

    with pytest.raises(stripe.IdempotencyError):
        _checkout(client, customer, seat_price, quantity=4, key=key)
    sessions = client.v1.checkout.sessions.list({"customer": customer.id})
    assert [s.id for s in sessions.data] == [first.id]


def test_the_checkout_page_shows_the_price_and_a_way_back(
    local_stripe: LocalStripeForTests, client: stripe.StripeClient, customer: Any, seat_price: Any
):
    session = _checkout(client, customer, seat_price, quantity=3)
    status, _, body = http_request("GET", session.url)
    page = body.decode()
    assert status == 200
    assert '<html lang="en">' in page
    assert "<h1>Subscribe to Organization seats</h1>" in page
    assert "$5.00 per seat per month" in page
    assert "$15.00 per month" in page
    assert '<button type="submit">Pay</button>' in page
    assert '<a href="http://localhost/billing/">Cancel</a>' in page


def test_paying_creates_the_subscription_and_signed_events(
    local_stripe: LocalStripeForTests, client: stripe.StripeClient, customer: Any, seat_price: Any
):
    session = _checkout(client, customer, seat_price, quantity=3)

    landed = local_stripe.pay(session.url)

    assert landed == f"http://localhost/billing/done/?session={session.id}"
    session = client.v1.checkout.sessions.retrieve(
        session.id, {"expand": ["subscription", "customer"]}
    )
    assert session.status == "complete"
    assert session.payment_status == "paid"
    assert session.url is None
    subscription = session.subscription
    assert subscription.status == "active"
    assert subscription.customer == customer.id
    item = subscription["items"].data[0]
    assert item.quantity == 3
    assert item.price.id == seat_price.id
    assert item.current_period_end > item.current_period_start
    # Metadata from the session and from subscription_data.
    assert subscription.metadata.to_dict() == {
        "domain": "localhost",
        "billing_service": "warehouse-orgs",
    }

    events = {e["type"]: e for e in local_stripe.events(related=customer.id)}
    completed = _verified(local_stripe, events["checkout.session.completed"])
    assert completed.data.object.subscription == subscription.id
    created = _verified(local_stripe, events["customer.subscription.created"])
    assert created.data.object.id == subscription.id
    assert created.data.object["items"].data[0].current_period_end == item.current_period_end
    # A second Pay (a double click) changes nothing.
    again, _, _ = http_request("POST", f"{local_stripe.api_base}/checkout/{session.id}/pay")
    assert again == 409
    assert len(client.v1.subscriptions.list({"customer": customer.id}).data) == 1


def test_a_forged_signature_is_refused_by_the_sdk(
    local_stripe: LocalStripeForTests, client: stripe.StripeClient, customer: Any, seat_price: Any
):
    _paid_subscription(local_stripe, client, customer, seat_price)
    entry = local_stripe.events(type="customer.subscription.created", related=customer.id)[0]
    payload, headers = local_stripe.signed(entry["id"])
    assert _verified(local_stripe, {"payload": payload, "headers": headers}).id == entry["id"]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, headers["Stripe-Signature"], "whsec_someone_else")


def test_changing_the_seats_keeps_the_item_and_emits_an_update(
    local_stripe: LocalStripeForTests, client: stripe.StripeClient, customer: Any, seat_price: Any
):
    subscription = _paid_subscription(local_stripe, client, customer, seat_price)
    item = subscription["items"].data[0]
    key = f"seats-{uuid.uuid4()}"

    updated = client.v1.subscription_items.update(
        item.id, {"quantity": 5}, options={"idempotency_key": key}
    )
    replayed = client.v1.subscription_items.update(
        item.id, {"quantity": 5}, options={"idempotency_key": key}
    )

    assert updated.id == item.id
    assert updated.quantity == 5
    assert replayed.quantity == 5
    subscription = client.v1.subscriptions.retrieve(subscription.id)
    assert subscription["items"].data[0].id == item.id
    assert subscription["items"].data[0].quantity == 5
    updates = local_stripe.events(type="customer.subscription.updated", related=subscription.id)
    assert len(updates) == 1  # the replay did nothing
    event = _verified(local_stripe, updates[0])
    assert event.data.object["items"].data[0].quantity == 5
    previous = event.data.previous_attributes.to_dict()
    assert previous["items"]["data"][0]["quantity"] == 3
    assert event.request.idempotency_key == key


def test_the_portal_cancels_at_period_end_and_now(
    local_stripe: LocalStripeForTests, client: stripe.StripeClient, customer: Any, seat_price: Any
):
    subscription = _paid_subscription(local_stripe, client, customer, seat_price)
    portal = client.v1.billing_portal.sessions.create(
        {"customer": customer.id, "return_url": "http://localhost/billing/"}
    )
    status, _, body = http_request("GET", portal.url)
    page = body.decode()
    assert status == 200
    assert "<h1>Billing for Acme Tools</h1>" in page
    assert '<button type="submit">Cancel now</button>' in page
    assert '<button type="submit">Cancel at period end</button>' in page
    assert '<a href="http://localhost/billing/">Back</a>' in page

    back = local_stripe.portal_action(portal.url, subscription.id, "cancel_at_period_end")
    assert back == f"{portal.url}?done=cancel_at_period_end"
    ending = client.v1.subscriptions.retrieve(subscription.id)
    assert ending.cancel_at_period_end is True
    assert ending.status == "active"
    update = local_stripe.events(type="customer.subscription.updated", related=subscription.id)
    assert _verified(local_stripe, update[0]).data.object.cancel_at_period_end is True

    local_stripe.portal_action(portal.url, subscription.id, "seats", quantity=7)
    assert client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].quantity == 7

    local_stripe.portal_action(portal.url, subscription.id, "cancel")
    assert client.v1.subscriptions.retrieve(subscription.id).status == "canceled"
    deleted = local_stripe.events(type="customer.subscription.deleted", related=subscription.id)
    assert _verified(local_stripe, deleted[0]).data.object.status == "canceled"
    _, _, body = http_request("GET", portal.url)
    assert "Cancel now" not in body.decode()
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.cancel(subscription.id)


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[bytes, str]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((body, self.headers["Stripe-Signature"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, list[tuple[bytes, str]]]]:
    received: list[tuple[bytes, str]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/billing/webhook/", received
    server.shutdown()
    server.server_close()


def test_events_are_delivered_signed_and_can_be_resent(
    local_stripe: LocalStripeForTests,
    client: stripe.StripeClient,
    customer: Any,
    seat_price: Any,
    webhook_receiver: tuple[str, list[tuple[bytes, str]]],
):
    url, received = webhook_receiver
    with local_stripe.webhooks_to(url):
        subscription = _paid_subscription(local_stripe, client, customer, seat_price)
        created = local_stripe.events(type="customer.subscription.created", related=customer.id)
        delivery = local_stripe.wait_for_delivery(created[0]["id"])
        assert delivery["url"] == url
        assert local_stripe.resend(created[0]["id"]) == [url]
        local_stripe.wait_for_delivery(created[0]["id"])

    def delivered(event_id: str) -> list[stripe.Event]:
        events = [
            stripe.Webhook.construct_event(body, signature, local_stripe.webhook_secret)
            for body, signature in list(received)
        ]
        return [event for event in events if event.id == event_id]

    assert delivered(created[0]["id"])[0].data.object.id == subscription.id
    completed = local_stripe.events(type="checkout.session.completed", related=customer.id)
    assert delivered(completed[0]["id"])


def test_the_server_keeps_its_state_and_stops_cleanly(tmp_path: Path):
    with running_local_stripe(tmp_path) as server:
        stripe_client = stripe.StripeClient(
            server.secret_key, base_addresses={"api": server.api_base}, max_network_retries=0
        )
        customer = stripe_client.v1.customers.create({"name": "Kept"})
    assert server.process.returncode == 0
    assert (tmp_path / "state.pickle").exists()

    with running_local_stripe(tmp_path) as restarted:
        stripe_client = stripe.StripeClient(
            restarted.secret_key, base_addresses={"api": restarted.api_base}
        )
        assert stripe_client.v1.customers.retrieve(customer.id).name == "Kept"
        status, _, body = http_request("GET", f"{restarted.api_base}/v1/customers")
        assert status == 401, body  # the API wants a key; the hosted pages do not
    assert restarted.process.returncode == 0


def test_the_events_page_lists_what_happened(
    local_stripe: LocalStripeForTests, client: stripe.StripeClient, customer: Any
):
    status, _, body = http_request("GET", f"{local_stripe.api_base}/_dev/")
    assert status == 200
    assert "<h1>Local Stripe events</h1>" in body.decode()
    assert customer.id in body.decode()
    entry = local_stripe.events(type="customer.created", related=customer.id)[0]
    assert json.loads(entry["payload"])["data"]["object"]["id"] == customer.id


def test_the_portal_simulates_a_declined_renewal_and_its_payment(
    local_stripe: LocalStripeForTests, client: stripe.StripeClient, customer: Any, seat_price: Any
):
    subscription = _paid_subscription(local_stripe, client, customer, seat_price)
    portal = client.v1.billing_portal.sessions.create({"customer": customer.id})

    back = local_stripe.portal_action(portal.url, subscription.id, "fail_payment")

    assert back == f"{portal.url}?done=payment_failed"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"
    failed = local_stripe.events(type="invoice.payment_failed", related=subscription.id)
    invoice = _verified(local_stripe, failed[0]).data.object
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert invoice.customer == customer.id
    _, _, body = http_request("GET", back)
    assert '<p role="status">The renewal payment failed (simulated)' in body.decode()

    local_stripe.portal_action(portal.url, subscription.id, "pay_invoice")
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    updates = local_stripe.events(type="customer.subscription.updated", related=subscription.id)
    assert [_verified(local_stripe, u).data.object.status for u in updates] == [
        "active",
        "past_due",
    ]


def test_dev_serve_starts_the_local_stripe_unless_billing_backend_is_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv("WAREHOUSE_ORGS_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("BILLING_BACKEND", raising=False)
    with contextlib.ExitStack() as stack:
        assert dev._start_local_stripe(stack, "http://127.0.0.1:8123") is True
        settings: dict[str, Any] = {}
        maybe_set_compound(settings, "billing", "backend", "BILLING_BACKEND")
        assert settings["billing.backend"] == BACKEND_CLASS
        assert settings["billing.domain"] == "127.0.0.1"
        stripe_client = stripe.StripeClient(
            settings["billing.secret_key"], base_addresses={"api": settings["billing.api_base"]}
        )
        assert stripe_client.v1.customers.create({"name": "Dev"}).id.startswith("cus_")
        status, _, body = http_request("GET", f"{settings['billing.api_base']}/_dev/health")
        assert status == 200
        assert json.loads(body)["webhooks"] == ["http://127.0.0.1:8123/billing/webhook/"]
    assert (tmp_path / "localstripe" / "state.pickle").exists()
    with pytest.raises(urllib.error.URLError, match="Connection refused"):  # stopped with it
        http_request("GET", f"{settings['billing.api_base']}/_dev/health")

    monkeypatch.setenv("BILLING_BACKEND", "some.other.Backend secret_key=sk_live_x")
    with contextlib.ExitStack() as stack:
        assert dev._start_local_stripe(stack, "http://127.0.0.1:8123") is False
    assert os.environ["BILLING_BACKEND"] == "some.other.Backend secret_key=sk_live_x"


def test_a_local_stripe_that_cannot_start_says_why(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    broken = tmp_path / "broken.py"
    broken.write_text("import sys\nprint('no such thing as a free port')\nsys.exit(3)\n")
    monkeypatch.setattr(local_stripe_module, "PROGRAM", broken)
    with pytest.raises(LocalStripeError, match="no such thing as a free port"):
        local_stripe_module.start_local_stripe(tmp_path / "state")
