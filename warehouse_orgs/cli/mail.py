"""``warehouse-orgs mail``: check that this installation can send email."""

import click

from warehouse_orgs.cli import CommandContext, pass_command_context
from warehouse_orgs.email import send_email
from warehouse_orgs.tasks import run_task


def _send_mail_check(request, recipient: str) -> None:
    send_email(request, "mail-check", recipient)


@click.group()
def mail() -> None:
    """Email."""


@mail.command()
@click.argument("recipient")
@pass_command_context
def check(context: CommandContext, recipient: str) -> None:
    """Send a short test message to RECIPIENT through the configured MAIL_BACKEND."""
    run_task(context.config.registry, _send_mail_check, (recipient,), {})
    backend = context.config.registry.settings["mail.backend"]
    click.echo(f"Sent a mail check to {recipient} through {backend}.")
