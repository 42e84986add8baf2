"""The local mirror of what the payment provider (Stripe) knows about Company organizations:
their customer, the product and its prices, subscriptions and their seat item; the webhook
events already applied; the terms each organization agreed to; staff's manual activations.

Stripe's ids are kept as strings. The mirror is what good standing is judged by; webhooks and
the daily reconciliation keep it true.
"""

import datetime
import enum
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warehouse_orgs.db import Model
from warehouse_orgs.labels import LabelledEnum

if TYPE_CHECKING:
    from warehouse_orgs.organizations.models import Organization

# Stripe's ids: "cus_…", "sub_…", "si_…", "price_…", "prod_…", "evt_…"; well under this.
STRIPE_ID_MAX_LENGTH = 255


def _values_check(column: str, values: type[enum.Enum]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v.value}'" for v in values))


class SubscriptionStatus(LabelledEnum):
    """Stripe's subscription statuses, in its own spelling, with words for people."""

    Incomplete = ("incomplete", "Waiting for the first payment")
    IncompleteExpired = ("incomplete_expired", "First payment never made")
    Trialing = ("trialing", "Trial")
    Active = ("active", "Active")
    PastDue = ("past_due", "Payment overdue")
    Canceled = ("canceled", "Canceled")
    Unpaid = ("unpaid", "Unpaid")
    Paused = ("paused", "Paused")


# A subscription in one of these keeps a Company organization in good standing.
GOOD_STANDING_STATUSES = (SubscriptionStatus.Active, SubscriptionStatus.Trialing)
# One that can still change (be paid, managed in the portal, canceled): not over yet.
LIVE_STATUSES = tuple(
    status
    for status in SubscriptionStatus
    if status not in (SubscriptionStatus.Canceled, SubscriptionStatus.IncompleteExpired)
)


class PriceInterval(LabelledEnum):
    Month = ("month", "Monthly")
    Year = ("year", "Yearly")


class StripeCustomer(Model):
    """An organization's customer at the payment provider: at most one each (invariant 9)."""

    __tablename__ = "stripe_customers"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    customer_id: Mapped[str] = mapped_column(String(STRIPE_ID_MAX_LENGTH), unique=True)
    billing_email: Mapped[str | None] = mapped_column(String(254))
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    organization: Mapped["Organization"] = relationship(lazy="raise")
    subscriptions: Mapped[list["StripeSubscription"]] = relationship(
        back_populates="customer", lazy="raise", order_by="StripeSubscription.created"
    )


class StripeSubscriptionProduct(Model):
    __tablename__ = "stripe_subscription_products"

    product_id: Mapped[str | None] = mapped_column(String(STRIPE_ID_MAX_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(250))
    description: Mapped[str] = mapped_column(String(500), server_default="")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class StripeSubscriptionPrice(Model):
    """A per-seat price, monthly or yearly. One active price per interval (in the database)."""

    __tablename__ = "stripe_subscription_prices"
    __table_args__ = (
        CheckConstraint(_values_check("interval", PriceInterval), name="valid_interval"),
        CheckConstraint("unit_amount >= 0", name="unit_amount_not_negative"),
        Index(
            "ix_stripe_subscription_prices_one_active_per_interval",
            "interval",
            unique=True,
            postgresql_where=text("is_active"),
        ),
    )

    price_id: Mapped[str | None] = mapped_column(String(STRIPE_ID_MAX_LENGTH), unique=True)
    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stripe_subscription_products.id", ondelete="RESTRICT"), index=True
    )
    currency: Mapped[str] = mapped_column(String(3), server_default="usd")
    # In the currency's smallest unit (cents), per seat per interval.
    unit_amount: Mapped[int] = mapped_column(Integer)
    interval: Mapped[str] = mapped_column(String(10))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))

    product: Mapped[StripeSubscriptionProduct] = relationship(lazy="raise")


class StripeSubscription(Model):
    __tablename__ = "stripe_subscriptions"
    __table_args__ = (
        CheckConstraint(_values_check("status", SubscriptionStatus), name="valid_status"),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stripe_customers.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[str] = mapped_column(String(STRIPE_ID_MAX_LENGTH), unique=True)
    price_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("stripe_subscription_prices.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), index=True)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    current_period_end: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    # When the provider last said something about it (an event's ``created``, or a fetch):
    # older news never overwrites newer.
    provider_updated: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    customer: Mapped[StripeCustomer] = relationship(back_populates="subscriptions", lazy="raise")
    price: Mapped[StripeSubscriptionPrice | None] = relationship(lazy="raise")
    item: Mapped["StripeSubscriptionItem | None"] = relationship(
        back_populates="subscription", lazy="raise", uselist=False
    )


class StripeSubscriptionItem(Model):
    """The subscription's seat line: its quantity follows the organization's seat count."""

    __tablename__ = "stripe_subscription_items"
    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity_not_negative"),)

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("stripe_subscriptions.id", ondelete="CASCADE"), unique=True
    )
    subscription_item_id: Mapped[str] = mapped_column(String(STRIPE_ID_MAX_LENGTH), unique=True)
    quantity: Mapped[int] = mapped_column(Integer)

    subscription: Mapped[StripeSubscription] = relationship(back_populates="item", lazy="raise")


class StripeWebhookEvent(Model):
    """A provider event already applied: each is applied at most once (invariant 9)."""

    __tablename__ = "stripe_webhook_events"

    event_id: Mapped[str] = mapped_column(String(STRIPE_ID_MAX_LENGTH), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    # The provider's ``created``.
    occurred: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    received: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )


class BillingTermsAgreement(Model):
    """Who agreed to which revision of the billing terms for an organization, and when."""

    __tablename__ = "billing_terms_agreements"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    revision: Mapped[str] = mapped_column(String(100))
    interval: Mapped[str] = mapped_column(String(10))
    agreed: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ManualActivation(Model):
    """Staff let a Company organization stand in good standing without a subscription (an
    invoice paid another way, a grant), for up to ``seat_limit`` seats until ``expires``."""

    __tablename__ = "organization_manual_activations"
    __table_args__ = (CheckConstraint("seat_limit > 0", name="seat_limit_positive"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    seat_limit: Mapped[int] = mapped_column(Integer)
    expires: Mapped[datetime.date] = mapped_column(Date)
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class BillingReminder(Model):
    """The last time an organization's Owners were reminded that it is out of good standing:
    at most one reminder every 30 days."""

    __tablename__ = "billing_reminders"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    sent: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
