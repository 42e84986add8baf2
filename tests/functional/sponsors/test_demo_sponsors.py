"""The demo data's sponsorship program: levels, sponsors of every kind with logos made by the
project, and two inquiries, built once."""

import runpy
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import SPONSOR_LOGO_DIRECTORY
from warehouse_orgs.sponsors.logos import check_logo
from warehouse_orgs.sponsors.models import Sponsor, SponsorInquiry, SponsorLevel
from warehouse_orgs.tasks import run_task

DEMO_DATA = runpy.run_path(str(Path(__file__).parents[3] / "dev" / "demo_data.py"))


@pytest.fixture
def demo(app_registry, db_session):
    first = run_task(app_registry, DEMO_DATA["build_demo_sponsors"], (), {})
    second = run_task(app_registry, DEMO_DATA["build_demo_sponsors"], (), {})
    db_session.expire_all()
    return first, second


def test_the_demo_sponsors_build_once(demo, db_session):
    first, second = demo
    assert any(line.startswith("Demo sponsors: ") for line in first)
    assert second == []
    assert db_session.scalar(select(func.count()).select_from(SponsorLevel)) == len(
        DEMO_DATA["DEMO_SPONSOR_LEVELS"]
    )
    assert db_session.scalar(select(func.count()).select_from(Sponsor)) == len(
        DEMO_DATA["DEMO_SPONSORS"]
    )
    assert db_session.scalar(select(func.count()).select_from(SponsorInquiry)) == 2


def test_the_demo_covers_every_kind_of_sponsor(demo, db_session):
    sponsors = db_session.scalars(select(Sponsor)).all()
    levels = {s.level_name for s in sponsors if s.psf_sponsor}
    assert len(levels) >= 5
    assert sum(s.infra_sponsor for s in sponsors) >= 3
    assert all(s.service for s in sponsors if s.infra_sponsor)
    assert sum(s.one_time for s in sponsors) >= 2
    footer = [s for s in sponsors if s.footer or s.infra_sponsor]
    assert footer
    assert all(s.white_logo_url for s in footer)


def test_the_demo_logos_are_stored_and_pass_the_logo_checks(demo, db_session):
    for sponsor in db_session.scalars(select(Sponsor)):
        for url in filter(None, (sponsor.color_logo_url, sponsor.white_logo_url)):
            name = url.rsplit("/", 1)[-1]
            assert url == f"/static/sponsorlogos/{name}"
            logo = check_logo((SPONSOR_LOGO_DIRECTORY / name).read_bytes())
            assert logo.content_type == "image/svg+xml"
