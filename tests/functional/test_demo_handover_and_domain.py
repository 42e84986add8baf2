"""The demo data's verified domain and pending handover (issue 13): what `make serve` shows of
them, and what the accessibility crawl reaches through them."""

import runpy
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.common.pages import main_text
from tests.common.sessions import log_in
from warehouse_orgs.accounts.models import User
from warehouse_orgs.organizations.models import OrganizationHandover
from warehouse_orgs.tasks import run_task

DEMO_DATA = runpy.run_path(str(Path(__file__).parents[2] / "dev" / "demo_data.py"))
HANDOVER_PAGE = "/manage/organization/legacy-tools/handover/"


@pytest.fixture
def demo(app_registry, db_session):
    first = run_task(app_registry, DEMO_DATA["build_demo_data"], (), {})
    second = run_task(app_registry, DEMO_DATA["build_demo_data"], (), {})
    db_session.expire_all()
    return first, second


def _log_in(webtest_app, db_session, username):
    user = db_session.scalars(select(User).where(User.username == username)).one()
    log_in(webtest_app, user, DEMO_DATA["DEMO_PASSWORD"])


def test_each_is_built_once(demo, db_session):
    first, second = demo
    assert "Demo verified domain: demo-community.example.com of demo-community" in first
    assert any(line.startswith("Demo handover: legacy-tools") for line in first)
    assert second == ["Demo data is already there."]
    assert len(db_session.scalars(select(OrganizationHandover)).all()) == 1


def test_the_verified_domain_is_a_badge_on_the_public_page_and_in_the_directory(demo, webtest_app):
    page = webtest_app.get("/org/demo-community/")
    assert "demo-community.example.com" in main_text(page)
    directory = webtest_app.get("/organizations/", {"q": "demo-community"})
    assert "Verified: demo-community.example.com" in main_text(directory)


def test_carol_the_owner_is_led_to_a_handover_she_can_object_to(demo, webtest_app, db_session):
    _log_in(webtest_app, db_session, "carol")
    listing = webtest_app.get("/manage/organizations/")
    page = listing.click(href=HANDOVER_PAGE)
    assert "will make bob an Owner on" in main_text(page)
    assert "object-to-handover-form" in page.forms
    # The history says PyPI staff started it, not which of them.
    history = main_text(webtest_app.get("/manage/organization/legacy-tools/history/"))
    assert "PyPI staff started a handover making bob an Owner" in history
    assert "support" not in history
