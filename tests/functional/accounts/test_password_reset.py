"""Forgotten passwords: asking for a link, using it once, and what it ends."""

import re
import time
from urllib.parse import urlsplit

import itsdangerous
import pytest
import webtest
from sqlalchemy import func, select, text

from tests.common.db.accounts import PASSWORD, EmailFactory, UserFactory, totp_code
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from warehouse_orgs.accounts.services import PASSWORD_RESET_ACTION, password_state
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.sessions.models import BrowserSession

NEW_PASSWORD = "a brand new horse battery staple"
SENT = "If an account matches what you typed, we have sent a link"
RESET_SUBJECT = "Reset your PyPI Organizations password"
CHANGED_SUBJECT = "Your PyPI Organizations password was changed"
LINK = re.compile(r"http://localhost(/account/reset-password/\?token=\S+)")


def ask_for_link(app, typed, status=200):
    form = app.get("/account/request-password-reset/").forms["request-password-reset-form"]
    form["username_or_email"] = typed
    return form.submit(status=status)


def reset_link(outbox, recipient):
    (message,) = [m for m in outbox.messages() if m.subject == RESET_SUBJECT]
    assert message.recipient == recipient
    return LINK.search(message.body("plain")).group(1)


def set_password(app, link, password=NEW_PASSWORD, confirm=None, status=303):
    form = app.get(link).forms["reset-password-form"]
    form["new_password"] = password
    form["password_confirm"] = password if confirm is None else confirm
    return form.submit(status=status)


def try_login(app, username, password):
    form = app.get("/account/login/").forms["login-form"]
    form["username"], form["password"] = username, password
    return form.submit(expect_errors=True)


