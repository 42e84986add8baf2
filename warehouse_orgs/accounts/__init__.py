"""Accounts: users, emails, passwords, two-factor authentication and the login flow."""

from pyramid.config import Configurator

from warehouse_orgs.accounts.interfaces import ITokenService, IUserService
from warehouse_orgs.accounts.reauthentication import reauth_view
from warehouse_orgs.accounts.services import (
    DatabaseUserService,
    DeletionCheck,
    DeletionHook,
    LoginLanding,
    token_service_factory,
)

EMAIL_TOKEN_MAX_AGE = 24 * 60 * 60
# As on PyPI: a reset link works for six hours.
PASSWORD_RESET_TOKEN_MAX_AGE = 6 * 60 * 60


def _add_account_deletion_check(config: Configurator, check: DeletionCheck) -> None:
    config.registry.setdefault("accounts.deletion_checks", []).append(check)


def _add_account_deletion_hook(config: Configurator, hook: DeletionHook) -> None:
    config.registry.setdefault("accounts.deletion_hooks", []).append(hook)


def _add_login_landing(config: Configurator, landing: LoginLanding) -> None:
    config.registry.setdefault("accounts.login_landings", []).append(landing)


def includeme(config: Configurator) -> None:
    config.register_service_factory(DatabaseUserService.create_service, IUserService)
    config.register_service_factory(
        token_service_factory("email", EMAIL_TOKEN_MAX_AGE), ITokenService, name="email"
    )
    config.register_service_factory(
        token_service_factory("password", PASSWORD_RESET_TOKEN_MAX_AGE),
        ITokenService,
        name="password",
    )
    config.add_directive("add_account_deletion_check", _add_account_deletion_check)
    config.add_directive("add_account_deletion_hook", _add_account_deletion_hook)
    config.add_directive("add_login_landing", _add_login_landing)
    config.add_view_deriver(reauth_view)
    config.include("warehouse_orgs.accounts.security_policy")
