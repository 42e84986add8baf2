"""The local mirror of the payment provider: the good-standing rule, what a subscription's news
does to it (in any order), webhook events applied at most once, terms agreements and manual
activations, each change on the organization's history."""

import datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.db.subscriptions import (
    ManualActivationFactory,
    StripeCustomerFactory,
    StripeSubscriptionFactory,
    StripeSubscriptionPriceFactory,
)
from tests.common.events import event_tags, events_of
from tests.common.webhooks import (
    BILLING_SETTINGS,
    checkout_session_object,
    customer_object,
    fresh_id,
    invoice_object,
    provider_event,
    subscription_object,
)
from warehouse_orgs.organizations.interfaces import IOrganizationStanding, Standing
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.subscriptions.interfaces import (
    BillingError,
    IBillingService,
    ISubscriptionService,
    ProviderSubscription,
)
from warehouse_orgs.subscriptions.models import (
    BillingTermsAgreement,
    StripeCustomer,
    StripeSubscription,
    StripeWebhookEvent,
)
from warehouse_orgs.subscriptions.services import (
    DatabaseSubscriptionService,
    subscription_from_payload,
)

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
TODAY = NOW.date()


@pytest.fixture
def billing_registry(app_registry: Any, make_app_config: Any, outbox: Any) -> Any:
    """The app's registry with a billing service: the shared test settings' when they have
    one, else one configured here (these tests need only its domain and webhook secret)."""
    if app_registry.settings.get("billing.webhook_secret"):
        return app_registry
    config = make_app_config(**BILLING_SETTINGS)
    config.registry.settings["mail.path"] = str(outbox.path)
    return config.registry


@pytest.fixture
def domain(billing_registry: Any) -> str:
    """What this deployment stamps on the provider's objects (from the billing settings)."""
    return service_request(billing_registry, None).find_service(IBillingService).domain


@pytest.fixture
def request_(billing_registry: Any, db_session: Any) -> Any:
    return service_request(billing_registry, db_session, None)


@pytest.fixture
def service(request_: Any) -> DatabaseSubscriptionService:
    return DatabaseSubscriptionService(request_)


def company(**kwargs: Any) -> Any:
    return OrganizationFactory.create(orgtype="Company", display_name="Acme", **kwargs)


def provider_subscription(customer_id: str, **overrides: Any) -> ProviderSubscription:
    values: dict[str, Any] = {
        "subscription_id": "sub_mirror",
        "customer_id": customer_id,
        "status": "active",
        "price_id": None,
        "subscription_item_id": "si_mirror",
        "quantity": 3,
        "cancel_at_period_end": False,
        "current_period_end": NOW + datetime.timedelta(days=30),
        "metadata": {},
    }
    return ProviderSubscription(**(values | overrides))


def one_subscription(db_session: Any, subscription_id: str = "sub_mirror") -> StripeSubscription:
    db_session.expire_all()
    return db_session.scalars(
        select(StripeSubscription)
        .where(StripeSubscription.subscription_id == subscription_id)
        .options(joinedload(StripeSubscription.item))
    ).one()


def count(db_session: Any, model: Any) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


# --- Registration ------------------------------------------------------------------------------


def test_the_app_finds_the_mirror_for_both_contracts(request_):
    assert isinstance(request_.find_service(ISubscriptionService), DatabaseSubscriptionService)
    assert isinstance(request_.find_service(IOrganizationStanding), DatabaseSubscriptionService)


# --- Good standing ------------------------------------------------------------------------------


def test_a_community_organization_is_in_good_standing_without_reading_anything(
    service, query_recorder
):
    organization = OrganizationFactory.create(orgtype="Community")
    with query_recorder:
        assert service.standing(organization) == Standing(True)
    assert query_recorder.count == 0


def test_a_company_without_a_subscription_is_not_and_is_told_who_can_fix_it(service):
    assert service.standing(company()) == Standing(
        False,
        "Acme has no active subscription. Its Owners and Billing Managers can activate billing.",
    )


