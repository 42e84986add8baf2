"""``warehouse-orgs users``: staff roles, and two-factor codes for demo accounts."""

import click

from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.accounts.models import STAFF_FLAGS, User
from warehouse_orgs.accounts.services import LastAdminRefused, totp_for
from warehouse_orgs.cli import CommandContext, pass_command_context
from warehouse_orgs.environment import Environment
from warehouse_orgs.tasks import run_task

ROLE_FLAGS = {
    "admin": "is_superuser",
    "support": "is_support",
    "moderator": "is_moderator",
    "psf-staff": "is_psf_staff",
}


def _require_user(request, username: str) -> User:
    user = request.find_service(IUserService).get_user_by_username(username)
    if user is None:
        raise click.ClickException(f"There is no user {username!r}.")
    return user


def _set_role(context: CommandContext, username: str, role: str, value: bool) -> str:
    def change(request) -> str:
        user = _require_user(request, username)
        try:
            request.find_service(IUserService).set_staff_flag(user, ROLE_FLAGS[role], value)
        except LastAdminRefused as refusal:
            raise click.ClickException(
                f"{username} is the last admin; grant admin to someone else first."
            ) from refusal
        roles = ", ".join(user.staff_roles) or "none"
        return f"{user.username}: staff roles now {roles}."

    return run_task(context.config.registry, change, (), {})


@click.group()
def users() -> None:
    """Accounts."""


@users.command()
@click.argument("username")
@click.argument("role", type=click.Choice(sorted(ROLE_FLAGS)))
@pass_command_context
def grant(context: CommandContext, username: str, role: str) -> None:
    """Give USERNAME a staff ROLE (recorded in the user's history)."""
    click.echo(_set_role(context, username, role, True))


@users.command()
@click.argument("username")
@click.argument("role", type=click.Choice(sorted(ROLE_FLAGS)))
@pass_command_context
def revoke(context: CommandContext, username: str, role: str) -> None:
    """Take a staff ROLE away from USERNAME (recorded in the user's history)."""
    click.echo(_set_role(context, username, role, False))


@users.command()
@click.argument("username")
@pass_command_context
def totp(context: CommandContext, username: str) -> None:
    """Print USERNAME's current two-factor code. Development only, for the demo accounts."""
    if context.config.registry.settings["warehouse_orgs.env"] != Environment.development:
        raise click.ClickException("`users totp` works only in development.")

    def code(request) -> str:
        user = _require_user(request, username)
        if user.totp_secret is None:
            raise click.ClickException(f"{username} has no two-factor authentication.")
        return totp_for(user.totp_secret).now()

    click.echo(run_task(context.config.registry, code, (), {}))


assert set(ROLE_FLAGS.values()) == set(STAFF_FLAGS)
