"""/manage/projects/ lists every project a person reaches, not only those with an individual
role: as an Owner of the organization that owns it, and through its teams, each way named."""

import pytest
from sqlalchemy import update

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationProjectFactory,
    OrganizationRoleFactory,
    TeamFactory,
    TeamProjectRoleFactory,
    TeamRoleFactory,
)
from tests.common.db.packaging import ProjectFactory, RoleFactory
from tests.common.sessions import log_in
from warehouse_orgs.organizations.models import Organization, OrganizationProject
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.packaging.models import ProjectRoleName

PAGE = "/manage/projects/"


@pytest.fixture
def organization(db_session):
    return OrganizationFactory.create(name="acme", orgtype="Company")


@pytest.fixture
def project(organization):
    project = ProjectFactory.create(name="widget")
    OrganizationProjectFactory.create(organization=organization, project=project)
    return project


@pytest.fixture
def team(organization):
    return TeamFactory.create(organization=organization, name="Core Devs")


@pytest.fixture
def member_role(organization, team):
    role = OrganizationRoleFactory.create(
        organization=organization,
        user=UserFactory.create(username="mo"),
        role_name=OrganizationRoleType.Member,
    )
    TeamRoleFactory.create(team=team, organization_role=role)
    return role


@pytest.fixture
def member(member_role):
    return member_role.user


def listed(page) -> list[list[str]]:
    rows = page.html.select("main table tbody tr")
    return [[cell.get_text(" ", strip=True) for cell in row.find_all("td")][:2] for row in rows]


def test_a_team_member_sees_the_project_their_team_reaches_and_opens_its_settings(
    webtest_app, db_session, team, project, member
):
    TeamProjectRoleFactory.create(team=team, project=project, role_name="Maintainer")
    log_in(webtest_app, member)

    page = webtest_app.get(PAGE)
    assert listed(page) == [["widget", "Maintainer through the team Core Devs of acme"]]
    settings = page.click("widget")
    assert settings.status_int == 200
    assert "widget" in settings.html.find("h1").get_text()


def test_an_organization_owner_sees_its_projects_and_every_way_is_named(
    webtest_app, db_session, organization, team, project, member
):
    owner = UserFactory.create(username="olive")
    owner_role = OrganizationRoleFactory.create(
        organization=organization, user=owner, role_name=OrganizationRoleType.Owner
    )
    TeamRoleFactory.create(team=team, organization_role=owner_role)
    TeamProjectRoleFactory.create(team=team, project=project, role_name="Owner")
    RoleFactory.create(user=owner, project=project, role_name=ProjectRoleName.Maintainer)
    log_in(webtest_app, owner)

    assert listed(webtest_app.get(PAGE)) == [
        [
            "widget",
            "Owner as an Owner of acme Owner through the team Core Devs of acme "
            "Maintainer your own role",
        ]
    ]


def test_a_team_grant_left_behind_by_a_move_is_not_listed(
    webtest_app, db_session, team, project, member
):
    TeamProjectRoleFactory.create(team=team, project=project)
    elsewhere = OrganizationFactory.create(name="elsewhere")
    # A grant row the move failed to delete (it should not exist) must still reach nothing.
    db_session.execute(
        update(OrganizationProject)
        .where(OrganizationProject.project_id == project.id)
        .values(organization_id=elsewhere.id)
    )
    db_session.flush()
    log_in(webtest_app, member)

    page = webtest_app.get(PAGE)
    assert listed(page) == []
    assert "You have no projects yet." in page.text
    webtest_app.get("/manage/project/widget/settings/", status=403)


def test_an_inactive_organizations_owners_do_not_reach_its_projects(
    webtest_app, db_session, organization, project
):
    owner = UserFactory.create(username="olive")
    OrganizationRoleFactory.create(
        organization=organization, user=owner, role_name=OrganizationRoleType.Owner
    )
    log_in(webtest_app, owner)
    assert listed(webtest_app.get(PAGE)) == [["widget", "Owner as an Owner of acme"]]

    db_session.execute(
        update(Organization).where(Organization.id == organization.id).values(is_active=False)
    )
    db_session.flush()
    assert listed(webtest_app.get(PAGE)) == []


def test_the_list_costs_the_same_however_many_teams_and_projects(
    webtest_app, db_session, organization, team, project, member_role
):
    TeamProjectRoleFactory.create(team=team, project=project)
    log_in(webtest_app, member_role.user)
    few = webtest_app.get(PAGE)

    for n in range(20):
        more = TeamFactory.create(organization=organization, name=f"team {n}")
        TeamRoleFactory.create(team=more, organization_role=member_role)
        extra = ProjectFactory.create(name=f"extra-{n}")
        OrganizationProjectFactory.create(organization=organization, project=extra)
        TeamProjectRoleFactory.create(team=more, project=extra)
        TeamProjectRoleFactory.create(team=more, project=project)
        RoleFactory.create(user=member_role.user, project__name=f"own-{n}")
    many = webtest_app.get(PAGE)

    assert len(listed(many)) == 25  # one full page
    assert many.html.select_one('nav[aria-label="Pages of your projects"]') is not None
    assert len(few.sql_statements) == len(many.sql_statements)