@pytest.mark.parametrize(
    ("status", "good"),
    [
        ("active", True),
        ("trialing", True),
        ("past_due", False),
        ("unpaid", False),
        ("incomplete", False),
        ("canceled", False),
    ],
)
def test_only_an_active_or_trialing_subscription_gives_good_standing(
    service, query_recorder, status, good
):
    organization = company()
    StripeSubscriptionFactory.create(
        customer=StripeCustomerFactory.create(organization=organization), status=status
    )
    with query_recorder:
        assert service.standing(organization).in_good_standing is good
    assert query_recorder.count == 1


def test_a_canceled_subscription_beside_an_active_one_does_not_matter(service):
    organization = company()
    customer = StripeCustomerFactory.create(organization=organization)
    StripeSubscriptionFactory.create(customer=customer, status="canceled")
    StripeSubscriptionFactory.create(customer=customer, status="active")
    assert service.standing(organization).in_good_standing


@pytest.mark.parametrize(
    ("expires", "good"),
    [(TODAY + datetime.timedelta(days=30), True), (TODAY, True)],
    ids=["in-a-month", "until-today"],
)
def test_an_unexpired_manual_activation_gives_good_standing(service, expires, good):
    organization = company()
    ManualActivationFactory.create(organization=organization, expires=expires)
    assert service.standing(organization).in_good_standing is good


def test_an_expired_manual_activation_does_not(service):
    organization = company()
    ManualActivationFactory.create(
        organization=organization, expires=TODAY - datetime.timedelta(days=1)
    )
    standing = service.standing(organization)
    assert not standing.in_good_standing
    assert "has no active subscription" in standing.reason


@pytest.mark.parametrize("orgtype", ["Community", "Company"])
def test_an_inactive_organization_is_never_in_good_standing(service, orgtype):
    organization = OrganizationFactory.create(orgtype=orgtype, display_name="Acme", is_active=False)
    ManualActivationFactory.create(organization=organization)
    assert service.standing(organization) == Standing(False, "Acme is not active.")


# --- Customers, prices, seats, subscriptions -----------------------------------------------------


def test_a_customer_is_added_once_and_recorded(service, db_session):
    organization = company()
    customer = service.add_customer(organization, "cus_first")
    again = service.add_customer(organization, "cus_second")
    assert again.id == customer.id
    assert again.customer_id == "cus_first"
    assert service.customer(organization).customer_id == "cus_first"
    assert event_tags(db_session, organization) == ["organization:customer:create"]


def test_prices_are_the_active_ones_monthly_first(service):
    yearly = StripeSubscriptionPriceFactory.create(interval="year", unit_amount=5000)
    monthly = StripeSubscriptionPriceFactory.create(interval="month")
    StripeSubscriptionPriceFactory.create(interval="month", is_active=False)
    assert [price.id for price in service.prices()] == [monthly.id, yearly.id]
    assert service.active_price("year").id == yearly.id


def test_seats_are_the_people_with_any_role_counted_in_one_statement(service, query_recorder):
    organization = company()
    for role in OrganizationRoleType:
        OrganizationRoleFactory.create(organization=organization, role_name=role)
    OrganizationRoleFactory.create()  # someone else's
    with query_recorder:
        assert service.seat_count(organization) == len(OrganizationRoleType)
    assert query_recorder.count == 1


def test_subscriptions_come_newest_first_with_items_and_prices_in_one_statement(
    service, db_session, query_recorder
):
    organization = company()
    customer = StripeCustomerFactory.create(organization=organization)
    price = StripeSubscriptionPriceFactory.create()
    older = StripeSubscriptionFactory.create(
        customer=customer, status="canceled", price=price, item__quantity=2
    )
    db_session.flush()
    older.created = NOW - datetime.timedelta(days=60)
    newer = StripeSubscriptionFactory.create(customer=customer, price=price, item__quantity=4)
    db_session.flush()
    db_session.expire_all()
    db_session.refresh(organization)
    with query_recorder:
        found = service.subscriptions(organization)
        seen = [(s.subscription_id, s.item.quantity, s.price.unit_amount) for s in found]
    assert seen == [(newer.subscription_id, 4, 500), (older.subscription_id, 2, 500)]
    assert query_recorder.count == 1
    assert service.live_subscription(organization).id == newer.id


