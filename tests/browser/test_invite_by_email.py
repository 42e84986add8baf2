"""Inviting someone who has no account yet, in a real Chromium: the owner invites an address;
its owner registers with it, verifies it from the mail, turns on two-factor and accepts from
the invitation's link."""

import base64
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.sessions import log_in_browser
from warehouse_orgs.accounts.services import totp_for
from warehouse_orgs.organizations.permissions import OrganizationRoleType

pytestmark = pytest.mark.browser

ADDRESS = "newcomer@invited.example"


def _link(outbox, path):
    for message in outbox.messages():  # newest first
        if message.recipient.rstrip(">").endswith(ADDRESS):
            match = re.search(
                rf"https?://[^/\s]+({re.escape(path)}\?token=\S+)", message.body("plain")
            )
            if match:
                return match.group(1)
    raise AssertionError(f"no {path} link was mailed to {ADDRESS}")


def test_invite_an_address_register_verify_and_accept(
    browser: Browser, page: Page, live_server: str, db_session, outbox
):
    owner = UserFactory.create(username="olive-owner")
    organization = OrganizationFactory.create(name="email-collective")
    OrganizationRoleFactory.create(
        organization=organization, user=owner, role_name=OrganizationRoleType.Owner
    )

    # 1. The owner invites an address nobody has registered.
    log_in_browser(page, live_server, owner)
    page.goto(live_server + "/manage/organization/email-collective/people/")
    page.get_by_label("Username or email address").fill(ADDRESS)
    page.locator("#invite-member-form").get_by_label("Role").select_option("Manager")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{ADDRESS} is invited as Manager.")
    expect(page.get_by_role("row", name=re.compile(re.escape(ADDRESS)))).to_contain_text("Pending")
    invitation_link = _link(outbox, "/account/verify-organization-role/")

    # 2. Its owner registers with that address, in a browser of their own.
    newcomer = browser.new_context().new_page()
    newcomer.set_default_timeout(10_000)
    newcomer.goto(live_server + "/account/register/")
    newcomer.get_by_label("Username").fill("nell-newcomer")
    newcomer.get_by_label("Email address").fill(ADDRESS)
    newcomer.get_by_label("Password", exact=True).fill("a long enough password")
    newcomer.get_by_label("Confirm password").fill("a long enough password")
    newcomer.get_by_role("button", name="Create account").click()
    expect(newcomer.get_by_role("heading", name="Finish securing your account")).to_be_visible()

    # 3. Verifies it from the mail.
    newcomer.goto(live_server + _link(outbox, "/account/verify-email/"))
    newcomer.get_by_role("button", name=f"Verify {ADDRESS}").click()
    expect(newcomer.get_by_role("status").first).to_contain_text("is verified")

    # 4. Turns on two-factor authentication, which organizations ask for.
    newcomer.get_by_role("link", name="Set up two-factor authentication").first.click()
    secret = newcomer.locator("code.secret").inner_text()
    newcomer.get_by_label("Authentication code").fill(totp_for(base64.b32decode(secret)).now())
    newcomer.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Your recovery codes")

    # 5. The invitation waits in their list, and the emailed link accepts it.
    newcomer.goto(live_server + "/manage/organizations/")
    expect(newcomer.locator("#invitations-table")).to_contain_text("email-collective")
    newcomer.goto(live_server + invitation_link)
    newcomer.get_by_role("button", name="Join email-collective").click()
    expect(newcomer.get_by_role("status").first).to_contain_text(
        "You are now a Manager of email-collective."
    )

    # The owner's people page now lists them as a member, and the invitation is gone.
    page.reload()
    expect(page.get_by_role("row", name=re.compile("nell-newcomer"))).to_contain_text("Manager")
    expect(page.get_by_text("No invitations are waiting.")).to_be_visible()
