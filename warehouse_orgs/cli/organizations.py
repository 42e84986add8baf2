"""``warehouse-orgs organizations``: maintenance of organizations."""

import click

from warehouse_orgs.cli import CommandContext, pass_command_context
from warehouse_orgs.organizations.tasks import expire_organization_invitations
from warehouse_orgs.tasks import run_task


@click.group()
def organizations() -> None:
    """Organizations."""


@organizations.command("expire-invitations")
@pass_command_context
def expire_invitations(context: CommandContext) -> None:
    """Mark overdue pending invitations expired, recording an event for each."""
    count = run_task(context.config.registry, expire_organization_invitations, (), {})
    click.echo(f"{count} invitation{'s' if count != 1 else ''} expired.")
