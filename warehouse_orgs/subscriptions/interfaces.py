"""The contracts of billing.

- ``IBillingService`` talks to the payment provider (Stripe, or the local Stripe of the dev
  environment and the tests). It holds no local state; every call is one or a few HTTP
  requests. ``BILLING_BACKEND`` names the class and its options.
- ``ISubscriptionService`` is the local mirror (``subscriptions/models.py``): customers,
  prices, subscriptions, seat counts, applied webhook events, terms agreements and manual
  activations, and the good-standing rule that reads them.

Provider objects cross this boundary as the small frozen records below, never as SDK objects,
so the rest of the application does not depend on the SDK's shapes or on which API version the
provider answered with.
"""

import dataclasses
import datetime
import uuid
from typing import TYPE_CHECKING, Any

from zope.interface import Attribute, Interface

if TYPE_CHECKING:
    from warehouse_orgs.accounts.models import User
    from warehouse_orgs.organizations.interfaces import Standing
    from warehouse_orgs.organizations.models import Organization
    from warehouse_orgs.subscriptions.models import (
        BillingTermsAgreement,
        ManualActivation,
        StripeCustomer,
        StripeSubscription,
        StripeSubscriptionPrice,
    )

__all__ = [
    "BillingError",
    "BillingSummary",
    "BillingUnavailable",
    "IBillingService",
    "ISubscriptionService",
    "ProviderEvent",
    "ProviderSubscription",
    "WebhookRefused",
]


class BillingError(Exception):
    """A billing request the rules refuse; the message is for the person who asked."""


class BillingUnavailable(BillingError):
    """The payment provider did not answer, or answered with an error: nothing was changed
    locally, and the person may try again."""


class WebhookRefused(Exception):
    """A webhook delivery that is not the provider's (bad or missing signature) or cannot be
    read: answered 400, nothing changed."""


@dataclasses.dataclass(frozen=True)
class ProviderSubscription:
    """A subscription as the provider knows it now."""

    subscription_id: str
    customer_id: str
    status: str
    price_id: str | None
    subscription_item_id: str | None
    quantity: int
    cancel_at_period_end: bool
    current_period_end: datetime.datetime | None
    metadata: dict[str, str]


