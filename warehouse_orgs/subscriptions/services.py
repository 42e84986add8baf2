"""The local mirror of the payment provider, and the one good-standing rule that reads it.

Every change to an organization's billing rows takes the organization's lock first, so a
webhook, the daily reconciliation and a person on the billing pages change them one after the
other. Webhook events are applied at most once: the event's id is inserted, unique, in the same
transaction as its effect, and an insert that finds the id already there means "seen before".

What the provider says arrives out of order (Stripe does not promise any order, and retries for
days): a subscription remembers when the provider last spoke of it (``provider_updated``), older
news is dropped, and a canceled subscription stays canceled, since Stripe never revives one.

A deleted customer (``customer.deleted``) loses its row and, by cascade, its subscriptions'
rows: Stripe no longer knows them, and the organization must be able to start again with a new
customer (one per organization). Its live subscriptions are first recorded as canceled in the
organization's history, which is where the story of its billing is kept.
"""

import datetime
import logging
from collections.abc import Callable, Mapping
from typing import Any

from pyramid.request import Request
from sqlalchemy import DateTime, case, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from zope.interface import implementer

from warehouse_orgs.accounts.models import User
from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.emails import email_user
from warehouse_orgs.organizations.interfaces import IOrganizationStanding, Standing
from warehouse_orgs.organizations.locks import lock_organization
from warehouse_orgs.organizations.models import Organization, OrganizationRole, OrganizationType
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.subscriptions.interfaces import (
    BillingError,
    BillingSummary,
    IBillingService,
    ISubscriptionService,
    ProviderEvent,
    ProviderSubscription,
)
from warehouse_orgs.subscriptions.models import (
    GOOD_STANDING_STATUSES,
    LIVE_STATUSES,
    BillingReminder,
    BillingTermsAgreement,
    ManualActivation,
    PriceInterval,
    StripeCustomer,
    StripeSubscription,
    StripeSubscriptionItem,
    StripeSubscriptionPrice,
    StripeWebhookEvent,
    SubscriptionStatus,
)
from warehouse_orgs.subscriptions.payloads import (
    _as_dict,
    _id_of,
    event_object,
    subscription_from_payload,
)

logger = logging.getLogger(__name__)

