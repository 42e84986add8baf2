"""Action URLs lead back to their page.

An action route only takes POST; the browser is left on its URL when the action is refused
(the page is re-rendered there with the reason), and a reload, a bookmark or a shared link then
asks for it with GET. Every such route answers that GET with 303 to the page it belongs to.

The routes come from the running app's introspector, not from a list kept here: a POST-only
route added without ``add_action_route`` (warehouse_orgs/routes.py) fails these tests.
"""

import re

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationExecutionError

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import (
    OrganizationApplicationFactory,
    OrganizationFactory,
    OrganizationRoleFactory,
    TeamFactory,
)
from tests.common.db.packaging import RoleFactory
from tests.common.db.sponsors import SponsorFactory, SponsorLevelFactory
from tests.common.sessions import log_in
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.routes import ACTION_ROUTES_KEY, add_action_route, back_to_page

PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
# Test-only routes that exercise failure modes, and Pyramid's static files.
NOT_THE_PRODUCT = ("probe.", "__static")


def _methods(view):
    methods = view["request_methods"]
    if methods is None:
        return {"GET", "POST"}
    return {methods} if isinstance(methods, str) else set(methods)


def action_routes(registry):
    """(name, pattern) of every route whose views take POST and none of which is a page."""
    found = []
    for entry in registry.introspector.get_category("routes"):
        route = entry["introspectable"]
        if route["name"].startswith(NOT_THE_PRODUCT):
            continue
        views = [item for item in entry["related"] if item.category_name == "views"]
        takes_post = any("POST" in _methods(view) for view in views)
        pages = [
            view
            for view in views
            if "GET" in _methods(view) and view["callable"] is not back_to_page
        ]
        if takes_post and not pages:
            found.append((route["name"], route["pattern"]))
    return found


@pytest.fixture
def staff_owner(db_session):
    """A superuser who is also an Owner of everything the URLs name: allowed on every page."""
    return UserFactory.create(username="root", is_superuser=True)


@pytest.fixture
def url_values(db_session, staff_owner):
    organization = OrganizationFactory.create(name="acme")
    role = OrganizationRoleFactory.create(
        organization=organization, user=staff_owner, role_name=OrganizationRoleType.Owner
    )
    project = RoleFactory.create(user=staff_owner, project__name="sampleproject").project
    application = OrganizationApplicationFactory.create(submitted_by=staff_owner)
    TeamFactory.create(organization=organization, name="maintainers")
    level = SponsorLevelFactory.create()
    sponsor = SponsorFactory.create()
    return {
        "organization_name": organization.name,
        "organization_id": str(organization.id),
        "role_id": str(role.id),
        "project_name": project.name,
        "user_id": str(staff_owner.id),
        "application_id": str(application.id),
        "team_name": "maintainers",
        # A GET on a subscription's cancel URL goes back to the organization's staff page,
        # whichever subscription it names.
        "subscription_id": "00000000-0000-0000-0000-000000000000",
        "level_id": str(level.id),
        "sponsor_id": str(sponsor.id),
    }


def _path(pattern, values):
    def value(match):
        name = match.group(1)
        assert name in values, f"add a value for {{{name}}} to url_values in this test"
        return values[name]

    return PLACEHOLDER.sub(value, pattern)


def _page_path(registry, action_name, values):
    page = registry[ACTION_ROUTES_KEY][action_name]
    pattern = registry.introspector.get("routes", page.route_name)["pattern"]
    return _path(pattern, values)


def test_the_action_routes_are_found(app_config):
    names = {name for name, _ in action_routes(app_config.registry)}
    assert {
        "manage.organization.change_role",
        "manage.organization.delete_role",
        "manage.organization.revoke_invite",
        "manage.organization.resend_invite",
        "manage.project.roles.change",
        "manage.project.roles.delete",
        "manage.account.email.delete",
        "admin.organization_application.decide",
        "admin.organization.update_role",
        "admin.user.staff_flags",
    } <= names


