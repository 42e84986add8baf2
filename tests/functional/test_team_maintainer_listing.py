"""A team member chooses, on /manage/account/, whether the public page of each project they
reach through a team lists them; nobody is listed that way unless they choose to be."""

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
from tests.common.events import event_tags
from tests.common.pages import main_text
from tests.common.sessions import log_in
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import OrganizationProject, TeamProjectRoleType
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.packaging import MAINTAINERS_SHOWN
from warehouse_orgs.packaging.models import ProjectRoleName

PROJECT_PAGE = "/project/widget/"
ACCOUNT_PAGE = "/manage/account/"
THROUGH_CORE = "carol Maintainer through the team Core of Acme Tools"


@pytest.fixture
def organization(db_session):
    organization = OrganizationFactory.create(name="acme", display_name="Acme Tools")
    OrganizationRoleFactory.create(
        organization=organization,
        user=UserFactory.create(username="alice"),
        role_name=OrganizationRoleType.Owner,
    )
    return organization


@pytest.fixture
def project(organization):
    project = ProjectFactory.create(name="widget")
    OrganizationProjectFactory.create(organization=organization, project=project)
    # An Owner of its own, so the project may leave the organization.
    RoleFactory.create(project=project, user__username="olive", role_name=ProjectRoleName.Owner)
    return project


@pytest.fixture
def team(organization, project):
    team = TeamFactory.create(organization=organization, name="Core")
    TeamProjectRoleFactory.create(team=team, project=project)
    return team


@pytest.fixture
def carol_on_core(team):
    """carol, a Member of the organization, on the team Core; listed nowhere yet."""
    return join_team(team, UserFactory.create(username="carol"))


@pytest.fixture
def carol(carol_on_core):
    return carol_on_core.organization_role.user


def join_team(team, user):
    role = OrganizationRoleFactory.create(
        organization=team.organization, user=user, role_name=OrganizationRoleType.Member
    )
    return TeamRoleFactory.create(team=team, organization_role=role)


def listed(page):
    return [" ".join(li.get_text(" ").split()) for li in page.html.select(".maintainers li")]


def flash(page):
    return " ".join(alert.get_text(" ", strip=True) for alert in page.html.select(".alert"))


def choose_listing(app, tick):
    form = app.get(ACCOUNT_PAGE).forms["public-team-projects-form"]
    form["public_team_projects"] = tick
    return form.submit(status=303).follow()


def test_a_team_member_is_not_listed_unless_they_choose_to(webtest_app, db_session, carol):
    assert carol.public_team_projects is False
    page = webtest_app.get(PROJECT_PAGE, status=200)
    assert listed(page) == ["olive Owner"]
    assert "carol" not in main_text(page)

    log_in(webtest_app, carol)
    form = webtest_app.get(ACCOUNT_PAGE).forms["public-team-projects-form"]
    assert form["public_team_projects"].checked is False


def test_a_member_who_opts_in_is_listed_through_their_team(webtest_app, db_session, carol):
    log_in(webtest_app, carol)
    account = choose_listing(webtest_app, True)
    assert "now lists you" in flash(account)
    assert account.forms["public-team-projects-form"]["public_team_projects"].checked is True
    assert "Chose to be listed on the public pages of projects reached through a team" in main_text(
        account
    )
    db_session.refresh(carol)
    assert carol.public_team_projects is True
    assert event_tags(db_session, carol)[-1] == EventTag.AccountPublicTeamProjectsChange

    page = webtest_app.get(PROJECT_PAGE)
    assert listed(page) == ["olive Owner", THROUGH_CORE]
    # The page's own copy says so at once: a signed-in visitor's copy is never cached.
    webtest_app.reset()
    assert listed(webtest_app.get(PROJECT_PAGE)) == ["olive Owner", THROUGH_CORE]


def test_each_team_and_its_role_are_named(
    webtest_app, db_session, organization, project, carol, carol_on_core
):
    carol.public_team_projects = True
    release = TeamFactory.create(organization=organization, name="Release")
    TeamProjectRoleFactory.create(
        team=release, project=project, role_name=TeamProjectRoleType.Owner
    )
    TeamRoleFactory.create(team=release, organization_role=carol_on_core.organization_role)
    db_session.flush()
    assert listed(webtest_app.get(PROJECT_PAGE)) == [
        "olive Owner",
        THROUGH_CORE,
        "carol Owner through the team Release of Acme Tools",
    ]


