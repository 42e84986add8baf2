"""``warehouse-orgs sponsors``: the PSF sponsor feed."""

import click

from warehouse_orgs.cli import CommandContext, pass_command_context
from warehouse_orgs.sponsors.feed import sync_from_feed
from warehouse_orgs.tasks import run_task


@click.group()
def sponsors() -> None:
    """The sponsorship program."""


@sponsors.command("sync")
@pass_command_context
def sync_command(context: CommandContext) -> None:
    """Run the hourly sync from the PSF's sponsor feed (SPONSOR_FEED_URL, SPONSOR_FEED_TOKEN)
    now: PSF sponsors added, updated or no longer listed, logos copied into logo storage. A
    feed that cannot be used changes nothing; the run is recorded either way, with the reason,
    on the staff sponsor list."""
    # The task's own work, for its outcome: the task hands back only the message.
    outcome = run_task(context.config.registry, sync_from_feed, (), {})
    if not outcome.succeeded:
        raise click.ClickException(outcome.message)
    click.echo(outcome.message)
