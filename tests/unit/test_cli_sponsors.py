"""``warehouse-orgs sponsors sync``, run the way ``make sponsors-sync`` runs it, against a real
HTTP server serving the PSF feed and a database of its own."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from tests.unit.test_cli import cli_env  # noqa: F401 (the fixture)
from warehouse_orgs.cli import warehouse_orgs
from warehouse_orgs.db import normalize_database_url

LOGO = (Path(__file__).parents[1] / "fixtures" / "logos" / "logo.png").read_bytes()
FEED_PATH = "/feed/"
TOKEN = "insecure-cli-feed-token"


def _run(*args: str):
    return CliRunner().invoke(warehouse_orgs, list(args))


def _query(cli_env, sql: str) -> list[tuple]:  # noqa: F811
    engine = create_engine(normalize_database_url(cli_env["DATABASE_URL"]))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql)).all()]
    finally:
        engine.dispose()


@pytest.fixture
def sponsors_cli(cli_env, feed_server, tmp_path, monkeypatch):  # noqa: F811
    """The command's environment with a feed on the test's server and logos under tmp_path,
    on a migrated database."""
    monkeypatch.setenv("SPONSOR_FEED_URL", feed_server.url(FEED_PATH))
    monkeypatch.setenv("SPONSOR_FEED_TOKEN", TOKEN)
    monkeypatch.setenv(
        "SPONSOR_LOGO_STORAGE",
        f"warehouse_orgs.sponsors.storage.LocalSponsorLogoStorage path={tmp_path / 'logos'}",
    )
    assert _run("db", "upgrade").exit_code == 0
    return feed_server


def _publish(server, *slugs: str) -> None:
    items = [
        {
            "name": slug.title(),
            "slug": slug,
            "sponsor_url": f"https://{slug}.example.com/",
            "logo": server.serve(f"/{slug}.png", LOGO, content_type="image/png"),
            "level_name": "Visionary",
            "level_order": 1,
        }
        for slug in slugs
    ]
    server.serve(FEED_PATH, json.dumps(items).encode())


def test_sync_prints_what_it_did_and_succeeds(sponsors_cli, cli_env, tmp_path):  # noqa: F811
    _publish(sponsors_cli, "acme", "globex")

    result = _run("sponsors", "sync")

    assert result.exit_code == 0, result.output
    assert result.output == (
        "The feed listed 2 sponsors: 2 added, 0 updated, 0 no longer PSF sponsors.\n"
    )
    assert _query(cli_env, "SELECT slug, psf_sponsor, origin FROM sponsors ORDER BY slug") == [
        ("acme", True, "feed"),
        ("globex", True, "feed"),
    ]
    assert len(list((tmp_path / "logos").glob("acme-color-*.png"))) == 1
    [asked] = sponsors_cli.requests_for(FEED_PATH)
    assert asked.headers["Authorization"] == f"Token {TOKEN}"

    _publish(sponsors_cli, "acme")
    again = _run("sponsors", "sync")
    assert again.output == (
        "The feed listed 1 sponsor: 0 added, 0 updated, 1 no longer a PSF sponsor.\n"
    )


def test_a_refused_run_fails_with_the_reason_and_is_recorded(sponsors_cli, cli_env):  # noqa: F811
    sponsors_cli.serve(FEED_PATH, b"<html>maintenance</html>")

    result = _run("sponsors", "sync")

    assert result.exit_code == 1
    assert result.output == (
        "Error: Nothing was changed: the feed is not valid JSON (it may have been cut short).\n"
    )
    assert _query(cli_env, "SELECT count(*) FROM sponsors") == [(0,)]
    assert _query(cli_env, "SELECT succeeded, message FROM sponsor_feed_syncs") == [
        (False, "Nothing was changed: the feed is not valid JSON (it may have been cut short).")
    ]


def test_without_a_feed_configured_it_fails_and_says_what_to_set(sponsors_cli, monkeypatch):
    monkeypatch.delenv("SPONSOR_FEED_URL")

    result = _run("sponsors", "sync")

    assert result.exit_code == 1
    assert result.output == (
        "Error: Nothing was changed: no feed is configured "
        "(SPONSOR_FEED_URL and SPONSOR_FEED_TOKEN).\n"
    )
    assert sponsors_cli.received == []
