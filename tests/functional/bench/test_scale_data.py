"""The scale database's builder at tiny sizes: the counts it promises are in the database, the
rows keep the rules the app relies on, and every page the benchmark measures renders on it."""

from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from tests.common.instant_login import start_session
from warehouse_orgs.accounts.models import User
from warehouse_orgs.cli.bench import bench_pages
from warehouse_orgs.devtools.scale_data import (
    ADMIN_USERNAME,
    BIG_ORGANIZATION,
    OWNER_USERNAME,
    ScaleSizes,
    build_scale_data,
    typical_organization,
)

TINY = ScaleSizes(
    organizations=20,
    projects=200,
    organization_roles=150,
    team_roles=60,
    users=100,
    big_organization_members=50,
    big_organization_projects=50,
    pending_applications=30,
    big_organization_invitations=10,
    events=1000,
)
EVENT_TABLES = (
    "organization_events",
    "project_events",
    "user_events",
    "team_events",
    "organization_application_events",
)


def _count(connection: Connection, query: str) -> int:
    return connection.execute(text(query)).scalar_one()


@pytest.fixture
def tiny_world(db_connection: Connection) -> list[tuple[str, int, float]]:
    steps: list[tuple[str, int, float]] = []
    build_scale_data(db_connection, TINY, progress=lambda *step: steps.append(step))
    return steps


def test_builder_makes_the_sizes_asked_for(db_connection: Connection, tiny_world: Any):
    count = lambda query: _count(db_connection, query)  # noqa: E731
    assert count("SELECT count(*) FROM organizations") == 20
    assert count("SELECT count(*) FROM projects") == 200
    assert count("SELECT count(*) FROM organization_roles") == 150
    assert count("SELECT count(*) FROM team_roles") == 60
    # The generated users and the two bench users.
    assert count("SELECT count(*) FROM users") == 102
    assert (
        count(
            "SELECT count(*) FROM organization_roles r JOIN organizations o"
            f" ON o.id = r.organization_id WHERE o.name = '{BIG_ORGANIZATION}'"
        )
        == 50
    )
    assert (
        count(
            "SELECT count(*) FROM organization_projects op JOIN organizations o"
            f" ON o.id = op.organization_id WHERE o.name = '{BIG_ORGANIZATION}'"
        )
        == 50
    )
    # The other 19 organizations have 4 projects each.
    assert count("SELECT count(*) FROM organization_projects") == 50 + 19 * 4
    assert (
        count(
            "SELECT count(*) FROM organization_applications"
            " WHERE status IN ('submitted', 'moreinformationneeded', 'deferred')"
        )
        == 30
    )
    assert count("SELECT count(*) FROM organization_invitations WHERE status = 'pending'") == 10
    events = sum(count(f"SELECT count(*) FROM {table}") for table in EVENT_TABLES)
    assert events == 1000
    assert all(count(f"SELECT count(*) FROM {table}") > 0 for table in EVENT_TABLES)
    # One progress line per step, each with its row count.
    assert ("organizations", 20, pytest.approx(0, abs=60)) in tiny_world


def test_builder_keeps_the_rules_the_app_relies_on(db_connection: Connection, tiny_world: Any):
    count = lambda query: _count(db_connection, query)  # noqa: E731
    # Every organization is found by its name and has an Owner.
    assert (
        count(
            "SELECT count(*) FROM organizations o WHERE NOT EXISTS (SELECT 1 FROM"
            " organization_name_catalog c WHERE c.organization_id = o.id"
            " AND c.normalized_name = o.normalized_name)"
        )
        == 0
    )
    assert (
        count(
            "SELECT count(*) FROM organizations o WHERE NOT EXISTS (SELECT 1 FROM"
            " organization_roles r WHERE r.organization_id = o.id AND r.role_name = 'Owner')"
        )
        == 0
    )
    # Every project has an Owner; every user a verified primary email and two-factor.
    assert (
        count(
            "SELECT count(*) FROM projects p WHERE NOT EXISTS (SELECT 1 FROM project_roles r"
            " WHERE r.project_id = p.id AND r.role_name = 'Owner')"
        )
        == 0
    )
    assert (
        count(
            "SELECT count(*) FROM users u WHERE u.totp_secret IS NULL OR NOT EXISTS (SELECT 1"
            ' FROM user_emails e WHERE e.user_id = u.id AND e."primary" AND e.verified)'
        )
        == 0
    )
    # An invitation goes to someone who is not a member yet.
    assert (
        count(
            "SELECT count(*) FROM organization_invitations i JOIN organization_roles r"
            " ON r.organization_id = i.organization_id AND r.user_id = i.user_id"
        )
        == 0
    )


def test_builder_refuses_impossible_sizes(db_connection: Connection):
    with pytest.raises(ValueError, match="every typical organization an Owner"):
        build_scale_data(db_connection, ScaleSizes(organizations=20, organization_roles=10))


def _log_in(webtest_app: Any, db_session: Session, username: str) -> None:
    user = db_session.query(User).filter_by(username=username).one()
    start_session(webtest_app, db_session, user)


def test_every_benchmarked_page_renders_on_the_scale_data(
    webtest_app: Any, db_session: Session, tiny_world: Any
):
    pages = bench_pages(TINY)
    etags: dict[str, str] = {}
    for page in pages:
        webtest_app.reset()
        if page.viewer != "anonymous":
            _log_in(webtest_app, db_session, page.viewer)
        headers = {}
        if page.conditional:
            headers["If-None-Match"] = etags[page.path]
        response = webtest_app.get(page.path, headers=headers, status=page.expected_status)
        if not page.conditional:
            etags[page.path] = response.headers.get("ETag", "")
    assert {page.viewer for page in pages} == {"anonymous", OWNER_USERNAME, ADMIN_USERNAME}


def test_the_big_organizations_people_page_lists_its_members(
    webtest_app: Any, db_session: Session, tiny_world: Any
):
    _log_in(webtest_app, db_session, OWNER_USERNAME)
    page = webtest_app.get(f"/manage/organization/{BIG_ORGANIZATION}/people/")
    # More members than one page holds: listed in pages.
    assert "bench-user-1" in page.text
    assert "Pages of members" in page.text
    profile = webtest_app.get(f"/org/{typical_organization()}/")
    assert "Bench Organization 1" in profile.text
