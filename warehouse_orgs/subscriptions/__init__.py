"""Billing for Company organizations: the payment provider (``IBillingService``), the local
mirror of customers, prices and subscriptions (``ISubscriptionService``), the webhook that
keeps the mirror true, and the good-standing rule organizations ask through
``IOrganizationStanding``. It depends on organizations; organizations never imports it."""

import datetime
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pyramid.config import Configurator
from pyramid.request import Request

from warehouse_orgs.organizations.interfaces import IOrganizationStanding, OrganizationError
from warehouse_orgs.organizations.models import Organization, OrganizationType
from warehouse_orgs.subscriptions.interfaces import (
    BillingUnavailable,
    IBillingService,
    ISubscriptionService,
)
from warehouse_orgs.subscriptions.models import LIVE_STATUSES
from warehouse_orgs.subscriptions.services import DatabaseSubscriptionService
from warehouse_orgs.subscriptions.tasks import (
    reconcile_subscriptions,
    remind_lapsed_organizations,
    seat_change_id,
    sync_seats,
)


def queue_seat_sync(request: Request, organization: Organization) -> None:
    """After the commit, set a paying Company organization's seats to its people (one
    statement to see whether it pays at all; most organizations do not)."""
    if organization.orgtype != OrganizationType.Company or not request.registry.settings.get(
        "billing.backend"
    ):
        return
    if request.find_service(ISubscriptionService).live_subscription(organization) is not None:
        request.enqueue_task(sync_seats, str(organization.id), seat_change_id())


def cancel_subscriptions_before_deletion(request: Request, organization: Organization) -> None:
    """A deleted Company organization stops paying: each live subscription is canceled now
    (those already over are left alone; the provider would refuse them). If the provider does
    not answer, the organization is not deleted."""
    if organization.orgtype != OrganizationType.Company:
        return
    subscriptions = request.find_service(ISubscriptionService)
    live = [s for s in subscriptions.subscriptions(organization) if s.status in LIVE_STATUSES]
    if not live:
        return
    billing = request.find_service(IBillingService)
    for subscription in live:
        try:
            billing.cancel_subscription(subscription.subscription_id)
        except BillingUnavailable:
            raise OrganizationError(
                "The payment provider did not answer, so the organization's subscription "
                "could not be canceled and the organization is not deleted. Try again in a "
                "minute."
            ) from None


# Where Stripe hosts its checkout and billing portal pages.
STRIPE_HOSTED_PAGE_ORIGINS = ("https://checkout.stripe.com", "https://billing.stripe.com")


def hosted_page_origins(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The provider's hosted pages: the local Stripe's own origin when ``billing.api_base``
    points at one, else Stripe's."""
    api_base = settings.get("billing.api_base")
    if api_base:
        parts = urlsplit(api_base)
        return (f"{parts.scheme}://{parts.netloc}",)
    return STRIPE_HOSTED_PAGE_ORIGINS


def includeme(config: Configurator) -> None:
    settings = config.registry.settings

    # The payment provider: BILLING_BACKEND names the class; unset, billing is off.
    if settings.get("billing.backend"):
        backend = config.maybe_dotted(settings["billing.backend"])
        config.register_service_factory(backend.create_service, IBillingService)
        # Activating billing and "Manage billing" are forms whose answer sends the browser
        # on to the provider's hosted checkout and portal: the security policy must allow it.
        config.add_form_action_origins(hosted_page_origins)

    # The local mirror, which also decides good standing for organizations (one rule).
    config.register_service_factory(
        DatabaseSubscriptionService.create_service, ISubscriptionService
    )
    config.register_service_factory(
        DatabaseSubscriptionService.create_service, IOrganizationStanding
    )

    # Seats follow the people: after each membership change, and each day against the
    # provider, repairing what a missed webhook left wrong.
    config.register_task(sync_seats)
    config.add_seat_change_listener(queue_seat_sync)
    config.add_organization_deletion_listener(cancel_subscriptions_before_deletion)
    if settings.get("billing.backend"):
        config.add_periodic_task(reconcile_subscriptions, datetime.timedelta(days=1))
    config.add_periodic_task(remind_lapsed_organizations, datetime.timedelta(days=1))
