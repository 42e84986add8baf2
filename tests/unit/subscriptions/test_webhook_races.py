"""Many deliveries of the same webhook event at once, each on its own real connection committing
for real: the provider retries, and more than one of our web workers may get the same event at
the same moment. Exactly one applies it; the others find it applied and change nothing.

The issue asks for 100 concurrent deliveries. Each needs a connection of its own, and the test
server is shared with the other tests running beside this one (and with other people's, in a
shared checkout), so the test takes as many as the server has to spare, up to 100 and never
fewer than 20: enough that most of them arrive while the first holds its transaction open.
"""

import datetime
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from tests.common.concurrency import service_request
from tests.common.races import JOIN_TIMEOUT, bounded_session
from tests.common.webhooks import (
    checkout_session_object,
    provider_event,
    subscription_object,
)
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.subscriptions.billing import billing_domain
from warehouse_orgs.subscriptions.models import (
    StripeCustomer,
    StripeSubscription,
    StripeWebhookEvent,
)
from warehouse_orgs.subscriptions.services import DatabaseSubscriptionService

WANTED_DELIVERIES = 100
FEWEST_DELIVERIES = 20
# Connections left for the tests running beside this one.
HEADROOM = 25


def deliveries_the_server_allows(engine: Engine) -> int:
    with engine.connect() as connection:
        spare = connection.scalar(
            text(
                "SELECT current_setting('max_connections')::int"
                " - current_setting('superuser_reserved_connections')::int"
                " - (SELECT count(*) FROM pg_stat_activity)"
            )
        )
    return max(FEWEST_DELIVERIES, min(WANTED_DELIVERIES, spare - HEADROOM))


def company_with_customer(engine: Engine) -> Any:
    with Session(engine) as setup:
        organization = Organization(
            name="raced-billing", display_name="Raced Billing", orgtype="Company",
            link_url="https://example.com/", description="",
        )  # fmt: skip
        setup.add(organization)
        setup.flush()
        setup.add(StripeCustomer(organization_id=organization.id, customer_id="cus_raced"))
        setup.commit()
        return organization.id


def deliver_at_once(
    engine: Engine, registry: Any, events: list[Any]
) -> tuple[list[bool], list[Exception]]:
    """Each event on a connection of its own, all released together; what each returned."""
    pool = create_engine(engine.url, pool_size=len(events), max_overflow=0)
    start = threading.Barrier(len(events))
    results: list[bool] = []
    errors: list[Exception] = []
    guard = threading.Lock()

    def delivery(event: Any) -> Callable[[], None]:
        def run() -> None:
            try:
                with bounded_session(pool) as session:
                    service = DatabaseSubscriptionService(service_request(registry, session))
                    start.wait(timeout=JOIN_TIMEOUT)
                    applied = service.apply_event(event)
                    session.commit()
                with guard:
                    results.append(applied)
            except Exception as error:  # handed back to the test's thread
                with guard:
                    errors.append(error)

        return run

    threads = [threading.Thread(target=delivery(event)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT * 2)
    pool.dispose()
    assert not any(thread.is_alive() for thread in threads), "a delivery never finished"
    return results, errors


def committed_counts(engine: Engine, organization_id: Any) -> dict[str, int]:
    with Session(engine) as check:
        events = Organization.Event
        return {
            "webhook events": check.scalar(select(func.count()).select_from(StripeWebhookEvent)),
            "subscriptions": check.scalar(select(func.count()).select_from(StripeSubscription)),
            "history": check.scalar(
                select(func.count()).where(
                    events.source_id == organization_id,
                    events.tag == "organization:subscription:create",
                )
            ),
        }


def test_many_concurrent_deliveries_of_one_event_have_one_effect(app_registry, committed_database):
    organization_id = company_with_customer(committed_database)
    domain = billing_domain(app_registry.settings)
    event = provider_event(
        "customer.subscription.created",
        subscription_object("sub_raced", "cus_raced", quantity=3, domain=domain),
    )
    count = deliveries_the_server_allows(committed_database)

    results, errors = deliver_at_once(committed_database, app_registry, [event] * count)

    assert errors == []
    assert sorted(results) == [False] * (count - 1) + [True]
    assert committed_counts(committed_database, organization_id) == {
        "webhook events": 1,
        "subscriptions": 1,
        "history": 1,
    }


def test_a_checkout_and_its_subscription_arriving_together_make_one_subscription(
    app_registry, committed_database
):
    """Two different events about one new subscription, each delivered many times: the
    organization's lock makes the later one find the subscription the first one made."""
    organization_id = company_with_customer(committed_database)
    domain = billing_domain(app_registry.settings)
    subscription = subscription_object("sub_checked_out", "cus_raced", domain=domain)
    created = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    checkout = provider_event(
        "checkout.session.completed",
        checkout_session_object("cus_raced", subscription, domain=domain),
        created=created,
    )
    started = provider_event("customer.subscription.created", subscription, created=created)
    count = deliveries_the_server_allows(committed_database)

    results, errors = deliver_at_once(
        committed_database, app_registry, [checkout, started] * (count // 2)
    )

    assert errors == []
    assert results.count(True) == 2
    assert committed_counts(committed_database, organization_id) == {
        "webhook events": 2,
        "subscriptions": 1,
        "history": 1,
    }
