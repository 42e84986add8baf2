"""Team changes against membership changes, on two real connections committing for real.

Both take the organization's lock, so they run one after the other and the later one judges by
the earlier one's result: a person removed from the organization while being added to a team
is never left on the team, and whoever loses hears why, never a database error.
"""

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from tests.common.concurrency import service_request
from tests.common.races import assert_first_won, race
from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.organizations.interfaces import TeamMembershipRefused
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationNameCatalog,
    OrganizationRole,
    Team,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services import (
    DatabaseOrganizationMembershipService,
    DatabaseTeamService,
)


@pytest.fixture
def world(committed_database: Engine) -> dict[str, uuid.UUID]:
    """The organization "raced": alice its Owner, bob a Member; its team "docs", empty."""
    with Session(committed_database) as setup:
        users = {}
        for username in ("alice", "bob"):
            user = User(username=username, password="x")
            user.emails.append(Email(email=f"{username}@example.com", primary=True, verified=True))
            users[username] = user
        organization = Organization(
            name="raced", display_name="Raced", orgtype="Community",
            link_url="https://example.com/", description="",
        )  # fmt: skip
        setup.add_all([*users.values(), organization])
        setup.flush()
        setup.refresh(organization, ["normalized_name"])
        team = Team(organization_id=organization.id, name="docs")
        setup.add_all(
            [
                OrganizationNameCatalog(
                    normalized_name=organization.normalized_name, organization_id=organization.id
                ),
                OrganizationRole(
                    organization=organization,
                    user=users["alice"],
                    role_name=OrganizationRoleType.Owner,
                ),
                OrganizationRole(
                    organization=organization,
                    user=users["bob"],
                    role_name=OrganizationRoleType.Member,
                ),
                team,
            ]
        )
        setup.commit()
        return {"organization": organization.id, "team": team.id}


def _as_alice(app_registry: Any, session: Session) -> Any:
    alice = session.scalars(select(User).where(User.username == "alice")).one()
    return service_request(app_registry, session, alice)


def _bob(session: Session) -> User:
    return session.scalars(select(User).where(User.username == "bob")).one()


def _remove_bob_from_the_organization(app_registry: Any, world: dict[str, uuid.UUID]) -> Any:
    def work(session: Session) -> None:
        membership = DatabaseOrganizationMembershipService(_as_alice(app_registry, session))
        role = session.scalars(
            select(OrganizationRole).where(
                OrganizationRole.organization_id == world["organization"],
                OrganizationRole.user_id == _bob(session).id,
            )
        ).one()
        membership.remove_role(role)

    return work


def _add_bob_to_the_team(app_registry: Any, world: dict[str, uuid.UUID]) -> Any:
    def work(session: Session) -> None:
        teams = DatabaseTeamService(_as_alice(app_registry, session))
        teams.add_member(session.get(Team, world["team"]), _bob(session))

    return work


def _state(engine: Engine) -> tuple[list[str], list[str], int]:
    """Who is in the organization, who is on the team, and how many memberships have no
    organization role of the team's organization behind them."""
    with Session(engine) as check:
        members = check.scalars(
            text(
                "SELECT u.username FROM organization_roles r JOIN users u ON u.id = r.user_id "
                "ORDER BY u.username"
            )
        ).all()
        on_team = check.scalars(
            text(
                "SELECT u.username FROM team_roles tr "
                "JOIN organization_roles r ON r.id = tr.organization_role_id "
                "JOIN users u ON u.id = r.user_id ORDER BY u.username"
            )
        ).all()
        orphans = check.scalar(
            text(
                "SELECT count(*) FROM team_roles tr JOIN teams t ON t.id = tr.team_id "
                "LEFT JOIN organization_roles r "
                "  ON r.id = tr.organization_role_id AND r.organization_id = t.organization_id "
                "WHERE r.id IS NULL"
            )
        )
        return list(members), list(on_team), orphans


def test_adding_someone_to_a_team_while_they_are_removed_from_the_organization_is_refused(
    app_registry, committed_database, world
):
    removal, adding = race(
        committed_database,
        _remove_bob_from_the_organization(app_registry, world),
        _add_bob_to_the_team(app_registry, world),
    )

    assert_first_won(removal, adding)
    assert isinstance(adding.error, TeamMembershipRefused), repr(adding.error)
    assert str(adding.error) == "bob is not a member of raced; only members can be on its teams."
    assert _state(committed_database) == (["alice"], [], 0)


def test_removing_someone_from_the_organization_while_they_are_added_to_a_team_ends_both(
    app_registry, committed_database, world
):
    adding, removal = race(
        committed_database,
        _add_bob_to_the_team(app_registry, world),
        _remove_bob_from_the_organization(app_registry, world),
    )

    # The removal waited for the addition, then took the new membership with the role.
    assert [adding.succeeded, removal.succeeded] == [True, True], (adding, removal)
    assert _state(committed_database) == (["alice"], [], 0)
    with Session(committed_database) as check:
        tags = check.scalars(
            select(Team.Event.tag)
            .where(Team.Event.source_id == world["team"])
            .order_by(Team.Event.time)
        ).all()
    assert tags == ["team:team_role:add", "team:team_role:remove"]
