import pytest
from click.testing import CliRunner

from warehouse_orgs.cli import warehouse_orgs
from warehouse_orgs.cli.local_postgres import ensure_database_url
from warehouse_orgs.email.services import CapturedEmailSender


@pytest.fixture
def cli_env(scratch_database, tmp_path, monkeypatch):
    """The environment `make` gives the command: development settings and a scratch database."""
    url = scratch_database("cli")
    env = {
        "WAREHOUSE_ORGS_ENV": "development",
        "DATABASE_URL": url,
        "SESSION_SECRET": "insecure-cli",
        "TOKEN_SECRET": "insecure-cli",
        "MAIL_BACKEND": f"warehouse_orgs.email.services.CapturedEmailSender path={tmp_path}",
        "REDIS_URL": "",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _run(*args: str, input: str | None = None):
    return CliRunner().invoke(warehouse_orgs, list(args), input=input, catch_exceptions=False)


def test_db_commands_migrate_and_report(cli_env):
    assert _run("db", "upgrade").exit_code == 0
    current = _run("db", "current")
    assert "6f1c2a9e0b41 (head)" in current.output
    assert _run("db", "check").exit_code == 0
    assert "-> 6f1c2a9e0b41 (head), Create the extensions" in _run("db", "history").output
    assert "6f1c2a9e0b41" in _run("db", "heads").output
    assert _run("db", "downgrade", "base").exit_code == 0
    assert "(head)" not in _run("db", "current").output


def test_dev_initdb_migrates_and_builds_demo_data(cli_env):
    result = _run("dev", "initdb")
    assert result.exit_code == 0
    assert "Database at migration 6f1c2a9e0b41" in result.output


def test_dev_resetdb_asks_first(cli_env):
    refused = _run("dev", "resetdb", input="n\n")
    assert refused.exit_code == 1
    assert "Aborted" in refused.output
    done = _run("dev", "resetdb", "--yes")
    assert done.exit_code == 0
    assert "Database at migration 6f1c2a9e0b41" in done.output


def test_dev_commands_refuse_outside_development(cli_env, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_ORGS_ENV", "production")
    result = CliRunner().invoke(warehouse_orgs, ["dev", "initdb"])
    assert result.exit_code == 1
    assert "runs only with WAREHOUSE_ORGS_ENV=development" in result.output


def test_mail_check_sends_through_the_configured_backend(cli_env, tmp_path):
    result = _run("mail", "check", "ops@example.com")
    assert result.exit_code == 0
    assert "Sent a mail check to ops@example.com" in result.output
    (message,) = CapturedEmailSender(tmp_path).messages()
    assert message.recipient == "ops@example.com"
    assert message.subject == "Mail check from PyPI Organizations"


def test_production_without_settings_refuses_to_start(monkeypatch):
    for name in ("DATABASE_URL", "SESSION_SECRET", "TOKEN_SECRET", "MAIL_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WAREHOUSE_ORGS_ENV", "production")
    result = CliRunner().invoke(warehouse_orgs, ["db", "current"])
    assert result.exit_code == 1
    assert "DATABASE_URL is not set" in str(result.exception)


def test_database_url_from_the_environment_is_used_as_is():
    environ = {"DATABASE_URL": "postgresql://elsewhere/db"}
    assert ensure_database_url(environ) == "postgresql://elsewhere/db"
