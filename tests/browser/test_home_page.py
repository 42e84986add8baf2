"""Smoke test: a real browser opens the home page and sees what a visitor would."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_home_page_renders_with_the_site_layout(page: Page, live_server: str):
    response = page.goto(live_server + "/")
    assert response is not None
    assert response.status == 200
    expect(page).to_have_title("Home · PyPI Organizations")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Organizations on the Python Package Index"
    )
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Home")
    # The stylesheet loaded under the CSP: the header has its colour, not the browser default.
    header_colour = page.locator("header.site-header").evaluate(
        "element => getComputedStyle(element).backgroundColor"
    )
    assert header_colour == "rgb(7, 55, 99)"


def test_keyboard_users_can_skip_to_the_content(page: Page, live_server: str):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to content")
    expect(skip_link).to_be_focused()
    # Visible focus: the focused link gets an outline.
    outline = skip_link.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.url.endswith("/#content")


def test_missing_page_shows_the_error_page(page: Page, live_server: str):
    response = page.goto(live_server + "/no-such-page/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("link", name="Go to the home page")).to_be_visible()
