"""Logging in with a password and an authenticator code, in a real Chromium."""

import pytest
from playwright.sync_api import Page, expect

from tests.common.db.accounts import PASSWORD, UserFactory, totp_code

pytestmark = pytest.mark.browser


def test_login_with_two_factor_then_log_out(page: Page, live_server: str, db_session):
    user = UserFactory.create(username="browser-user")

    page.goto(live_server + "/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    page.get_by_label("Authentication code").fill(totp_code(user))
    page.get_by_role("button", name="Verify").click()

    # Back on the page where the journey started, now signed in.
    expect(page).to_have_url(live_server + "/")
    header = page.locator(".site-header__account")
    expect(header.get_by_role("link", name="browser-user")).to_be_visible()

    page.get_by_role("link", name="browser-user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_role("cell", name="browser-user@example.com")).to_be_visible()

    header.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    expect(header.get_by_role("link", name="Log in")).to_be_visible()


def test_wrong_password_is_explained_next_to_the_field(page: Page, live_server: str, db_session):
    user = UserFactory.create()
    page.goto(live_server + "/account/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-error")).to_have_text("The username or password is incorrect.")
