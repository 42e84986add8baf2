"""An idle owner removes a member in a real Chromium: the password step, then the removal."""

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.common.db.accounts import PASSWORD, UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.sessions import log_in_browser, make_authentication_stale
from warehouse_orgs.organizations.models import OrganizationRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType

pytestmark = pytest.mark.browser


def test_a_stale_owner_removes_a_member_through_the_password_step(
    page: Page, live_server: str, db_session, outbox
):
    alice = UserFactory.create(username="alice-owner")
    bob = UserFactory.create(username="bob-member")
    organization = OrganizationFactory.create(name="browser-acme")
    OrganizationRoleFactory.create(
        organization=organization, user=alice, role_name=OrganizationRoleType.Owner
    )
    OrganizationRoleFactory.create(
        organization=organization, user=bob, role_name=OrganizationRoleType.Member
    )
    log_in_browser(page, live_server, alice)
    people = live_server + "/manage/organization/browser-acme/people/"
    page.goto(people)
    make_authentication_stale(db_session)

    # The removal's second step: open it, type the username, press the final button.
    disclosure = page.locator("details", has_text="bob-member loses")
    disclosure.locator("summary").click()
    disclosure.get_by_label("Their username").fill("bob-member")
    disclosure.get_by_role("button", name="Remove bob-member").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your password")
    password = page.get_by_label("Password")
    expect(password).to_be_focused()

    password.fill("not my password")
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.locator("#reauth_password-error")).to_have_text("That is not your password.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page).to_have_url(people)
    expect(page.get_by_role("status").first).to_have_text(
        "bob-member is removed from browser-acme."
    )
    expect(page.get_by_role("cell", name="bob-member")).to_have_count(0)

    db_session.expire_all()
    members = db_session.scalars(
        select(OrganizationRole.user_id).where(OrganizationRole.organization_id == organization.id)
    ).all()
    assert members == [alice.id]
    assert any(m.subject == "bob-member was removed from browser-acme" for m in outbox.messages())