def test_a_grant_left_behind_when_the_project_moved_lists_nobody(
    webtest_app, db_session, project, carol
):
    carol.public_team_projects = True
    db_session.flush()
    assert THROUGH_CORE in listed(webtest_app.get(PROJECT_PAGE))
    # Moved to another organization with the old team's grant still in place: the grant no
    # longer reaches the project, so it lists nobody either.
    elsewhere = OrganizationFactory.create(name="elsewhere", display_name="Elsewhere Inc")
    db_session.execute(
        update(OrganizationProject)
        .where(OrganizationProject.project_id == project.id)
        .values(organization_id=elsewhere.id)
    )
    page = webtest_app.get(PROJECT_PAGE)
    assert listed(page) == ["olive Owner"]
    assert "carol" not in main_text(page)


def test_a_closed_organizations_teams_list_nobody(webtest_app, db_session, organization, carol):
    carol.public_team_projects = True
    db_session.flush()
    assert THROUGH_CORE in listed(webtest_app.get(PROJECT_PAGE))
    organization.is_active = False
    db_session.flush()
    page = webtest_app.get(PROJECT_PAGE)
    assert listed(page) == ["olive Owner"]
    assert "Acme Tools" not in page.text


def test_leaving_the_team_takes_them_off_the_page(webtest_app, db_session, team, carol):
    log_in(webtest_app, carol)
    choose_listing(webtest_app, True)
    assert THROUGH_CORE in listed(webtest_app.get(PROJECT_PAGE))

    members = webtest_app.get("/manage/organization/acme/team/Core/members/")
    (leave,) = [form for key, form in members.forms.items() if str(key).startswith("remove-team")]
    leave["confirm_team_name"] = "Core"
    assert "You left the team Core." in flash(leave.submit(status=303).follow())

    page = webtest_app.get(PROJECT_PAGE)
    assert listed(page) == ["olive Owner"]
    assert "carol" not in main_text(page)


def test_opting_out_takes_them_off_the_page(webtest_app, db_session, carol):
    log_in(webtest_app, carol)
    choose_listing(webtest_app, True)
    assert THROUGH_CORE in listed(webtest_app.get(PROJECT_PAGE))

    account = choose_listing(webtest_app, False)
    assert "no longer list you" in flash(account)
    assert "Chose not to be listed" in main_text(account)
    db_session.refresh(carol)
    assert carol.public_team_projects is False
    assert event_tags(db_session, carol)[-2:] == [EventTag.AccountPublicTeamProjectsChange] * 2
    assert listed(webtest_app.get(PROJECT_PAGE)) == ["olive Owner"]


def test_saving_the_same_choice_again_records_nothing(webtest_app, db_session, carol):
    log_in(webtest_app, carol)
    before = event_tags(db_session, carol)
    choose_listing(webtest_app, False)
    assert event_tags(db_session, carol) == before


def test_a_post_without_the_csrf_token_changes_nothing(webtest_app, db_session, carol):
    log_in(webtest_app, carol)
    before = event_tags(db_session, carol)
    webtest_app.post("/manage/account/team-projects/", {"public_team_projects": "y"}, status=400)
    db_session.refresh(carol)
    assert carol.public_team_projects is False
    assert event_tags(db_session, carol) == before
    assert listed(webtest_app.get(PROJECT_PAGE)) == ["olive Owner"]


def test_the_page_takes_one_statement_with_one_or_twenty_teams_and_members(
    webtest_app, db_session, organization, project, team, carol
):
    carol.public_team_projects = True
    db_session.flush()
    few = webtest_app.get(PROJECT_PAGE)
    assert listed(few) == ["olive Owner", THROUGH_CORE]

    for n in range(19):
        other = TeamFactory.create(organization=organization, name=f"Team {n:02}")
        TeamProjectRoleFactory.create(team=other, project=project)
        join_team(other, UserFactory.create(username=f"member{n:02}", public_team_projects=True))
        join_team(team, UserFactory.create(username=f"core{n:02}", public_team_projects=True))
    many = webtest_app.get(PROJECT_PAGE)
    assert len(listed(many)) == 1 + 20 + 19
    # The project with its first maintainers, the organization it is in, and the opted-in
    # members of its teams, in one statement (a visitor's page checks no permission, so it
    # never asks what the organization grants).
    assert len(few.sql_statements) == len(many.sql_statements) == 1


def test_a_team_with_more_people_than_shown_lists_the_first_and_counts_the_rest(
    webtest_app, db_session, team
):
    for n in range(MAINTAINERS_SHOWN + 3):
        join_team(team, UserFactory.create(username=f"member{n:03}", public_team_projects=True))
    page = webtest_app.get(PROJECT_PAGE)
    shown = listed(page)
    # olive's own role, then the team's people by username.
    assert shown[:2] == ["olive Owner", "member000 Maintainer through the team Core of Acme Tools"]
    assert len(shown) == 1 + MAINTAINERS_SHOWN
    assert shown[-1].startswith(f"member{MAINTAINERS_SHOWN - 1:03} ")
    (more,) = page.html.select(".maintainers-more")
    assert more.get_text(strip=True) == "And 3 more."
