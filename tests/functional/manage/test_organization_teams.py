"""/manage/organization/<name>/teams/ and /manage/organization/<name>/team/<team>/...: creating,
renaming and deleting teams, who is on them, what they reach and their history."""

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
from tests.common.db.packaging import ProjectFactory
from tests.common.db.subscriptions import ManualActivationFactory
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import (
    OrganizationRole,
    Team,
    TeamProjectRole,
    TeamProjectRoleType,
    TeamRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType

OWNER = OrganizationRoleType.Owner
MANAGER = OrganizationRoleType.Manager
MEMBER = OrganizationRoleType.Member
BILLING_MANAGER = OrganizationRoleType.BillingManager
TEAMS = "/manage/organization/acme/teams/"


def team_url(team_name, page):
    return f"/manage/organization/acme/team/{team_name}/{page}/"


@pytest.fixture
def owner(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def organization(owner):
    organization = OrganizationFactory.create(name="acme", orgtype="Company")
    ManualActivationFactory.create(organization=organization)
    OrganizationRoleFactory.create(organization=organization, user=owner, role_name=OWNER)
    return organization


@pytest.fixture
def team(organization):
    return TeamFactory.create(organization=organization, name="Core Devs")


@pytest.fixture
def app(webtest_app, owner, organization):
    log_in(webtest_app, owner)
    return webtest_app


def member(organization, username, role_name=MEMBER):
    user = UserFactory.create(username=username)
    return OrganizationRoleFactory.create(organization=organization, user=user, role_name=role_name)


def on_team(team, organization_role):
    return TeamRoleFactory.create(team=team, organization_role=organization_role)


def team_names(db_session, organization):
    db_session.expire_all()
    return sorted(
        db_session.scalars(select(Team.name).where(Team.organization_id == organization.id))
    )


def team_usernames(db_session, team):
    db_session.expire_all()
    return sorted(
        role.organization_role.user.username
        for role in db_session.scalars(select(TeamRole).where(TeamRole.team_id == team.id))
    )


def flash(page):
    return " ".join(alert.get_text(" ", strip=True) for alert in page.html.select(".alert"))


def csrf(page):
    return page.html.find("input", attrs={"name": "csrf_token"})["value"]


# The list, and creating


def test_the_teams_tab_lists_teams_with_their_counts(app, db_session, organization, team):
    on_team(team, member(organization, "bob"))
    project = ProjectFactory.create(name="widget")
    OrganizationProjectFactory.create(organization=organization, project=project)
    TeamProjectRoleFactory.create(team=team, project=project)
    # A grant on a project the organization does not own reaches nothing, so is not counted.
    TeamProjectRoleFactory.create(team=team, project=ProjectFactory.create())
    TeamFactory.create(organization=organization, name="Docs")
    page = app.get("/manage/organization/acme/people/")
    assert page.html.find("a", string="Teams")["href"] == TEAMS
    page = app.get(TEAMS)
    rows = [
        [cell.get_text(strip=True) for cell in row.find_all("td")]
        for row in page.html.find(id="teams").find("tbody").find_all("tr")
    ]
    assert rows == [["Core Devs", "1", "1"], ["Docs", "0", "0"]]
    assert page.html.find("a", string="Core Devs")["href"] == team_url("Core%20Devs", "members")


def test_an_owner_creates_a_team(app, db_session, organization):
    form = app.get(TEAMS).forms["create-team-form"]
    form["name"] = "Release Managers"
    response = form.submit(status=303)
    assert response.location.endswith(team_url("Release%20Managers", "members"))
    assert "The team Release Managers is created." in flash(response.follow())
    assert team_names(db_session, organization) == ["Release Managers"]
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationTeamCreate
    team = db_session.scalars(select(Team)).one()
    assert event_tags(db_session, team) == [EventTag.TeamCreate]


@pytest.mark.parametrize(
    ("name", "status", "message"),
    [
        ("Core Devs", 409, "The organization already has a team named Core Devs."),
        ("core--devs", 409, "The organization already has a team named core--devs."),
        ("CORE_DEVS", 409, "The organization already has a team named CORE_DEVS."),
        ("-leading", 400, "do not start or end with a space or one of / . _ -"),
        ("x" * 51, 400, "Use at most 50 characters."),
        ("", 400, "Enter a name for the team."),
    ],
)
def test_a_refused_team_name_is_explained_beside_the_field(
    app, db_session, organization, team, name, status, message
):
    form = app.get(TEAMS).forms["create-team-form"]
    form["name"] = name
    response = form.submit(status=status)
    assert message in field_error(response, "create-team-name")
    assert response.html.title.get_text().startswith("Error: ")
    assert team_names(db_session, organization) == ["Core Devs"]


def test_a_member_sees_the_teams_but_is_offered_no_changes(
    webtest_app, db_session, organization, team
):
    bob = member(organization, "bob")
    on_team(team, bob)
    log_in(webtest_app, bob.user)
    page = webtest_app.get(TEAMS)
    assert "create-team-form" not in page.forms
    assert "Owners and Managers create teams" in main_text(page)
    members = webtest_app.get(team_url("Core%20Devs", "members"))
    assert "add-team-member-form" not in members.forms
    settings = webtest_app.get(team_url("Core%20Devs", "settings"))
    assert "rename-team-form" not in settings.forms
    assert "delete-team" not in settings.forms
    webtest_app.post(TEAMS, {"name": "Mine", "csrf_token": csrf(page)}, status=403)
    assert team_names(db_session, organization) == ["Core Devs"]


def test_a_manager_creates_a_team(webtest_app, db_session, organization):
    carol = member(organization, "carol", MANAGER)
    log_in(webtest_app, carol.user)
    form = webtest_app.get(TEAMS).forms["create-team-form"]
    form["name"] = "Packaging"
    form.submit(status=303)
    assert team_names(db_session, organization) == ["Packaging"]


# Finding a team by its name


def test_a_team_is_found_by_any_spelling_of_its_name(app, team):
    response = app.get(team_url("core-devs", "projects"), status=308)
    assert response.location.endswith(team_url("Core%20Devs", "projects"))
    app.get(team_url("nobody", "members"), status=404)
    app.get("/manage/organization/nowhere/team/Core%20Devs/members/", status=404)


def test_a_team_whose_name_holds_a_slash_has_pages(app, db_session, organization):
    TeamFactory.create(organization=organization, name="web/api")
    page = app.get(TEAMS)
    href = page.html.find("a", string="web/api")["href"]
    assert href == team_url("web/api", "members")
    assert "Team web/api" in main_text(app.get(href))
    assert "Team web/api" in main_text(app.get(team_url("web/api", "settings")))


def test_another_organizations_team_is_not_found(app, db_session):
    other = OrganizationFactory.create(name="other")
    TeamFactory.create(organization=other, name="Theirs")
    app.get(team_url("Theirs", "members"), status=404)
    # An outsider is refused alike whether or not the team exists.
    app.get("/manage/organization/other/team/Theirs/members/", status=403)
    app.get("/manage/organization/other/team/Nobody/members/", status=403)


# Settings


def test_renaming_moves_the_pages_to_the_new_name(app, db_session, organization, team):
    form = app.get(team_url("Core%20Devs", "settings")).forms["rename-team-form"]
    form["name"] = "Maintainers"
    response = form.submit(status=303)
    assert response.location.endswith(team_url("Maintainers", "settings"))
    assert "The team Core Devs is now called Maintainers." in flash(response.follow())
    assert team_names(db_session, organization) == ["Maintainers"]
    assert event_tags(db_session, team)[-1] == EventTag.TeamRename
    app.get(team_url("Core%20Devs", "settings"), status=404)


def test_renaming_to_another_teams_name_is_refused(app, db_session, organization, team):
    TeamFactory.create(organization=organization, name="Docs")
    form = app.get(team_url("Core%20Devs", "settings")).forms["rename-team-form"]
    form["name"] = "DOCS"
    response = form.submit(status=409)
    assert "already has a team named Docs" in field_error(response, "rename-team-name")
    assert team_names(db_session, organization) == ["Core Devs", "Docs"]


def test_deleting_asks_for_the_name_typed(app, db_session, outbox, organization, team):
    bob = member(organization, "bob")
    on_team(team, bob)
    project = ProjectFactory.create(name="widget")
    OrganizationProjectFactory.create(organization=organization, project=project)
    TeamProjectRoleFactory.create(team=team, project=project)
    page = app.get(team_url("Core%20Devs", "settings"))
    assert "1 member comes off the team, and it loses its role on 1 project" in main_text(page)
    form = page.forms["delete-team"]
    form["confirm_team_name"] = "Core"
    response = form.submit(status=400)
    assert "That does not match. Type Core Devs to confirm." in field_error(
        response, "delete-team-confirm_team_name"
    )
    assert team_names(db_session, organization) == ["Core Devs"]
    assert outbox.messages() == []

    form = app.get(team_url("Core%20Devs", "settings")).forms["delete-team"]
    form["confirm_team_name"] = "core devs"
    response = form.submit(status=303)
    assert response.location.endswith(TEAMS)
    assert "The team Core Devs is deleted." in flash(response.follow())
    assert team_names(db_session, organization) == []
    assert db_session.scalars(select(TeamProjectRole)).all() == []
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationTeamDelete
    assert event_tags(db_session, project)[-1] == EventTag.ProjectTeamProjectRoleRemove
    assert event_tags(db_session, bob.user)[-1] == EventTag.AccountTeamRoleRemove
    (message,) = outbox.messages()
    assert message.recipient.endswith(bob.user.primary_email.email)
    assert message.subject == "The team Core Devs of acme was deleted"


# Members


def suggestions(page):
    """The usernames the add field suggests, and the field they belong to."""
    field = page.html.find("input", attrs={"name": "username"})
    datalist = page.html.find("datalist", id=field["list"])
    return [option["value"] for option in datalist.find_all("option")]


def test_the_username_is_typed_with_members_who_may_be_on_the_team_suggested(
    app, organization, team
):
    on_team(team, member(organization, "bob"))
    member(organization, "carol", MANAGER)
    member(organization, "dave", BILLING_MANAGER)
    UserFactory.create(username="erin")  # not in the organization
    page = app.get(team_url("Core%20Devs", "members"))
    field = page.html.find("input", attrs={"name": "username"})
    assert field["type"] == "text"
    assert field["maxlength"] == "50"
    assert page.html.find("label", attrs={"for": field["id"]}).get_text(strip=True) == (
        "Member's username"
    )
    assert suggestions(page) == ["alice", "carol"]


def test_suggestions_stop_at_100_but_anyone_eligible_can_be_typed(
    app, db_session, organization, team
):
    for number in range(120):
        member(organization, f"m{number:03}")
    page = app.get(team_url("Core%20Devs", "members"))
    offered = suggestions(page)
    assert len(offered) == 100
    assert "m119" not in offered
    form = page.forms["add-team-member-form"]
    form["username"] = "m119"
    form.submit(status=303)
    assert team_usernames(db_session, team) == ["m119"]


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("erin", "erin is not a member of acme; only members can be on its teams."),
        ("nobody-has-this", "nobody-has-this is not a member of acme; only members"),
        ("bob", "bob is already on the team Core Devs."),
        ("", "Enter the username of a member to add."),
        ("x" * 51, "Use at most 50 characters."),
    ],
)
def test_a_username_that_cannot_be_added_is_refused_beside_the_field(
    app, db_session, outbox, organization, team, username, message
):
    """A foreign account and one that does not exist are refused in the same words, so the
    form does not tell who has an account."""
    on_team(team, member(organization, "bob"))
    UserFactory.create(username="erin")
    form = app.get(team_url("Core%20Devs", "members")).forms["add-team-member-form"]
    form["username"] = username
    response = form.submit(status=400)
    assert message in field_error(response, "add-member-username")
    assert response.html.find(id="add-member-username")["aria-invalid"] == "true"
    assert team_usernames(db_session, team) == ["bob"]
    assert outbox.messages() == []