@dataclasses.dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook event: its id, type, time, and the object it is about (a plain dict
    in the provider's JSON shape, whatever API version sent it)."""

    event_id: str
    event_type: str
    created: datetime.datetime
    data: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class BillingSummary:
    """An organization's billing as the local mirror has it: its customer, every
    subscription it has had (newest first, items and prices loaded), the seats it uses, its
    standing and its manual activation (expired or not)."""

    customer: "StripeCustomer | None"
    subscriptions: list["StripeSubscription"]
    seats_used: int
    standing: "Standing"
    manual_activation: "ManualActivation | None"


class IBillingService(Interface):
    """The payment provider. Every create call carries an idempotency key; every object it
    creates carries metadata naming this service and its domain, so deployments sharing one
    provider account tell their objects apart. Raises BillingUnavailable when the provider
    fails."""

    domain = Attribute("This deployment's domain, as stamped in metadata.")

    def create_service(context: Any, request: Any) -> "IBillingService":
        """The factory registered for the interface (options from ``billing.*`` settings)."""

    def create_customer(
        organization_id: uuid.UUID, name: str, description: str, idempotency_key: str
    ) -> str:
        """Create a customer for the organization; returns its provider id."""

    def update_customer(customer_id: str, name: str, description: str) -> None:
        """Keep the customer's name and description the organization's."""

    def sync_product(name: str, description: str) -> str:
        """Create the product, or update the one this service made before; returns its id."""

    def sync_price(product_id: str, unit_amount: int, currency: str, interval: str) -> str:
        """Find this product's active price with that amount, currency and interval or create
        it, archiving its other prices of the interval; returns its id."""

    def create_checkout_session(
        customer_id: str,
        price_id: str,
        quantity: int,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
    ) -> str:
        """A hosted checkout for a subscription of ``quantity`` seats; returns its URL."""

    def create_portal_session(customer_id: str, return_url: str) -> str:
        """A hosted billing portal for the customer; returns its URL."""

    def retrieve_subscription(subscription_id: str) -> ProviderSubscription | None:
        """The subscription as the provider knows it now, or None if it has none."""

    def update_seats(subscription_item_id: str, quantity: int, idempotency_key: str) -> None:
        """Set the seat item's quantity."""

    def cancel_subscription(subscription_id: str) -> None:
        """Cancel now (an organization being deleted). Already canceled: nothing happens."""

    def cancel_subscription_at_period_end(subscription_id: str) -> None:
        """Let the subscription run to the end of the paid period, then end."""

    def verify_webhook(payload: bytes, signature_header: str | None) -> ProviderEvent:
        """The event, if the signature is the provider's; else raises WebhookRefused."""

    def dashboard_url(kind: str, provider_id: str) -> str:
        """Where staff see this object at the provider ("customers", "subscriptions")."""


class ISubscriptionService(Interface):
    """The local mirror and the rules that read it. Every change takes the organization's lock
    and records an event on it. Nothing here talks to the provider or sends email."""

    def standing(organization: "Organization") -> Any:
        """Whether the organization is in good standing, and why not (see organizations'
        ``IOrganizationStanding``, which this implements)."""

    def customer(organization: "Organization") -> "StripeCustomer | None":
        """The organization's customer, if it has one."""

    def add_customer(organization: "Organization", customer_id: str) -> "StripeCustomer":
        """Record the organization's customer (one per organization, in the database)."""

    def active_price(interval: str) -> "StripeSubscriptionPrice | None":
        """The active price of the interval ("month", "year")."""

    def prices() -> list["StripeSubscriptionPrice"]:
        """The active prices, monthly first."""

    def live_subscription(organization: "Organization") -> "StripeSubscription | None":
        """The organization's subscription that is not over (not canceled), if any."""

    def subscriptions(organization: "Organization") -> list["StripeSubscription"]:
        """Every subscription the organization has had, newest first, with items and prices."""

    def subscriptions_to_reconcile() -> list["StripeSubscription"]:
        """Every live subscription, with its item and its customer's organization loaded:
        what the daily reconciliation asks the provider about."""

    def seat_count(organization: "Organization") -> int:
        """People with any role in the organization: what it pays for."""

    def billing_summary(organization: "Organization") -> BillingSummary:
        """``customer``, ``subscriptions``, ``seat_count``, ``standing`` and
        ``manual_activation`` at once, in one statement however many subscriptions."""

    def record_terms_agreement(organization: "Organization", user: "User", interval: str) -> None:
        """``user`` agreed to the current billing terms for the organization, choosing
        ``interval``."""

    def latest_terms_agreement(organization: "Organization") -> "BillingTermsAgreement | None":
        """The organization's most recent agreement to the billing terms (its interval is
        what a checkout charges), or None."""

    def apply_subscription(
        subscription: ProviderSubscription, occurred: datetime.datetime
    ) -> "StripeSubscription | None":
        """Bring the mirror in line with the provider's subscription as of ``occurred``:
        create it, or update its status, seats and period, unless newer news is already in
        (out-of-order deliveries are harmless). None if its customer is not ours."""

    def apply_event(event: ProviderEvent) -> bool:
        """Apply a verified webhook event at most once (its id is recorded in the same
        transaction); False if it was seen before or is not ours (another domain)."""

    def organizations_to_remind(
        now: datetime.datetime, lapsed_for: datetime.timedelta, every: datetime.timedelta
    ) -> list["Organization"]:
        """Active Company organizations out of good standing for longer than ``lapsed_for``
        (since they were made, their last subscription ended or their manual activation
        expired) whose Owners were not reminded within ``every``."""

    def record_reminder(organization: "Organization", now: datetime.datetime) -> None:
        """The organization's Owners were reminded now (an event on the organization)."""

    def manual_activation(organization: "Organization") -> "ManualActivation | None":
        """The organization's manual activation, expired or not."""

    def set_manual_activation(
        organization: "Organization", seat_limit: int, expires: datetime.date
    ) -> "ManualActivation":
        """Add or change the organization's manual activation."""

    def delete_manual_activation(organization: "Organization") -> None:
        """End the organization's manual activation."""
