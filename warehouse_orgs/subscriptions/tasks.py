"""Billing work that runs outside a person's request: keeping the subscription's seats equal to
the organization's people, and the daily reconciliation with the payment provider.

Both only ask the provider to change and then read what it says: the mirror is brought in line
by ``ISubscriptionService.apply_subscription`` (as a webhook would), never by guessing.
"""

import datetime
import logging
import uuid

from pyramid.request import Request

from warehouse_orgs.organizations.emails import email_owners
from warehouse_orgs.organizations.interfaces import IOrganizationService
from warehouse_orgs.subscriptions.interfaces import (
    BillingUnavailable,
    IBillingService,
    ISubscriptionService,
)
from warehouse_orgs.tasks import retry_on

logger = logging.getLogger(__name__)


@retry_on(BillingUnavailable)
def sync_seats(request: Request, organization_id: str, change_id: str) -> str | None:
    """Set the live subscription's seat quantity to the organization's seat count now.

    ``change_id`` names the membership change that asked: a retry of this task sends the same
    idempotency key, a later change a new one (a key reused for 6 seats after 6 → 5 would
    replay the old answer and leave 5)."""
    organization = request.find_service(IOrganizationService).get_organization(organization_id)
    if organization is None:
        return None
    subscriptions = request.find_service(ISubscriptionService)
    live = subscriptions.live_subscription(organization)
    if live is None or live.item is None:
        return None
    seats = subscriptions.seat_count(organization)
    if live.item.quantity == seats:
        return None
    billing = request.find_service(IBillingService)
    billing.update_seats(
        live.item.subscription_item_id, seats, idempotency_key=f"seats-{change_id}-{seats}"
    )
    current = billing.retrieve_subscription(live.subscription_id)
    if current is not None:
        subscriptions.apply_subscription(current, _now())
    return f"{organization.name}: {live.item.quantity} → {seats} seats"


def reconcile_subscriptions(request: Request) -> list[str]:
    """Daily: pull every live subscription's status and seats from the provider, repair what a
    missed webhook left wrong, and put seats right. Returns a line per change."""
    subscriptions = request.find_service(ISubscriptionService)
    billing = request.find_service(IBillingService)
    changes = []
    for live in subscriptions.subscriptions_to_reconcile():
        # Read before applying: applying reloads the row, without what was loaded with it.
        organization = live.customer.organization
        subscription_id = live.subscription_id
        before = (live.status, live.item.quantity if live.item else None)
        current = billing.retrieve_subscription(subscription_id)
        if current is None:
            logger.warning("subscription %s is unknown to the provider", subscription_id)
            continue
        subscriptions.apply_subscription(current, _now())
        after = (current.status, current.quantity)
        if after != before:
            changes.append(f"{subscription_id}: {before} → {after}")
        seats = subscriptions.seat_count(organization)
        if (
            current.status != "canceled"
            and current.subscription_item_id
            and (current.quantity != seats)
        ):
            billing.update_seats(
                current.subscription_item_id,
                seats,
                idempotency_key=f"reconcile-{subscription_id}-{seats}-{_now().date()}",
            )
            changes.append(f"{subscription_id}: seats {current.quantity} → {seats}")
    for line in changes:
        logger.info("reconciled %s", line)
    return changes


# Owners of a Company organization out of good standing for this long hear about it, and
# again at this interval while it stays so.
REMINDER_AFTER = datetime.timedelta(days=30)
REMINDER_EVERY = datetime.timedelta(days=30)


def remind_lapsed_organizations(request: Request) -> list[str]:
    """Daily: email the Owners of each Company organization that has been out of good
    standing for more than 30 days, at most once every 30 days. Returns the names."""
    subscriptions = request.find_service(ISubscriptionService)
    now = _now()
    reminded = []
    for organization in subscriptions.organizations_to_remind(now, REMINDER_AFTER, REMINDER_EVERY):
        subscriptions.record_reminder(organization, now)
        email_owners(
            request,
            "organization-billing-reminder",
            organization,
            display_name=organization.display_name,
            reason=subscriptions.standing(organization).reason,
            billing_url=request.route_url(
                "manage.organization.subscription.activate", organization_name=organization.name
            ),
        )
        reminded.append(organization.name)
    return reminded


def seat_change_id() -> str:
    return str(uuid.uuid4())


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
