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


def test_db_commands_migrate_and_report(cli_env, head_revision):
    assert _run("db", "upgrade").exit_code == 0
    current = _run("db", "current")
    assert f"{head_revision} (head)" in current.output
    assert _run("db", "check").exit_code == 0
    assert "<base> -> 6f1c2a9e0b41, Create the extensions" in _run("db", "history").output
    assert head_revision in _run("db", "heads").output
    assert _run("db", "downgrade", "base").exit_code == 0
    assert "(head)" not in _run("db", "current").output


def test_dev_initdb_migrates_and_builds_demo_data_once(cli_env):
    result = _run("dev", "initdb")
    assert result.exit_code == 0
    assert "Demo accounts (password 'password'): admin (Admin), support (Support)" in result.output
    assert "newbie (no two-factor yet)" in result.output
    assert "Demo applications waiting for review: sample-collective (alice, Community)" in (
        result.output
    )
    again = _run("dev", "initdb")
    assert "Demo data is already there." in again.output


def test_dev_resetdb_asks_first(cli_env):
    refused = _run("dev", "resetdb", input="n\n")
    assert refused.exit_code == 1
    assert "Aborted" in refused.output
    assert _run("dev", "initdb").exit_code == 0
    done = _run("dev", "resetdb", "--yes")
    assert done.exit_code == 0
    assert "Demo accounts (password 'password')" in done.output


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


def test_staff_roles_are_granted_and_revoked(cli_env):
    assert _run("dev", "initdb").exit_code == 0
    assert _run("users", "grant", "alice", "support").output == (
        "alice: staff roles now Support.\n"
    )
    assert _run("users", "grant", "alice", "psf-staff").output == (
        "alice: staff roles now Support, PSF staff.\n"
    )
    assert _run("users", "revoke", "alice", "support").output == (
        "alice: staff roles now PSF staff.\n"
    )
    missing = CliRunner().invoke(warehouse_orgs, ["users", "grant", "nobody", "admin"])
    assert missing.exit_code == 1
    assert "There is no user 'nobody'." in missing.output


def test_totp_prints_a_demo_accounts_current_code(cli_env):
    import datetime
    import runpy

    from warehouse_orgs.accounts.services import totp_for
    from warehouse_orgs.paths import PROJECT_ROOT

    demo_totp_secret = runpy.run_path(str(PROJECT_ROOT / "dev" / "demo_data.py"))[
        "demo_totp_secret"
    ]
    assert _run("dev", "initdb").exit_code == 0
    code = _run("users", "totp", "alice").output.strip()
    totp = totp_for(demo_totp_secret("alice"))
    now = datetime.datetime.now(datetime.UTC)
    assert code in {totp.at(now), totp.at(now - datetime.timedelta(seconds=30))}
    refused = CliRunner().invoke(warehouse_orgs, ["users", "totp", "newbie"])
    assert "newbie has no two-factor authentication." in refused.output


def test_the_last_admin_is_not_revoked(cli_env):
    assert _run("dev", "initdb").exit_code == 0
    refused = CliRunner().invoke(warehouse_orgs, ["users", "revoke", "admin", "admin"])
    assert refused.exit_code == 1
    assert "admin is the last admin; grant admin to someone else first." in refused.output
