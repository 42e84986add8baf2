"""Logging in: mistakes, limits, the second factor, and where it leads."""

import pytest
from sqlalchemy import text

from tests.common.db.accounts import PASSWORD, UserFactory, totp_code
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.sessions import SESSION_COOKIE_NAME


def _submit_login(app, username, password, status=None, next_url=None):
    path = "/account/login/" + (f"?next={next_url}" if next_url else "")
    form = app.get(path).forms["login-form"]
    form["username"] = username
    form["password"] = password
    return form.submit(status=status)


def test_wrong_password_gives_a_clear_error_and_an_event(webtest_app, db_session):
    user = UserFactory.create()
    response = _submit_login(webtest_app, user.username, "not it", status=400)
    assert field_error(response, "password") == "The username or password is incorrect."
    assert event_tags(db_session, user) == [EventTag.AccountLoginFailure]


def test_unknown_username_gets_the_same_words(webtest_app):
    response = _submit_login(webtest_app, "nobody-here", "whatever", status=400)
    assert field_error(response, "password") == "The username or password is incorrect."


def test_empty_and_oversized_input_is_refused_beside_the_field(webtest_app):
    response = _submit_login(webtest_app, "", "", status=400)
    assert field_error(response, "username") == "Enter a username."
    assert field_error(response, "password") == "Enter your password."
    response = _submit_login(webtest_app, "u" * 51, "x" * 1025, status=400)
    assert field_error(response, "username") == "Use at most 50 characters."
    assert field_error(response, "password") == "Use at most 1024 characters."


def test_login_asks_for_the_second_factor_and_goes_to_next(webtest_app, db_session):
    user = UserFactory.create()
    response = _submit_login(webtest_app, user.username, PASSWORD, next_url="/_dev/mail/")
    assert response.status_int == 303
    assert response.location.startswith("http://localhost/account/two-factor/")
    # Half logged in: not yet anyone.
    assert webtest_app.get("/manage/account/", status=303).location.startswith(
        "http://localhost/account/login/"
    )
    form = response.follow().forms["two-factor-form"]
    form["totp_value"] = totp_code(user)
    done = form.submit(status=303)
    assert done.location == "http://localhost/_dev/mail/"
    assert event_tags(db_session, user) == [EventTag.AccountLoginSuccess]


def test_next_cannot_leave_the_site(webtest_app):
    user = UserFactory.create(without_two_factor=True)
    response = _submit_login(
        webtest_app, user.username, PASSWORD, next_url="//evil.example/steal", status=303
    )
    assert response.location == "http://localhost/manage/account/"


def test_wrong_code_is_refused_and_a_used_code_cannot_be_replayed(webtest_app, db_session):
    user = UserFactory.create()
    two_factor = _submit_login(webtest_app, user.username, PASSWORD).follow()
    form = two_factor.forms["two-factor-form"]
    form["totp_value"] = "000000" if totp_code(user) != "000000" else "111111"
    wrong = form.submit(status=400)
    assert field_error(wrong, "totp_value") == (
        "That code is not right or has been used. Enter the current 6-digit code from your "
        "authenticator app."
    )

    code = totp_code(user)
    form = wrong.forms["two-factor-form"]
    form["totp_value"] = code
    form.submit(status=303)
    webtest_app.get("/account/logout/").forms["logout-form"].submit()

    again = _submit_login(webtest_app, user.username, PASSWORD).follow()
    form = again.forms["two-factor-form"]
    form["totp_value"] = code
    replay = form.submit(status=400)
    assert "has been used" in field_error(replay, "totp_value")


def test_second_factor_page_without_a_password_first_sends_you_back(webtest_app):
    response = webtest_app.get("/account/two-factor/", status=303)
    assert response.location == "http://localhost/account/login/"
    assert "Log in again to continue." in main_text(response.follow())


def test_failed_logins_are_limited_per_account_and_reset_after_the_window(webtest_app, db_session):
    user = UserFactory.create(without_two_factor=True)
    for _ in range(10):
        _submit_login(webtest_app, user.username, "wrong", status=400)

    limited = _submit_login(webtest_app, user.username, PASSWORD, status=429)
    assert "Too many failed attempts. Try again in 5 minutes." in main_text(limited)

    # Five minutes later the window has moved on and the right password works again.
    db_session.execute(
        text("UPDATE rate_limit_hits SET time = time - interval '5 minutes 1 second'")
    )
    _submit_login(webtest_app, user.username, PASSWORD, status=303)


def test_failed_logins_are_limited_per_address(webtest_app):
    for n in range(30):
        _submit_login(webtest_app, f"someone{n}", "wrong", status=400)
    limited = _submit_login(webtest_app, "someone-else", "wrong", status=429)
    assert "Too many failed attempts" in main_text(limited)


def test_wrong_codes_are_limited(webtest_app):
    user = UserFactory.create()
    page = _submit_login(webtest_app, user.username, PASSWORD).follow()
    wrong = "000000" if totp_code(user) != "000000" else "111111"
    for _ in range(5):
        form = page.forms["two-factor-form"]
        form["totp_value"] = wrong
        page = form.submit(status=400)
    form = page.forms["two-factor-form"]
    form["totp_value"] = totp_code(user)
    limited = form.submit(status=429)
    assert "Too many failed attempts" in main_text(limited)


def test_login_gives_a_new_session_key(webtest_app):
    user = UserFactory.create()
    webtest_app.get("/account/login/")
    before = webtest_app.cookies[SESSION_COOKIE_NAME]
    log_in(webtest_app, user)
    assert webtest_app.cookies[SESSION_COOKIE_NAME] != before


def test_logout_ends_the_session_even_for_a_copied_cookie(webtest_app):
    user = UserFactory.create()
    log_in(webtest_app, user)
    stolen = webtest_app.cookies[SESSION_COOKIE_NAME]
    webtest_app.get("/account/logout/").forms["logout-form"].submit(status=303)

    webtest_app.set_cookie(SESSION_COOKIE_NAME, stolen)
    assert webtest_app.get("/manage/account/", status=303).location.startswith(
        "http://localhost/account/login/"
    )


def test_session_cookie_flags(webtest_app):
    response = webtest_app.get("/account/login/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_disabled_account_cannot_log_in(webtest_app):
    user = UserFactory.create(is_active=False, without_two_factor=True)
    response = _submit_login(webtest_app, user.username, PASSWORD, status=403)
    assert field_error(response, "username") == "This account has been disabled."


@pytest.mark.parametrize("path", ["/account/login/", "/account/register/"])
def test_logged_in_users_are_sent_on(webtest_app, path):
    log_in(webtest_app, UserFactory.create())
    assert webtest_app.get(path, status=303).location == "http://localhost/manage/account/"


def test_login_post_without_csrf_changes_nothing(webtest_app, db_session):
    user = UserFactory.create(without_two_factor=True)
    response = webtest_app.post(
        "/account/login/", {"username": user.username, "password": PASSWORD}, status=400
    )
    assert "security token was missing" in main_text(response)
    assert event_tags(db_session, user) == []