def test_the_billing_summary_is_what_each_reading_says_in_one_statement(
    service, db_session, query_recorder
):
    organization = company()
    for role in (OrganizationRoleType.Owner, OrganizationRoleType.Member):
        OrganizationRoleFactory.create(organization=organization, role_name=role)
    customer = StripeCustomerFactory.create(organization=organization)
    price = StripeSubscriptionPriceFactory.create()
    # The live subscription is the older one: good standing is the organization's, not the
    # newest row's.
    older = StripeSubscriptionFactory.create(customer=customer, price=price, item__quantity=2)
    db_session.flush()
    older.created = NOW - datetime.timedelta(days=60)
    StripeSubscriptionFactory.create(
        customer=customer, status="canceled", price=price, item__quantity=4
    )
    ManualActivationFactory.create(
        organization=organization, expires=TODAY - datetime.timedelta(days=1)
    )
    OrganizationRoleFactory.create()  # someone else's seat
    db_session.flush()
    db_session.expire_all()
    db_session.refresh(organization)
    with query_recorder:
        summary = service.billing_summary(organization)
        lines = [
            (s.subscription_id, s.item.quantity, s.price.unit_amount) for s in summary.subscriptions
        ]
    assert query_recorder.count == 1
    assert lines == [
        (s.subscription_id, s.item.quantity, s.price.unit_amount)
        for s in service.subscriptions(organization)
    ]
    assert summary.customer.id == service.customer(organization).id
    assert summary.seats_used == service.seat_count(organization) == 2
    assert summary.standing == service.standing(organization) == Standing(True)
    assert summary.manual_activation.id == service.manual_activation(organization).id


@pytest.mark.parametrize("activation", [False, True], ids=["nothing", "manual-activation"])
def test_a_company_that_never_paid_has_a_summary_without_a_customer(service, activation):
    organization = company()
    OrganizationRoleFactory.create(organization=organization)
    if activation:
        ManualActivationFactory.create(organization=organization)
    summary = service.billing_summary(organization)
    assert (summary.customer, summary.subscriptions, summary.seats_used) == (None, [], 1)
    assert summary.standing.in_good_standing is activation
    assert (summary.manual_activation is not None) is activation


def test_reconciliation_asks_about_every_live_subscription_in_one_statement(
    service, db_session, query_recorder
):
    live = [
        StripeSubscriptionFactory.create(status=status, item__quantity=n)
        for n, status in enumerate(["active", "past_due", "trialing"], start=1)
    ]
    StripeSubscriptionFactory.create(status="canceled")
    StripeSubscriptionFactory.create(status="incomplete_expired")
    db_session.expire_all()
    with query_recorder:
        found = {
            s.subscription_id: (s.item.quantity, s.customer.organization.name)
            for s in service.subscriptions_to_reconcile()
        }
    assert query_recorder.count == 1
    assert found == {
        s.subscription_id: (s.item.quantity, s.customer.organization.name) for s in live
    }


def test_no_live_subscription_once_it_is_canceled(service):
    organization = company()
    StripeSubscriptionFactory.create(
        customer=StripeCustomerFactory.create(organization=organization), status="canceled"
    )
    assert service.live_subscription(organization) is None


# --- A subscription's news, in any order ------------------------------------------------------


def test_a_new_subscription_is_mirrored_with_its_seats_and_price(service, db_session):
    organization = company()
    customer = StripeCustomerFactory.create(organization=organization)
    price = StripeSubscriptionPriceFactory.create(price_id="price_monthly_mirror")
    applied = service.apply_subscription(
        provider_subscription(customer.customer_id, price_id="price_monthly_mirror"), NOW
    )
    assert applied is not None
    row = one_subscription(db_session)
    assert (row.status, row.item.quantity, row.price_id) == ("active", 3, price.id)
    assert row.provider_updated == NOW
    assert service.standing(organization).in_good_standing
    (event,) = events_of(db_session, organization)
    assert event.tag == "organization:subscription:create"
    assert event.sentence == "A subscription started (Active, 3 seats)"


def test_a_price_we_do_not_know_is_left_empty(service, db_session):
    customer = StripeCustomerFactory.create(organization=company())
    service.apply_subscription(
        provider_subscription(customer.customer_id, price_id="price_elsewhere"), NOW
    )
    assert one_subscription(db_session).price_id is None


