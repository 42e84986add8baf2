"""A newcomer's whole path: register, verify, log in, two-factor, recovery code, password change."""

import re

from sqlalchemy import select

from tests.common.db.accounts import totp_code
from tests.common.events import event_tags
from tests.common.pages import main_text
from warehouse_orgs.accounts.models import User
from warehouse_orgs.events.tags import EventTag


def _link(message, pattern):
    match = re.search(pattern, message.body("plain"))
    assert match, message.body("plain")
    return match.group(0)


def test_newcomer_journey(webtest_app, db_session, outbox):
    app = webtest_app

    # 1. Register.
    form = app.get("/account/register/").forms["register-form"]
    form["username"] = "newcomer"
    form["full_name"] = "New Comer"
    form["email"] = "newcomer@example.com"
    form["new_password"] = "a long enough password"
    form["password_confirm"] = "a long enough password"
    account = form.submit(status=303).follow()
    assert "Finish securing your account" in account.text
    user = db_session.scalars(select(User).where(User.username == "newcomer")).one()
    assert not user.has_verified_primary_email

    # 2. Verify the email through the captured message.
    (message,) = outbox.messages()
    assert message.recipient == "newcomer@example.com"
    link = _link(message, r"http://localhost/account/verify-email/\?token=\S+")
    confirm = app.get(link.removeprefix("http://localhost"))
    assert "Confirm that newcomer@example.com belongs to the account newcomer" in main_text(confirm)
    account = confirm.forms["verify-email-form"].submit(status=303).follow()
    assert "newcomer@example.com is verified" in account.text
    db_session.expire_all()
    assert user.has_verified_primary_email

    # 3-4. Set up two-factor authentication (already logged in after registering).
    provision = app.get("/manage/account/totp-provision/")
    assert "<svg" in provision.text
    secret = provision.html.find("code", class_="secret").text
    import base64

    user_secret = base64.b32decode(secret)
    form = provision.forms["totp-provision-form"]
    from warehouse_orgs.accounts.services import totp_for

    form["totp_value"] = totp_for(user_secret).now()
    codes_page = form.submit(status=200)
    codes = [code.text for code in codes_page.html.select("ul.recovery-codes code")]
    assert len(codes) == 8
    db_session.expire_all()
    assert user.has_two_factor

    # 5. Log out.
    app.get("/account/logout/").forms["logout-form"].submit(status=303)
    assert "newcomer" not in app.get("/").html.find("div", class_="site-header__account").text

    # 6. Log in with a TOTP code (the next step: the current one was used at setup).
    form = app.get("/account/login/").forms["login-form"]
    form["username"] = "newcomer"
    form["password"] = "a long enough password"
    two_factor = form.submit(status=303).follow()
    form = two_factor.forms["two-factor-form"]
    form["totp_value"] = totp_code(user, step_offset=1)
    account = form.submit(status=303).follow()
    assert account.html.find("h1").text == "Your account"
    app.get("/account/logout/").forms["logout-form"].submit(status=303)

    # 7. Log in with a recovery code; it works once.
    form = app.get("/account/login/").forms["login-form"]
    form["username"] = "newcomer"
    form["password"] = "a long enough password"
    recovery = form.submit(status=303).follow().click("Use a recovery code")
    form = recovery.forms["recovery-code-form"]
    form["recovery_code_value"] = codes[0]
    account = form.submit(status=303).follow()
    assert "You logged in with a recovery code; 7 left" in account.text

    # 8. Change the password from a second browser session: the first one ends.
    from webtest import TestApp

    other_browser = TestApp(app.app, extra_environ={"REMOTE_ADDR": "192.0.2.20"})
    form = other_browser.get("/account/login/").forms["login-form"]
    form["username"] = "newcomer"
    form["password"] = "a long enough password"
    # A third TOTP code inside one 30-second window is not to be had; a recovery code is.
    form = form.submit(status=303).follow().click("Use a recovery code").forms["recovery-code-form"]
    form["recovery_code_value"] = codes[1]
    form.submit(status=303)
    assert other_browser.get("/manage/account/", status=200)

    form = app.get("/manage/account/").forms["change-password-form"]
    form["password"] = "a long enough password"
    form["new_password"] = "an even longer new password"
    form["password_confirm"] = "an even longer new password"
    account = form.submit(status=303).follow()
    assert "Every other session has been logged out" in account.text
    # This browser stays in; the other one is sent to log in again.
    assert app.get("/manage/account/", status=200)
    assert other_browser.get("/manage/account/", status=303).location.startswith(
        "http://localhost/account/login/"
    )
    assert [m.subject for m in outbox.messages()][:2] == [
        "Your PyPI Organizations password was changed",
        "Two-factor authentication is on for your account",
    ]

    assert event_tags(db_session, user) == [
        EventTag.AccountCreate,
        EventTag.AccountLoginSuccess,
        EventTag.AccountEmailVerify,
        EventTag.AccountTwoFactorAdd,
        EventTag.AccountRecoveryCodesGenerate,
        EventTag.AccountLogout,
        EventTag.AccountLoginSuccess,
        EventTag.AccountLogout,
        EventTag.AccountRecoveryCodeUse,
        EventTag.AccountLoginSuccess,
        EventTag.AccountRecoveryCodeUse,  # the second browser
        EventTag.AccountLoginSuccess,
        EventTag.AccountPasswordChange,
    ]
