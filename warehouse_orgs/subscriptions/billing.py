"""The payment provider: Stripe, through the official SDK's ``StripeClient``.

Nothing here keeps state or touches the database; every method is one or a few HTTP requests,
and what comes back crosses into the application as the plain records of ``interfaces.py``.
The same code talks to Stripe and to the local Stripe of the dev environment and the tests
(``billing.api_base``), which answers in older object shapes, so every reader below accepts
both the current shape (API 2026-10-28) and the older ones.
"""

import contextlib
import datetime
import hashlib
import logging
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, Self
from urllib.parse import urlsplit

import stripe
from pyramid.exceptions import ConfigurationError
from pyramid.request import Request
from zope.interface import implementer

from warehouse_orgs.subscriptions.interfaces import (
    BillingUnavailable,
    IBillingService,
    ProviderEvent,
    ProviderSubscription,
    WebhookRefused,
)
from warehouse_orgs.subscriptions.payloads import subscription_from_payload

logger = logging.getLogger(__name__)

# The API version this code reads and writes. Pinned rather than left to the SDK's default, so
# an SDK upgrade that moves to a newer API version fails a test (see test_billing_service.py)
# instead of silently changing the object shapes the readers below expect.
STRIPE_API_VERSION = "2026-10-28.endive"
# The metadata every object this service creates carries, with the deployment's domain, so
# deployments sharing one Stripe account can tell their objects (and events) apart.
SERVICE_NAME = "warehouse-orgs"
# A person is waiting on most of these calls: better a clear error soon than a hung page.
REQUEST_TIMEOUT_SECONDS = 10.0
MAX_NETWORK_RETRIES = 2

UNAVAILABLE_MESSAGE = (
    "The payment provider did not answer. Nothing was changed; try again in a minute."
)
# Subscriptions in these statuses are over; canceling them again is a no-op.
ENDED_STATUSES = frozenset({"canceled", "incomplete_expired"})
# The options of BILLING_BACKEND this backend cannot run without (config.py checks them too).
REQUIRED_OPTIONS = ("secret_key", "webhook_secret")
DASHBOARD_KINDS = frozenset({"customers", "subscriptions", "products", "prices", "invoices"})


@contextlib.contextmanager
def _provider_call(action: str) -> Iterator[None]:
    """Turn any failure talking to Stripe into BillingUnavailable, logging what it was."""
    try:
        yield
    except stripe.StripeError as error:
        # str(error) carries Stripe's request id and message; the key is never in it.
        logger.warning(
            "Stripe failed to %s: %s (status %s, code %s): %s",
            action,
            type(error).__name__,
            error.http_status,
            error.code,
            error,
        )
        raise BillingUnavailable(UNAVAILABLE_MESSAGE) from error
    except OSError as error:
        # The SDK wraps what requests raises, but a socket error may still slip through.
        logger.warning("Stripe failed to %s: %s: %s", action, type(error).__name__, error)
        raise BillingUnavailable(UNAVAILABLE_MESSAGE) from error


def _plain(value: Any) -> Any:
    """An SDK object as plain dicts and lists, all the way down."""
    if isinstance(value, stripe.StripeObject):
        return value.to_dict(recursive=True)
    return value


def _timestamp(value: Any) -> datetime.datetime | None:
    if value is None or value == "":
        return None
    return datetime.datetime.fromtimestamp(int(value), datetime.UTC)


def _id_of(value: Any) -> str | None:
    """An expandable field: the object's id, whether it came expanded or as its id."""
    if isinstance(value, Mapping):
        return value.get("id")
    return value or None


def subscription_record(subscription: Mapping[str, Any]) -> ProviderSubscription:
    """A subscription the provider answered with, as the record the mirror applies (the one
    reader in ``payloads.py``); an answer that is no subscription is the provider failing."""
    record = subscription_from_payload(subscription)
    if record is None:
        raise BillingUnavailable(UNAVAILABLE_MESSAGE)
    return record