def test_a_subscription_of_someone_elses_customer_is_not_ours(service, db_session):
    StripeCustomerFactory.create(organization=company())
    assert service.apply_subscription(provider_subscription("cus_not_ours"), NOW) is None
    assert count(db_session, StripeSubscription) == 0


def test_status_and_seat_changes_are_applied_and_recorded(service, db_session):
    organization = company()
    customer = StripeCustomerFactory.create(organization=organization)
    service.apply_subscription(provider_subscription(customer.customer_id), NOW)
    later = NOW + datetime.timedelta(minutes=5)
    service.apply_subscription(
        provider_subscription(customer.customer_id, status="past_due", quantity=5), later
    )
    row = one_subscription(db_session)
    assert (row.status, row.item.quantity, row.provider_updated) == ("past_due", 5, later)
    assert not service.standing(organization).in_good_standing
    sentences = [event.sentence for event in events_of(db_session, organization)]
    assert sentences == [
        "A subscription started (Active, 3 seats)",
        "The subscription went from Active to Payment overdue",
        "The subscription's seats went from 3 to 5",
    ]


def test_older_news_is_dropped(service, db_session):
    organization = company()
    customer = StripeCustomerFactory.create(organization=organization)
    service.apply_subscription(provider_subscription(customer.customer_id, status="past_due"), NOW)
    earlier = NOW - datetime.timedelta(minutes=1)
    service.apply_subscription(provider_subscription(customer.customer_id, quantity=9), earlier)
    row = one_subscription(db_session)
    assert (row.status, row.item.quantity, row.provider_updated) == ("past_due", 3, NOW)
    assert event_tags(db_session, organization) == ["organization:subscription:create"]


@pytest.mark.parametrize("gap", [datetime.timedelta(minutes=-1), datetime.timedelta(0)])
def test_an_update_delivered_after_the_deletion_leaves_it_canceled(service, db_session, gap):
    """Stripe sends no order; an ``updated`` (active) that arrives after the ``deleted``, sent
    before it or in the same second, does not bring the subscription back."""
    organization = company()
    customer = StripeCustomerFactory.create(organization=organization)
    service.apply_subscription(
        provider_subscription(customer.customer_id), NOW - datetime.timedelta(hours=1)
    )
    service.apply_subscription(provider_subscription(customer.customer_id, status="canceled"), NOW)
    service.apply_subscription(
        provider_subscription(customer.customer_id, status="active"), NOW + gap
    )
    assert one_subscription(db_session).status == "canceled"
    assert not service.standing(organization).in_good_standing
    assert event_tags(db_session, organization) == [
        "organization:subscription:create",
        "organization:subscription:cancel",
    ]


def test_cancel_at_the_end_of_the_period_is_recorded_with_its_date(service, db_session):
    organization = company()
    customer = StripeCustomerFactory.create(organization=organization)
    end = datetime.datetime(2027, 1, 31, tzinfo=datetime.UTC)
    service.apply_subscription(
        provider_subscription(customer.customer_id, current_period_end=end), NOW
    )
    service.apply_subscription(
        provider_subscription(
            customer.customer_id, current_period_end=end, cancel_at_period_end=True
        ),
        NOW + datetime.timedelta(seconds=1),
    )
    assert one_subscription(db_session).cancel_at_period_end
    assert events_of(db_session, organization)[-1].sentence == (
        "The subscription was set to end on 2027-01-31"
    )
    # Still paid for until then.
    assert service.standing(organization).in_good_standing


# --- Webhook events, at most once -------------------------------------------------------------


def test_an_event_is_applied_once_and_its_replay_does_nothing(service, db_session, domain):
    organization = company()
    customer = StripeCustomerFactory.create(organization=organization)
    event = provider_event(
        "customer.subscription.created",
        subscription_object("sub_once", customer.customer_id, quantity=2, domain=domain),
    )
    assert service.apply_event(event) is True
    assert service.apply_event(event) is False
    assert count(db_session, StripeSubscription) == 1
    assert count(db_session, StripeWebhookEvent) == 1
    assert event_tags(db_session, organization) == ["organization:subscription:create"]
    recorded = db_session.scalars(select(StripeWebhookEvent)).one()
    assert (recorded.event_id, recorded.event_type, recorded.occurred) == (
        event.event_id,
        "customer.subscription.created",
        event.created,
    )


