"""Every URL the application answers, in one place (see ARCHITECTURE.md, URL contract).

An action route only takes a POST: it is where a page's form sends a change. Each is added with
``add_action_route(config, name, pattern, back_to=<the page's route>)``, which also makes a GET
on it (a reload after a refused action, a bookmarked or shared address) answer 303 to the page
the action belongs to, with the same URL parameters, under that page's own read permission.
tests/functional/test_action_routes.py fails for any POST-only route added another way.
"""

import re
from dataclasses import dataclass
from typing import Any

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther
from pyramid.interfaces import PHASE3_CONFIG, IIntrospector
from pyramid.request import Request

ACTION_ROUTES_KEY = "routes.action_routes"
_PLACEHOLDER = re.compile(r"\{(\w+)")


@dataclass(frozen=True)
class BackPage:
    """Where a GET on an action route goes, and who may go there."""

    route_name: str
    url_keys: tuple[str, ...]
    permission: str | None


def add_action_route(
    config: Configurator, name: str, pattern: str, *, back_to: str, **route_options: Any
) -> None:
    """A route that only takes POST, whose GET answers with its page ``back_to``."""
    config.add_route(name, pattern, **route_options)
    config.add_view(back_to_page, route_name=name, request_method="GET")
    registry = config.registry

    def resolve() -> None:
        page = _back_page(registry.introspector, name, back_to)
        registry.setdefault(ACTION_ROUTES_KEY, {})[name] = page

    # Views are registered at PHASE3_CONFIG; the page's permission is known after that.
    config.action((ACTION_ROUTES_KEY, name), resolve, order=PHASE3_CONFIG + 1)


def back_to_page(context: Any, request: Request) -> HTTPSeeOther:
    page: BackPage = request.registry[ACTION_ROUTES_KEY][request.matched_route.name]
    if page.permission is not None:
        # The page's own permission, so that the redirect tells a visitor who may not see the
        # page no more than the page itself would.
        allowed = request.has_permission(page.permission, context)
        if not allowed:
            raise HTTPForbidden(result=allowed)
    keys = {key: request.matchdict[key] for key in page.url_keys}
    # The URL parameters too: a page's links after a refused action (its list's next page)
    # point at the action's URL, and should land on what they name.
    return HTTPSeeOther(request.route_path(page.route_name, _query=request.GET, **keys))


def _back_page(introspector: IIntrospector, action: str, page: str) -> BackPage:
    page_route, action_route = introspector.get("routes", page), introspector.get("routes", action)
    if page_route is None:
        raise ConfigurationError(f"The action route {action} goes back to {page}: no such route.")
    keys = tuple(_PLACEHOLDER.findall(page_route["pattern"]))
    missing = set(keys) - set(_PLACEHOLDER.findall(action_route["pattern"]))
    if missing:
        raise ConfigurationError(
            f"The action route {action} has no {sorted(missing)} for its page {page}."
        )
    permissions = set()
    for item in introspector.get_category("views"):
        view = item["introspectable"]
        methods = view.get("request_methods") or ()
        methods = {methods} if isinstance(methods, str) else set(methods)
        if view.get("route_name") == page and "GET" in methods:
            related = [i for i in introspector.related(view) if i.category_name == "permissions"]
            permissions.add(related[0]["value"] if related else None)
    if len(permissions) != 1:
        raise ConfigurationError(
            f"The action route {action} goes back to {page}, which needs exactly one GET "
            f"permission; it has {sorted(map(str, permissions)) or 'no GET view'}."
        )
    return BackPage(page, keys, permissions.pop())


