"""``warehouse-orgs shell``: Python with the app's settings and a database session."""

import code

import click

from warehouse_orgs.cli import CommandContext, pass_command_context
from warehouse_orgs.tasks import make_task_request


@click.command()
@pass_command_context
def shell(context: CommandContext) -> None:
    """Open an interactive shell with ``request``, ``db``, ``registry`` and ``settings``."""
    registry = context.config.registry
    request = make_task_request(registry)
    request.tm.begin()
    namespace = {
        "registry": registry,
        "settings": registry.settings,
        "request": request,
        "db": request.db,
        "tm": request.tm,
    }
    banner = (
        "warehouse-orgs shell. Names: request, db, registry, settings, tm.\n"
        "A transaction is open: tm.commit() saves, tm.abort() discards; tm.begin() starts anew."
    )
    code.interact(banner=banner, local=namespace)
