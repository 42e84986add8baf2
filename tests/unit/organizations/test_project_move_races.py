"""Moving a project out of its organization against changes to who reaches it, on two real
connections committing for real.

A transfer takes both organizations' locks and the project's; a team grant takes its
organization's; a role change takes the project's. So they run one after the other and the
later one judges by the earlier one's result: no team of the old organization keeps a grant on
the project (invariant 3), and a project never leaves its organization without an Owner of its
own. Whoever loses hears why, never a database error.
"""

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from tests.common.concurrency import service_request
from tests.common.races import assert_first_won, race
from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.organizations.interfaces import TeamRefused
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationNameCatalog,
    OrganizationProject,
    OrganizationRole,
    Team,
    TeamProjectRoleType,
    TeamRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.project_interfaces import OrganizationProjectRefused
from warehouse_orgs.organizations.services import DatabaseTeamService
from warehouse_orgs.organizations.services.projects import DatabaseOrganizationProjectService
from warehouse_orgs.ownership import LastOwnerRefused
from warehouse_orgs.packaging.models import Project, ProjectRoleName, Role
from warehouse_orgs.packaging.services import DatabaseProjectService

OWNER = OrganizationRoleType.Owner


@pytest.fixture
def world(committed_database: Engine) -> dict[str, uuid.UUID]:
    """ "raced" owns widget: alice is its Owner, bob a Member on its team "docs" (no grant yet);
    alice also owns "target"; dan is widget's own Owner."""
    with Session(committed_database) as setup:
        users = {}
        for username in ("alice", "bob", "dan"):
            user = User(username=username, password="x")
            user.emails.append(Email(email=f"{username}@example.com", primary=True, verified=True))
            users[username] = user
        organizations = {
            name: Organization(
                name=name,
                display_name=name.title(),
                orgtype="Community",
                link_url="https://example.com/",
                description="",
            )
            for name in ("raced", "target")
        }
        project = Project(name="widget")
        setup.add_all([*users.values(), *organizations.values(), project])
        setup.flush()
        for organization in organizations.values():
            setup.refresh(organization, ["normalized_name"])
            setup.add_all(
                [
                    OrganizationNameCatalog(
                        normalized_name=organization.normalized_name,
                        organization_id=organization.id,
                    ),
                    OrganizationRole(
                        organization=organization, user=users["alice"], role_name=OWNER
                    ),
                ]
            )
        raced = organizations["raced"]
        bob_role = OrganizationRole(
            organization=raced, user=users["bob"], role_name=OrganizationRoleType.Member
        )
        team = Team(organization_id=raced.id, name="docs")
        setup.add_all(
            [
                bob_role,
                team,
                OrganizationProject(organization_id=raced.id, project_id=project.id),
                Role(project=project, user=users["dan"], role_name=ProjectRoleName.Owner),
            ]
        )
        setup.flush()
        setup.add(
            TeamRole(
                team_id=team.id,
                organization_id=raced.id,
                organization_role_id=bob_role.id,
                organization_role_name=bob_role.role_name,
            )
        )
        setup.commit()
        return {
            "raced": raced.id,
            "target": organizations["target"].id,
            "team": team.id,
            "project": project.id,
        }


def _request(app_registry: Any, session: Session, username: str = "alice") -> Any:
    user = session.scalars(select(User).where(User.username == username)).one()
    return service_request(app_registry, session, user)


def _transfer(app_registry: Any, world: dict[str, uuid.UUID]) -> Any:
    def work(session: Session) -> None:
        request = _request(app_registry, session)
        DatabaseOrganizationProjectService(request).transfer_project(
            session.get(Project, world["project"]), "target", request.user
        )

    return work


def _remove_leaving_dan(app_registry: Any, world: dict[str, uuid.UUID]) -> Any:
    def work(session: Session) -> None:
        request = _request(app_registry, session)
        DatabaseOrganizationProjectService(request).remove_project(
            session.get(Project, world["project"]), request.user, "dan"
        )

    return work


