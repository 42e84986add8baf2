"""``warehouse-orgs organizations``: maintenance of organizations."""

import click

from warehouse_orgs.cli import CommandContext, pass_command_context
from warehouse_orgs.organizations.tasks import (
    complete_due_handovers,
    expire_organization_invitations,
    find_ownerless_risk_organizations,
    lapse_overdue_owner_changes,
)
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


@organizations.command("find-ownerless-risk")
@pass_command_context
def find_ownerless_risk(context: CommandContext) -> None:
    """Mark organizations whose every Owner is inactive or disabled (the daily task's work)."""
    sweep = run_task(context.config.registry, find_ownerless_risk_organizations, (), {})
    click.echo(f"At risk now: {', '.join(sweep.found) or 'none new'}.")
    click.echo(f"No longer at risk: {', '.join(sweep.cleared) or 'none'}.")


@organizations.command("complete-handovers")
@pass_command_context
def complete_handovers(context: CommandContext) -> None:
    """Apply the handovers whose seven days passed without an Owner objecting."""
    count = run_task(context.config.registry, complete_due_handovers, (), {})
    click.echo(f"{count} handover{'s' if count != 1 else ''} took effect.")


@organizations.command("lapse-owner-changes")
@pass_command_context
def lapse_owner_changes(context: CommandContext) -> None:
    """Mark lapsed the owner changes that waited 72 hours for a second Owner."""
    count = run_task(context.config.registry, lapse_overdue_owner_changes, (), {})
    click.echo(f"{count} proposal{'s' if count != 1 else ''} lapsed.")
