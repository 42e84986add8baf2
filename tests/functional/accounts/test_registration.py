"""Registering, and the email verification link."""

import time

import itsdangerous
import pytest
from sqlalchemy import func, select

from tests.common.db.accounts import UserFactory
from tests.common.pages import field_error, main_text
from warehouse_orgs.accounts.interfaces import ITokenService
from warehouse_orgs.accounts.models import User
from warehouse_orgs.accounts.services import TokenService
from warehouse_orgs.tasks import make_task_request


def _register(app, status, **fields):
    form = app.get("/account/register/").forms["register-form"]
    values = {
        "username": "fresh",
        "full_name": "",
        "email": "fresh@example.com",
        "new_password": "long enough password",
        "password_confirm": "long enough password",
        **fields,
    }
    for name, value in values.items():
        form[name] = value
    return form.submit(status=status)


def _user_count(db_session):
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"username": "-dash-first"}, "username", "Use letters, numbers, and . _ -"),
        ({"username": "has space"}, "username", "Use letters, numbers, and . _ -"),
        ({"username": "x" * 51}, "username", "Use at most 50 characters."),
        ({"email": "nope"}, "email", "Enter a valid email address"),
        ({"new_password": "short", "password_confirm": "short"}, "new_password", "Use at least 8"),
        ({"password_confirm": "something else"}, "password_confirm", "do not match"),
        ({"full_name": "n" * 101}, "full_name", "Use at most 100 characters."),
    ],
)
def test_bad_registrations_are_refused_beside_the_field(
    webtest_app, db_session, fields, field, message
):
    before = _user_count(db_session)
    response = _register(webtest_app, 400, **fields)
    assert message in field_error(response, field)
    assert _user_count(db_session) == before


def test_taken_username_and_email_are_refused_ignoring_case(webtest_app, db_session):
    UserFactory.create(username="Taken")
    response = _register(webtest_app, 400, username="taken", email="TAKEN@example.com")
    assert field_error(response, "username") == "This username is already taken. Choose another."
    assert field_error(response, "email") == "This address is already used by an account."


def test_registration_logs_in_and_mails_a_link(webtest_app, db_session, outbox):
    page = _register(webtest_app, 303).follow()
    assert "Welcome, fresh." in main_text(page)
    (message,) = outbox.messages()
    assert message.subject == "Verify your email address for PyPI Organizations"
    assert "/account/verify-email/?token=" in message.body("html")


def test_verification_page_refuses_bad_and_expired_links(webtest_app, db_session, app_registry):
    response = webtest_app.get("/account/verify-email/?token=garbage", status=400)
    assert "This link is not valid" in main_text(response)

    user = UserFactory.create()
    email = user.emails[0] if user.emails else None
    request = make_task_request(app_registry)
    tokens: TokenService = request.find_service(ITokenService, name="email")

    class SignedTwoDaysAgo(itsdangerous.TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 2 * 24 * 60 * 60

    expired = itsdangerous.URLSafeTimedSerializer(
        app_registry.settings["token.secret"], salt="email", signer=SignedTwoDaysAgo
    )
    token = expired.dumps(
        {"action": "email-verify", "email.id": str(email.id), "email": email.email}
    )
    response = webtest_app.get(f"/account/verify-email/?token={token}", status=400)
    assert "This link has expired" in main_text(response)

    wrong_action = tokens.dumps({"action": "something-else", "email.id": str(email.id)})
    response = webtest_app.get(f"/account/verify-email/?token={wrong_action}", status=400)
    assert "This link is not valid" in main_text(response)


def test_a_verification_link_for_a_removed_address_does_nothing(
    webtest_app, db_session, app_registry
):
    request = make_task_request(app_registry)
    tokens = request.find_service(ITokenService, name="email")
    token = tokens.dumps(
        {
            "action": "email-verify",
            "email.id": "0b0e7d5e-0000-4000-8000-000000000000",
            "email": "gone@example.com",
        }
    )
    page = webtest_app.get(f"/account/verify-email/?token={token}", status=400)
    assert "This address is no longer on any account." in main_text(page)


def test_login_and_register_pages_make_one_statement_each(webtest_app):
    # Showing the form creates the session that holds its CSRF token: one INSERT.
    for path in ("/account/login/", "/account/register/"):
        webtest_app.reset()
        statements = webtest_app.get(path).sql_statements
        assert len(statements) == 1
        assert statements[0].startswith("INSERT INTO browser_sessions")
