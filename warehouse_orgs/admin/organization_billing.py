"""The billing part of a Company organization's staff page: its customer at the payment
provider, each subscription, the seats it uses against those it pays for, its standing, its
manual activation, and the forms staff may send about them.

Everything is read through the subscription service's billing summary, one statement however
many subscriptions the organization has had.
"""

import dataclasses
import datetime
from typing import Any

from pyramid.request import Request

from warehouse_orgs.admin.forms import (
    CancelSubscriptionForm,
    DeleteManualActivationForm,
    ManualActivationForm,
    utc_today,
)
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.organizations.interfaces import Standing
from warehouse_orgs.organizations.models import Organization, OrganizationType
from warehouse_orgs.subscriptions.interfaces import IBillingService, ISubscriptionService
from warehouse_orgs.subscriptions.models import (
    LIVE_STATUSES,
    ManualActivation,
    StripeSubscription,
    StripeSubscriptionPrice,
)

MANUAL_ACTIVATION_IDS = "manual-activation"
# The forms a refused billing action hands back to the page (cancel forms by subscription).
BILLING_FORM_KEYS = ("manual_activation_form", "delete_manual_activation_form", "cancel_forms")
# What a new manual activation is offered for, before staff change it.
DEFAULT_MANUAL_ACTIVATION_DAYS = 365


def cancel_form_ids(subscription: StripeSubscription) -> str:
    """Each subscription's row has its own cancel form: its ids carry the row's id."""
    return f"cancel-subscription-{subscription.id}"


def is_live(subscription: StripeSubscription) -> bool:
    return subscription.status in LIVE_STATUSES


def price_words(price: StripeSubscriptionPrice | None) -> str:
    """The price in words, such as "5.00 USD per seat, monthly" (it is stored in cents)."""
    if price is None:
        return "Unknown price"
    whole, cents = divmod(price.unit_amount, 100)
    interval = {"month": "monthly", "year": "yearly"}.get(price.interval, price.interval)
    return f"{whole}.{cents:02} {price.currency.upper()} per seat, {interval}"


def billing_service(request: Request) -> Any:
    """The payment provider's service, or None on a site where billing is off (no
    BILLING_BACKEND): the page then shows the ids without links."""
    try:
        return request.find_service(IBillingService)
    except LookupError:
        return None


@dataclasses.dataclass(frozen=True)
class SubscriptionLine:
    subscription: StripeSubscription
    price: str
    seats_paid: int | None
    dashboard_url: str | None
    # Offered while the subscription is live and not already ending, to staff who may write.
    cancel_form: CancelSubscriptionForm | None


@dataclasses.dataclass(frozen=True)
class OrganizationBilling:
    customer_id: str | None
    customer_url: str | None
    subscriptions: list[SubscriptionLine]
    seats_used: int
    # The seat quantity of the live subscription, if there is one.
    seats_paid: int | None
    standing: Standing
    manual_activation: ManualActivation | None
    manual_activation_expired: bool
    # Add (no manual activation yet) or update; None for staff who may only read.
    manual_activation_form: ManualActivationForm | None
    delete_manual_activation_form: DeleteManualActivationForm | None


def blank_manual_activation_form(
    activation: ManualActivation | None, seats_used: int
) -> ManualActivationForm:
    """Filled with the activation as it is, or for a new one with the seats in use and a
    year from today."""
    today = utc_today()
    if activation is not None:
        data = {"seat_limit": activation.seat_limit, "expires": activation.expires}
    else:
        data = {
            "seat_limit": max(seats_used, 1),
            "expires": today + datetime.timedelta(days=DEFAULT_MANUAL_ACTIVATION_DAYS),
        }
    return ManualActivationForm(data=data, today=today, html_id_prefix=MANUAL_ACTIVATION_IDS)


def read_organization_billing(
    request: Request, organization: Organization, forms: dict[str, Any]
) -> OrganizationBilling | None:
    """What the page shows of the organization's billing; None for a Community organization,
    which does not pay. ``forms`` holds the forms a refused action shows again:
    ``manual_activation_form``, ``delete_manual_activation_form``, and ``cancel_forms`` by
    subscription row id."""
    if organization.orgtype != OrganizationType.Company:
        return None
    service = request.find_service(ISubscriptionService)
    provider = billing_service(request)
    may_write = bool(request.has_permission(Permissions.AdminOrganizationsWrite))

    summary = service.billing_summary(organization)
    customer = summary.customer
    seats_used = summary.seats_used
    activation = summary.manual_activation

    def dashboard(kind: str, provider_id: str) -> str | None:
        return provider.dashboard_url(kind, provider_id) if provider is not None else None

    refused_cancel_forms = forms.get("cancel_forms", {})
    lines = []
    for subscription in summary.subscriptions:
        cancel_form = refused_cancel_forms.get(subscription.id)
        offered = may_write and is_live(subscription) and not subscription.cancel_at_period_end
        if cancel_form is None and offered:
            cancel_form = CancelSubscriptionForm(html_id_prefix=cancel_form_ids(subscription))
        lines.append(
            SubscriptionLine(
                subscription=subscription,
                price=price_words(subscription.price),
                seats_paid=subscription.item.quantity if subscription.item else None,
                dashboard_url=dashboard("subscriptions", subscription.subscription_id),
                cancel_form=cancel_form,
            )
        )
    live = next((line for line in lines if is_live(line.subscription)), None)

    activation_form = forms.get("manual_activation_form")
    delete_form = forms.get("delete_manual_activation_form")
    if may_write:
        if activation_form is None:
            activation_form = blank_manual_activation_form(activation, seats_used)
        if delete_form is None and activation is not None:
            delete_form = DeleteManualActivationForm(html_id_prefix="delete-manual-activation")

    return OrganizationBilling(
        customer_id=customer.customer_id if customer else None,
        customer_url=dashboard("customers", customer.customer_id) if customer else None,
        subscriptions=lines,
        seats_used=seats_used,
        seats_paid=live.seats_paid if live else None,
        standing=summary.standing,
        manual_activation=activation,
        manual_activation_expired=activation is not None and activation.expires < utc_today(),
        manual_activation_form=activation_form,
        delete_manual_activation_form=delete_form,
    )
