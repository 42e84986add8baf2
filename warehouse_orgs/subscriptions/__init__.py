"""Billing for Company organizations: the payment provider (``IBillingService``), the local
mirror of customers, prices and subscriptions (``ISubscriptionService``), the webhook that
keeps the mirror true, and the good-standing rule organizations ask through
``IOrganizationStanding``. It depends on organizations; organizations never imports it."""

from pyramid.config import Configurator

from warehouse_orgs.organizations.interfaces import IOrganizationStanding
from warehouse_orgs.subscriptions.interfaces import IBillingService, ISubscriptionService
from warehouse_orgs.subscriptions.services import DatabaseSubscriptionService


def includeme(config: Configurator) -> None:
    """Registrations are added as the parts land (services, webhook, tasks)."""
    settings = config.registry.settings

    # The payment provider: BILLING_BACKEND names the class; unset, billing is off.
    if settings.get("billing.backend"):
        backend = config.maybe_dotted(settings["billing.backend"])
        config.register_service_factory(backend.create_service, IBillingService)

    # The local mirror, which also decides good standing for organizations (one rule).
    config.register_service_factory(
        DatabaseSubscriptionService.create_service, ISubscriptionService
    )
    config.register_service_factory(
        DatabaseSubscriptionService.create_service, IOrganizationStanding
    )