def includeme(config: Configurator) -> None:
    config.add_route("index", "/")
    config.add_route("health", "/_health/")
    # The sponsorship program: who sponsors, and the prospectus with its inquiry form (POST).
    config.add_route("sponsors", "/sponsors/")
    config.add_route("sponsor", "/sponsor/")
    # The payment provider's webhook: authenticated by its signature, not by a session.
    config.add_route("billing.webhook", "/billing/webhook/")

    # Accounts
    config.add_route("accounts.register", "/account/register/")
    config.add_route("accounts.login", "/account/login/")
    config.add_route("accounts.two_factor", "/account/two-factor/")
    config.add_route("accounts.recovery_code", "/account/recovery-code/")
    config.add_route("accounts.logout", "/account/logout/")
    config.add_route("accounts.verify_email", "/account/verify-email/")
    config.add_route("accounts.reauthenticate", "/account/reauthenticate/")
    config.add_route("accounts.request_password_reset", "/account/request-password-reset/")
    config.add_route("accounts.reset_password", "/account/reset-password/")

    # A user's own account
    config.add_route("manage.account", "/manage/account/")
    config.add_route("manage.account.totp_provision", "/manage/account/totp-provision/")
    for name, path in [
        ("manage.account.password", "password/"),
        ("manage.account.email.add", "emails/add/"),
        ("manage.account.email.resend", "emails/resend/"),
        ("manage.account.email.primary", "emails/primary/"),
        ("manage.account.email.delete", "emails/delete/"),
        ("manage.account.public_team_projects", "team-projects/"),
        ("manage.account.totp_remove", "totp-remove/"),
        ("manage.account.recovery_codes", "recovery-codes/"),
        ("manage.account.delete", "delete/"),
    ]:
        add_action_route(config, name, f"/manage/account/{path}", back_to="manage.account")

    # Staff
    config.add_route("admin.dashboard", "/admin/")
    config.add_route("admin.user.list", "/admin/users/")
    config.add_route("admin.user.detail", "/admin/users/{user_id}/")
    add_action_route(
        config,
        "admin.user.staff_flags",
        "/admin/users/{user_id}/staff-flags/",
        back_to="admin.user.detail",
    )

    # Staff: sponsors, their levels and the inquiries. The fixed paths come before
    # {sponsor_id}/, which would otherwise take "create" or "levels" for an id.
    config.add_route("admin.sponsor.list", "/admin/sponsors/")
    config.add_route("admin.sponsor.create", "/admin/sponsors/create/")
    add_action_route(
        config, "admin.sponsor.sync", "/admin/sponsors/sync/", back_to="admin.sponsor.list"
    )
    config.add_route("admin.sponsor_level.list", "/admin/sponsors/levels/")
    config.add_route("admin.sponsor_level.detail", "/admin/sponsors/levels/{level_id}/")
    add_action_route(
        config,
        "admin.sponsor_level.delete",
        "/admin/sponsors/levels/{level_id}/delete/",
        back_to="admin.sponsor_level.detail",
    )
    config.add_route("admin.sponsor_inquiry.list", "/admin/sponsors/inquiries/")
    config.add_route("admin.sponsor_inquiry.detail", "/admin/sponsors/inquiries/{inquiry_id}/")
    config.add_route("admin.sponsor.detail", "/admin/sponsors/{sponsor_id}/")
    add_action_route(
        config,
        "admin.sponsor.delete",
        "/admin/sponsors/{sponsor_id}/delete/",
        back_to="admin.sponsor.detail",
    )

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
    for action in ("change", "delete"):
        add_action_route(
            config,
            f"manage.project.roles.{action}",
            f"/manage/project/{{project_name}}/collaboration/{action}/",
            back_to="manage.project.roles",
            **project_traversal,
        )
    # The teams of an organization project: give one a role, change it, take it away.
    for name, suffix in [
        ("manage.project.roles.team", "team/"),
        ("manage.project.roles.team.change", "team/change/"),
        ("manage.project.roles.team.delete", "team/delete/"),
    ]:
        add_action_route(
            config,
            name,
            f"/manage/project/{{project_name}}/collaboration/{suffix}",
            back_to="manage.project.roles",
            **project_traversal,
        )
    config.add_route(
        "manage.project.history", "/manage/project/{project_name}/history/", **project_traversal
    )
    # A project's place in organizations: forms on its settings page.
    for action in ("transfer_organization_project", "remove_organization_project"):
        add_action_route(
            config,
            f"manage.project.{action}",
            f"/manage/project/{{project_name}}/{action}/",
            back_to="manage.project.settings",
            **project_traversal,
        )

    # Organizations
    organization_traversal = {
        "factory": "warehouse_orgs.organizations.traversal.OrganizationFactory",
        "traverse": "/{organization_name}",
    }
    config.add_route("organizations.directory", "/organizations/")
    config.add_route(
        "organizations.profile",
        "/org/{organization_name}/",
        factory="warehouse_orgs.organizations.views.OrganizationProfileFactory",
        traverse="/{organization_name}",
    )
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
        ("manage.organization.history", "history/"),
    ]:
        config.add_route(
            name,
            f"/manage/organization/{{organization_name}}/{suffix}",
            **organization_traversal,
        )
    for name, suffix in [
        ("manage.organization.change_role", "people/change/"),
        ("manage.organization.revoke_invite", "people/revoke_invite/"),
        ("manage.organization.resend_invite", "people/resend_invite/"),
        ("manage.organization.delete_role", "people/delete/"),
    ]:
        add_action_route(
            config,
            name,
            f"/manage/organization/{{organization_name}}/{suffix}",
            back_to="manage.organization.roles",
            **organization_traversal,
        )

    # Verified domains: forms of the settings page.
    for name, suffix in [
        ("manage.organization.domains.add", "settings/domains/add/"),
        ("manage.organization.domains.verify", "settings/domains/verify/"),
        ("manage.organization.domains.remove", "settings/domains/remove/"),
    ]:
        add_action_route(
            config,
            name,
            f"/manage/organization/{{organization_name}}/{suffix}",
            back_to="manage.organization.settings",
            **organization_traversal,
        )

    # Teams. A team's name may hold a "/" (only not at its ends), so its placeholder takes
    # one or more segments; each page's fixed ending still tells the routes apart.
    config.add_route(
        "manage.organization.teams",
        "/manage/organization/{organization_name}/teams/",
        **organization_traversal,
    )
    # Succession (issue 13): the pending handover, and an Owner's objection to it.
    config.add_route(
        "manage.organization.handover",
        "/manage/organization/{organization_name}/handover/",
        **organization_traversal,
    )
    # A second Owner's approval (issue 13): the proposals waiting and decided, the decisions
    # on one, and turning the requirement on (or proposing to turn it off) from the settings.
    config.add_route(
        "manage.organization.owner_changes",
        "/manage/organization/{organization_name}/owner-changes/",
        **organization_traversal,
    )
    for name, suffix, back_to in [
        ("manage.organization.owner_changes.approve", "owner-changes/approve/", None),
        ("manage.organization.owner_changes.reject", "owner-changes/reject/", None),
        ("manage.organization.owner_changes.withdraw", "owner-changes/withdraw/", None),
        (
            "manage.organization.owner_approval",
            "settings/owner-approval/",
            "manage.organization.settings",
        ),
    ]:
        add_action_route(
            config,
            name,
            f"/manage/organization/{{organization_name}}/{suffix}",
            back_to=back_to or "manage.organization.owner_changes",
            **organization_traversal,
        )
    config.add_route(
        "manage.organization.projects",
        "/manage/organization/{organization_name}/projects/",
        **organization_traversal,
    )
    # Billing of a Company organization: the terms and the choice of interval, then the
    # payment provider's hosted checkout or billing portal.
    config.add_route(
        "manage.organization.subscription",
        "/manage/organization/{organization_name}/subscription/",
        **organization_traversal,
    )
    config.add_route(
        "manage.organization.subscription.activate",
        "/manage/organization/{organization_name}/subscription/activate/",
        **organization_traversal,
    )
    team_path = "/manage/organization/{organization_name}/team/{team_name:.+}/"
    team_factory = {"factory": "warehouse_orgs.organizations.traversal.team_factory"}
    for name, suffix in [
        ("manage.team.settings", "settings/"),
        ("manage.team.roles", "members/"),
        ("manage.team.projects", "projects/"),
        ("manage.team.history", "history/"),
    ]:
        config.add_route(name, team_path + suffix, **team_factory)
    add_action_route(
        config,
        "manage.team.delete_role",
        team_path + "members/delete/",
        back_to="manage.team.roles",
        **team_factory,
    )

    # Staff: applications and organizations
    config.add_route("admin.organization_application.list", "/admin/organization_applications/")
    config.add_route(
        "admin.organization_application.detail",
        "/admin/organization_applications/{application_id}/",
    )
    # One decision form on the application's page (decide/, the decision in a radio group),
    # and the contract's path for each decision (ARCHITECTURE.md), which takes the same form
    # with the decision fixed by the path.
    for decision in ("decide", "approve", "decline", "defer", "requestmoreinfo", "addnote"):
        add_action_route(
            config,
            f"admin.organization_application.{decision}",
            f"/admin/organization_applications/{{application_id}}/{decision}/",
            back_to="admin.organization_application.detail",
        )
    config.add_route("admin.organization.list", "/admin/organizations/")
    config.add_route("admin.organization.detail", "/admin/organizations/{organization_id}/")
    for name, path in [
        ("admin.organization.rename", "rename/"),
        ("admin.organization.add_role", "add_role/"),
        ("admin.organization.update_role", "update_role/{role_id}/"),
        ("admin.organization.delete_role", "delete_role/{role_id}/"),
        # Billing of a Company organization: the subscription is named by the local row's id.
        ("admin.organization.subscription.cancel", "subscriptions/{subscription_id}/cancel/"),
        ("admin.organization.add_manual_activation", "add_manual_activation/"),
        ("admin.organization.update_manual_activation", "update_manual_activation/"),
        ("admin.organization.delete_manual_activation", "delete_manual_activation/"),
        # Succession (issue 13): at most one handover is pending, so none needs an id.
        ("admin.organization.handover.start", "handover/start/"),
        ("admin.organization.handover.cancel", "handover/cancel/"),
    ]:
        add_action_route(
            config,
            name,
            f"/admin/organizations/{{organization_id}}/{path}",
            back_to="admin.organization.detail",
        )
