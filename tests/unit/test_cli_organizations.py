"""``warehouse-orgs organizations``, run the way ``make`` runs it, on the demo data."""

from click.testing import CliRunner
from sqlalchemy import create_engine, text

from tests.unit.test_cli import cli_env  # noqa: F401 (the fixture)
from warehouse_orgs.cli import warehouse_orgs
from warehouse_orgs.db import normalize_database_url


def _run(*args: str):
    return CliRunner().invoke(warehouse_orgs, list(args), catch_exceptions=False)


def test_demo_organizations_are_built_once_and_overdue_invitations_expire(cli_env):  # noqa: F811
    first = _run("dev", "initdb")
    assert "Demo organizations: demo-community (Community), demo-company (Company)" in (
        first.output
    )
    assert "Demo organizations" not in _run("dev", "initdb").output

    engine = create_engine(normalize_database_url(cli_env["DATABASE_URL"]))
    with engine.begin() as connection:
        roles = connection.execute(
            text(
                "SELECT o.name, u.username, r.role_name FROM organization_roles r "
                "JOIN organizations o ON o.id = r.organization_id "
                "JOIN users u ON u.id = r.user_id ORDER BY 1, 2"
            )
        ).all()
        statuses = connection.execute(
            text("SELECT status, count(*) FROM organization_invitations GROUP BY 1 ORDER BY 1")
        ).all()
        connection.execute(
            text(
                "UPDATE organization_invitations SET expires_at = now() - interval '1 hour' "
                "WHERE status = 'pending'"
            )
        )
    engine.dispose()
    assert roles == [
        ("demo-community", "alice", "Owner"),
        ("demo-community", "bob", "Manager"),
        ("demo-community", "carol", "Member"),
        ("demo-company", "alice", "Manager"),
        ("demo-company", "bob", "Owner"),
        ("demo-company", "carol", "Billing Manager"),
        ("legacy-tools", "bob", "Member"),
        ("legacy-tools", "carol", "Owner"),
        ("two-key-tools", "alice", "Owner"),
        ("two-key-tools", "bob", "Owner"),
    ]
    assert statuses == [("accepted", 2), ("expired", 2), ("pending", 2)]

    assert _run("organizations", "expire-invitations").output == "2 invitations expired.\n"
    assert _run("organizations", "expire-invitations").output == "0 invitations expired.\n"


def test_the_succession_commands_find_quiet_owners_and_apply_due_handovers(cli_env):  # noqa: F811
    _run("dev", "initdb")
    engine = create_engine(normalize_database_url(cli_env["DATABASE_URL"]))
    with engine.begin() as connection:
        # Every Owner of demo-community last logged in two years ago.
        connection.execute(
            text(
                "UPDATE users SET last_login = now() - interval '730 days' WHERE id IN ("
                "SELECT r.user_id FROM organization_roles r JOIN organizations o "
                "ON o.id = r.organization_id WHERE o.name = 'demo-community' "
                "AND r.role_name = 'Owner')"
            )
        )
        connection.execute(
            text(
                "UPDATE users SET last_login = now() WHERE id IN ("
                "SELECT r.user_id FROM organization_roles r JOIN organizations o "
                "ON o.id = r.organization_id WHERE o.name <> 'demo-community' "
                "AND r.role_name = 'Owner') AND id NOT IN ("
                "SELECT r.user_id FROM organization_roles r JOIN organizations o "
                "ON o.id = r.organization_id WHERE o.name = 'demo-community' "
                "AND r.role_name = 'Owner')"
            )
        )
    found = _run("organizations", "find-ownerless-risk").output
    assert "At risk now: demo-community." in found
    assert "At risk now: none new." in _run("organizations", "find-ownerless-risk").output

    with engine.begin() as connection:
        member = connection.execute(
            text(
                "SELECT r.id, r.member_username, o.id FROM organization_roles r "
                "JOIN organizations o ON o.id = r.organization_id "
                "WHERE o.name = 'demo-community' AND r.role_name <> 'Owner' LIMIT 1"
            )
        ).one()
        connection.execute(
            text(
                "INSERT INTO organization_handovers (organization_id, candidate_role_id, "
                "candidate_username, reason, takes_effect_at) VALUES (:o, :r, :u, 'Gone.', "
                "now() - interval '1 minute')"
            ),
            {"o": member[2], "r": member[0], "u": member[1]},
        )
    assert "1 handover took effect." in _run("organizations", "complete-handovers").output
    with engine.begin() as connection:
        role = connection.execute(
            text("SELECT role_name FROM organization_roles WHERE id = :r"), {"r": member[0]}
        ).scalar_one()
    engine.dispose()
    assert role == "Owner"


def test_the_lapse_command_ends_proposals_that_waited_72_hours(cli_env):  # noqa: F811
    _run("dev", "initdb")
    engine = create_engine(normalize_database_url(cli_env["DATABASE_URL"]))
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organization_owner_changes (organization_id, kind, subject, "
                "subject_key, proposed_by_username, expires_at) SELECT id, "
                "'delete_organization', name, 'organization', 'alice', now() - interval '1 "
                "minute' FROM organizations WHERE name = 'demo-community'"
            )
        )
    assert _run("organizations", "lapse-owner-changes").output == "1 proposal lapsed.\n"
    assert _run("organizations", "lapse-owner-changes").output == "0 proposals lapsed.\n"
    with engine.begin() as connection:
        status = connection.execute(
            text("SELECT status FROM organization_owner_changes WHERE kind = 'delete_organization'")
        ).scalar_one()
    engine.dispose()
    assert status == "lapsed"