def _derived_idempotency_key(*parts: object) -> str:
    """The same inputs give the same key, so running a sync twice (or two at once) creates the
    object once; different inputs never share a key (Stripe refuses a key reused with other
    parameters)."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()
    return f"{SERVICE_NAME}-{digest[:48]}"


def _recurring_interval(price: Mapping[str, Any]) -> str | None:
    recurring = price.get("recurring") or {}
    return recurring.get("interval") or price.get("interval")


def _is_active(obj: Mapping[str, Any]) -> bool:
    return bool(obj.get("active", True))


def _is_per_seat(price: Mapping[str, Any]) -> bool:
    recurring = price.get("recurring") or {}
    return (
        recurring.get("usage_type", "licensed") == "licensed"
        and price.get("billing_scheme", "per_unit") == "per_unit"
    )


@implementer(IBillingService)
class StripeBillingService:
    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        domain: str,
        api_base: str | None = None,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
        max_network_retries: int = MAX_NETWORK_RETRIES,
    ) -> None:
        self.domain = domain
        self._webhook_secret = webhook_secret
        self._live = not secret_key.startswith(("sk_test_", "rk_test_"))
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            stripe_version=STRIPE_API_VERSION,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    @classmethod
    def create_service(cls, context: Any, request: Request) -> Self:
        settings = request.registry.settings
        missing = [option for option in REQUIRED_OPTIONS if not settings.get(f"billing.{option}")]
        if missing:
            raise ConfigurationError(
                "BILLING_BACKEND needs " + " and ".join(f"{option}=..." for option in missing)
            )
        return cls(
            secret_key=settings["billing.secret_key"],
            webhook_secret=settings["billing.webhook_secret"],
            domain=billing_domain(settings),
            api_base=settings.get("billing.api_base") or None,
            timeout=float(settings.get("billing.timeout", REQUEST_TIMEOUT_SECONDS)),
            max_network_retries=int(
                settings.get("billing.max_network_retries", MAX_NETWORK_RETRIES)
            ),
        )

    def _metadata(self, **extra: str) -> dict[str, str]:
        return {"billing_service": SERVICE_NAME, "domain": self.domain, **extra}

    def _is_ours(self, obj: Mapping[str, Any]) -> bool:
        metadata = obj.get("metadata") or {}
        return (
            metadata.get("billing_service") == SERVICE_NAME
            and metadata.get("domain") == self.domain
        )

    # Customers

    def create_customer(
        self, organization_id: uuid.UUID, name: str, description: str, idempotency_key: str
    ) -> str:
        with _provider_call("create a customer"):
            customer = self._client.v1.customers.create(
                {
                    "name": name,
                    "description": description,
                    "metadata": self._metadata(organization_id=str(organization_id)),
                },
                options={"idempotency_key": idempotency_key},
            )
        return customer.id

    def update_customer(self, customer_id: str, name: str, description: str) -> None:
        with _provider_call("update a customer"):
            self._client.v1.customers.update(
                customer_id, {"name": name, "description": description}
            )

    # The product and its prices

    def sync_product(self, name: str, description: str) -> str:
        with _provider_call("sync the product"):
            ours = [
                product
                for product in map(
                    _plain, self._client.v1.products.list({"limit": 100}).auto_paging_iter()
                )
                if self._is_ours(product)
            ]
            # The one with this name, else the newest we made (the product was renamed).
            ours.sort(key=lambda product: (product.get("name") == name, product["created"]))
            if ours:
                product = ours[-1]
                wanted = {"name": name, "description": description, "active": True}
                changes = {k: v for k, v in wanted.items() if product.get(k) != v}
                if changes:
                    self._client.v1.products.update(product["id"], changes)
                return product["id"]
            created = self._client.v1.products.create(
                {"name": name, "description": description, "metadata": self._metadata()},
                options={
                    "idempotency_key": _derived_idempotency_key(
                        "product", self.domain, name, description
                    )
                },
            )
            return created.id

    def sync_price(self, product_id: str, unit_amount: int, currency: str, interval: str) -> str:
        currency = currency.lower()
        with _provider_call("sync a price"):
            # Archived ones too: going back to an earlier amount brings its price back rather
            # than making yet another.
            same_interval = [
                price
                for price in map(
                    _plain,
                    self._client.v1.prices.list(
                        {"product": product_id, "limit": 100}
                    ).auto_paging_iter(),
                )
                if _recurring_interval(price) == interval and self._is_ours(price)
            ]
            matching = [
                price
                for price in same_interval
                if price.get("unit_amount") == unit_amount
                and price.get("currency") == currency
                and _is_per_seat(price)
            ]
            if matching:
                # The active one if there is one, else the newest.
                chosen = max(matching, key=lambda price: (_is_active(price), price["created"]))
                if not _is_active(chosen):
                    self._client.v1.prices.update(chosen["id"], {"active": True})
                price_id = chosen["id"]
            else:
                price_id = self._create_price(product_id, unit_amount, currency, interval)
            # Archived only once the new one is active: there is always a price to sell.
            for price in same_interval:
                if price["id"] != price_id and _is_active(price):
                    self._client.v1.prices.update(price["id"], {"active": False})
        return price_id

    def _create_price(self, product_id: str, unit_amount: int, currency: str, interval: str) -> str:
        created = self._client.v1.prices.create(
            {
                "product": product_id,
                "unit_amount": unit_amount,
                "currency": currency,
                # Licensed per seat: the quantity is the seat count, set by update_seats.
                "recurring": {"interval": interval, "usage_type": "licensed"},
                "billing_scheme": "per_unit",
                "metadata": self._metadata(),
            },
            options={
                "idempotency_key": _derived_idempotency_key(
                    "price", self.domain, product_id, unit_amount, currency, interval
                )
            },
        )
        return created.id

    # Checkout and the portal

    def create_checkout_session(
        self,
        customer_id: str,
        price_id: str,
        quantity: int,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
    ) -> str:
        with _provider_call("start a checkout"):
            session = self._client.v1.checkout.sessions.create(
                {
                    "mode": "subscription",
                    "customer": customer_id,
                    "line_items": [{"price": price_id, "quantity": quantity}],
                    "success_url": success_url,
                    "cancel_url": cancel_url,
                    "metadata": self._metadata(),
                    # The subscription it creates is ours too, so its events are recognised.
                    "subscription_data": {"metadata": self._metadata()},
                },
                options={"idempotency_key": idempotency_key},
            )
        return session.url

    def create_portal_session(self, customer_id: str, return_url: str) -> str:
        with _provider_call("open the billing portal"):
            session = self._client.v1.billing_portal.sessions.create(
                {"customer": customer_id, "return_url": return_url},
                # A portal session is short-lived and has no metadata; the key only keeps the
                # SDK's own retries from opening two.
                options={"idempotency_key": str(uuid.uuid4())},
            )
        return session.url

    # Subscriptions

    def retrieve_subscription(self, subscription_id: str) -> ProviderSubscription | None:
        with _provider_call("fetch a subscription"):
            try:
                subscription = self._client.v1.subscriptions.retrieve(subscription_id)
            except stripe.InvalidRequestError as error:
                if error.http_status == 404:
                    return None
                raise
        return subscription_record(_plain(subscription))

    def update_seats(self, subscription_item_id: str, quantity: int, idempotency_key: str) -> None:
        with _provider_call("update the seats"):
            self._client.v1.subscription_items.update(
                subscription_item_id,
                {"quantity": quantity},
                options={"idempotency_key": idempotency_key},
            )

    def cancel_subscription(self, subscription_id: str) -> None:
        current = self.retrieve_subscription(subscription_id)
        if current is None or current.status in ENDED_STATUSES:
            return
        with _provider_call("cancel a subscription"):
            self._client.v1.subscriptions.cancel(subscription_id)

    def cancel_subscription_at_period_end(self, subscription_id: str) -> None:
        with _provider_call("cancel a subscription at the end of its period"):
            self._client.v1.subscriptions.update(subscription_id, {"cancel_at_period_end": True})

    # Webhooks

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> ProviderEvent:
        if not signature_header:
            raise WebhookRefused("The request carries no Stripe-Signature header.")
        try:
            event = _plain(
                self._client.construct_event(payload, signature_header, self._webhook_secret)
            )
        except stripe.SignatureVerificationError as error:
            raise WebhookRefused("The signature is not the payment provider's.") from error
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            # Signed, but not an event we can read (UnicodeDecodeError is a ValueError).
            raise WebhookRefused("The payload is not a readable event.") from error
        try:
            data = event["data"]["object"]
            if not isinstance(data, Mapping):
                raise TypeError("data.object is not an object")
            created = _timestamp(event["created"])
            if created is None:
                raise ValueError("no created time")
            return ProviderEvent(
                event_id=str(event["id"]),
                event_type=str(event["type"]),
                created=created,
                data=dict(data),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise WebhookRefused("The payload is not a readable event.") from error

    def dashboard_url(self, kind: str, provider_id: str) -> str:
        if kind not in DASHBOARD_KINDS:
            raise ValueError(f"No dashboard page for {kind!r}")
        mode = "" if self._live else "test/"
        return f"https://dashboard.stripe.com/{mode}{kind}/{provider_id}"


def billing_domain(settings: Mapping[str, Any]) -> str:
    """``billing.domain``, else the host of ``site.url``: what this deployment stamps on the
    objects it creates."""
    return settings.get("billing.domain") or urlsplit(settings["site.url"]).hostname or ""
