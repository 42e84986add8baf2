"""The ``warehouse-orgs`` command: billing, database, development, mail, shell and sponsor
commands."""

import os
from functools import cached_property

import click
from pyramid.config import Configurator

from warehouse_orgs.config import configure
from warehouse_orgs.environment import Environment
from warehouse_orgs.request_logging import configure_logging


class CommandContext:
    """Builds the application's configuration the first time a command needs it."""

    @cached_property
    def config(self) -> Configurator:
        if os.environ.get("WAREHOUSE_ORGS_ENV") == Environment.development:
            from warehouse_orgs.cli.local_postgres import ensure_database_url

            ensure_database_url()
        config = configure()
        config.commit()
        return config

    def close(self) -> None:
        if "config" in self.__dict__:
            self.config.registry["sqlalchemy.engine"].dispose()


pass_command_context = click.make_pass_decorator(CommandContext, ensure=True)


@click.group()
@click.pass_context
def warehouse_orgs(ctx: click.Context) -> None:
    """Manage a warehouse-orgs installation."""
    configure_logging()
    ctx.call_on_close(ctx.ensure_object(CommandContext).close)


def _register_commands() -> None:
    from warehouse_orgs.cli import (
        bench,
        billing,
        db,
        dev,
        domains,
        mail,
        organizations,
        shell,
        sponsors,
        users,
    )

    dev.dev.add_command(bench.bench)

    warehouse_orgs.add_command(billing.billing)
    warehouse_orgs.add_command(db.db)
    warehouse_orgs.add_command(dev.dev)
    warehouse_orgs.add_command(domains.domains)
    warehouse_orgs.add_command(mail.mail)
    warehouse_orgs.add_command(organizations.organizations)
    warehouse_orgs.add_command(shell.shell)
    warehouse_orgs.add_command(sponsors.sponsors)
    warehouse_orgs.add_command(users.users)


_register_commands()
