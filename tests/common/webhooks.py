"""The payment provider's webhook deliveries, as Stripe sends them: event envelopes around
subscription, checkout session, customer and invoice objects, in the current API's shape and
in the older one localstripe answers with, signed the way Stripe signs them.

A Stripe signature header is ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the
endpoint's secret>``; nothing here uses the SDK, so the tests check our code against the
scheme itself.
"""

import datetime
import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from warehouse_orgs.subscriptions.interfaces import ProviderEvent

# What the webhook tests configure when the shared test settings have no billing yet.
WEBHOOK_SECRET = "whsec_insecure_test_webhook_secret"
BILLING_DOMAIN = "localhost"
BILLING_SETTINGS = {
    "billing.backend": "warehouse_orgs.subscriptions.billing.StripeBillingService",
    "billing.secret_key": "sk_test_insecure_webhook_tests",
    "billing.webhook_secret": WEBHOOK_SECRET,
    "billing.domain": BILLING_DOMAIN,
    # Nothing listens here: a test that reaches the provider fails loudly.
    "billing.api_base": "http://127.0.0.1:9",
    "billing.max_network_retries": "0",
}
SERVICE_NAME = "warehouse-orgs"

_numbers = itertools.count(1)


def fresh_id(prefix: str) -> str:
    return f"{prefix}_{int(time.time() * 1000)}{next(_numbers):05d}"


def timestamp(when: datetime.datetime) -> int:
    return int(when.timestamp())


def metadata(domain: str | None) -> dict[str, str]:
    return {"billing_service": SERVICE_NAME, "domain": domain} if domain else {}


def subscription_object(
    subscription_id: str,
    customer_id: str,
    *,
    status: str = "active",
    price_id: str | None = "price_monthly",
    item_id: str | None = None,
    quantity: int = 1,
    period_end: datetime.datetime | None = None,
    cancel_at_period_end: bool = False,
    domain: str | None = BILLING_DOMAIN,
    older_shape: bool = False,
) -> dict[str, Any]:
    """A subscription. The current API (since 2025-03-31) keeps the period on the seat item;
    the older shape (localstripe) keeps it, and the plan and quantity, on the subscription."""
    period_end = period_end or datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30)
    item_id = item_id or f"si_{subscription_id.removeprefix('sub_')}"
    price = {"id": price_id, "object": "price", "recurring": {"interval": "month"}}
    item: dict[str, Any] = {"id": item_id, "object": "subscription_item", "quantity": quantity}
    subscription: dict[str, Any] = {
        "id": subscription_id,
        "object": "subscription",
        "customer": customer_id,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "metadata": metadata(domain),
        "items": {"object": "list", "data": [item]},
    }
    if older_shape:
        plan = {"id": price_id, "object": "plan", "interval": "month"}
        item["plan"] = plan
        subscription |= {
            "plan": plan,
            "quantity": quantity,
            "current_period_end": timestamp(period_end),
        }
    else:
        item |= {
            "price": price,
            "current_period_start": timestamp(period_end - datetime.timedelta(days=30)),
            "current_period_end": timestamp(period_end),
        }
    return subscription


def checkout_session_object(
    customer_id: str, subscription: str | dict[str, Any], *, domain: str | None = BILLING_DOMAIN
) -> dict[str, Any]:
    return {
        "id": fresh_id("cs"),
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "customer": customer_id,
        "subscription": subscription,
        "metadata": metadata(domain),
    }


def invoice_object(
    customer_id: str,
    subscription_id: str,
    *,
    domain: str | None = BILLING_DOMAIN,
    older_shape: bool = False,
) -> dict[str, Any]:
    """A failed invoice: its subscription is under ``parent.subscription_details`` now, on the
    invoice itself in older API versions."""
    invoice: dict[str, Any] = {
        "id": fresh_id("in"),
        "object": "invoice",
        "customer": customer_id,
        "status": "open",
        "amount_due": 1500,
        "attempt_count": 1,
        "metadata": {},
    }
    if older_shape:
        invoice |= {
            "subscription": subscription_id,
            "subscription_details": {"metadata": metadata(domain)},
        }
    else:
        invoice["parent"] = {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": subscription_id,
                "metadata": metadata(domain),
            },
        }
    return invoice


def customer_object(
    customer_id: str, *, email: str | None = None, domain: str | None = BILLING_DOMAIN
) -> dict[str, Any]:
    return {"id": customer_id, "object": "customer", "email": email, "metadata": metadata(domain)}


def envelope(
    event_type: str,
    obj: dict[str, Any],
    *,
    event_id: str | None = None,
    created: datetime.datetime | None = None,
) -> dict[str, Any]:
    """The event as the provider posts it."""
    created = created or datetime.datetime.now(datetime.UTC)
    return {
        "id": event_id or fresh_id("evt"),
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": timestamp(created),
        "livemode": False,
        "pending_webhooks": 1,
        "type": event_type,
        "data": {"object": obj},
    }


def provider_event(
    event_type: str,
    obj: dict[str, Any],
    *,
    event_id: str | None = None,
    created: datetime.datetime | None = None,
) -> ProviderEvent:
    """The event as the billing service hands it on once its signature is verified."""
    created = (created or datetime.datetime.now(datetime.UTC)).replace(microsecond=0)
    return ProviderEvent(
        event_id=event_id or fresh_id("evt"), event_type=event_type, created=created, data=obj
    )


def sign(body: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """The Stripe-Signature header for ``body``."""
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def signed_delivery(event: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    """The body and its signature header."""
    body = json.dumps(event).encode()
    return body, sign(body, secret)
