"""In Chromium, a refused form moves the focus to the summary at the top of the page, without
any script of ours, and following a link in it puts the focus on the field to fix."""

import pytest
from playwright.sync_api import Page, expect

from tests.common.db.accounts import UserFactory
from tests.common.sessions import log_in_browser

pytestmark = pytest.mark.browser


def test_a_refused_application_takes_the_focus_to_its_summary_then_to_the_field(
    page: Page, live_server: str, db_session
):
    log_in_browser(page, live_server, UserFactory.create(username="summary-alice"))
    page.goto(live_server + "/manage/organizations/")
    page.get_by_label("Organization account name").fill("-bad-")
    page.get_by_role("button", name="Apply").click()

    expect(page).to_have_title("Error: Your organizations · PyPI Organizations")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()

    summary.get_by_role("link", name="Organization account name:").click()
    expect(page.get_by_label("Organization account name")).to_be_focused()
