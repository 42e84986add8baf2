"""Re-authentication completes the action the person asked for.

After 30 minutes without the password, an action (a POST to a ``require_reauth`` view) is not
redirected away: the password step is shown in place, carrying the form's fields, and posting
the right password there does what was asked. A page (GET) still goes through
/account/reauthenticate/ and comes back.
"""

import pytest
from sqlalchemy import select

from tests.common.db.accounts import PASSWORD, UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in, make_authentication_stale
from warehouse_orgs.accounts.models import User
from warehouse_orgs.accounts.reauthentication import MAX_CARRIED_CHARACTERS, MAX_CARRIED_FIELDS
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import OrganizationRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType

OWNER = OrganizationRoleType.Owner
MANAGER = OrganizationRoleType.Manager
MEMBER = OrganizationRoleType.Member
PEOPLE = "/manage/organization/acme/people/"
CHANGE = "/manage/organization/acme/people/change/"


@pytest.fixture
def owner(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def bob(db_session):
    return UserFactory.create(username="bob")


@pytest.fixture
def organization(owner, bob):
    organization = OrganizationFactory.create(name="acme")
    OrganizationRoleFactory.create(organization=organization, user=owner, role_name=OWNER)
    OrganizationRoleFactory.create(organization=organization, user=bob, role_name=MEMBER)
    return organization


@pytest.fixture
def app(webtest_app, owner, organization):
    log_in(webtest_app, owner)
    return webtest_app


def _roles(db_session, organization):
    db_session.expire_all()
    return sorted(
        (role.user.username, role.role_name)
        for role in db_session.scalars(
            select(OrganizationRole).where(OrganizationRole.organization_id == organization.id)
        )
    )


def _role_id(db_session, organization, username):
    return str(
        db_session.scalars(
            select(OrganizationRole.id)
            .join(User)
            .where(OrganizationRole.organization_id == organization.id, User.username == username)
        ).one()
    )


def _flash(page):
    return " ".join(alert.get_text(" ", strip=True) for alert in page.html.select(".alert"))


def _carried(step):
    """The hidden fields the password step will post back, in order."""
    form = step.html.find("form", id="reauthenticate-form")
    return [(i["name"], i["value"]) for i in form.find_all("input", attrs={"type": "hidden"})]


def _password_step(app, db_session, organization, form_id, **values):
    form = app.get(PEOPLE).forms[form_id]
    for name, value in values.items():
        form[name] = value
    make_authentication_stale(db_session)
    return form.submit(status=200)


def test_a_stale_owner_changes_a_role_through_the_password_step(
    app, db_session, outbox, owner, organization
):
    bob_role = _role_id(db_session, organization, "bob")
    step = _password_step(
        app, db_session, organization, f"change-role-{bob_role}", role_name="Manager"
    )
    assert step.html.find("h1").text == "Confirm your password"
    assert "Nothing has been changed yet" in main_text(step)
    assert step.headers["Cache-Control"] == "no-store"
    confirm = step.forms["reauthenticate-form"]
    assert confirm.action == CHANGE
    carried = dict(_carried(step))
    assert carried["role_id"] == bob_role
    assert carried["role_name"] == "Manager"
    assert "csrf_token" in carried
    assert _roles(db_session, organization) == [("alice", OWNER), ("bob", MEMBER)]

    confirm["reauth_password"] = "not my password"
    refused = confirm.submit(status=400)
    assert field_error(refused, "reauth_password") == "That is not your password."
    assert _roles(db_session, organization) == [("alice", OWNER), ("bob", MEMBER)]
    assert outbox.messages() == []
    assert EventTag.OrganizationRoleChange not in event_tags(db_session, organization)
    assert EventTag.AccountReauthenticate not in event_tags(db_session, owner)

    confirm = refused.forms["reauthenticate-form"]
    assert dict(_carried(refused)) == carried
    confirm["reauth_password"] = PASSWORD
    done = confirm.submit(status=303)
    assert done.location == "http://localhost" + PEOPLE
    assert "bob is now Manager." in _flash(done.follow())
    assert _roles(db_session, organization) == [("alice", OWNER), ("bob", MANAGER)]
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationRoleChange
    assert EventTag.AccountReauthenticate in event_tags(db_session, owner)
    (message,) = outbox.messages()
    assert message.subject == "Your role in acme is now Manager"

    # Fresh again: the next action goes straight through.
    form = app.get(PEOPLE).forms[f"change-role-{bob_role}"]
    form["role_name"] = "Member"
    form.submit(status=303)
    assert _roles(db_session, organization) == [("alice", OWNER), ("bob", MEMBER)]


def test_a_stale_owner_removes_a_member_through_the_password_step(
    app, db_session, outbox, organization
):
    step = _password_step(
        app,
        db_session,
        organization,
        f"remove-role-{_role_id(db_session, organization, 'bob')}",
        confirm_username="bob",
    )
    confirm = step.forms["reauthenticate-form"]
    confirm["reauth_password"] = PASSWORD
    page = confirm.submit(status=303).follow()
    assert "bob is removed from acme." in _flash(page)
    assert _roles(db_session, organization) == [("alice", OWNER)]
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationRoleRemove
    assert {m.subject for m in outbox.messages()} == {"bob was removed from acme"}


def test_a_stale_member_leaves_through_the_password_step(
    webtest_app, db_session, bob, organization
):
    log_in(webtest_app, bob)
    step = _password_step(
        webtest_app,
        db_session,
        organization,
        f"remove-role-{_role_id(db_session, organization, 'bob')}",
        confirm_name="acme",
    )
    confirm = step.forms["reauthenticate-form"]
    confirm["reauth_password"] = PASSWORD
    page = confirm.submit(status=303).follow()
    assert "You left acme." in _flash(page)
    assert _roles(db_session, organization) == [("alice", OWNER)]


def test_a_refused_action_after_the_password_step_says_why(app, db_session, organization):
    """The action runs with its own rules once the password is right: here, the last Owner."""
    # The page offers the only Owner no Leave; the request is sent as an old page would.
    page = app.get(PEOPLE)
    make_authentication_stale(db_session)
    step = app.post(
        "/manage/organization/acme/people/delete/",
        {
            "role_id": _role_id(db_session, organization, "alice"),
            "confirm_name": "acme",
            "csrf_token": page.forms["invite-member-form"]["csrf_token"].value,
        },
        status=200,
    )
    confirm = step.forms["reauthenticate-form"]
    confirm["reauth_password"] = PASSWORD
    refused = confirm.submit(status=409)
    assert "You are the only Owner of this organization." in _flash(refused)
    # Reloading the address the browser is left on leads back to the page, not a 404.
    assert app.get(refused.request.path, status=303).location == "http://localhost" + PEOPLE


def test_an_empty_password_is_asked_for_again(app, db_session, organization):
    step = _password_step(
        app,
        db_session,
        organization,
        f"remove-role-{_role_id(db_session, organization, 'bob')}",
        confirm_username="bob",
    )
    refused = step.forms["reauthenticate-form"].submit(status=400)
    assert field_error(refused, "reauth_password") == "Enter your password."
    assert _roles(db_session, organization) == [("alice", OWNER), ("bob", MEMBER)]


def test_too_many_wrong_passwords_lock_the_step_like_the_login(app, db_session, organization):
    step = _password_step(
        app,
        db_session,
        organization,
        f"remove-role-{_role_id(db_session, organization, 'bob')}",
        confirm_username="bob",
    )
    for _ in range(10):
        confirm = step.forms["reauthenticate-form"]
        confirm["reauth_password"] = "wrong"
        step = confirm.submit(status=400)
    confirm = step.forms["reauthenticate-form"]
    confirm["reauth_password"] = PASSWORD
    limited = confirm.submit(status=429)
    assert "Too many failed attempts. Try again in" in main_text(limited)
    assert _roles(db_session, organization) == [("alice", OWNER), ("bob", MEMBER)]


def test_the_step_is_accessible(app, db_session, organization):
    step = _password_step(
        app,
        db_session,
        organization,
        f"remove-role-{_role_id(db_session, organization, 'bob')}",
        confirm_username="bob",
    )
    (heading,) = step.html.find("main").find_all(["h1", "h2", "h3"])
    assert heading.name == "h1"
    field = step.html.find(id="reauth_password")
    assert field["type"] == "password"
    assert field.has_attr("autofocus")
    assert field["autocomplete"] == "current-password"
    assert step.html.find("label", attrs={"for": "reauth_password"}).text == "Password"
    confirm = step.forms["reauthenticate-form"]
    confirm["reauth_password"] = "wrong"
    refused = confirm.submit(status=400)
    field = refused.html.find(id="reauth_password")
    assert field["aria-invalid"] == "true"
    assert field["aria-describedby"] == "reauth_password-error"
    # Cancelling goes back to the page the action belongs to.
    cancel = refused.html.find("a", string="Cancel")["href"]
    assert app.get(cancel, status=303).location == "http://localhost" + PEOPLE


def test_a_manager_without_the_permission_is_refused_before_any_password_step(
    webtest_app, db_session, organization, bob
):
    carol = UserFactory.create(username="carol")
    OrganizationRoleFactory.create(organization=organization, user=carol, role_name=MANAGER)
    log_in(webtest_app, carol)
    page = webtest_app.get(PEOPLE)
    make_authentication_stale(db_session)
    webtest_app.post(
        CHANGE,
        {
            "csrf_token": page.html.find("input", attrs={"name": "csrf_token"})["value"],
            "role_id": _role_id(db_session, organization, "bob"),
            "role_name": "Owner",
            "reauth_password": PASSWORD,
        },
        status=403,
    )
    assert _roles(db_session, organization) == [
        ("alice", OWNER),
        ("bob", MEMBER),
        ("carol", MANAGER),
    ]


# What the step carries


def _account_post(app, db_session, fields):
    page = app.get("/manage/account/")
    csrf = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    make_authentication_stale(db_session)
    return app.post("/manage/account/", [("csrf_token", csrf), *fields], expect_errors=True)


def test_carried_values_are_escaped_and_repeated_keys_kept_in_order(app, db_session, owner):
    hostile = '"><script>alert(1)</script>'
    step = _account_post(app, db_session, [("name", hostile), ("extra", "1"), ("extra", "2")])
    assert step.status_int == 200
    assert "<script>" not in step.text
    assert _carried(step)[1:] == [("name", hostile), ("extra", "1"), ("extra", "2")]
    confirm = step.forms["reauthenticate-form"]
    confirm["reauth_password"] = PASSWORD
    confirm.submit(status=303)
    db_session.refresh(owner)
    assert owner.name == hostile


def test_secrets_are_never_written_into_the_step(app, db_session):
    step = _account_post(
        app,
        db_session,
        [
            ("name", "Alice"),
            ("password", "hunter2-secret"),
            ("new_password", "hunter3-secret"),
            ("totp_value", "123456"),
            ("recovery_code_value", "abcd-efgh"),
        ],
    )
    assert [name for name, _ in _carried(step)] == ["csrf_token", "name"]
    for secret in ("hunter2-secret", "hunter3-secret", "123456", "abcd-efgh"):
        assert secret not in step.text


def test_a_post_with_too_many_fields_to_carry_is_refused_and_changes_nothing(
    app, db_session, owner
):
    fields = [("name", "Changed")] + [("filler", "x")] * MAX_CARRIED_FIELDS
    response = _account_post(app, db_session, fields)
    assert response.status_int == 413
    assert "too large to keep through the password step" in main_text(response)
    db_session.refresh(owner)
    assert owner.name != "Changed"


def test_a_post_with_too_much_text_to_carry_is_refused_and_changes_nothing(app, db_session, owner):
    filler = "x" * MAX_CARRIED_CHARACTERS
    response = _account_post(app, db_session, [("name", "Changed"), ("filler", filler)])
    assert response.status_int == 413
    assert "too large to keep through the password step" in main_text(response)
    db_session.refresh(owner)
    assert owner.name != "Changed"


def test_the_step_password_is_ignored_and_removed_when_the_session_is_fresh(app, db_session, owner):
    page = app.get("/manage/account/")
    csrf = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    app.post(
        "/manage/account/",
        {"csrf_token": csrf, "name": "Fresh", "reauth_password": "anything"},
        status=303,
    )
    db_session.refresh(owner)
    assert owner.name == "Fresh"
    assert EventTag.AccountReauthenticate not in event_tags(db_session, owner)


def test_a_stale_page_visit_still_goes_through_the_reauthentication_page(app, db_session):
    make_authentication_stale(db_session)
    detour = app.get("/manage/account/totp-provision/?from=here", status=303)
    assert detour.location == (
        "http://localhost/account/reauthenticate/?next=%2Fmanage%2Faccount%2Ftotp-provision%2F"
        "%3Ffrom%3Dhere"
    )
    confirm = detour.follow().forms["reauthenticate-form"]
    confirm["password"] = PASSWORD
    back = confirm.submit(status=303)
    assert back.location == "http://localhost/manage/account/totp-provision/?from=here"
