"""The Teams section of an organization project's collaboration page: give a team of the
project's organization a role, change it, take it away; and adding an organization member as
a collaborator directly."""

import pytest
from sqlalchemy import select

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
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import (
    OrganizationRole,
    TeamProjectRole,
    TeamProjectRoleType,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.packaging.models import ProjectRoleName, Role

OWNER = OrganizationRoleType.Owner
MANAGER = OrganizationRoleType.Manager
MEMBER = OrganizationRoleType.Member
PAGE = "/manage/project/widget/collaboration/"


@pytest.fixture
def owner(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def organization(owner):
    organization = OrganizationFactory.create(name="acme", orgtype="Company")
    OrganizationRoleFactory.create(organization=organization, user=owner, role_name=OWNER)
    return organization


@pytest.fixture
def project(organization):
    project = ProjectFactory.create(name="widget")
    OrganizationProjectFactory.create(organization=organization, project=project)
    return project


@pytest.fixture
def team(organization):
    return TeamFactory.create(organization=organization, name="Core Devs")


@pytest.fixture
def app(webtest_app, owner, project):
    log_in(webtest_app, owner)
    return webtest_app


def grants(db_session, project):
    db_session.expire_all()
    return sorted(
        (grant.team.name, grant.role_name)
        for grant in db_session.scalars(
            select(TeamProjectRole).where(TeamProjectRole.project_id == project.id)
        )
    )


def flash(page):
    return " ".join(alert.get_text(" ", strip=True) for alert in page.html.select(".alert"))


def teams_section(page):
    section = page.html.find("section", attrs={"aria-labelledby": "teams-heading"})
    return section.get_text(" ", strip=True) if section else None


def test_an_owner_gives_a_team_a_role_recorded_on_the_project_and_the_team(
    app, db_session, project, team
):
    page = app.get(PAGE)
    form = page.forms["grant-team-form"]
    # Nothing is chosen for them: no team, no role.
    assert form["team_name"].value == ""
    assert form["role_name"].value == ""
    form["team_name"] = "Core Devs"
    form["role_name"] = "Maintainer"
    done = form.submit(status=303).follow()
    assert "The team Core Devs is now Maintainer of widget" in flash(done)
    assert grants(db_session, project) == [("Core Devs", "Maintainer")]
    assert EventTag.ProjectTeamProjectRoleAdd in event_tags(db_session, project)
    assert EventTag.TeamProjectRoleAdd in event_tags(db_session, team)
    assert "Core Devs Maintainer" in teams_section(done)
    # The only team has a role now: none is left to offer.
    assert "grant-team-form" not in done.forms
    assert "Every team of acme already has a role here." in teams_section(done)


def test_granting_without_a_role_or_team_is_refused_beside_the_field(
    app, db_session, project, team
):
    form = app.get(PAGE).forms["grant-team-form"]
    refused = form.submit(status=400)
    assert field_error(refused, "grant-team-team_name") == "Choose a team."
    assert field_error(refused, "grant-team-role_name") == "Choose a role."
    assert grants(db_session, project) == []


def test_a_team_of_another_organization_is_refused(app, db_session, project, team):
    other = TeamFactory.create(name="Outsiders")
    page = app.get(PAGE)
    form = page.forms["grant-team-form"]
    assert "Outsiders" not in [value for value, *_ in form["team_name"].options]
    refused = app.post(
        "/manage/project/widget/collaboration/team/",
        {
            "csrf_token": form["csrf_token"].value,
            "team_name": other.name,
            "role_name": "Owner",
        },
        status=400,
    )
    assert "Choose a team from the list" in field_error(refused, "grant-team-team_name")
    assert grants(db_session, project) == []
    db_session.expire_all()
    assert db_session.scalars(select(TeamProjectRole)).all() == []


def test_an_owner_changes_a_teams_role(app, db_session, project, team):
    TeamProjectRoleFactory.create(team=team, project=project)
    page = app.get(PAGE)
    form = next(f for f in page.forms.values() if f.id and f.id.startswith("change-team-"))
    form["role_name"] = "Owner"
    done = form.submit(status=303).follow()
    assert "The team Core Devs's role on widget is now Owner." in flash(done)
    assert grants(db_session, project) == [("Core Devs", "Owner")]
    assert EventTag.ProjectTeamProjectRoleChange in event_tags(db_session, project)


def _removal_form(page, grant):
    return page.forms[f"remove-team-{grant.id}"]


def test_removing_a_teams_role_needs_its_name_typed(app, db_session, project, team):
    grant = TeamProjectRoleFactory.create(team=team, project=project)
    page = app.get(PAGE)
    form = _removal_form(page, grant)
    form["confirm_team_name"] = "Core"
    refused = form.submit(status=400)
    assert "That does not match. Type Core Devs to confirm." in field_error(
        refused, f"remove-team-{grant.id}-confirm_team_name"
    )
    assert grants(db_session, project) == [("Core Devs", "Maintainer")]

    form = _removal_form(app.get(PAGE), grant)
    form["confirm_team_name"] = "core devs"
    done = form.submit(status=303).follow()
    assert "The team Core Devs no longer has a role on widget." in flash(done)
    assert grants(db_session, project) == []
    assert EventTag.ProjectTeamProjectRoleRemove in event_tags(db_session, project)
    assert EventTag.TeamProjectRoleRemove in event_tags(db_session, team)


def test_a_team_member_cannot_demote_their_own_teams_owner_grant(
    webtest_app, db_session, organization, project, team
):
    manager = OrganizationRoleFactory.create(
        organization=organization, user=UserFactory.create(username="mo"), role_name=MANAGER
    )
    TeamRoleFactory.create(team=team, organization_role=manager)
    grant = TeamProjectRoleFactory.create(
        team=team, project=project, role_name=TeamProjectRoleType.Owner
    )
    log_in(webtest_app, manager.user)
    page = webtest_app.get(PAGE)
    # Neither action is offered, and the page says why.
    assert f"change-team-{grant.id}" not in page.forms
    assert f"remove-team-{grant.id}" not in page.forms
    assert "cannot demote or remove your own team's Owner role" in teams_section(page)

    token = page.forms["add-role-form"]["csrf_token"].value
    demoted = webtest_app.post(
        "/manage/project/widget/collaboration/team/change/",
        {"csrf_token": token, "grant_id": str(grant.id), "role_name": "Maintainer"},
        status=409,
    )
    assert "cannot demote or remove your own team's Owner role" in main_text(demoted)
    removed = webtest_app.post(
        "/manage/project/widget/collaboration/team/delete/",
        {"csrf_token": token, "grant_id": str(grant.id), "confirm_team_name": "Core Devs"},
        status=409,
    )
    assert "cannot demote or remove your own team's Owner role" in main_text(removed)
    assert grants(db_session, project) == [("Core Devs", "Owner")]
    assert EventTag.ProjectTeamProjectRoleChange not in event_tags(db_session, project)
    assert EventTag.ProjectTeamProjectRoleRemove not in event_tags(db_session, project)


def test_only_their_own_teams_owner_grant_is_withheld_from_a_team_member(
    webtest_app, db_session, organization, project, team
):
    manager = OrganizationRoleFactory.create(organization=organization, role_name=MANAGER)
    # Their Owner role on the project comes from being on Core Devs.
    TeamRoleFactory.create(team=team, organization_role=manager)
    own = TeamProjectRoleFactory.create(
        team=team, project=project, role_name=TeamProjectRoleType.Owner
    )
    others = TeamProjectRoleFactory.create(
        team=TeamFactory.create(organization=organization, name="Docs"),
        project=project,
        role_name=TeamProjectRoleType.Owner,
    )
    log_in(webtest_app, manager.user)
    page = webtest_app.get(PAGE)
    assert f"change-team-{own.id}" not in page.forms
    assert f"change-team-{others.id}" in page.forms
    form = page.forms[f"remove-team-{others.id}"]
    form["confirm_team_name"] = "Docs"
    form.submit(status=303)
    assert grants(db_session, project) == [("Core Devs", "Owner")]


def test_an_organization_without_teams_says_so(app, db_session, project):
    page = app.get(PAGE)
    assert "No team has a role on widget yet." in teams_section(page)
    assert "acme has no teams yet." in teams_section(page)
    assert "grant-team-form" not in page.forms


def test_a_removal_naming_no_grant_of_the_project_changes_nothing(
    app, db_session, organization, project, team
):
    TeamProjectRoleFactory.create(team=team, project=project)
    elsewhere = ProjectFactory.create(name="gadget")
    OrganizationProjectFactory.create(organization=organization, project=elsewhere)
    foreign = TeamProjectRoleFactory.create(team=team, project=elsewhere)
    token = app.get(PAGE).forms["add-role-form"]["csrf_token"].value
    refused = app.post(
        "/manage/project/widget/collaboration/team/delete/",
        {"csrf_token": token, "grant_id": str(foreign.id), "confirm_team_name": "Core Devs"},
        status=400,
    )
    assert "That team no longer has a role on this project." in main_text(refused)
    assert grants(db_session, project) == [("Core Devs", "Maintainer")]
    assert grants(db_session, elsewhere) == [("Core Devs", "Maintainer")]


def test_an_organization_owner_on_the_team_may_demote_its_owner_grant(
    app, db_session, organization, owner, project, team
):
    role = db_session.scalars(
        select(OrganizationRole).where(OrganizationRole.user_id == owner.id)
    ).one()
    TeamRoleFactory.create(team=team, organization_role=role)
    TeamProjectRoleFactory.create(team=team, project=project, role_name=TeamProjectRoleType.Owner)
    page = app.get(PAGE)
    form = next(f for f in page.forms.values() if f.id and f.id.startswith("change-team-"))
    form["role_name"] = "Maintainer"
    form.submit(status=303)
    assert grants(db_session, project) == [("Core Devs", "Maintainer")]


def test_a_personal_project_has_no_teams_section(webtest_app, db_session, owner):
    RoleFactory.create(user=owner, project__name="mine", role_name=ProjectRoleName.Owner)
    log_in(webtest_app, owner)
    page = webtest_app.get("/manage/project/mine/collaboration/")
    assert teams_section(page) is None
    assert "grant-team-form" not in page.forms


def test_a_maintainer_through_a_team_sees_the_teams_but_cannot_change_them(
    webtest_app, db_session, organization, project, team
):
    member = OrganizationRoleFactory.create(organization=organization, role_name=MEMBER)
    TeamRoleFactory.create(team=team, organization_role=member)
    grant = TeamProjectRoleFactory.create(team=team, project=project)
    log_in(webtest_app, member.user)
    page = webtest_app.get(PAGE)
    assert "Core Devs Maintainer" in teams_section(page)
    assert "grant-team-form" not in page.forms
    assert f"remove-team-{grant.id}" not in page.forms


def test_an_organization_member_is_added_as_a_collaborator_directly(
    app, db_session, organization, project
):
    member = OrganizationRoleFactory.create(
        organization=organization, user=UserFactory.create(username="carol"), role_name=MEMBER
    )
    form = app.get(PAGE).forms["add-role-form"]
    form["username"] = "carol"
    form["role_name"] = "Maintainer"
    done = form.submit(status=303).follow()
    assert "carol is added to widget as Maintainer." in flash(done)
    db_session.expire_all()
    role = db_session.scalars(select(Role).where(Role.project_id == project.id)).one()
    assert (role.user_id, role.role_name) == (member.user_id, "Maintainer")


# A fixed number of SQL statements, however many teams and grants.


def test_the_collaboration_page_has_a_fixed_statement_count(app, db_session, organization, project):
    def add(n):
        for _ in range(n):
            TeamProjectRoleFactory.create(
                team=TeamFactory.create(organization=organization),
                project=project,
                role_name=TeamProjectRoleType.Owner,
            )
            TeamFactory.create(organization=organization)

    add(1)
    few = app.get(PAGE)
    add(19)
    many = app.get(PAGE)
    assert len(few.html.select("section[aria-labelledby=teams-heading] tbody tr")) == 1
    assert len(many.html.select("section[aria-labelledby=teams-heading] tbody tr")) == 20
    assert len(few.forms["grant-team-form"]["team_name"].options) == 2
    assert len(many.forms["grant-team-form"]["team_name"].options) == 21
    assert len(few.sql_statements) == len(many.sql_statements) == 8