def test_adding_a_member_tells_them(app, db_session, outbox, organization, team):
    carol = member(organization, "carol")
    form = app.get(team_url("Core%20Devs", "members")).forms["add-team-member-form"]
    form["username"] = "carol"
    response = form.submit(status=303)
    assert "carol is on the team Core Devs." in flash(response.follow())
    assert team_usernames(db_session, team) == ["carol"]
    assert event_tags(db_session, team)[-1] == EventTag.TeamRoleAdd
    assert event_tags(db_session, carol.user)[-1] == EventTag.AccountTeamRoleAdd
    (message,) = outbox.messages()
    assert message.subject == "You are on the team Core Devs of acme"
    assert "alice added you to the team Core Devs" in message.body("plain")


def test_a_billing_manager_cannot_be_added(app, db_session, outbox, organization, team):
    member(organization, "dave", BILLING_MANAGER)
    page = app.get(team_url("Core%20Devs", "members"))
    response = app.post(
        team_url("Core%20Devs", "members"),
        {"username": "dave", "csrf_token": csrf(page)},
        status=400,
    )
    assert "Billing Managers" in field_error(response, "add-member-username")
    assert team_usernames(db_session, team) == []
    assert outbox.messages() == []


def test_nobody_left_to_add_is_said_instead_of_an_empty_picker(
    app, db_session, owner, organization, team
):
    member(organization, "dave", BILLING_MANAGER)
    own_role = db_session.scalars(
        select(OrganizationRole).where(OrganizationRole.user_id == owner.id)
    ).one()
    on_team(team, own_role)
    page = app.get(team_url("Core%20Devs", "members"))
    assert "add-team-member-form" not in page.forms
    assert "Every member of acme who may be on a team is on it already." in main_text(page)


