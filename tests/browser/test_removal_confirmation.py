"""In Chromium, without any script of ours: removing a member takes two steps, both reachable
from the keyboard, and a wrong name is refused with the summary at the top linking to the box."""

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.common.db.accounts import PASSWORD, UserFactory, totp_code
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from warehouse_orgs.organizations.models import OrganizationRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType

pytestmark = pytest.mark.browser

MAX_TABS = 80


@pytest.fixture
def member_role(db_session):
    organization = OrganizationFactory.create(name="keyboard-club")
    OrganizationRoleFactory.create(
        organization=organization,
        user=UserFactory.create(username="kb-alice"),
        role_name=OrganizationRoleType.Owner,
    )
    return OrganizationRoleFactory.create(
        organization=organization,
        user=UserFactory.create(username="kb-bob"),
        role_name=OrganizationRoleType.Member,
    )


def _people(page: Page, live_server: str, db_session) -> None:
    """Open the people page as its Owner: sent to log in, and back to the page after."""
    owner = db_session.scalars(
        select(OrganizationRole).where(OrganizationRole.role_name == "Owner")
    ).one()
    people = live_server + "/manage/organization/keyboard-club/people/"
    page.goto(people)
    page.get_by_label("Username").fill(owner.user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Authentication code").fill(totp_code(owner.user))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(people)


def _still_a_member(db_session, role_id) -> bool:
    db_session.expire_all()
    return db_session.get(OrganizationRole, role_id) is not None


def test_a_member_is_removed_from_the_keyboard_after_typing_their_username(
    page: Page, live_server: str, db_session, member_role
):
    role_id = member_role.id
    _people(page, live_server, db_session)
    disclosure = page.locator(f"#remove-role-{role_id}-disclosure")
    summary = disclosure.locator("summary")
    box = disclosure.get_by_label("Their username")
    expect(summary).to_contain_text("Remove")
    expect(box).to_be_hidden()

    # Tab along the page as a keyboard user does, until the Remove button has the focus.
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if summary.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the Remove button")
    # The focus is visible on it.
    assert summary.evaluate("element => getComputedStyle(element).outlineStyle") == "solid"

    page.keyboard.press("Enter")
    expect(disclosure).to_have_attribute("open", "")
    expect(disclosure).to_contain_text("kb-bob loses their Member role in keyboard-club now")
    page.keyboard.press("Tab")
    expect(box).to_be_focused()
    page.keyboard.type("kb-bob")
    page.keyboard.press("Tab")
    expect(disclosure.get_by_role("button", name="Remove kb-bob")).to_be_focused()
    page.keyboard.press("Enter")

    flash = page.get_by_role("status").first
    expect(flash).to_contain_text("kb-bob is removed from keyboard-club.")
    expect(page.locator("main table").first).not_to_contain_text("kb-bob")
    assert not _still_a_member(db_session, role_id)


def test_a_wrong_username_is_refused_and_the_summary_leads_back_to_the_box(
    page: Page, live_server: str, db_session, member_role
):
    role_id = member_role.id
    _people(page, live_server, db_session)
    disclosure = page.locator(f"#remove-role-{role_id}-disclosure")
    disclosure.locator("summary").click()
    disclosure.get_by_label("Their username").fill("kb-mallory")
    disclosure.get_by_role("button", name="Remove kb-bob").click()

    expect(page).to_have_title("Error: People · keyboard-club · PyPI Organizations")
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("nothing was changed")
    link = summary.get_by_role("link", name="Their username: That does not match.")
    link.click()
    box = page.locator(f"#remove-role-{role_id}-disclosure").get_by_label("Their username")
    expect(box).to_be_focused()
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#remove-role-{role_id}-confirm_username-error")).to_have_text(
        "That does not match. Type kb-bob to confirm."
    )
    assert _still_a_member(db_session, role_id)


def test_on_a_phone_the_rows_stack_and_an_opened_removal_fits_the_screen(
    page: Page, live_server: str, db_session, member_role
):
    role_id = member_role.id
    page.set_viewport_size({"width": 390, "height": 844})
    _people(page, live_server, db_session)
    disclosure = page.locator(f"#remove-role-{role_id}-disclosure")
    disclosure.locator("summary").click()
    for element in (
        disclosure.get_by_label("Their username"),
        disclosure.get_by_role("button", name="Remove kb-bob"),
    ):
        box = element.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
    # Each cell says which column it is, as the headings row is out of sight.
    row = page.locator("tr", has=disclosure)
    expect(row.locator("td").first).to_have_attribute("data-label", "Username")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
