"""Structural guards over every registered view.

PyPI's 2026 audit found an organization page whose POST was guarded by a read permission, so
any member could invite owners (TOB-PYPI26-8). These tests fail if any view repeats that.
"""

from warehouse_orgs.accounts.reauthentication import REAUTH_VIEWS_KEY
from warehouse_orgs.authnz import Permissions

READ_PERMISSIONS = {p for p in Permissions if p.name.endswith("Read")}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Views that must take POSTs without a session's CSRF token, and why.
CSRF_EXEMPT: dict[str, str] = {
    "billing.webhook": "the payment provider posts it with no session; its signature is the proof",
}


def _methods(value):
    # Pyramid records request_method as given: one string or a tuple of them.
    if not value:
        return set()
    return {value} if isinstance(value, str) else set(value)


def _permission(introspector, view):
    # Pyramid files a view's permission as a related introspectable, not on the view itself.
    related = [i for i in introspector.related(view) if i.category_name == "permissions"]
    return related[0]["value"] if related else None


def _views(app_config):
    introspector = app_config.registry.introspector
    for item in introspector.get_category("views"):
        introspectable = item["introspectable"]
        yield {
            "name": f"{introspectable.get('route_name')}:{introspectable.get('attr') or ''}",
            "route_name": introspectable.get("route_name"),
            "methods": _methods(introspectable.get("request_methods")),
            "permission": _permission(introspector, introspectable),
            "require_csrf": introspectable.get("require_csrf"),
        }


def _application_views(app_config):
    # The test-only probe routes exercise failure modes on purpose, and static files are
    # served by Pyramid's own view; neither is the product's.
    return [
        v
        for v in _views(app_config)
        if v["route_name"] and not v["route_name"].startswith(("probe.", "__static"))
    ]


def test_no_view_accepts_a_change_under_a_read_permission(app_config):
    offenders = [
        v["name"]
        for v in _application_views(app_config)
        if (not v["methods"] or v["methods"] & UNSAFE_METHODS)
        and v["permission"] in READ_PERMISSIONS
    ]
    assert offenders == []


def test_every_view_says_which_methods_it_answers(app_config):
    """A view without request_method would take GET and POST alike under one permission."""
    vague = [v["name"] for v in _application_views(app_config) if not v["methods"]]
    assert vague == []


def test_no_view_turns_csrf_off_without_a_recorded_reason(app_config):
    exempt = {v["route_name"] for v in _application_views(app_config) if v["require_csrf"] is False}
    assert exempt <= set(CSRF_EXEMPT) | {"health"}


def test_pages_that_change_things_need_a_login(app_config):
    """Every POST view either has a permission or is one of the login (or password reset)
    pages themselves."""
    anonymous_posts = {
        v["route_name"]
        for v in _application_views(app_config)
        if "POST" in v["methods"] and v["permission"] is None
    }
    assert anonymous_posts <= {
        "accounts.register",
        "accounts.login",
        "accounts.two_factor",
        "accounts.recovery_code",
        "accounts.logout",
        "accounts.verify_email",
        # Forgotten passwords: the emailed link, not a login, is the proof.
        "accounts.request_password_reset",
        "accounts.reset_password",
        # The payment provider's webhook: its signature, not a login, is the proof.
        "billing.webhook",
        # The sponsorship inquiry form is for companies without an account; CSRF, a limit per
        # address and a honeypot guard it.
        "sponsor",
    }


# Changes to who may act for an organization, a project or the index ask for the password
# again after 30 minutes idle; these permissions guard exactly those changes.
REAUTH_PERMISSIONS = {
    Permissions.OrganizationsManage,
    Permissions.OrganizationsRoleRemove,
    Permissions.ProjectsWrite,
    Permissions.AdminRoleAdd,
    Permissions.AdminRoleUpdate,
    Permissions.AdminRoleDelete,
    Permissions.AdminOrganizationsWrite,
    Permissions.AdminOrganizationsNameWrite,
}


def test_every_change_to_who_may_act_asks_for_the_password_again_when_stale(app_config):
    introspector = app_config.registry.introspector
    asking = app_config.registry[REAUTH_VIEWS_KEY]
    missing = []
    for item in introspector.get_category("views"):
        view = item["introspectable"]
        methods = _methods(view.get("request_methods"))
        permission = _permission(introspector, view)
        asks = (view["callable"], view["attr"]) in asking
        if methods & UNSAFE_METHODS and permission in REAUTH_PERMISSIONS and not asks:
            missing.append(f"{view.get('route_name')}:{view.get('attr') or ''}")
    assert missing == []
