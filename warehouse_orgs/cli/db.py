"""``warehouse-orgs db``: Alembic, with the app's own configuration."""

import alembic.command
import alembic.config
import click

from warehouse_orgs.cli import CommandContext, pass_command_context
from warehouse_orgs.db import alembic_config


def _alembic(context: CommandContext) -> alembic.config.Config:
    return alembic_config(context.config.registry.settings["database.url"])


@click.group()
def db() -> None:
    """Migrate the database."""


@db.command()
@click.argument("revision", default="head")
@pass_command_context
def upgrade(context: CommandContext, revision: str) -> None:
    """Upgrade to REVISION (default: head)."""
    alembic.command.upgrade(_alembic(context), revision)


@db.command()
@click.argument("revision")
@pass_command_context
def downgrade(context: CommandContext, revision: str) -> None:
    """Downgrade to REVISION: a revision id, base, or one step back with `-- -1`."""
    alembic.command.downgrade(_alembic(context), revision)


@db.command()
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option("--autogenerate/--empty", default=True, help="Compare models to the database.")
@pass_command_context
def revision(context: CommandContext, message: str, autogenerate: bool) -> None:
    """Write a new migration into migrations/versions/."""
    alembic.command.revision(_alembic(context), message=message, autogenerate=autogenerate)


@db.command()
@pass_command_context
def current(context: CommandContext) -> None:
    """Show the database's current revision."""
    alembic.command.current(_alembic(context), verbose=True)


@db.command()
@pass_command_context
def heads(context: CommandContext) -> None:
    """Show the newest revision(s)."""
    alembic.command.heads(_alembic(context), verbose=True)


@db.command()
@pass_command_context
def history(context: CommandContext) -> None:
    """List the migrations."""
    alembic.command.history(_alembic(context))


@db.command()
@pass_command_context
def check(context: CommandContext) -> None:
    """Fail if the models and the migrations have drifted apart."""
    alembic.command.check(_alembic(context))