def test_removing_a_member_asks_for_their_username(app, db_session, outbox, organization, team):
    bob = on_team(team, member(organization, "bob"))
    form_id = f"remove-team-role-{bob.id}"
    form = app.get(team_url("Core%20Devs", "members")).forms[form_id]
    form["confirm_username"] = "bobby"
    response = form.submit(status=400)
    assert "Type bob to confirm." in field_error(response, f"{form_id}-confirm_username")
    assert team_usernames(db_session, team) == ["bob"]

    form = app.get(team_url("Core%20Devs", "members")).forms[form_id]
    form["confirm_username"] = "bob"
    response = form.submit(status=303)
    assert "bob is off the team Core Devs." in flash(response.follow())
    assert team_usernames(db_session, team) == []
    assert event_tags(db_session, team)[-1] == EventTag.TeamRoleRemove
    (message,) = outbox.messages()
    assert message.subject == "You were taken off the team Core Devs of acme"


def test_a_member_leaves_a_team_but_cannot_remove_others(
    webtest_app, db_session, outbox, organization, team
):
    bob = on_team(team, member(organization, "bob"))
    carol = on_team(team, member(organization, "carol"))
    log_in(webtest_app, bob.organization_role.user)
    page = webtest_app.get(team_url("Core%20Devs", "members"))
    assert f"remove-team-role-{carol.id}" not in page.forms
    webtest_app.post(
        team_url("Core%20Devs", "members/delete"),
        {"role_id": str(carol.id), "confirm_username": "carol", "csrf_token": csrf(page)},
        status=403,
    )
    form = page.forms[f"remove-team-role-{bob.id}"]
    form["confirm_team_name"] = "Core Devs"
    response = form.submit(status=303)
    assert "You left the team Core Devs." in flash(response.follow())
    assert team_usernames(db_session, team) == ["carol"]
    assert event_tags(db_session, team)[-1] == EventTag.TeamRoleRemove
    assert "bob left the team" in main_text(webtest_app.get(team_url("Core%20Devs", "history")))
    # Nobody else did anything to bob, so nobody is emailed.
    assert outbox.messages() == []


