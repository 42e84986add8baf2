import datetime

import factory

from tests.common.db import ModelFactory
from tests.common.db.organizations import OrganizationFactory
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
