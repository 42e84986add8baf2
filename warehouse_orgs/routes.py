"""Every URL the application answers, in one place (see ARCHITECTURE.md, URL contract)."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.add_route("index", "/")
    config.add_route("health", "/_health/")

    # Accounts
    config.add_route("accounts.register", "/account/register/")
    config.add_route("accounts.login", "/account/login/")
    config.add_route("accounts.two_factor", "/account/two-factor/")
    config.add_route("accounts.recovery_code", "/account/recovery-code/")
    config.add_route("accounts.logout", "/account/logout/")
    config.add_route("accounts.verify_email", "/account/verify-email/")
    config.add_route("accounts.reauthenticate", "/account/reauthenticate/")

    # A user's own account
    config.add_route("manage.account", "/manage/account/")
    config.add_route("manage.account.password", "/manage/account/password/")
    config.add_route("manage.account.email.add", "/manage/account/emails/add/")
    config.add_route("manage.account.email.resend", "/manage/account/emails/resend/")
    config.add_route("manage.account.email.primary", "/manage/account/emails/primary/")
    config.add_route("manage.account.email.delete", "/manage/account/emails/delete/")
    config.add_route("manage.account.totp_provision", "/manage/account/totp-provision/")
    config.add_route("manage.account.totp_remove", "/manage/account/totp-remove/")
    config.add_route("manage.account.recovery_codes", "/manage/account/recovery-codes/")
    config.add_route("manage.account.delete", "/manage/account/delete/")

    # Staff
    config.add_route("admin.dashboard", "/admin/")
    config.add_route("admin.user.list", "/admin/users/")
    config.add_route("admin.user.detail", "/admin/users/{user_id}/")
    config.add_route("admin.user.staff_flags", "/admin/users/{user_id}/staff-flags/")