# Projects and history


def test_the_projects_page_lists_what_the_team_reaches(app, db_session, organization, team):
    for name, role in (("widget", TeamProjectRoleType.Owner), ("gadget", None)):
        project = ProjectFactory.create(name=name)
        OrganizationProjectFactory.create(organization=organization, project=project)
        if role:
            TeamProjectRoleFactory.create(team=team, project=project, role_name=role)
    TeamProjectRoleFactory.create(team=team, project=ProjectFactory.create(name="elsewhere"))
    page = app.get(team_url("Core%20Devs", "projects"))
    rows = [
        [cell.get_text(strip=True) for cell in row.find_all("td")]
        for row in page.html.find(id="team-projects").find("tbody").find_all("tr")
    ]
    assert rows == [["widget", "Owner"]]


def test_the_history_reads_as_sentences(app, db_session, organization):
    member(organization, "carol")
    form = app.get(TEAMS).forms["create-team-form"]
    form["name"] = "Docs"
    form.submit(status=303)
    form = app.get(team_url("Docs", "members")).forms["add-team-member-form"]
    form["username"] = "carol"
    form.submit(status=303)
    text = main_text(app.get(team_url("Docs", "history")))
    assert "alice added carol to the team" in text
    assert "alice created the team Docs" in text


# Statement counts and pages


def first_cells(page, table_id):
    table = page.html.find(id=table_id)
    return [row.find("td").get_text(" ", strip=True) for row in table.find("tbody").find_all("tr")]


