"""``warehouse-orgs billing``: the product and prices at the payment provider."""

import click
from pyramid.exceptions import ConfigurationError

from warehouse_orgs.cli import CommandContext, pass_command_context
from warehouse_orgs.subscriptions.interfaces import BillingUnavailable
from warehouse_orgs.subscriptions.products import sync_products
from warehouse_orgs.tasks import run_task


@click.group()
def billing() -> None:
    """Billing."""


@billing.command("sync-products")
@pass_command_context
def sync_products_command(context: CommandContext) -> None:
    """Create or update the product and its monthly and yearly per-seat prices at the payment
    provider (BILLING_BACKEND) from the billing settings, and record them here. Running it
    again changes nothing that is already right."""
    registry = context.config.registry
    if not registry.settings.get("billing.backend"):
        raise click.ClickException(
            "BILLING_BACKEND is not set: there is no payment provider to sync with. "
            "(`make serve` starts the local Stripe and syncs its prices by itself.)"
        )
    try:
        lines = run_task(registry, sync_products, (), {})
    except (BillingUnavailable, ConfigurationError) as error:
        raise click.ClickException(str(error)) from error
    for line in lines:
        click.echo(line)
