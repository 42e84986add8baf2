"""The heart of it, in a real Chromium: apply, staff approve, invite, accept."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.common.db.accounts import UserFactory
from tests.common.sessions import log_in_browser

pytestmark = pytest.mark.browser


def _new_page(browser: Browser) -> Page:
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    return page


def test_apply_approve_and_accept_an_invitation(
    browser: Browser, page: Page, live_server: str, db_session, outbox
):
    alice = UserFactory.create(username="alice-applies")
    staff = UserFactory.create(username="sam-support", is_support=True)
    bob = UserFactory.create(username="bob-joins")

    # 1. Alice applies.
    log_in_browser(page, live_server, alice)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Organizations", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organizations")
    page.get_by_label("Organization account name").fill("browser-collective")
    page.get_by_label("Organization name", exact=True).fill("Browser Collective")
    page.get_by_label("Organization URL").fill("https://browser-collective.example.org/")
    page.get_by_label("Organization description").fill("People who test in real browsers.")
    page.get_by_label("Community (free)").check()
    page.get_by_label("How will you use the organization?").fill(
        "We maintain several packages together and want them under one name."
    )
    page.get_by_label("How many people will be members?").select_option("2-5")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("browser-collective")

    # 2. Support approves it from the review queue.
    staff_page = _new_page(browser)
    log_in_browser(staff_page, live_server, staff)
    staff_page.goto(live_server + "/admin/organization_applications/")
    staff_page.get_by_role("link", name="browser-collective").click()
    staff_page.get_by_role("radio", name=re.compile(r"^Approve")).check()
    staff_page.get_by_role("button", name="Submit decision").click()
    expect(staff_page.get_by_role("status").first).to_contain_text("browser-collective")

    # 3. Alice, now its Owner, invites Bob as a Manager.
    page.goto(live_server + "/manage/organization/browser-collective/people/")
    page.get_by_label("Username").fill("bob-joins")
    page.locator("#invite-member-form").get_by_label("Role").select_option("Manager")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status").first).to_contain_text("bob-joins")

    # 4. Bob follows the link from his email and accepts.
    (invitation,) = [m for m in outbox.messages() if m.recipient == "bob-joins@example.com"]
    link = re.search(
        r"https?://[^/\s]+(/account/verify-organization-role/\?token=\S+)", invitation.body("plain")
    ).group(1)
    bob_page = _new_page(browser)
    log_in_browser(bob_page, live_server, bob)
    bob_page.goto(live_server + link)
    bob_page.get_by_role("button", name="Join browser-collective").click()
    bob_page.goto(live_server + "/manage/organizations/")
    membership = bob_page.get_by_role("row", name=re.compile("browser-collective"))
    expect(membership.first).to_contain_text("Manager")

    # The public page counts both members.
    page.goto(live_server + "/org/browser-collective/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Browser Collective Community")
    members = page.locator("dt", has_text="Members").locator("xpath=following-sibling::dd[1]")
    expect(members).to_have_text("2")
