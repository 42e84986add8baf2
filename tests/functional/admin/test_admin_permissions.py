"""Who may open each admin page and send each admin form: anonymous visitors, ordinary users,
every staff group, and staff who have not set up two-factor authentication yet."""

import pytest

from tests.common.db.accounts import UserFactory
from tests.common.pages import main_text
from tests.common.sessions import log_in

KINDS = {
    "ordinary": {},
    "admin": {"is_superuser": True},
    "support": {"is_support": True},
    "moderator": {"is_moderator": True},
    "psf-staff": {"is_psf_staff": True},
}
STAFF_READERS = {"admin", "support", "moderator"}
# (method, path with {user_id} for the target account, the kinds of user allowed)
ADMIN_ROUTES = [
    ("GET", "/admin/", STAFF_READERS | {"psf-staff"}),
    ("GET", "/admin/users/", STAFF_READERS),
    ("GET", "/admin/users/{user_id}/", STAFF_READERS),
    ("POST", "/admin/users/{user_id}/staff-flags/", {"admin"}),
]
NOT_ALLOWED = "You do not have permission to see this page."


@pytest.fixture
def target(db_session):
    return UserFactory.create(username="target")


def csrf_token(app):
    """The signed-in session's token, as every page's logout form carries it."""
    return app.get("/").html.find("input", attrs={"name": "csrf_token"})["value"]


def request(app, method, path, **kwargs):
    if method == "GET":
        return app.get(path, **kwargs)
    # Only the CSRF token: unchecked boxes mean "no staff roles", and the target has none.
    return app.post(path, {"csrf_token": csrf_token(app)}, **kwargs)


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize(("method", "path", "allowed"), ADMIN_ROUTES)
def test_each_admin_page_answers_only_the_staff_it_is_for(
    webtest_app, db_session, target, kind, method, path, allowed
):
    log_in(webtest_app, UserFactory.create(**KINDS[kind]))
    response = request(webtest_app, method, path.format(user_id=target.id), expect_errors=True)
    if kind not in allowed:
        assert response.status_int == 403
        assert NOT_ALLOWED in main_text(response)
    elif method == "GET":
        assert response.status_int == 200
    else:
        assert response.status_int == 303
        assert response.location == f"http://localhost/admin/users/{target.id}/"


@pytest.mark.parametrize(("method", "path", "allowed"), ADMIN_ROUTES)
def test_anonymous_visitors_are_sent_to_log_in_or_refused(
    webtest_app, target, method, path, allowed
):
    path = path.format(user_id=target.id)
    if method == "GET":
        response = webtest_app.get(path, status=303)
        assert response.location.startswith("http://localhost/account/login/?next=%2Fadmin%2F")
    else:
        response = webtest_app.post(path, {"csrf_token": "x"}, status=403)
        assert "Log in to do this." in main_text(response)


@pytest.mark.parametrize(("method", "path", "allowed"), ADMIN_ROUTES)
def test_staff_without_two_factor_are_told_to_set_it_up(
    webtest_app, db_session, target, method, path, allowed
):
    log_in(webtest_app, UserFactory.create(is_superuser=True, without_two_factor=True))
    response = request(webtest_app, method, path.format(user_id=target.id), status=403)
    assert "Set up two-factor authentication first" in main_text(response)
    db_session.refresh(target)
    assert target.staff_roles == []


def test_dashboard_links_only_to_sections_the_reader_may_open(webtest_app, db_session):
    log_in(webtest_app, UserFactory.create(is_psf_staff=True))
    dashboard = webtest_app.get("/admin/")
    assert dashboard.html.find("h1").text == "Admin"
    # PSF staff keep the sponsors, and only them.
    links = {a["href"] for a in dashboard.html.select('main a[href^="/admin/"]')}
    assert links == {"/admin/", "/admin/sponsors/"}
    assert "Your staff roles give you no admin sections yet." not in main_text(dashboard)


def test_moderators_get_no_sponsor_section(webtest_app, db_session):
    # Moderators read organizations, and nothing of the sponsors.
    log_in(webtest_app, UserFactory.create(is_moderator=True))
    dashboard = webtest_app.get("/admin/")
    assert not dashboard.html.select('main a[href="/admin/sponsors/"]')


def test_dashboard_counts_accounts_and_staff_and_links_to_users(webtest_app, db_session):
    UserFactory.create_batch(3)
    UserFactory.create(is_support=True, is_moderator=True)
    log_in(webtest_app, UserFactory.create(is_moderator=True))
    dashboard = webtest_app.get("/admin/")
    assert "Accounts 5 Staff accounts 2" in main_text(dashboard)
    links = [a.text for a in dashboard.html.select('main a[href="/admin/users/"]')]
    assert links == ["Users", "Users"]  # the sub-navigation and the card


@pytest.mark.parametrize(
    ("kind", "sees_form"), [("admin", True), ("support", False), ("moderator", False)]
)
def test_only_admins_see_the_staff_roles_form(webtest_app, db_session, target, kind, sees_form):
    log_in(webtest_app, UserFactory.create(**KINDS[kind]))
    detail = webtest_app.get(f"/admin/users/{target.id}/")
    assert ("staff-flags-form" in detail.forms) is sees_form
