"""Forgetting a password and choosing a new one, in a real Chromium, with the captured mail."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.common.db.accounts import UserFactory, totp_code

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a new password for the browser"


def test_forgotten_password_reset_through_the_emailed_link(
    page: Page, live_server: str, db_session, outbox
):
    user = UserFactory.create(username="forgetful")

    page.goto(live_server + "/account/login/")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    page.get_by_label("Username or email address").fill("forgetful@example.com")
    page.get_by_role("button", name="Send a reset link").click()
    expect(page.get_by_role("status")).to_contain_text("If an account matches what you typed")

    (message,) = outbox.messages()
    assert message.recipient == "forgetful@example.com"
    link = re.search(r"http://\S+/account/reset-password/\?token=\S+", message.body("plain"))
    page.goto(link.group(0))

    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Confirm password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()

    expect(page).to_have_url(live_server + "/account/login/")
    expect(page.get_by_text("Your password is changed")).to_be_visible()
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Two-factor authentication is still asked for.
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor authentication")
    page.get_by_label("Authentication code").fill(totp_code(user))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(live_server + "/manage/account/")

    # The link was used: opening it again says so and offers a new one.
    page.goto(link.group(0))
    expect(page.get_by_role("alert")).to_contain_text("This link has already been used")
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()
