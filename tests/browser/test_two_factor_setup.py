"""Setting up two-factor authentication in a real Chromium: the QR code shows under the CSP."""

import base64

import pytest
from playwright.sync_api import Page, expect

from tests.common.db.accounts import UserFactory
from tests.common.sessions import log_in_browser
from warehouse_orgs.accounts.services import totp_for

pytestmark = pytest.mark.browser


def test_set_up_two_factor_and_keep_the_recovery_codes(page: Page, live_server: str, db_session):
    user = UserFactory.create(without_two_factor=True)
    log_in_browser(page, live_server, user)
    expect(page.get_by_role("heading", name="Finish securing your account")).to_be_visible()

    page.get_by_role("link", name="Set up two-factor authentication").first.click()
    qr = page.locator(".qr-code svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None
    assert box["width"] > 100  # drawn at a size a phone can scan

    secret = page.locator("code.secret").inner_text()
    page.get_by_label("Authentication code").fill(totp_for(base64.b32decode(secret)).now())
    page.get_by_role("button", name="Turn on two-factor authentication").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator("ul.recovery-codes li")).to_have_count(8)
    page.get_by_role("link", name="I saved them; back to my account").click()
    expect(
        page.get_by_role("heading", name="Two-factor authentication", exact=True)
    ).to_be_visible()
    expect(
        page.get_by_text(
            "You have 8 unused recovery codes, for logging in without your authenticator app."
        )
    ).to_be_visible()
