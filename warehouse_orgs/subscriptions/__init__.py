"""Billing for Company organizations: the payment provider (``IBillingService``), the local
mirror of customers, prices and subscriptions (``ISubscriptionService``), the webhook that
keeps the mirror true, and the good-standing rule organizations ask through
``IOrganizationStanding``. It depends on organizations; organizations never imports it."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    """Registrations are added as the parts land (services, webhook, tasks)."""
