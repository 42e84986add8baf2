"""The sponsorship program in a real Chromium: PSF staff add a sponsor with its logos through the
staff pages, and a visitor sees it on /sponsors/ and in the footer; the visitor then sends an
inquiry from the prospectus, and staff find it in the inquiries and follow it up. axe-core
checks each page on the way."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.browser.test_accessibility import Finding, check_page, failure_text
from tests.common.db.accounts import UserFactory
from tests.common.db.sponsors import SponsorLevelFactory
from tests.common.sessions import log_in_browser
from warehouse_orgs.sponsors.models import Sponsor, SponsorInquiry

pytestmark = pytest.mark.browser

LOGOS = Path(__file__).parents[1] / "fixtures" / "logos"
SPONSOR = "Kittiwake Compute"
COMPANY = "Gannet Analytics"


def _new_page(browser: Browser) -> Page:
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    return page


def _footer_logos(page: Page) -> list[str]:
    band = page.get_by_role("contentinfo")
    return [img.get_attribute("alt") or "" for img in band.locator("img").all()]


def test_staff_add_a_sponsor_a_visitor_sees_it_and_inquires_and_staff_follow_up(
    browser: Browser, live_server: str, db_session, outbox
):
    staff = UserFactory.create(is_psf_staff=True)
    level = SponsorLevelFactory.create(name="Maintaining", yearly_amount=60_000)
    findings: list[Finding] = []

    # PSF staff: Admin, Sponsors, Add a sponsor; the form with both logos.
    staff_page = _new_page(browser)
    log_in_browser(staff_page, live_server, staff)
    staff_page.goto(live_server + "/admin/")
    staff_page.get_by_role("navigation", name="Admin").get_by_role("link", name="Sponsors").click()
    staff_page.get_by_role("link", name="Add a sponsor").click()
    findings += check_page(staff_page)
    staff_page.get_by_label("Name", exact=True).fill(SPONSOR)
    staff_page.get_by_label("Website").fill("https://kittiwake.example.com/")
    staff_page.get_by_label("Level", exact=True).fill("Maintaining")
    staff_page.get_by_label("Level order").fill("3")
    staff_page.get_by_label("Activity (Markdown)").fill("Kittiwake runs **the mirrors**.")
    staff_page.get_by_label("PSF sponsor").check()
    staff_page.get_by_label("In the footer of every page").check()
    staff_page.get_by_label("Colour logo").set_input_files(LOGOS / "logo.svg")
    staff_page.get_by_label("White logo").set_input_files(LOGOS / "logo.png")
    staff_page.get_by_role("button", name="Add sponsor").click()
    expect(staff_page.get_by_role("heading", level=1)).to_contain_text(SPONSOR)
    findings += check_page(staff_page)

    sponsor = db_session.scalars(select(Sponsor).where(Sponsor.name == SPONSOR)).one()
    assert (sponsor.footer, sponsor.psf_sponsor, sponsor.slug) == (
        True,
        True,
        "kittiwake-compute",
    )
    assert sponsor.color_logo_url.endswith(".svg")
    assert sponsor.white_logo_url.endswith(".png")

    # A visitor: the sponsor on /sponsors/ under its level, and in every page's footer.
    visitor = _new_page(browser)
    visitor.goto(live_server + "/")
    assert SPONSOR in _footer_logos(visitor)
    visitor.get_by_role("contentinfo").get_by_role("link", name="Sponsors", exact=True).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        "Sponsors of the Python Package Index"
    )
    psf = visitor.locator("section", has=visitor.get_by_role("heading", name="PSF sponsors"))
    expect(psf.get_by_role("heading", name="Maintaining")).to_be_visible()
    expect(psf.get_by_role("img", name=SPONSOR)).to_be_visible()
    expect(psf.locator("strong", has_text="the mirrors")).to_be_visible()
    # The logo is served and is the file staff chose.
    logo = visitor.request.get(live_server + sponsor.color_logo_url)
    assert logo.body() == (LOGOS / "logo.svg").read_bytes()
    findings += check_page(visitor)

    # The visitor asks about sponsoring from the prospectus.
    visitor.get_by_role("contentinfo").get_by_role("link", name="Sponsor the index").click()
    expect(visitor.get_by_role("heading", name="Maintaining")).to_be_visible()
    findings += check_page(visitor)
    visitor.get_by_label("Company or organization").fill(COMPANY)
    visitor.get_by_label("Your name").fill("Gail Gannet")
    visitor.get_by_label("Your email address").fill("gail@gannet.example.com")
    visitor.get_by_label("Level of interest").select_option(label="Maintaining")
    visitor.get_by_label("Message").fill("We would like to sponsor this year.")
    visitor.get_by_role("button", name="Send inquiry").click()
    expect(visitor.get_by_role("status")).to_contain_text("Thank you")
    findings += check_page(visitor)

    inquiry = db_session.scalars(select(SponsorInquiry)).one()
    assert (inquiry.company, inquiry.level_id, inquiry.status) == (COMPANY, level.id, "new")
    recipients = sorted(message.recipient for message in outbox.messages())
    assert recipients == sorted(["gail@gannet.example.com", staff.primary_email.email])

    # Staff find it under Inquiries and mark it contacted.
    staff_page.get_by_role("navigation", name="Sponsors").get_by_role(
        "link", name="Inquiries"
    ).click()
    staff_page.get_by_role("link", name=COMPANY).click()
    expect(staff_page.get_by_text("We would like to sponsor this year.")).to_be_visible()
    findings += check_page(staff_page)
    staff_page.get_by_label("Contacted").check()
    staff_page.get_by_label("Notes").fill("Called Gail; prospectus sent.")
    staff_page.get_by_role("button", name="Save the follow-up").click()
    expect(staff_page.get_by_role("status")).to_be_visible()
    db_session.refresh(inquiry)
    assert (inquiry.status, inquiry.notes) == ("contacted", "Called Gail; prospectus sent.")

    assert not findings, failure_text(findings)