def assert_paged(app, url, table_id, total):
    """Page 1 shows 25 rows, page 2 the rest, each row once; both pages say where they are."""
    first, second = app.get(url), app.get(url + "?page=2")
    shown = first_cells(first, table_id), first_cells(second, table_id)
    assert [len(rows) for rows in shown] == [25, total - 25]
    assert len(set(shown[0] + shown[1])) == total
    nav = first.html.find("nav", class_="pagination").get_text()
    assert f"Showing 1\N{EN DASH}25 of {total}" in nav
    assert first.html.find("a", rel="next")["href"].endswith("?page=2")
    assert second.html.find("a", rel="prev")["href"].endswith("?page=1")
    assert f"Page 2 of {-(-total // 25)}" in main_text(second)
    return first, second


def assert_bad_page_numbers_are_refused(app, url):
    for bad in ("0", "abc", "-1", "99999"):
        app.get(url, {"page": bad}, status=400)


def test_the_teams_page_statement_count_is_fixed(app, db_session, organization):
    TeamFactory.create(organization=organization)
    small = app.get(TEAMS)
    assert small.html.find("nav", class_="pagination") is None
    for _ in range(49):
        team = TeamFactory.create(organization=organization)
        on_team(team, member(organization, f"m{team.name.split()[-1]}"))
    first, second = assert_paged(app, TEAMS, "teams", 50)
    assert first_cells(first, "teams") + first_cells(second, "teams") == sorted(
        team_names(db_session, organization), key=str.lower
    )
    counts = {len(small.sql_statements), len(first.sql_statements), len(second.sql_statements)}
    # One of them asks whether the organization is in good standing.
    assert counts == {6}
    assert_bad_page_numbers_are_refused(app, TEAMS)


def test_the_team_members_page_statement_count_is_fixed(app, db_session, organization, team):
    url = team_url("Core%20Devs", "members")
    on_team(team, member(organization, "first"))
    member(organization, "eligible")
    small = app.get(url)
    for number in range(49):
        on_team(team, member(organization, f"member{number:02}"))
        member(organization, f"eligible{number:02}")
    first, second = assert_paged(app, url, "team-members", 50)
    assert first_cells(first, "team-members") + first_cells(second, "team-members") == sorted(
        ["first"] + [f"member{number:02}" for number in range(49)]
    )
    # The suggestions still offer everyone not on the team, whichever page is shown.
    assert len(suggestions(second)) == 1 + 1 + 49  # alice, eligible...
    counts = {len(small.sql_statements), len(first.sql_statements), len(second.sql_statements)}
    assert counts == {8}
    assert_bad_page_numbers_are_refused(app, url)


def test_a_member_listed_on_the_second_page_is_removed_from_there(
    app, db_session, outbox, organization, team
):
    url = team_url("Core%20Devs", "members")
    roles = {name: on_team(team, member(organization, name)) for name in ("zed", "zoe")}
    for number in range(25):
        on_team(team, member(organization, f"member{number:02}"))
    second = app.get(url + "?page=2")
    assert first_cells(second, "team-members") == ["zed", "zoe"]
    form_id = f"remove-team-role-{roles['zoe'].id}"
    # A wrong confirmation comes back to the same page, the error beside zoe's row.
    form = second.forms[form_id]
    form["confirm_username"] = "zed"
    refused = form.submit(status=400)
    assert first_cells(refused, "team-members") == ["zed", "zoe"]
    assert "Type zoe to confirm." in field_error(refused, f"{form_id}-confirm_username")
    form = refused.forms[form_id]
    form["confirm_username"] = "zoe"
    response = form.submit(status=303)
    assert "zoe is off the team Core Devs." in flash(response.follow())
    assert "zoe" not in team_usernames(db_session, team)
    assert len(team_usernames(db_session, team)) == 26
    (message,) = outbox.messages()
    assert message.subject == "You were taken off the team Core Devs of acme"


def test_the_team_projects_page_statement_count_is_fixed(app, db_session, organization, team):
    url = team_url("Core%20Devs", "projects")

    def grant():
        project = ProjectFactory.create()
        OrganizationProjectFactory.create(organization=organization, project=project)
        TeamProjectRoleFactory.create(team=team, project=project)
        return project.name

    names = [grant()]
    small = app.get(url)
    names += [grant() for _ in range(49)]
    first, second = assert_paged(app, url, "team-projects", 50)
    assert first_cells(first, "team-projects") + first_cells(second, "team-projects") == sorted(
        names
    )
    counts = {len(small.sql_statements), len(first.sql_statements), len(second.sql_statements)}
    assert counts == {7}
    assert_bad_page_numbers_are_refused(app, url)
