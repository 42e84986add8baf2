"""``warehouse-orgs domains``: maintenance of verified domains."""

import click

from warehouse_orgs.cli import CommandContext, pass_command_context
from warehouse_orgs.domains.tasks import recheck_verified_domains
from warehouse_orgs.tasks import run_task


@click.group()
def domains() -> None:
    """Verified domains."""


@domains.command("recheck")
@pass_command_context
def recheck(context: CommandContext) -> None:
    """Look every verified domain's TXT record up again, as the daily task does: a definite
    answer without the record takes the badge away and emails the Owners; no answer (a
    timeout, a server failure) leaves it."""
    counts = run_task(context.config.registry, recheck_verified_domains, (), {})
    click.echo(
        f"{counts['checked']} checked: {counts['still_verified']} still verified, "
        f"{counts['lost']} lost their badge, {counts['unanswered']} without an answer (kept)."
    )