DEFAULT_TERMS_REVISION = "2026-11"
# The seat item's quantity column is a 32-bit integer.
EVENT_TYPE_MAX_LENGTH = 100
# Stripe never moves a subscription out of these.
FINAL_STATUSES = frozenset({SubscriptionStatus.Canceled, SubscriptionStatus.IncompleteExpired})
KNOWN_STATUSES = frozenset(status.value for status in SubscriptionStatus)
PAYMENT_FAILED_EMAIL = "organization-billing-payment-failed"
# Who hears that a payment failed: those who can fix it.
PAYING_ROLES = (OrganizationRoleType.Owner, OrganizationRoleType.BillingManager)
SUBSCRIPTION_EVENTS = frozenset(
    {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)


# --- Reading the provider's JSON, whatever API version sent it --------------------------------


def _invoice_subscription(invoice: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The invoice's subscription id and that subscription's metadata: under
    ``parent.subscription_details`` now, on the invoice itself in older API versions."""
    details = _as_dict(_as_dict(invoice.get("parent")).get("subscription_details"))
    if details.get("subscription"):
        return _id_of(details["subscription"]), _as_dict(details.get("metadata"))
    older = _as_dict(invoice.get("subscription_details"))
    return _id_of(invoice.get("subscription")), _as_dict(older.get("metadata"))


def named_domain(event: ProviderEvent) -> str | None:
    """The deployment the event's object says it belongs to (the metadata our billing service
    stamps on what it creates), or None when it names none."""
    found = event_object(event)
    metadata = _as_dict(found.get("metadata"))
    if not metadata.get("domain") and event.event_type.startswith("invoice."):
        metadata = _invoice_subscription(found)[1]
    if not metadata.get("domain"):
        # An expanded subscription inside a checkout session carries its own.
        metadata = _as_dict(_as_dict(found.get("subscription")).get("metadata"))
    domain = metadata.get("domain")
    return str(domain) if domain else None


# --- The rules' SQL, shared by the statements that ask them ------------------------------------


def _today() -> datetime.date:
    return datetime.datetime.now(datetime.UTC).date()


def _in_good_standing(organization_id: Any, today: datetime.date) -> Any:
    """Whether the organization (an id, or a column to correlate with) has a paid live
    subscription or an unexpired manual activation: what good standing asks the database."""
    return or_(
        select(StripeSubscription.id)
        .join(StripeCustomer, StripeCustomer.id == StripeSubscription.customer_id)
        .where(
            StripeCustomer.organization_id == organization_id,
            StripeSubscription.status.in_([s.value for s in GOOD_STANDING_STATUSES]),
        )
        .exists(),
        select(ManualActivation.id)
        .where(
            ManualActivation.organization_id == organization_id, ManualActivation.expires >= today
        )
        .exists(),
    )


def _seat_count(organization_id: Any) -> Any:
    """People with any role in the organization: what it pays for."""
    return (
        select(func.count(func.distinct(OrganizationRole.user_id)))
        .where(OrganizationRole.organization_id == organization_id)
        .scalar_subquery()
    )


# --- The service -------------------------------------------------------------------------------


@implementer(ISubscriptionService, IOrganizationStanding)
class DatabaseSubscriptionService(RequestDatabaseService):
    def __init__(self, request: Request) -> None:
        super().__init__(request)
        self.settings = request.registry.settings

    # Good standing

    def standing(self, organization: Organization) -> Standing:
        return self._standing(
            organization,
            lambda: bool(self.db.scalar(select(_in_good_standing(organization.id, _today())))),
        )

    @staticmethod
    def _standing(organization: Organization, paid_or_activated: Callable[[], bool]) -> Standing:
        """The rule, with the database's answer (a live paid subscription or an unexpired
        manual activation) asked only for an active Company organization."""
        name = organization.display_name or organization.name
        if not organization.is_active:
            return Standing(False, f"{name} is not active.")
        if organization.orgtype != OrganizationType.Company:
            return Standing(True)
        if paid_or_activated():
            return Standing(True)
        return Standing(
            False,
            f"{name} has no active subscription. "
            "Its Owners and Billing Managers can activate billing.",
        )

    def billing_summary(self, organization: Organization) -> BillingSummary:
        # Anchored on the organization's row, so there is a row without a customer too; one
        # row per subscription, each with its item and price, newest first.
        rows = self.db.execute(
            select(
                StripeCustomer,
                StripeSubscription,
                ManualActivation,
                _seat_count(organization.id).label("seats_used"),
                _in_good_standing(organization.id, _today()).label("paid_or_activated"),
            )
            .select_from(Organization)
            .outerjoin(StripeCustomer, StripeCustomer.organization_id == Organization.id)
            .outerjoin(StripeSubscription, StripeSubscription.customer_id == StripeCustomer.id)
            .outerjoin(ManualActivation, ManualActivation.organization_id == Organization.id)
            .where(Organization.id == organization.id)
            .options(
                contains_eager(StripeSubscription.customer),
                joinedload(StripeSubscription.item),
                joinedload(StripeSubscription.price),
            )
            .order_by(StripeSubscription.created.desc(), StripeSubscription.id)
        ).all()
        first = rows[0]
        return BillingSummary(
            customer=first.StripeCustomer,
            subscriptions=[row.StripeSubscription for row in rows if row.StripeSubscription],
            seats_used=first.seats_used,
            standing=self._standing(organization, lambda: first.paid_or_activated),
            manual_activation=first.ManualActivation,
        )

    # Customers and prices

    def customer(self, organization: Organization) -> StripeCustomer | None:
        return self.db.scalars(
            select(StripeCustomer).where(StripeCustomer.organization_id == organization.id)
        ).one_or_none()

    def add_customer(self, organization: Organization, customer_id: str) -> StripeCustomer:
        lock_organization(self.db, organization)
        existing = self.customer(organization)
        if existing is not None:
            return existing
        row = StripeCustomer(organization_id=organization.id, customer_id=customer_id)
        try:
            with self.db.begin_nested():
                self.db.add(row)
                self.db.flush()
        except IntegrityError:
            # Only a writer that skipped the lock could get here first; its row stands.
            existing = self.customer(organization)
            if existing is None:
                raise
            return existing
        organization.record_event(
            EventTag.OrganizationCustomerCreate, self.request, {"customer_id": customer_id}
        )
        return row

    def active_price(self, interval: str) -> StripeSubscriptionPrice | None:
        return self.db.scalars(
            select(StripeSubscriptionPrice).where(
                StripeSubscriptionPrice.interval == interval, StripeSubscriptionPrice.is_active
            )
        ).one_or_none()

    def prices(self) -> list[StripeSubscriptionPrice]:
        monthly_first = case((StripeSubscriptionPrice.interval == PriceInterval.Month, 0), else_=1)
        return list(
            self.db.scalars(
                select(StripeSubscriptionPrice)
                .where(StripeSubscriptionPrice.is_active)
                .order_by(monthly_first, StripeSubscriptionPrice.interval)
            )
        )

    # Subscriptions

    def _organization_subscriptions(self, organization: Organization) -> Any:
        return (
            select(StripeSubscription)
            .join(StripeCustomer, StripeCustomer.id == StripeSubscription.customer_id)
            .where(StripeCustomer.organization_id == organization.id)
            .options(
                contains_eager(StripeSubscription.customer),
                joinedload(StripeSubscription.item),
                joinedload(StripeSubscription.price),
            )
            .order_by(StripeSubscription.created.desc(), StripeSubscription.id)
        )

    def live_subscription(self, organization: Organization) -> StripeSubscription | None:
        return self.db.scalars(
            self._organization_subscriptions(organization)
            .where(StripeSubscription.status.in_([s.value for s in LIVE_STATUSES]))
            .limit(1)
        ).first()

    def subscriptions(self, organization: Organization) -> list[StripeSubscription]:
        return list(self.db.scalars(self._organization_subscriptions(organization)).unique())

    def subscriptions_to_reconcile(self) -> list[StripeSubscription]:
        return list(
            self.db.scalars(
                select(StripeSubscription)
                .where(StripeSubscription.status.in_([s.value for s in LIVE_STATUSES]))
                .options(
                    joinedload(StripeSubscription.item),
                    joinedload(StripeSubscription.customer).joinedload(StripeCustomer.organization),
                )
                .order_by(StripeSubscription.created, StripeSubscription.id)
            ).unique()
        )

    def seat_count(self, organization: Organization) -> int:
        return self.db.scalar(select(_seat_count(organization.id)))

    # Terms

    def record_terms_agreement(self, organization: Organization, user: User, interval: str) -> None:
        if interval not in {i.value for i in PriceInterval}:
            raise BillingError("Choose monthly or yearly billing.")
        lock_organization(self.db, organization)
        revision = str(self.settings.get("billing.terms_revision") or DEFAULT_TERMS_REVISION)
        self.db.add(
            BillingTermsAgreement(
                organization_id=organization.id,
                user_id=user.id,
                revision=revision,
                interval=interval,
                # Not the transaction's time: two agreements in one transaction keep their order.
                agreed=datetime.datetime.now(datetime.UTC),
            )
        )
        organization.record_event(
            EventTag.OrganizationBillingTermsAgreed,
            self.request,
            {"username": user.username, "revision": revision, "interval": interval},
        )

    def latest_terms_agreement(self, organization: Organization) -> BillingTermsAgreement | None:
        return self.db.scalars(
            select(BillingTermsAgreement)
            .where(BillingTermsAgreement.organization_id == organization.id)
            .order_by(BillingTermsAgreement.agreed.desc(), BillingTermsAgreement.id)
            .limit(1)
        ).first()

    # What the provider says

    def apply_subscription(
        self, subscription: ProviderSubscription, occurred: datetime.datetime
    ) -> StripeSubscription | None:
        customer = self.db.scalars(
            select(StripeCustomer)
            .where(StripeCustomer.customer_id == subscription.customer_id)
            .options(joinedload(StripeCustomer.organization))
        ).one_or_none()
        if customer is None:
            return None
        if subscription.status not in KNOWN_STATUSES:
            # A status newer than this code: left alone rather than guessed at.
            logger.warning(
                "subscription %s has an unknown status %r; not applied",
                subscription.subscription_id,
                subscription.status,
            )
            return None
        organization = customer.organization
        lock_organization(self.db, organization)
        # Read under the lock: another delivery about it may have committed while this waited.
        existing = self.db.scalars(
            select(StripeSubscription)
            .where(StripeSubscription.subscription_id == subscription.subscription_id)
            .options(joinedload(StripeSubscription.item))
            .execution_options(populate_existing=True)
        ).one_or_none()
        price_id = (
            self.db.scalar(
                select(StripeSubscriptionPrice.id).where(
                    StripeSubscriptionPrice.price_id == subscription.price_id
                )
            )
            if subscription.price_id
            else None
        )
        if existing is None:
            return self._create_subscription(
                organization, customer, subscription, price_id, occurred
            )
        if existing.customer_id != customer.id:
            logger.warning(
                "subscription %s moved to another customer; not applied",
                subscription.subscription_id,
            )
            return existing
        if occurred < existing.provider_updated:
            return existing
        if existing.status in FINAL_STATUSES and subscription.status != existing.status:
            return existing
        self._update_subscription(organization, existing, subscription, price_id, occurred)
        return existing

    def _create_subscription(
        self,
        organization: Organization,
        customer: StripeCustomer,
        subscription: ProviderSubscription,
        price_id: Any,
        occurred: datetime.datetime,
    ) -> StripeSubscription:
        row = StripeSubscription(
            customer_id=customer.id,
            subscription_id=subscription.subscription_id,
            price_id=price_id,
            status=subscription.status,
            cancel_at_period_end=subscription.cancel_at_period_end,
            current_period_end=subscription.current_period_end,
            provider_updated=occurred,
        )
        self.db.add(row)
        if subscription.subscription_item_id is not None:
            row.item = StripeSubscriptionItem(
                subscription_item_id=subscription.subscription_item_id,
                quantity=subscription.quantity,
            )
        else:
            row.item = None
        self.db.flush()
        organization.record_event(
            EventTag.OrganizationSubscriptionCreate,
            self.request,
            {
                "subscription_id": subscription.subscription_id,
                "status": subscription.status,
                "seats": subscription.quantity,
            },
        )
        return row

    def _update_subscription(
        self,
        organization: Organization,
        row: StripeSubscription,
        subscription: ProviderSubscription,
        price_id: Any,
        occurred: datetime.datetime,
    ) -> None:
        old_status, old_at_period_end = row.status, row.cancel_at_period_end
        old_seats = row.item.quantity if row.item is not None else None
        row.status = subscription.status
        row.cancel_at_period_end = subscription.cancel_at_period_end
        row.current_period_end = subscription.current_period_end
        row.price_id = price_id
        row.provider_updated = occurred
        if subscription.subscription_item_id is not None:
            if row.item is None:
                row.item = StripeSubscriptionItem(
                    subscription_item_id=subscription.subscription_item_id,
                    quantity=subscription.quantity,
                )
            else:
                row.item.subscription_item_id = subscription.subscription_item_id
                row.item.quantity = subscription.quantity
        self.db.flush()

        common = {"subscription_id": subscription.subscription_id}
        if subscription.status != old_status:
            if subscription.status == SubscriptionStatus.Canceled:
                organization.record_event(
                    EventTag.OrganizationSubscriptionCancel,
                    self.request,
                    {**common, "old_status": old_status},
                )
            else:
                organization.record_event(
                    EventTag.OrganizationSubscriptionStatusChange,
                    self.request,
                    {**common, "old_status": old_status, "status": subscription.status},
                )
        elif subscription.cancel_at_period_end and not old_at_period_end:
            period_end = subscription.current_period_end
            organization.record_event(
                EventTag.OrganizationSubscriptionCancel,
                self.request,
                {
                    **common,
                    "at_period_end": True,
                    "period_end": period_end.date().isoformat() if period_end else None,
                },
            )
        elif old_at_period_end and not subscription.cancel_at_period_end:
            organization.record_event(
                EventTag.OrganizationSubscriptionStatusChange,
                self.request,
                {**common, "old_status": old_status, "status": old_status, "renews": True},
            )
        if old_seats is not None and row.item is not None and row.item.quantity != old_seats:
            organization.record_event(
                EventTag.OrganizationSubscriptionSeatsChange,
                self.request,
                {**common, "old_seats": old_seats, "seats": row.item.quantity},
            )

    def apply_event(self, event: ProviderEvent) -> bool:
        named = named_domain(event)
        if named is not None and named != self.request.find_service(IBillingService).domain:
            # Another deployment's, on the same provider account: not recorded either, so a
            # shared account's traffic does not fill this one's table.
            return False
        if _id_of(event.event_id) is None or len(event.event_type) > EVENT_TYPE_MAX_LENGTH:
            # Not the provider's spelling of an event, though signed: nothing to record it by.
            logger.warning(
                "webhook event %.80r of type %.80r not read", event.event_id, event.event_type
            )
            return False
        recorded = self.db.scalar(
            insert(StripeWebhookEvent)
            .values(event_id=event.event_id, event_type=event.event_type, occurred=event.created)
            .on_conflict_do_nothing(index_elements=[StripeWebhookEvent.event_id])
            .returning(StripeWebhookEvent.id)
        )
        if recorded is None:
            return False
        found = event_object(event)
        if event.event_type in SUBSCRIPTION_EVENTS:
            subscription = subscription_from_payload(found)
            if subscription is not None:
                self.apply_subscription(subscription, event.created)
        elif event.event_type == "checkout.session.completed":
            self._checkout_completed(found, event.created)
        elif event.event_type == "customer.updated":
            self._customer_updated(found)
        elif event.event_type == "customer.deleted":
            self._customer_deleted(found)
        elif event.event_type == "invoice.payment_failed":
            self._payment_failed(found)
        # Any other type is recorded and ignored: the provider sends what its account's
        # endpoint asks for, which may be more than this code reads.
        return True

    def _checkout_completed(self, session: dict[str, Any], occurred: datetime.datetime) -> None:
        if session.get("mode", "subscription") != "subscription":
            return
        payload = session.get("subscription")
        if isinstance(payload, Mapping):
            subscription = subscription_from_payload(payload)
        else:
            subscription_id = _id_of(payload)
            if subscription_id is None or not self._is_our_customer(session.get("customer")):
                return
            # The session names its subscription; what it holds now is the provider's to say.
            subscription = self.request.find_service(IBillingService).retrieve_subscription(
                subscription_id
            )
        if subscription is not None:
            # As of the event: anything the provider said after it still wins.
            self.apply_subscription(subscription, occurred)

    def _is_our_customer(self, customer: Any) -> bool:
        customer_id = _id_of(customer)
        return customer_id is not None and self._customer_by_provider_id(customer_id) is not None

    def _customer_by_provider_id(self, customer_id: str | None) -> StripeCustomer | None:
        if customer_id is None:
            return None
        return self.db.scalars(
            select(StripeCustomer)
            .where(StripeCustomer.customer_id == customer_id)
            .options(joinedload(StripeCustomer.organization))
        ).one_or_none()

    def _customer_updated(self, payload: dict[str, Any]) -> None:
        customer = self._customer_by_provider_id(_id_of(payload.get("id")))
        if customer is None:
            return
        email = payload.get("email")
        email = email[:254] if isinstance(email, str) and email else None
        lock_organization(self.db, customer.organization)
        self.db.refresh(customer, ["billing_email"])
        if customer.billing_email == email:
            return
        customer.billing_email = email
        self.db.flush()
        customer.organization.record_event(
            EventTag.OrganizationCustomerUpdate, self.request, {"billing_email": email}
        )

    def _customer_deleted(self, payload: dict[str, Any]) -> None:
        customer = self._customer_by_provider_id(_id_of(payload.get("id")))
        if customer is None:
            return
        organization = customer.organization
        lock_organization(self.db, organization)
        live = self.db.scalars(
            select(StripeSubscription).where(
                StripeSubscription.customer_id == customer.id,
                StripeSubscription.status.in_([s.value for s in LIVE_STATUSES]),
            )
        )
        for subscription in live:
            organization.record_event(
                EventTag.OrganizationSubscriptionCancel,
                self.request,
                {
                    "subscription_id": subscription.subscription_id,
                    "old_status": subscription.status,
                    "reason": "customer_deleted",
                },
            )
        organization.record_event(
            EventTag.OrganizationCustomerDelete,
            self.request,
            {"customer_id": customer.customer_id},
        )
        self.db.flush()
        # One statement; the database's cascade takes its subscriptions and their items.
        self.db.execute(delete(StripeCustomer).where(StripeCustomer.id == customer.id))
        self.db.expunge(customer)

    def _payment_failed(self, invoice: dict[str, Any]) -> None:
        subscription_id, _ = _invoice_subscription(invoice)
        organization = None
        if subscription_id is not None:
            organization = self.db.scalar(
                select(Organization)
                .join(StripeCustomer, StripeCustomer.organization_id == Organization.id)
                .join(StripeSubscription, StripeSubscription.customer_id == StripeCustomer.id)
                .where(StripeSubscription.subscription_id == subscription_id)
            )
        if organization is None:
            customer = self._customer_by_provider_id(_id_of(invoice.get("customer")))
            organization = customer.organization if customer is not None else None
        if organization is None:
            return
        organization.record_event(
            EventTag.OrganizationBillingPaymentFailed,
            self.request,
            {"invoice_id": _id_of(invoice.get("id")), "subscription_id": subscription_id},
        )
        self._email_payment_failed(organization)

    def _email_payment_failed(self, organization: Organization) -> None:
        """Tell the Owners and Billing Managers, after commit (send_email defers delivery)."""
        readers = list(
            self.db.scalars(
                select(User)
                .join(OrganizationRole, OrganizationRole.user_id == User.id)
                .where(
                    OrganizationRole.organization_id == organization.id,
                    OrganizationRole.role_name.in_([str(role) for role in PAYING_ROLES]),
                )
                .options(selectinload(User.emails))
                .order_by(User.username)
            ).unique()
        )
        if not readers:
            return
        billing_url = self.request.route_url(
            "manage.organization.subscription", organization_name=organization.name
        )
        for reader in readers:
            email_user(
                self.request,
                PAYMENT_FAILED_EMAIL,
                reader,
                organization_name=organization.name,
                display_name=organization.display_name,
                billing_url=billing_url,
            )

    # Manual activation

    # Reminders

    def organizations_to_remind(
        self, now: datetime.datetime, lapsed_for: datetime.timedelta, every: datetime.timedelta
    ) -> list[Organization]:
        in_good_standing = _in_good_standing(Organization.id, now.date())
        # Out of good standing since the latest of: its creation, its last subscription's last
        # news (the cancellation), its manual activation's expiry.
        last_subscription = (
            select(func.max(StripeSubscription.provider_updated))
            .join(StripeCustomer, StripeCustomer.id == StripeSubscription.customer_id)
            .where(StripeCustomer.organization_id == Organization.id)
            .scalar_subquery()
        )
        activation_ended = (
            select(func.max(ManualActivation.expires))
            .where(ManualActivation.organization_id == Organization.id)
            .scalar_subquery()
        )
        since = func.greatest(
            Organization.created,
            func.coalesce(last_subscription, Organization.created),
            func.coalesce(activation_ended.cast(DateTime(timezone=True)), Organization.created),
        )
        reminded_lately = (
            select(BillingReminder.id)
            .where(
                BillingReminder.organization_id == Organization.id,
                BillingReminder.sent > now - every,
            )
            .exists()
        )
        return list(
            self.db.scalars(
                select(Organization)
                .where(
                    Organization.is_active,
                    Organization.orgtype == OrganizationType.Company,
                    ~in_good_standing,
                    since < now - lapsed_for,
                    ~reminded_lately,
                )
                .order_by(Organization.normalized_name)
            )
        )

    def record_reminder(self, organization: Organization, now: datetime.datetime) -> None:
        lock_organization(self.db, organization)
        self.db.execute(
            insert(BillingReminder)
            .values(organization_id=organization.id, sent=now)
            .on_conflict_do_update(index_elements=["organization_id"], set_={"sent": now})
        )
        organization.record_event(EventTag.OrganizationBillingReminderSent, self.request, {})

    def manual_activation(self, organization: Organization) -> ManualActivation | None:
        return self.db.scalars(
            select(ManualActivation).where(ManualActivation.organization_id == organization.id)
        ).one_or_none()

    def set_manual_activation(
        self, organization: Organization, seat_limit: int, expires: datetime.date
    ) -> ManualActivation:
        if seat_limit < 1:
            raise BillingError("The seat limit must be at least 1.")
        lock_organization(self.db, organization)
        activation = self.manual_activation(organization)
        details = {"seat_limit": seat_limit, "expires": expires.isoformat()}
        if activation is None:
            activation = ManualActivation(
                organization_id=organization.id, seat_limit=seat_limit, expires=expires
            )
            self.db.add(activation)
            self.db.flush()
            organization.record_event(
                EventTag.OrganizationManualActivationAdd, self.request, details
            )
            return activation
        old = {
            "old_seat_limit": activation.seat_limit,
            "old_expires": activation.expires.isoformat(),
        }
        activation.seat_limit, activation.expires = seat_limit, expires
        self.db.flush()
        organization.record_event(
            EventTag.OrganizationManualActivationUpdate, self.request, {**old, **details}
        )
        return activation

    def delete_manual_activation(self, organization: Organization) -> None:
        lock_organization(self.db, organization)
        activation = self.manual_activation(organization)
        if activation is None:
            return
        details = {"seat_limit": activation.seat_limit, "expires": activation.expires.isoformat()}
        self.db.delete(activation)
        self.db.flush()
        organization.record_event(
            EventTag.OrganizationManualActivationDelete, self.request, details
        )