def test_another_domains_event_is_ignored_and_not_recorded(service, db_session):
    customer = StripeCustomerFactory.create(organization=company())
    event = provider_event(
        "customer.subscription.created",
        subscription_object("sub_theirs", customer.customer_id, domain="staging.example.org"),
    )
    assert service.apply_event(event) is False
    assert count(db_session, StripeWebhookEvent) == 0
    assert count(db_session, StripeSubscription) == 0


def test_an_event_type_nobody_reads_is_recorded_and_ignored(service, db_session):
    event = provider_event("charge.refunded", {"id": "ch_1", "object": "charge"})
    assert service.apply_event(event) is True
    assert service.apply_event(event) is False
    assert count(db_session, StripeWebhookEvent) == 1


@pytest.mark.parametrize("older_shape", [False, True], ids=["current-api", "localstripe"])
def test_both_payload_shapes_give_the_same_subscription(service, db_session, domain, older_shape):
    customer = StripeCustomerFactory.create(organization=company())
    end = datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC)
    payload = subscription_object(
        "sub_shape",
        customer.customer_id,
        price_id="price_shape",
        item_id="si_shape",
        quantity=7,
        period_end=end,
        domain=domain,
        older_shape=older_shape,
    )
    assert subscription_from_payload(payload) == ProviderSubscription(
        subscription_id="sub_shape",
        customer_id=customer.customer_id,
        status="active",
        price_id="price_shape",
        subscription_item_id="si_shape",
        quantity=7,
        cancel_at_period_end=False,
        current_period_end=end,
        metadata={"billing_service": "warehouse-orgs", "domain": domain},
    )
    service.apply_event(provider_event("customer.subscription.updated", payload))
    row = one_subscription(db_session, "sub_shape")
    assert (row.item.subscription_item_id, row.item.quantity, row.current_period_end) == (
        "si_shape",
        7,
        end,
    )


def test_a_completed_checkout_with_its_subscription_in_it_is_applied(service, db_session, domain):
    organization = company()
    customer = StripeCustomerFactory.create(organization=organization)
    subscription = subscription_object("sub_checkout", customer.customer_id, domain=domain)
    event = provider_event(
        "checkout.session.completed",
        checkout_session_object(customer.customer_id, subscription, domain=domain),
    )
    assert service.apply_event(event)
    assert one_subscription(db_session, "sub_checkout").status == "active"
    assert service.standing(organization).in_good_standing


def test_a_completed_checkout_of_someone_elses_customer_asks_the_provider_nothing(
    service, db_session, domain
):
    """Its subscription is named by id only; fetching it would reach the provider, which in
    these settings nobody answers: the test would fail with BillingUnavailable."""
    event = provider_event(
        "checkout.session.completed",
        checkout_session_object("cus_not_ours", "sub_not_ours", domain=domain),
    )
    assert service.apply_event(event)
    assert count(db_session, StripeSubscription) == 0


def test_an_updated_customer_keeps_its_billing_email(service, db_session, domain):
    organization = company()
    customer = StripeCustomerFactory.create(organization=organization)
    event = provider_event(
        "customer.updated",
        customer_object(customer.customer_id, email="billing@acme.example", domain=domain),
    )
    service.apply_event(event)
    db_session.expire_all()
    assert db_session.get(StripeCustomer, customer.id).billing_email == "billing@acme.example"
    assert events_of(db_session, organization)[-1].sentence == (
        "The billing email at the payment provider became billing@acme.example"
    )


def test_a_deleted_customer_ends_its_subscriptions_and_can_start_again(service, db_session, domain):
    organization = company()
    customer = StripeCustomerFactory.create(organization=organization)
    live_id = StripeSubscriptionFactory.create(customer=customer, status="active").subscription_id
    StripeSubscriptionFactory.create(customer=customer, status="canceled")
    service.apply_event(
        provider_event("customer.deleted", customer_object(customer.customer_id, domain=domain))
    )
    assert count(db_session, StripeCustomer) == 0
    assert count(db_session, StripeSubscription) == 0
    assert not service.standing(organization).in_good_standing
    events = events_of(db_session, organization)
    assert [event.tag for event in events] == [
        "organization:subscription:cancel",
        "organization:customer:delete",
    ]
    assert events[0].additional["subscription_id"] == live_id
    assert service.add_customer(organization, "cus_again").customer_id == "cus_again"


