"""The demo data's teams: alice, bob and carol each reach a project through a team alone."""

import runpy
from pathlib import Path

import pytest
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from sqlalchemy import func, select

from tests.common.pages import main_text
from tests.common.sessions import log_in
from warehouse_orgs.accounts.models import User
from warehouse_orgs.authnz import Permissions, user_principal
from warehouse_orgs.organizations.interfaces import ITeamService
from warehouse_orgs.organizations.models import OrganizationProject, Team, TeamRole
from warehouse_orgs.packaging.models import Project, ProjectFactory, Role
from warehouse_orgs.tasks import run_task

DEMO_DATA = runpy.run_path(str(Path(__file__).parents[2] / "dev" / "demo_data.py"))

# Who reaches which project only through a team, and with which of its permissions.
TEAM_ONLY = {
    ("alice", "company-sdk"): (Permissions.ProjectsUpload, Permissions.ProjectsWrite),
    ("bob", "community-cookbook"): (Permissions.ProjectsWrite, None),
    ("carol", "community-cookbook"): (Permissions.ProjectsWrite, None),
    ("carol", "requests-toolbelt-demo"): (Permissions.ProjectsUpload, Permissions.ProjectsWrite),
}


def _access(request, username: str, project_name: str) -> dict:
    """What the project's ACL, built as for a request to its pages, says of ``username``."""
    user = request.db.scalars(select(User).where(User.username == username)).one()
    project = ProjectFactory(request)[project_name]
    principals = [Everyone, Authenticated, user_principal(user.id)]
    acl = ACLHelper()
    permissions = (Permissions.ProjectsRead, Permissions.ProjectsUpload, Permissions.ProjectsWrite)
    individual = [role.user.username for role in project.roles]
    through_teams = [
        a.team
        for a in request.find_service(ITeamService).project_access(project.id)
        if a.user_id == user.id
    ]
    return {
        "individual": username in individual,
        "teams": through_teams,
        "permits": {p: bool(acl.permits(project, principals, str(p))) for p in permissions},
    }


@pytest.fixture
def demo(app_registry, db_session):
    first = run_task(app_registry, DEMO_DATA["build_demo_data"], (), {})
    second = run_task(app_registry, DEMO_DATA["build_demo_data"], (), {})
    db_session.expire_all()
    return first, second


def test_the_demo_data_builds_twice_and_adds_nothing_the_second_time(demo, db_session):
    first, second = demo
    assert any(line.startswith("Demo teams: ") for line in first)
    assert any(line.startswith("Demo organization projects: ") for line in first)
    assert second == ["Demo data is already there."]
    assert db_session.scalar(select(func.count()).select_from(Team)) == 2
    assert db_session.scalar(select(func.count()).select_from(TeamRole)) == 3
    assert db_session.scalar(select(func.count()).select_from(OrganizationProject)) == 3


@pytest.mark.parametrize(("username", "project_name"), list(TEAM_ONLY))
def test_each_demo_person_reaches_a_project_only_through_a_team(
    demo, app_registry, username, project_name
):
    granted, withheld = TEAM_ONLY[(username, project_name)]
    access = run_task(app_registry, _access, (username, project_name), {})
    assert not access["individual"]
    # Through one team, and not as an Owner of the organization (who show without a team).
    assert len(access["teams"]) == 1
    assert None not in access["teams"]
    assert access["permits"][Permissions.ProjectsRead]
    assert access["permits"][granted]
    if withheld is not None:
        assert not access["permits"][withheld]


def test_organization_owners_individual_roles_went_when_their_projects_moved_in(demo, db_session):
    owners = db_session.execute(
        select(Project.name, User.username)
        .join(Role, Role.project_id == Project.id)
        .join(User, User.id == Role.user_id)
        .where(Project.name.in_(["community-cookbook", "company-sdk", "requests-toolbelt-demo"]))
        .order_by(Project.name, User.username)
    ).all()
    # bob keeps his own Maintainer role; alice's and bob's Owner roles went, as their
    # organizations' Owners administer these projects.
    assert [tuple(row) for row in owners] == [("requests-toolbelt-demo", "bob")]


def test_carol_opens_the_settings_of_a_project_her_team_owns(demo, webtest_app, db_session):
    carol = db_session.scalars(select(User).where(User.username == "carol")).one()
    log_in(webtest_app, carol, DEMO_DATA["DEMO_PASSWORD"])
    webtest_app.get("/manage/project/community-cookbook/settings/", status=200)
    page = webtest_app.get("/project/community-cookbook/")
    assert "Part of Demo Community" in main_text(page)
    assert "Looked after by the Owners and teams of Demo Community." in main_text(page)
    # carol-utils stays hers alone.
    assert "Part of" not in main_text(webtest_app.get("/project/carol-utils/"))


def test_each_demo_project_joined_its_organization_on_the_record(demo, db_session):
    joined = db_session.execute(
        select(Project.name, Project.Event.additional["organization"].astext)
        .join(Project.Event, Project.Event.source_id == Project.id)
        .where(Project.Event.tag == "project:organization_project:add")
        .order_by(Project.name)
    ).all()
    assert [tuple(row) for row in joined] == [
        ("community-cookbook", "demo-community"),
        ("company-sdk", "demo-company"),
        ("requests-toolbelt-demo", "demo-community"),
    ]