def forged_token(app_registry, user, seconds_ago):
    class SignedEarlier(itsdangerous.TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds_ago

    serializer = itsdangerous.URLSafeTimedSerializer(
        app_registry.settings["token.secret"], salt="password", signer=SignedEarlier
    )
    return serializer.dumps(
        {"action": PASSWORD_RESET_ACTION, "user.id": str(user.id), "state": password_state(user)}
    )


def test_the_login_page_offers_a_reset(webtest_app):
    login = webtest_app.get("/account/login/")
    page = login.click("Forgot password?")
    assert page.request.path == "/account/request-password-reset/"
    assert page.html.find("label", string="Username or email address") is not None


def test_a_reset_sets_the_password_ends_sessions_and_keeps_two_factor(
    webtest_app, wsgi_app, db_session, outbox
):
    user = UserFactory.create()
    # Logged in elsewhere with the old password: that session must end.
    elsewhere = webtest.TestApp(wsgi_app, extra_environ={"REMOTE_ADDR": "198.51.100.7"})
    log_in(elsewhere, user)
    assert elsewhere.get("/manage/account/").status_int == 200

    sent = ask_for_link(webtest_app, user.username)
    assert SENT in main_text(sent)
    link = reset_link(outbox, f"{user.username}@example.com")

    form_page = webtest_app.get(link)
    assert form_page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in form_page.headers["Cache-Control"]
    assert f"For the account {user.username} ." in main_text(form_page)
    done = set_password(webtest_app, link)
    assert done.location == "http://localhost/account/login/"
    assert "Your password is changed, and every session of your account has been logged out." in (
        main_text(done.follow())
    )

    # The other browser is logged out, and no session of the account is left anywhere.
    assert urlsplit(elsewhere.get("/manage/account/", status=303).location).path == (
        "/account/login/"
    )
    sessions = select(func.count()).where(BrowserSession.user_id == user.id)
    assert db_session.scalar(sessions) == 0

    assert try_login(webtest_app, user.username, PASSWORD).status_int == 400
    # The new password works, and the second factor is still asked for.
    second_step = try_login(webtest_app, user.username, NEW_PASSWORD)
    assert urlsplit(second_step.location).path == "/account/two-factor/"
    form = second_step.follow().forms["two-factor-form"]
    form["totp_value"] = totp_code(user, 1)
    assert form.submit(status=303).location == "http://localhost/manage/account/"

    tags = event_tags(db_session, user)
    assert EventTag.AccountPasswordResetRequest in tags
    assert EventTag.AccountPasswordReset in tags
    changed = [m for m in outbox.messages() if m.subject == CHANGED_SUBJECT]
    assert [m.recipient for m in changed] == [f"{user.username}@example.com"]


def test_a_link_works_once(webtest_app, db_session, outbox):
    user = UserFactory.create(without_two_factor=True)
    ask_for_link(webtest_app, user.username)
    link = reset_link(outbox, f"{user.username}@example.com")
    set_password(webtest_app, link)

    again = webtest_app.get(link, status=400)
    assert "This link has already been used" in main_text(again)
    assert again.html.find("a", string="Ask for a new link")["href"] == (
        "/account/request-password-reset/"
    )
    # Posting the used link's form once more changes nothing.
    csrf = (
        webtest_app.get("/account/request-password-reset/")
        .forms["request-password-reset-form"]["csrf_token"]
        .value
    )
    refused = webtest_app.post(
        link,
        {"csrf_token": csrf, "new_password": "x" * 12, "password_confirm": "x" * 12},
        status=400,
    )
    assert "already been used" in main_text(refused)
    assert try_login(webtest_app, user.username, NEW_PASSWORD).status_int == 303
    assert event_tags(db_session, user).count(EventTag.AccountPasswordReset) == 1


def test_logging_in_after_asking_ends_the_link(webtest_app, outbox):
    user = UserFactory.create(without_two_factor=True)
    ask_for_link(webtest_app, user.username)
    link = reset_link(outbox, f"{user.username}@example.com")
    # The person remembered the password after all.
    assert try_login(webtest_app, user.username, PASSWORD).status_int == 303
    webtest_app.reset()
    assert "already been used" in main_text(webtest_app.get(link, status=400))


def test_an_expired_link_is_refused_and_changes_nothing(webtest_app, db_session, app_registry):
    user = UserFactory.create(without_two_factor=True)
    fresh = forged_token(app_registry, user, seconds_ago=6 * 60 * 60 - 60)
    assert webtest_app.get(f"/account/reset-password/?token={fresh}").status_int == 200

    expired = forged_token(app_registry, user, seconds_ago=6 * 60 * 60 + 1)
    page = webtest_app.get(f"/account/reset-password/?token={expired}", status=400)
    assert "This link has expired: reset links work for 6 hours." in main_text(page)
    # The refusal page has no form; a browser would still hold the session's CSRF token.
    token = webtest_app.get("/account/login/").forms["login-form"]["csrf_token"].value
    webtest_app.post(
        f"/account/reset-password/?token={expired}",
        {"csrf_token": token, "new_password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
        status=400,
    )
    assert try_login(webtest_app, user.username, PASSWORD).status_int == 303
    assert EventTag.AccountPasswordReset not in event_tags(db_session, user)


@pytest.mark.parametrize("token", ["", "garbage", "x" * 1001])
def test_a_broken_link_says_so(webtest_app, token):
    page = webtest_app.get(f"/account/reset-password/?token={token}", status=400)
    assert "This link is not valid. Check that you copied all of it from the email." in (
        main_text(page)
    )
    assert page.html.find("a", string="Ask for a new link") is not None


def test_an_email_verification_link_is_no_reset_link(webtest_app, db_session, app_registry):
    user = UserFactory.create()
    serializer = itsdangerous.URLSafeTimedSerializer(
        app_registry.settings["token.secret"], salt="email"
    )
    token = serializer.dumps(
        {"action": PASSWORD_RESET_ACTION, "user.id": str(user.id), "state": password_state(user)}
    )
    webtest_app.get(f"/account/reset-password/?token={token}", status=400)


def test_the_new_password_follows_the_registration_rules(webtest_app, outbox):
    user = UserFactory.create(without_two_factor=True)
    ask_for_link(webtest_app, user.username)
    link = reset_link(outbox, f"{user.username}@example.com")
    short = set_password(webtest_app, link, password="short", status=400)
    assert field_error(short, "new_password") == "Use at least 8 characters."
    mismatch = set_password(webtest_app, link, confirm="something else", status=400)
    assert field_error(mismatch, "password_confirm") == "The two passwords do not match."
    # The link still works after a refused form.
    set_password(webtest_app, link)


def test_unknown_names_get_the_same_answer_and_nothing_is_sent(webtest_app, outbox):
    user = UserFactory.create()
    known = ask_for_link(webtest_app, user.username)
    unknown_name = ask_for_link(webtest_app, "nobody-by-that-name")
    unknown_address = ask_for_link(webtest_app, "nobody@example.org")
    assert known.status_int == unknown_name.status_int == unknown_address.status_int == 200
    assert main_text(known) == main_text(unknown_name) == main_text(unknown_address)
    assert [m.subject for m in outbox.messages()] == [RESET_SUBJECT]


def test_an_empty_or_oversized_answer_is_refused_beside_the_field(webtest_app, outbox):
    empty = ask_for_link(webtest_app, "", status=400)
    assert field_error(empty, "username_or_email") == "Enter your username or email address."
    long = ask_for_link(webtest_app, "a" * 255, status=400)
    assert field_error(long, "username_or_email") == "Use at most 254 characters."
    assert outbox.messages() == []


def test_the_link_goes_to_a_verified_address_typed_else_to_the_primary(
    webtest_app, db_session, outbox
):
    user = UserFactory.create()
    verified = EmailFactory.create(user=user, primary=False, verified=True)
    unverified = EmailFactory.create(user=user, primary=False, verified=False)

    ask_for_link(webtest_app, verified.email.upper())
    assert reset_link(outbox, verified.email)
    for message in outbox.path.glob("*.eml"):
        message.unlink()

    ask_for_link(webtest_app, unverified.email)
    assert reset_link(outbox, f"{user.username}@example.com")


def test_asking_is_limited_per_account_with_the_same_limit_for_unknown_names(webtest_app):
    user = UserFactory.create()
    for typed in (user.username, f"{user.username}@example.com", user.username):
        ask_for_link(webtest_app, typed)
    limited = ask_for_link(webtest_app, user.username, status=429)
    assert "Too many password reset requests. Try again in 60 minutes." in main_text(limited)
    assert 3590 <= int(limited.headers["Retry-After"]) <= 3600

    for _ in range(3):
        ask_for_link(webtest_app, "nobody-by-that-name")
    ask_for_link(webtest_app, "nobody-by-that-name", status=429)


def test_asking_is_limited_per_address(webtest_app, outbox):
    for n in range(10):
        ask_for_link(webtest_app, f"someone{n}")
    limited = ask_for_link(webtest_app, "someone-else", status=429)
    assert "Too many password reset requests" in main_text(limited)
    assert outbox.messages() == []


def test_the_limit_lifts_after_an_hour(webtest_app, db_session, outbox):
    user = UserFactory.create()
    for _ in range(3):
        ask_for_link(webtest_app, user.username)
    ask_for_link(webtest_app, user.username, status=429)
    db_session.execute(text("UPDATE rate_limit_hits SET time = time - interval '61 minutes'"))
    ask_for_link(webtest_app, user.username)
    assert len([m for m in outbox.messages() if m.subject == RESET_SUBJECT]) == 4


def test_a_reset_in_a_logged_in_browser_logs_it_out(webtest_app, outbox):
    user = UserFactory.create()
    log_in(webtest_app, user)
    ask_for_link(webtest_app, user.username)
    set_password(webtest_app, reset_link(outbox, f"{user.username}@example.com"))
    login = urlsplit(webtest_app.get("/manage/account/", status=303).location).path
    assert login == "/account/login/"


def test_a_disabled_account_gets_no_link(webtest_app, outbox):
    user = UserFactory.create(is_active=False)
    assert SENT in main_text(ask_for_link(webtest_app, user.username))
    assert outbox.messages() == []


def test_the_history_says_what_happened_in_words(webtest_app, db_session, outbox):
    user = UserFactory.create(without_two_factor=True)
    ask_for_link(webtest_app, user.username)
    set_password(webtest_app, reset_link(outbox, f"{user.username}@example.com"))
    try_login(webtest_app, user.username, "wrong password here")
    log_in(webtest_app, user, NEW_PASSWORD)
    page = main_text(webtest_app.get("/manage/account/"))
    assert f"A password reset link was sent to {user.username}@example.com" in page
    assert "Password reset with an emailed link; every session was ended" in page
    assert "Failed login: the password was not right" in page


def test_the_pages_cost_a_fixed_number_of_statements(webtest_app, outbox):
    user = UserFactory.create()
    # Only the new session holding the form's CSRF token.
    assert len(webtest_app.get("/account/request-password-reset/").sql_statements) == 1
    ask_for_link(webtest_app, user.username)
    webtest_app.reset()
    # The account the link is for, its emails, and the new session holding the CSRF token.
    link = reset_link(outbox, f"{user.username}@example.com")
    assert len(webtest_app.get(link).sql_statements) == 2


def test_the_reset_page_does_not_pass_its_link_on_to_the_login_link(webtest_app, outbox):
    UserFactory.create(username="alice")
    ask_for_link(webtest_app, "alice")
    page = webtest_app.get(reset_link(outbox, "alice@example.com"))
    login_links = [
        a["href"] for a in page.html.find_all("a") if a["href"].startswith("/account/login")
    ]
    assert login_links
    assert all("token" not in href and "next" not in href for href in login_links)
