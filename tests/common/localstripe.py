"""The local Stripe in the test session: one server per xdist worker, started by the first test
that asks for ``local_stripe`` and stopped at the end of the session, its state in a temporary
directory.

The application talks to it with the ``stripe`` SDK over HTTP, as in production. Tests drive
its hosted checkout and portal pages with plain HTTP (``pay``, ``portal_action``) or with
Chromium, and read the events it emitted, each signed with the webhook secret (``events``,
``signed``), to post them to a webtest app, which has no HTTP server for the local Stripe to
deliver to. A test with a live server sets the webhook URL instead (``webhooks_to``).
"""

import contextlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from warehouse_orgs.cli.local_stripe import BACKEND_CLASS, LocalStripe, running_local_stripe

# The webhook secret the test session's local Stripe signs with.
TEST_WEBHOOK_SECRET = "whsec_insecure_local_stripe_tests"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def http_request(
    method: str, url: str, form: dict[str, Any] | None = None
) -> tuple[int, dict, bytes]:
    """One request, redirects not followed: (status, headers, body)."""
    data = urllib.parse.urlencode(form or {}).encode() if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (loopback)
    try:
        with _opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class LocalStripeForTests:
    """The worker's local Stripe, and what tests do with it."""

    def __init__(self, server: LocalStripe) -> None:
        self.server = server

    @property
    def api_base(self) -> str:
        return self.server.api_base

    @property
    def secret_key(self) -> str:
        return self.server.secret_key

    @property
    def publishable_key(self) -> str:
        return self.server.publishable_key

    @property
    def webhook_secret(self) -> str:
        return self.server.webhook_secret

    def client(self) -> stripe.StripeClient:
        """The official SDK pointed at this server, as the application's backend is."""
        return stripe.StripeClient(
            self.secret_key, base_addresses={"api": self.api_base}, max_network_retries=0
        )

    def billing_settings(self, domain: str = "localhost") -> dict[str, str]:
        """The ``billing.*`` settings of an application that uses this server."""
        return {
            "billing.backend": BACKEND_CLASS,
            "billing.api_base": self.api_base,
            "billing.secret_key": self.secret_key,
            "billing.webhook_secret": self.webhook_secret,
            "billing.domain": domain,
        }

    # Webhooks

    def set_webhook_url(self, url: str | None) -> None:
        """Where events are POSTed from now on; None: nowhere (they are still listed)."""
        status, _, body = http_request("POST", f"{self.api_base}/_dev/webhook", {"url": url or ""})
        assert status == 200, body

    @contextlib.contextmanager
    def webhooks_to(self, url: str) -> Iterator[None]:
        """Deliver to ``url`` for the block, then to nowhere again (the server is shared by
        every test of the worker)."""
        self.set_webhook_url(url)
        try:
            yield
        finally:
            self.set_webhook_url(None)

    def events(
        self, type: str | None = None, related: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The emitted events, newest first: each with ``id``, ``type``, ``created``,
        ``deliveries``, the raw signed ``payload`` and its ``headers``, and ``event`` (the
        payload parsed). ``related``: about this object id, or its customer or subscription."""
        query = {"limit": limit, **({"type": type} if type else {})}
        if related:
            query["related"] = related
        status, _, body = http_request(
            "GET", f"{self.api_base}/_dev/events?{urllib.parse.urlencode(query)}"
        )
        assert status == 200, body
        entries = json.loads(body)["data"]
        for entry in entries:
            entry["event"] = json.loads(entry["payload"])
        return entries

    def event(self, event_id: str) -> dict[str, Any]:
        """One event, as ``events`` lists it."""
        status, _, body = http_request("GET", f"{self.api_base}/_dev/events/{event_id}")
        assert status == 200, body
        entry = json.loads(body)
        entry["event"] = json.loads(entry["payload"])
        return entry

    def deliver_newest(self, webtest_app: Any, event_type: str, related: str) -> dict[str, Any]:
        """POST the newest such event, signed now, to the webtest app's webhook, as Stripe
        would (a webtest app has no server the local Stripe could reach); returns the event."""
        (entry, *_) = self.events(type=event_type, related=related)
        body, headers = self.signed(entry["id"])
        webtest_app.post(
            "/billing/webhook/",
            body,
            headers={"Content-Type": "application/json", **headers},
            status=200,
        )
        return entry

    def signed(self, event_id: str) -> tuple[bytes, dict[str, str]]:
        """The event's body and headers, signed now, as a delivery would carry them."""
        status, _, body = http_request("GET", f"{self.api_base}/_dev/events/{event_id}/signed")
        assert status == 200, body
        signed = json.loads(body)
        return signed["payload"].encode(), signed["headers"]

    def resend(self, event_id: str) -> list[str]:
        """Deliver the event again to the webhook URL; returns where it was queued for."""
        status, _, body = http_request("POST", f"{self.api_base}/_dev/events/{event_id}/resend")
        assert status == 202, body
        return json.loads(body)["queued"]

    def wait_for_delivery(self, event_id: str, timeout: float = 15) -> dict[str, Any]:
        """The event's first successful delivery, once it has happened."""
        deadline = time.monotonic() + timeout
        while True:
            entry = self.event(event_id)
            delivered = [d for d in entry["deliveries"] if 200 <= d.get("status", 0) < 300]
            if delivered:
                return delivered[0]
            assert time.monotonic() < deadline, f"{event_id} not delivered: {entry['deliveries']}"
            time.sleep(0.1)

    # The hosted pages, as a person clicks through them

    def pay(self, checkout_url: str) -> str:
        """Press Pay on the checkout page; returns where it sends the person (success_url)."""
        status, headers, body = http_request("POST", f"{checkout_url}/pay")
        assert status == 303, body
        return headers["Location"]

    def portal_action(
        self, portal_url: str, subscription_id: str, action: str, quantity: int | None = None
    ) -> str:
        """Press a button of the portal: ``cancel`` (now), ``cancel_at_period_end``, ``renew``,
        ``seats`` (with ``quantity``), or the simulations ``fail_payment`` (a declined renewal:
        past due, ``invoice.payment_failed``) and ``pay_invoice``; returns the portal page it
        goes back to."""
        form = {"quantity": quantity} if quantity is not None else {}
        url = f"{portal_url}/subscriptions/{subscription_id}/{action}"
        status, headers, body = http_request("POST", url, form)
        assert status == 303, body
        return urllib.parse.urljoin(portal_url, headers["Location"])


@pytest.fixture(scope="session")
def local_stripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripeForTests]:
    state_dir = Path(tmp_path_factory.mktemp("localstripe"))
    with running_local_stripe(state_dir, webhook_secret=TEST_WEBHOOK_SECRET) as server:
        yield LocalStripeForTests(server)