@pytest.mark.parametrize("older_shape", [False, True], ids=["current-api", "localstripe"])
def test_a_failed_payment_is_recorded_on_the_organization(service, db_session, domain, older_shape):
    organization = company()
    subscription = StripeSubscriptionFactory.create(
        customer=StripeCustomerFactory.create(organization=organization)
    )
    invoice = invoice_object(
        subscription.customer.customer_id,
        subscription.subscription_id,
        domain=domain,
        older_shape=older_shape,
    )
    assert service.apply_event(provider_event("invoice.payment_failed", invoice))
    (event,) = events_of(db_session, organization)
    assert event.tag == "organization:billing:payment_failed"
    assert event.additional["subscription_id"] == subscription.subscription_id


def test_applying_an_event_takes_a_fixed_number_of_statements(
    service, db_session, domain, query_recorder
):
    """However many subscriptions, events or members the organization has."""
    counts = []
    for seats in (1, 40):
        organization = company()
        customer = StripeCustomerFactory.create(organization=organization)
        for _ in range(seats):
            OrganizationRoleFactory.create(organization=organization)
        StripeSubscriptionFactory.create_batch(seats, customer=customer, status="canceled")
        subscription_id = fresh_id("sub")
        for event_type, status in [
            ("customer.subscription.created", "active"),
            ("customer.subscription.updated", "past_due"),
        ]:
            event = provider_event(
                event_type,
                subscription_object(
                    subscription_id, customer.customer_id, status=status, domain=domain
                ),
            )
            db_session.flush()
            with query_recorder:
                service.apply_event(event)
                db_session.flush()
            counts.append((event_type, query_recorder.count))
    assert counts[:2] == counts[2:]


# --- Terms and manual activation ----------------------------------------------------------------


def test_a_terms_agreement_is_kept_with_who_which_terms_and_the_interval(
    service, db_session, request_
):
    organization = company()
    ada = UserFactory.create(username="ada")
    request_.user = ada
    service.record_terms_agreement(organization, ada, "month")
    service.record_terms_agreement(organization, ada, "year")
    agreement = service.latest_terms_agreement(organization)
    assert (agreement.user_id, agreement.interval, agreement.revision) == (
        ada.id,
        "year",
        "2026-11",
    )
    assert count(db_session, BillingTermsAgreement) == 2
    assert events_of(db_session, organization)[-1].sentence == (
        "ada agreed to the billing terms (2026-11), choosing yearly billing"
    )


def test_a_terms_agreement_needs_a_known_interval(service):
    with pytest.raises(BillingError):
        service.record_terms_agreement(company(), UserFactory.create(), "weekly")


def test_manual_activation_is_added_changed_and_ended_each_on_the_record(
    service, db_session, request_
):
    organization = company()
    request_.user = UserFactory.create(username="staffer")
    expires = TODAY + datetime.timedelta(days=90)
    service.set_manual_activation(organization, 10, expires)
    assert service.standing(organization).in_good_standing
    service.set_manual_activation(organization, 25, expires)
    assert service.manual_activation(organization).seat_limit == 25
    service.delete_manual_activation(organization)
    assert service.manual_activation(organization) is None
    assert not service.standing(organization).in_good_standing
    assert [event.sentence for event in events_of(db_session, organization)] == [
        f"staffer added the manual activation: 10 seats until {expires.isoformat()}",
        f"staffer changed the manual activation: 25 seats until {expires.isoformat()}",
        "staffer ended the manual activation",
    ]
    assert event_tags(db_session, organization) == [
        "organization:manual_activation:add",
        "organization:manual_activation:update",
        "organization:manual_activation:delete",
    ]


def test_a_manual_activation_needs_a_seat(service):
    with pytest.raises(BillingError):
        service.set_manual_activation(company(), 0, TODAY)
