"""Sending an organization's billing people to the payment provider's hosted pages: the
checkout when it has no live subscription, the billing portal when it has one.

The customer is made the first time, under the organization's lock, with an idempotency key
derived from the organization, so a double click or a retry after a timeout cannot make two.
Return URLs are this site's own pages, built from the request's route, never from input.
Whatever the provider answers, nothing local changes unless the provider said yes:
BillingUnavailable leaves the transaction to be rolled back by the view's error page.
"""

from pyramid.request import Request

from warehouse_orgs.organizations.locks import lock_organization
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.subscriptions.interfaces import (
    BillingError,
    IBillingService,
    ISubscriptionService,
)
from warehouse_orgs.subscriptions.models import StripeCustomer

SUBSCRIPTION_PAGE = "manage.organization.subscription"
ACTIVATE_PAGE = "manage.organization.subscription.activate"


def customer_for(request: Request, organization: Organization) -> StripeCustomer:
    """The organization's customer at the provider, made now if it has none."""
    subscriptions = request.find_service(ISubscriptionService)
    lock_organization(request.db, organization)
    customer = subscriptions.customer(organization)
    if customer is not None:
        return customer
    customer_id = request.find_service(IBillingService).create_customer(
        organization.id,
        name=organization.display_name,
        description=organization.description,
        idempotency_key=f"customer-{organization.id}",
    )
    return subscriptions.add_customer(organization, customer_id)


def provider_page(request: Request, organization: Organization) -> str:
    """Where to send the person: the portal for a live subscription, else a checkout for the
    seats of the organization at the price of the interval its terms agreement chose."""
    subscriptions = request.find_service(ISubscriptionService)
    billing = request.find_service(IBillingService)
    customer = customer_for(request, organization)
    if subscriptions.live_subscription(organization) is not None:
        return billing.create_portal_session(
            customer.customer_id, return_url=_page_url(request, organization, SUBSCRIPTION_PAGE)
        )
    agreement = subscriptions.latest_terms_agreement(organization)
    if agreement is None:
        raise BillingError("Choose monthly or yearly billing and accept the terms first.")
    price = subscriptions.active_price(agreement.interval)
    if price is None or price.price_id is None:
        raise BillingError(
            "Billing is not set up on this site yet: its prices have not been synced. "
            "Please tell the site's administrators."
        )
    seats = max(1, subscriptions.seat_count(organization))
    return billing.create_checkout_session(
        customer.customer_id,
        price.price_id,
        seats,
        success_url=_page_url(request, organization, SUBSCRIPTION_PAGE) + "?checkout=done",
        cancel_url=_page_url(request, organization, ACTIVATE_PAGE),
        # One checkout per agreement and seat count: a second click finds the same one.
        idempotency_key=f"checkout-{agreement.id}-{price.price_id}-{seats}",
    )


def _page_url(request: Request, organization: Organization, route_name: str) -> str:
    return request.route_url(route_name, organization_name=organization.name)