def test_every_action_route_answers_get_with_303_to_a_page_that_answers_200(
    webtest_app, app_config, staff_owner, url_values
):
    log_in(webtest_app, staff_owner)
    problems = []
    for name, pattern in action_routes(app_config.registry):
        path = _path(pattern, url_values)
        response = webtest_app.get(path, expect_errors=True)
        if response.status_int != 303:
            problems.append(f"{name}: GET {path} answered {response.status_int}, not 303")
            continue
        location = response.location.removeprefix("http://localhost")
        page = webtest_app.get(location, expect_errors=True)
        if location == path or page.status_int != 200:
            problems.append(f"{name}: GET {path} went to {location}, which answered {page.status}")
    assert problems == []


def test_the_redirect_tells_an_outsider_no_more_than_the_page_does(
    webtest_app, app_config, url_values
):
    """Someone who may not see the page gets the page's own refusal on its action URLs."""
    log_in(webtest_app, UserFactory.create(username="outsider"))
    problems = []
    for name, pattern in action_routes(app_config.registry):
        path = _path(pattern, url_values)
        page_path = _page_path(app_config.registry, name, url_values)
        page = webtest_app.get(page_path, expect_errors=True)
        response = webtest_app.get(path, expect_errors=True)
        expected = 303 if page.status_int == 200 else page.status_int
        if response.status_int != expected:
            problems.append(f"{name}: {response.status_int}; its page {page_path}: {page.status}")
        elif expected == 303 and response.location != "http://localhost" + page_path:
            problems.append(f"{name}: went to {response.location}, not {page_path}")
    assert problems == []


def test_an_anonymous_visitor_is_asked_to_log_in_and_comes_back(webtest_app, app_config):
    values = {
        "organization_name": "acme",
        "organization_id": "00000000-0000-0000-0000-000000000000",
        "role_id": "00000000-0000-0000-0000-000000000000",
        "project_name": "sampleproject",
        "user_id": "00000000-0000-0000-0000-000000000000",
        "application_id": "00000000-0000-0000-0000-000000000000",
        "team_name": "maintainers",
        "subscription_id": "00000000-0000-0000-0000-000000000000",
        "level_id": "00000000-0000-0000-0000-000000000000",
        "sponsor_id": "00000000-0000-0000-0000-000000000000",
    }
    TeamFactory.create(organization=OrganizationFactory.create(name="acme"), name="maintainers")
    RoleFactory.create(project__name="sampleproject")
    for name, pattern in action_routes(app_config.registry):
        path = _path(pattern, values)
        response = webtest_app.get(path, status=303)
        assert response.location.startswith("http://localhost/account/login/?next="), name


def test_the_organization_people_actions_go_back_to_the_people_page(
    webtest_app, staff_owner, url_values
):
    log_in(webtest_app, staff_owner)
    for action in ("change", "delete", "revoke_invite", "resend_invite"):
        response = webtest_app.get(f"/manage/organization/acme/people/{action}/", status=303)
        assert response.location == "http://localhost/manage/organization/acme/people/"
    response = webtest_app.get(
        f"/admin/organizations/{url_values['organization_id']}/update_role/"
        f"{url_values['role_id']}/",
        status=303,
    )
    assert response.location == (
        f"http://localhost/admin/organizations/{url_values['organization_id']}/"
    )


def test_the_way_back_keeps_the_url_parameters(webtest_app, staff_owner, url_values):
    """A page re-rendered after a refused action links to its other pages from the action's
    URL: following such a link lands on the page it names."""
    log_in(webtest_app, staff_owner)
    response = webtest_app.get("/manage/organization/acme/people/change/?page=2", status=303)
    assert response.location == "http://localhost/manage/organization/acme/people/?page=2"


def _configure_action(page_pattern, action_pattern, with_page_view=True):
    config = Configurator()
    config.add_route("page", page_pattern)
    if with_page_view:
        config.add_view(lambda request: {}, route_name="page", request_method="GET")
    add_action_route(config, "page.act", action_pattern, back_to="page")
    config.commit()


def test_an_action_route_whose_page_has_no_get_view_stops_the_app_starting():
    with pytest.raises(ConfigurationExecutionError, match="which needs exactly one GET"):
        _configure_action("/p/", "/p/act/", with_page_view=False)


def test_an_action_route_without_the_page_url_parameters_stops_the_app_starting():
    with pytest.raises(ConfigurationExecutionError, match=r"has no \['name'\]"):
        _configure_action("/p/{name}/", "/act/")
