"""`warehouse-orgs dev bench` (make bench) and its floor app, run for real: a scale database
built by the command, the app in production mode and the floor under gunicorn, wrk between
them, and the table at the end."""

import importlib
import re
import shutil
from pathlib import Path
from typing import Any

import alembic.command
import pytest
import webtest
from click.testing import CliRunner
from sqlalchemy import text

from warehouse_orgs.cli import warehouse_orgs
from warehouse_orgs.cli.bench import (
    FLOOR_PAGE,
    BenchPage,
    DatabaseResult,
    PageResult,
    WrkRun,
    format_table,
    prepare_database,
)
from warehouse_orgs.db import alembic_config, create_database_engine
from warehouse_orgs.devtools.scale_data import ScaleSizes, build_scale_data, typical_organization
from warehouse_orgs.paths import PROJECT_ROOT

FLOOR = PROJECT_ROOT / "dev" / "bench" / "floor.py"
PAGE_ROWS = [
    "floor: one indexed SELECT",
    "/_health/ (the app's stack, SELECT 1)",
    "/org/<typical>/ anonymous",
    "/org/<big>/ anonymous",
    "/org/<typical>/ If-None-Match: 304",
    "/project/<typical>/ anonymous",
    "/organizations/?q=<typical> anonymous",
    "/manage/organizations/ owner",
    "/manage/organization/<big>/people/ owner",
    "/admin/organization_applications/?q=<name> admin",
]
TINY_SIZES = ScaleSizes(
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
TINY_OPTIONS = [
    option
    for name, value in TINY_SIZES.as_dict().items()
    for option in (f"--{name.replace('_', '-')}", str(value))
]
# page, req/s, x floor, p50 ms, p99 ms, statements
ROW = re.compile(r"^(?P<page>\S.*?)\s+(\d+\.\d)\s+(\d+\.\d\d)\s+(\d+\.\d)\s+(\d+\.\d)\s+(\d+)$")


def test_floor_answers_its_page_with_one_indexed_select(
    scratch_database: Any, monkeypatch: pytest.MonkeyPatch
):
    url = scratch_database("floor")
    alembic.command.upgrade(alembic_config(url), "head")
    engine = create_database_engine(url)
    with engine.begin() as connection:
        build_scale_data(connection, ScaleSizes().scaled(1000))
        # At this size a scan is cheaper; what matters is that the index serves the query.
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        plan = connection.execute(
            text(
                "EXPLAIN SELECT name FROM organizations"
                " WHERE normalized_name = normalize_pep503_name('Bench_Org.1')"
            )
        ).scalars()
        assert "organizations_normalized_name_key" in "\n".join(plan)
    engine.dispose()
    # Imported as gunicorn imports it (--pythonpath dev/bench floor:...).
    monkeypatch.syspath_prepend(str(FLOOR.parent))
    floor = importlib.import_module("floor").make_app(url)
    app = webtest.TestApp(floor)
    try:
        page = app.get(f"/org/{typical_organization()}/")
        assert page.content_type == "text/html"
        assert "<h1>Bench Organization 1</h1>" in page.text
        # Any spelling of the name finds it, as on the app's page; an unknown one is a 404.
        assert "Bench Organization 1" in app.get("/org/Bench_Org.1/").text
        app.get("/org/no-such-organization/", status=404)
    finally:
        floor.registry["engine"].dispose()


def test_bench_builds_serves_measures_and_prints_the_table(
    scratch_database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: `make wrk` installs it (make tests does too).")
    url = scratch_database("bench")
    # What `make bench` gives the command; the servers it starts are real gunicorns.
    monkeypatch.setenv("WAREHOUSE_ORGS_ENV", "development")
    monkeypatch.setenv("WAREHOUSE_ORGS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", url)
    arguments = ["--database-url", url, "--seconds", "1", "--rounds", "1", "--no-growth"]
    measured = CliRunner().invoke(warehouse_orgs, ["dev", "bench", *TINY_OPTIONS, *arguments])
    output = measured.output
    assert measured.exit_code == 0, output + repr(measured.exception)
    assert "organization roles" in output  # a progress line of the build
    assert "built in" in output
    rows = {
        match["page"]: match.groups()[1:]
        for line in output.splitlines()
        if (match := ROW.match(line))
    }
    assert list(rows) == PAGE_ROWS, output
    for page, (rate, _ratio, p50, p99, statements) in rows.items():
        assert float(rate) > 0, page
        assert float(p50) <= float(p99), page
        assert int(statements) >= 1, page
    assert rows["floor: one indexed SELECT"][1] == "1.00"
    assert "(errors!)" not in output
    # Both servers ran and logged (the bench itself checks the app answers as production does).
    assert "GET /org/bench-org-1/ 200" in (tmp_path / "bench" / "app-full.log").read_text()
    assert (tmp_path / "bench" / "floor-full.log").exists()

    # The next run finds the database holding these sizes at this migration, and reuses it.
    assert prepare_database(url, TINY_SIZES, rebuild=False, label="full") is None


def _result(page: BenchPage, requests: int, floor_requests: int, alone_ms: float) -> PageResult:
    run = WrkRun(requests=requests, seconds=5.0, p50_ms=20.0, p99_ms=40.0, errors=0)
    floor = WrkRun(requests=floor_requests, seconds=5.0, p50_ms=2.0, p99_ms=4.0, errors=0)
    return PageResult(page, runs=[run], floor_runs=[floor], statements=3, alone_ms=alone_ms)


def test_a_page_slower_than_a_run_shows_bounds_and_its_time_alone():
    slow = BenchPage("/slow/ anonymous", "/slow/")
    floor = _result(FLOOR_PAGE, 5000, 5000, 1.0)
    steady = BenchPage("/steady/ anonymous", "/steady/")
    full_pages = [_result(slow, 0, 5000, 7300.0), _result(steady, 500, 5000, 9.0)]
    # The machine was twice as busy during the small database's runs: the floor too.
    small_pages = [_result(slow, 250, 5000, 30.0), _result(steady, 500, 2500, 9.0)]
    full = DatabaseResult("full", TINY_SIZES, floor, full_pages, None)
    small = DatabaseResult("small", TINY_SIZES, floor, small_pages, None)
    table = format_table(full, small).splitlines()
    slow_row = next(line for line in table if line.startswith("/slow/"))
    # No request finished: fewer than one per 5 s run, each over 5 s; no growth to compute.
    assert slow_row.split()[2:8] == ["<0.2", "<0.0002", ">5000", ">5000", "3", "50.0"]
    assert slow_row.split()[-1] == "-"
    assert (
        "/slow/ anonymous (full): no request finished within a 5 s run; one request alone "
        "took 7300 ms." in table
    )
    # Growth compares the ratios to the floor: 0.10 of it on the full database, 0.20 on the
    # small one, whatever the raw rates were.
    steady_row = next(line for line in table if line.startswith("/steady/"))
    assert steady_row.split()[2:4] == ["100.0", "0.10"]
    assert steady_row.split()[-4:] == ["100.0", "0.20", "3", "-50%"]
    floor_row = next(line for line in table if line.startswith("floor"))
    assert floor_row.split()[4:9] == ["1000.0", "1.00", "20.0", "40.0", "3"]
    assert floor_row.split()[-1] == "-"
