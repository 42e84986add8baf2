"""``warehouse-orgs domains recheck``, run the way an operator runs it without Celery beat, on
a scratch database and the local DNS server."""

from click.testing import CliRunner
from sqlalchemy import create_engine, text

from tests.unit.test_cli import cli_env  # noqa: F401 (the fixture)
from warehouse_orgs.cli import warehouse_orgs
from warehouse_orgs.db import normalize_database_url


def _run(*args: str):
    return CliRunner().invoke(warehouse_orgs, list(args), catch_exceptions=False)


def test_recheck_takes_away_the_badge_whose_record_is_gone(cli_env, local_dns, monkeypatch):  # noqa: F811
    monkeypatch.setenv("DOMAINS_RESOLVER", local_dns.address)
    monkeypatch.setenv("DOMAINS_RESOLVER_TIMEOUT", "0.5")
    local_dns.forget()
    assert _run("db", "upgrade").exit_code == 0
    engine = create_engine(normalize_database_url(cli_env["DATABASE_URL"]))
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organizations (name, display_name, orgtype, link_url, description) "
                "VALUES ('acme', 'Acme', 'Community', 'https://acme.org/', '')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO organization_domains (organization_id, domain, token, verified_at) "
                "SELECT id, d, 'token-' || d, now() FROM organizations, "
                "unnest(ARRAY['kept.org', 'gone.org']) AS d"
            )
        )
    local_dns.publish(
        "_warehouse-orgs-challenge.kept.org", "warehouse-orgs-verification=token-kept.org"
    )
    try:
        result = _run("domains", "recheck")
    finally:
        local_dns.forget()
    assert result.output == (
        "2 checked: 1 still verified, 1 lost their badge, 0 without an answer (kept).\n"
    )
    with engine.begin() as connection:
        verified = (
            connection.execute(
                text("SELECT domain FROM organization_domains WHERE verified_at IS NOT NULL")
            )
            .scalars()
            .all()
        )
        tags = connection.execute(text("SELECT tag FROM organization_events")).scalars().all()
    engine.dispose()
    assert verified == ["kept.org"]
    assert tags == ["organization:domain:lost"]
