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

    # Projects
    project_traversal = {
        "factory": "warehouse_orgs.packaging.models.ProjectFactory",
        "traverse": "/{project_name}",
    }
    config.add_route("packaging.project", "/project/{project_name}/", **project_traversal)
    config.add_route("manage.projects", "/manage/projects/")
    config.add_route(
        "manage.project.settings", "/manage/project/{project_name}/settings/", **project_traversal
    )
    config.add_route(
        "manage.project.roles", "/manage/project/{project_name}/collaboration/", **project_traversal
    )
    config.add_route(
        "manage.project.roles.change",
        "/manage/project/{project_name}/collaboration/change/",
        **project_traversal,
    )
    config.add_route(
        "manage.project.roles.delete",
        "/manage/project/{project_name}/collaboration/delete/",
        **project_traversal,
    )
    config.add_route(
        "manage.project.history", "/manage/project/{project_name}/history/", **project_traversal
    )

    # Organizations
    organization_traversal = {
        "factory": "warehouse_orgs.organizations.traversal.OrganizationFactory",
        "traverse": "/{organization_name}",
    }
    config.add_route("organizations.profile", "/org/{organization_name}/", **organization_traversal)
    config.add_route("manage.organizations", "/manage/organizations/")
    config.add_route(
        "manage.organizations.application",
        "/manage/organizations/application/{application_id}/",
        factory="warehouse_orgs.organizations.traversal.ApplicationFactory",
        traverse="/{application_id}",
    )
    config.add_route("accounts.verify_organization_role", "/account/verify-organization-role/")
    for name, suffix in [
        ("manage.organization.settings", "settings/"),
        ("manage.organization.roles", "people/"),
        ("manage.organization.change_role", "people/change/"),
        ("manage.organization.revoke_invite", "people/revoke_invite/"),
        ("manage.organization.resend_invite", "people/resend_invite/"),
        ("manage.organization.delete_role", "people/delete/"),
        ("manage.organization.history", "history/"),
    ]:
        config.add_route(
            name,
            f"/manage/organization/{{organization_name}}/{suffix}",
            **organization_traversal,
        )

    # Staff: applications and organizations
    config.add_route("admin.organization_application.list", "/admin/organization_applications/")
    config.add_route(
        "admin.organization_application.detail",
        "/admin/organization_applications/{application_id}/",
    )
    for action in ("approve", "decline", "defer", "requestmoreinfo", "addnote"):
        config.add_route(
            f"admin.organization_application.{action}",
            f"/admin/organization_applications/{{application_id}}/{action}/",
        )
    config.add_route("admin.organization.list", "/admin/organizations/")
    config.add_route("admin.organization.detail", "/admin/organizations/{organization_id}/")
    config.add_route("admin.organization.rename", "/admin/organizations/{organization_id}/rename/")
    config.add_route(
        "admin.organization.add_role", "/admin/organizations/{organization_id}/add_role/"
    )
    config.add_route(
        "admin.organization.update_role",
        "/admin/organizations/{organization_id}/update_role/{role_id}/",
    )
    config.add_route(
        "admin.organization.delete_role",
        "/admin/organizations/{organization_id}/delete_role/{role_id}/",
    )