def _grant_docs(app_registry: Any, world: dict[str, uuid.UUID]) -> Any:
    def work(session: Session) -> None:
        teams = DatabaseTeamService(_request(app_registry, session))
        teams.grant_project(
            session.get(Team, world["team"]),
            session.get(Project, world["project"]),
            TeamProjectRoleType.Maintainer,
        )

    return work


def _remove_dans_role(app_registry: Any, world: dict[str, uuid.UUID]) -> Any:
    def work(session: Session) -> None:
        projects = DatabaseProjectService(_request(app_registry, session))
        role = session.scalars(select(Role).where(Role.project_id == world["project"])).one()
        projects.remove_role(role)

    return work


def _state(engine: Engine) -> tuple[str | None, list[str], int]:
    """Where widget is, its own Owners, and how many team grants on it belong to a team of
    another organization than the one that owns it (invariant 3 says none)."""
    with Session(engine) as check:
        where = check.scalar(
            text(
                "SELECT o.name FROM organization_projects op "
                "JOIN organizations o ON o.id = op.organization_id"
            )
        )
        owners = check.scalars(
            text(
                "SELECT u.username FROM project_roles r JOIN users u ON u.id = r.user_id "
                "WHERE r.role_name = 'Owner' ORDER BY u.username"
            )
        ).all()
        stale = check.scalar(
            text(
                "SELECT count(*) FROM team_project_roles g JOIN teams t ON t.id = g.team_id "
                "LEFT JOIN organization_projects op "
                "  ON op.project_id = g.project_id AND op.organization_id = t.organization_id "
                "WHERE op.id IS NULL"
            )
        )
        return where, list(owners), stale


def test_granting_the_old_organizations_team_while_the_project_moves_is_refused(
    app_registry, committed_database, world
):
    transfer, grant = race(
        committed_database, _transfer(app_registry, world), _grant_docs(app_registry, world)
    )

    assert_first_won(transfer, grant)
    assert isinstance(grant.error, TeamRefused), repr(grant.error)
    assert "widget does not belong to raced" in str(grant.error)
    assert _state(committed_database) == ("target", ["dan"], 0)


def test_moving_the_project_while_a_team_is_granted_takes_the_new_grant_away(
    app_registry, committed_database, world
):
    grant, transfer = race(
        committed_database, _grant_docs(app_registry, world), _transfer(app_registry, world)
    )

    # The transfer waited for the grant, then deleted it with the move.
    assert [grant.succeeded, transfer.succeeded] == [True, True], (grant, transfer)
    assert _state(committed_database) == ("target", ["dan"], 0)


def test_removing_the_chosen_owner_while_the_project_leaves_is_refused(
    app_registry, committed_database, world
):
    removal, role_removal = race(
        committed_database,
        _remove_leaving_dan(app_registry, world),
        _remove_dans_role(app_registry, world),
    )

    # Once out of the organization dan is widget's only Owner, and stays.
    assert_first_won(removal, role_removal)
    assert isinstance(role_removal.error, LastOwnerRefused), repr(role_removal.error)
    assert _state(committed_database) == (None, ["dan"], 0)


def test_the_project_cannot_leave_with_an_owner_who_was_just_removed(
    app_registry, committed_database, world
):
    role_removal, removal = race(
        committed_database,
        _remove_dans_role(app_registry, world),
        _remove_leaving_dan(app_registry, world),
    )

    # dan's role could go while raced's Owners administered widget; then he no longer reaches
    # it, so he cannot be left its Owner, and the project stays in raced.
    assert_first_won(role_removal, removal)
    assert isinstance(removal.error, OrganizationProjectRefused), repr(removal.error)
    assert "Choose someone who reaches the project now" in str(removal.error)
    assert _state(committed_database) == ("raced", [], 0)
