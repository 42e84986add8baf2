"""Who may open each page of an organization and send each of its forms, per ARCHITECTURE.md's
permission table: anonymous visitors, non-members, every role (in a Company organization, so
Billing Manager exists) and every staff group. Staff get nothing on an organization they are not
members of.

Allowed POSTs are sent empty: the permission check passes and the form refuses (400), which
proves the door without changing anything. Refused ones answer 403.
"""

import pytest
from sqlalchemy import select

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.pages import main_text
from tests.common.sessions import log_in
from warehouse_orgs.accounts.models import User
from warehouse_orgs.organizations.models import OrganizationRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType

ROLES = {
    "Owner": OrganizationRoleType.Owner,
    "Manager": OrganizationRoleType.Manager,
    "Member": OrganizationRoleType.Member,
    "Billing Manager": OrganizationRoleType.BillingManager,
}
STAFF = {
    "admin": {"is_superuser": True},
    "support": {"is_support": True},
    "moderator": {"is_moderator": True},
}
KINDS = sorted([*ROLES, *STAFF, "non-member"])
SIGNED_IN = set(KINDS)
READERS = set(ROLES)
OWNERS = {"Owner"}
LEAVERS = {"Owner", "Manager", "Member"}

BASE = "/manage/organization/acme/"
# (method, path, extra form fields, the kinds allowed)
ROUTES = [
    ("GET", BASE + "settings/", {}, READERS),
    ("POST", BASE + "settings/", {}, OWNERS),
    ("POST", BASE + "settings/", {"confirm_organization_name": ""}, OWNERS),
    ("GET", BASE + "people/", {}, READERS),
    ("POST", BASE + "people/", {}, OWNERS),
    ("POST", BASE + "people/change/", {}, OWNERS),
    ("POST", BASE + "people/revoke_invite/", {}, OWNERS),
    ("POST", BASE + "people/resend_invite/", {}, OWNERS),
    ("POST", BASE + "people/delete/", {}, LEAVERS),
    ("GET", BASE + "history/", {}, OWNERS),
    ("GET", BASE + "history/?format=csv", {}, OWNERS),
    ("GET", "/account/verify-organization-role/", {}, SIGNED_IN),
    ("POST", "/account/verify-organization-role/", {}, SIGNED_IN),
    ("POST", "/account/verify-organization-role/", {"decline": "1"}, SIGNED_IN),
]
NOT_ALLOWED = "You do not have permission to see this page."


def _username(kind):
    return kind.replace(" ", "-").lower()


@pytest.fixture
def organization(db_session):
    organization = OrganizationFactory.create(name="acme", orgtype="Company")
    for username, role_name in ROLES.items():
        OrganizationRoleFactory.create(
            organization=organization,
            user=UserFactory.create(username=_username(username)),
            role_name=role_name,
        )
    return organization


def _user(db_session, kind):
    if kind in ROLES:
        return db_session.scalars(select(User).where(User.username == _username(kind))).one()
    return UserFactory.create(**STAFF.get(kind, {}))


def _csrf(app):
    return app.get("/").html.find("input", attrs={"name": "csrf_token"})["value"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("method", "path", "fields", "allowed"), ROUTES)
def test_each_page_and_form_answers_only_the_roles_it_is_for(
    webtest_app, db_session, organization, kind, method, path, fields, allowed
):
    log_in(webtest_app, _user(db_session, kind))
    if method == "GET":
        response = webtest_app.get(path, expect_errors=True)
    else:
        response = webtest_app.post(
            path, {**fields, "csrf_token": _csrf(webtest_app)}, expect_errors=True
        )
    if kind not in allowed:
        assert response.status_int == 403
        assert NOT_ALLOWED in main_text(response)
    elif method == "GET" and "verify-organization-role" not in path:
        assert response.status_int == 200
    else:
        # Let in, then refused by the form (nothing filled in, no token): nothing changes.
        assert response.status_int == 400
    db_session.expire_all()
    assert len(db_session.scalars(select(OrganizationRole)).all()) == len(ROLES)


@pytest.mark.parametrize(("method", "path", "fields", "allowed"), ROUTES)
def test_anonymous_visitors_are_sent_to_log_in_or_refused(
    webtest_app, organization, method, path, fields, allowed
):
    if method == "GET":
        response = webtest_app.get(path, status=303)
        assert response.location.startswith("http://localhost/account/login/?next=")
    else:
        response = webtest_app.post(path, {**fields, "csrf_token": "x"}, status=403)
        assert "Log in to do this." in main_text(response)


def test_every_post_refuses_every_role_that_may_only_read():
    only_read = READERS - OWNERS - LEAVERS  # Billing Manager reads and pays, nothing here
    for method, path, _, allowed in ROUTES:
        if method == "POST" and path.startswith(BASE):
            assert not allowed & (only_read | set(STAFF) | {"non-member"}), path
    assert only_read == {"Billing Manager"}


@pytest.mark.parametrize("kind", ["Owner", "Manager", "Member", "Billing Manager", "admin"])
def test_only_owners_remove_someone_else(webtest_app, db_session, organization, kind):
    target = UserFactory.create(username="target")
    role = OrganizationRoleFactory.create(
        organization=organization, user=target, role_name=OrganizationRoleType.Member
    )
    log_in(webtest_app, _user(db_session, kind))
    response = webtest_app.post(
        BASE + "people/delete/",
        {"role_id": str(role.id), "confirm_username": "target", "csrf_token": _csrf(webtest_app)},
        expect_errors=True,
    )
    assert response.status_int == (303 if kind == "Owner" else 403)


@pytest.mark.parametrize("kind", [None, *KINDS])
def test_the_public_page_is_for_everyone(webtest_app, db_session, organization, kind):
    if kind is not None:
        log_in(webtest_app, _user(db_session, kind))
    webtest_app.get("/org/acme/", status=200)
