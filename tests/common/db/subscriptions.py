import datetime
import uuid
from typing import Any

import factory

from tests.common.db import ModelFactory
from tests.common.db.organizations import OrganizationFactory
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.subscriptions.billing import StripeBillingService
from warehouse_orgs.subscriptions.interfaces import ProviderSubscription
from warehouse_orgs.subscriptions.models import (
    ManualActivation,
    StripeCustomer,
    StripeSubscription,
    StripeSubscriptionItem,
    StripeSubscriptionPrice,
    StripeSubscriptionProduct,
)


class ManualActivationFactory(ModelFactory):
    """Staff's manual activation of a Company organization, valid for a year: the organization
    is in good standing without a subscription. ``expires`` in the past makes it lapsed."""

    class Meta:
        model = ManualActivation

    organization_id = factory.LazyAttribute(lambda o: o.organization.id)
    seat_limit = 10
    expires = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=365))

    class Params:
        organization = factory.SubFactory(OrganizationFactory, orgtype="Company")


class StripeCustomerFactory(ModelFactory):
    """A Company organization's customer at the payment provider."""

    class Meta:
        model = StripeCustomer

    organization = factory.SubFactory(OrganizationFactory, orgtype="Company")
    customer_id = factory.Sequence(lambda n: f"cus_test{n:06d}")


class StripeSubscriptionProductFactory(ModelFactory):
    class Meta:
        model = StripeSubscriptionProduct

    product_id = factory.Sequence(lambda n: f"prod_test{n:06d}")
    name = "PyPI Organization seats"


class StripeSubscriptionPriceFactory(ModelFactory):
    """An active per-seat price: $5 a month unless told otherwise."""

    class Meta:
        model = StripeSubscriptionPrice

    price_id = factory.Sequence(lambda n: f"price_test{n:06d}")
    product = factory.SubFactory(StripeSubscriptionProductFactory)
    unit_amount = 500
    interval = "month"


class StripeSubscriptionFactory(ModelFactory):
    """An active subscription with its seat item (``item__quantity`` seats, 1 by default);
    ``item=None`` makes one without."""

    class Meta:
        model = StripeSubscription

    customer = factory.SubFactory(StripeCustomerFactory)
    subscription_id = factory.Sequence(lambda n: f"sub_test{n:06d}")
    status = "active"
    current_period_end = factory.LazyFunction(
        lambda: datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30)
    )
    provider_updated = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))
    item = factory.RelatedFactory(
        "tests.common.db.subscriptions.StripeSubscriptionItemFactory",
        factory_related_name="subscription",
    )


class StripeSubscriptionItemFactory(ModelFactory):
    class Meta:
        model = StripeSubscriptionItem

    subscription = factory.SubFactory(StripeSubscriptionFactory, item=None)
    subscription_item_id = factory.Sequence(lambda n: f"si_test{n:06d}")
    quantity = 1


def pay_at_local_stripe(
    local_stripe: Any, *, seats: int = 1, domain: str = "localhost"
) -> ProviderSubscription:
    """A subscription a new customer paid for through the local Stripe's hosted checkout
    ($5 a seat a month), as the provider knows it now."""
    billing = StripeBillingService(
        secret_key=local_stripe.secret_key,
        webhook_secret=local_stripe.webhook_secret,
        domain=domain,
        api_base=local_stripe.api_base,
    )
    price_id = billing.sync_price(
        billing.sync_product("PyPI Organization seats", "Per seat"), 500, "usd", "month"
    )
    customer_id = billing.create_customer(uuid.uuid4(), "Paying", "", str(uuid.uuid4()))
    checkout_url = billing.create_checkout_session(
        customer_id,
        price_id,
        seats,
        success_url="http://localhost/done",
        cancel_url="http://localhost/",
        idempotency_key=str(uuid.uuid4()),
    )
    local_stripe.pay(checkout_url)
    (paid,) = local_stripe.client().v1.subscriptions.list({"customer": customer_id}).data
    found = billing.retrieve_subscription(paid.id)
    assert found is not None
    return found


def mirror_subscription(
    organization: Organization, paid: ProviderSubscription
) -> StripeSubscription:
    """The organization's local rows for a subscription the provider knows (its customer, the
    subscription, its seat item), as the webhook would have made them a minute ago."""
    customer = StripeCustomerFactory.create(organization=organization, customer_id=paid.customer_id)
    return StripeSubscriptionFactory.create(
        customer=customer,
        subscription_id=paid.subscription_id,
        status=paid.status,
        cancel_at_period_end=paid.cancel_at_period_end,
        current_period_end=paid.current_period_end,
        provider_updated=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1),
        item__subscription_item_id=paid.subscription_item_id,
        item__quantity=paid.quantity,
    )
