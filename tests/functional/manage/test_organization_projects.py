"""/manage/organization/<name>/projects/: the organization's projects and who reaches each
through what; adding a project one owns (preview, then confirm); creating one in it."""

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
from tests.common.table_snapshots import table_snapshot
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import OrganizationProject
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.packaging.models import Project, ProjectRoleName, Role
from warehouse_orgs.pagination import DEFAULT_PAGE_SIZE

OWNER = OrganizationRoleType.Owner
MANAGER = OrganizationRoleType.Manager
MEMBER = OrganizationRoleType.Member
PROJECTS = "/manage/organization/acme/projects/"
# Session, user, organization and its roles (the ACL), the count, the page, everyone who
# reaches the listed projects in one statement, the projects one could add.
EXPECTED_STATEMENTS = 7


@pytest.fixture
def owner(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def organization(owner):
    organization = OrganizationFactory.create(name="acme", orgtype="Community")
    OrganizationRoleFactory.create(organization=organization, user=owner, role_name=OWNER)
    return organization


def member(organization, username, role_name=MEMBER):
    user = UserFactory.create(username=username)
    return OrganizationRoleFactory.create(organization=organization, user=user, role_name=role_name)


def own_project(user, name):
    project = ProjectFactory.create(name=name)
    RoleFactory.create(project=project, user=user, role_name=ProjectRoleName.Owner)
    return project


def organization_project(organization, name):
    project = ProjectFactory.create(name=name)
    OrganizationProjectFactory.create(organization=organization, project=project)
    return project


def individual_roles(db_session, project):
    db_session.expire_all()
    return sorted(
        (role.user.username, role.role_name)
        for role in db_session.scalars(select(Role).where(Role.project_id == project.id))
    )


def in_organization(db_session, project):
    db_session.expire_all()
    return db_session.scalar(
        select(OrganizationProject.organization_id).where(
            OrganizationProject.project_id == project.id
        )
    )


def rows(page, table_id):
    return [
        [" ".join(cell.get_text(" ").split()) for cell in row.find_all("td")]
        for row in page.html.find(id=table_id).find("tbody").find_all("tr")
    ]


def flash(page):
    return " ".join(alert.get_text(" ", strip=True) for alert in page.html.select(".alert"))


def logged_in(webtest_app, user):
    log_in(webtest_app, user)
    return webtest_app


# The list


def test_the_list_says_who_reaches_each_project_and_through_what(
    webtest_app, db_session, owner, organization
):
    bob = member(organization, "bob")
    carol = UserFactory.create(username="carol")
    widget = organization_project(organization, "widget")
    team = TeamFactory.create(organization=organization, name="Core Devs")
    TeamRoleFactory.create(team=team, organization_role=bob)
    TeamProjectRoleFactory.create(team=team, project=widget, role_name="Maintainer")
    RoleFactory.create(project=widget, user=carol, role_name=ProjectRoleName.Maintainer)
    organization_project(organization, "gadget")
    own_project(owner, "elsewhere")  # not the organization's: not listed

    app = logged_in(webtest_app, member(organization, "dave").user)
    page = app.get("/manage/organization/acme/people/")
    assert page.html.find("a", string="Projects")["href"] == PROJECTS
    page = app.get(PROJECTS)
    assert rows(page, "organization-projects") == [
        ["gadget", "alice: Owner, as an Owner of acme"],
        [
            "widget",
            "alice: Owner, as an Owner of acme The team Core Devs (1 member): Maintainer "
            "carol: Maintainer, own role",
        ],
    ]
    team_link = page.html.find(id="organization-projects").find("a", string="Core Devs")
    assert team_link["href"] == "/manage/organization/acme/team/Core%20Devs/members/"
    # A Member reads, but is not offered adding or creating.
    assert "add-project-form" not in page.forms
    assert "create-project-form" not in page.forms
    assert "Owners and Managers add and create" in main_text(page)


def test_the_list_statement_count_is_fixed(webtest_app, db_session, owner, organization):
    app = logged_in(webtest_app, owner)
    team = TeamFactory.create(organization=organization)
    organization_project(organization, "first")
    own_project(owner, "mine0")
    small = len(app.get(PROJECTS).sql_statements)
    for number in range(29):
        project = organization_project(organization, f"project{number:02}")
        RoleFactory.create(project=project, user=UserFactory.create())
        TeamProjectRoleFactory.create(team=team, project=project)
        TeamRoleFactory.create(team=team, organization_role=member(organization, f"m{number}"))
        own_project(owner, f"mine{number + 1}")
    large = app.get(PROJECTS)
    listed = rows(large, "organization-projects")
    assert len(listed) == DEFAULT_PAGE_SIZE
    # Each listed project shows its individual collaborator, and its team with a count of
    # the 29 members rather than their names.
    assert all("The team" in row[1] and "(29 members)" in row[1] for row in listed[1:])
    assert all(row[1].count("own role") == 1 for row in listed[1:])
    assert len(large.sql_statements) == small == EXPECTED_STATEMENTS


def test_a_project_reached_by_many_names_the_first_five_of_each_kind(
    webtest_app, db_session, owner, organization
):
    """However many people reach a project, its row stays a few lines long: the first five
    of the Owners, of the teams and of the own roles by name, then how many more."""
    widget = organization_project(organization, "widget")
    for number in range(6):
        member(organization, f"owner{number}", OWNER)
        team = TeamFactory.create(organization=organization, name=f"Team {number}")
        TeamProjectRoleFactory.create(team=team, project=widget, role_name="Maintainer")
        RoleFactory.create(
            project=widget,
            user=UserFactory.create(username=f"own{number}"),
            role_name=ProjectRoleName.Maintainer,
        )
    (row,) = rows(logged_in(webtest_app, owner).get(PROJECTS), "organization-projects")
    assert row[1] == (
        "alice, owner0, owner1, owner2, owner3 and 2 others: Owner, as Owners of acme "
        "The team Team 0 (0 members): Maintainer The team Team 1 (0 members): Maintainer "
        "The team Team 2 (0 members): Maintainer The team Team 3 (0 members): Maintainer "
        "The team Team 4 (0 members): Maintainer 1 more team, on the Teams page "
        "own0: Maintainer, own role own1: Maintainer, own role own2: Maintainer, own role "
        "own3: Maintainer, own role own4: Maintainer, own role "
        "1 more person with a role of their own"
    )


# Adding a project you own


def test_the_preview_changes_nothing_then_confirming_adds(
    webtest_app, db_session, owner, organization
):
    bob = member(organization, "bob", OWNER).user
    carol = UserFactory.create(username="carol")
    widget = own_project(owner, "widget")
    RoleFactory.create(project=widget, user=carol, role_name=ProjectRoleName.Maintainer)
    app = logged_in(webtest_app, owner)

    form = app.get(PROJECTS).forms["add-project-form"]
    form["project"] = "widget"
    before = table_snapshot(db_session)
    preview = form.submit(status=200)
    assert table_snapshot(db_session) == before
    assert in_organization(db_session, widget) is None
    assert rows(preview, "access-preview") == [
        [
            "alice",
            "Owner, own role",
            "Owner, as an Owner of acme",
            "Keeps access, through something else",
        ],
        ["bob", "No access", "Owner, as an Owner of acme", "Gains access"],
        ["carol", "Maintainer, own role", "Maintainer, own role", "Keeps access"],
    ]
    assert "Your own Owner role on widget ends" in main_text(preview)

    done = preview.forms["confirm-add-form"].submit("confirm", status=303)
    assert "widget is now part of acme" in flash(done.follow())
    assert in_organization(db_session, widget) == organization.id
    # alice administers it as an Owner of acme now; her own role is gone.
    assert individual_roles(db_session, widget) == [("carol", "Maintainer")]
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationProjectAdd
    assert event_tags(db_session, widget)[-2:] == [
        EventTag.ProjectOrganizationProjectAdd,
        EventTag.ProjectRoleRemove,
    ]
    assert bob.username in main_text(done.follow())
    # alice still manages it, through the organization.
    app.get("/manage/project/widget/settings/", status=200)


def test_a_manager_can_manage_the_project_they_add_or_create(webtest_app, db_session, organization):
    manager = member(organization, "mo", MANAGER).user
    widget = own_project(manager, "widget")
    app = logged_in(webtest_app, manager)

    form = app.get(PROJECTS).forms["add-project-form"]
    form["project"] = "widget"
    preview = form.submit(status=200)
    assert "You keep your own Owner role on widget" in main_text(preview)
    preview.forms["confirm-add-form"].submit("confirm", status=303)
    assert in_organization(db_session, widget) == organization.id
    assert individual_roles(db_session, widget) == [("mo", "Owner")]
    app.get("/manage/project/widget/settings/", status=200)

    form = app.get(PROJECTS).forms["create-project-form"]
    form["name"] = "fresh-thing"
    form.submit(status=303)
    created = db_session.scalars(select(Project).where(Project.name == "fresh-thing")).one()
    assert in_organization(db_session, created) == organization.id
    assert individual_roles(db_session, created) == [("mo", "Owner")]
    app.get("/manage/project/fresh-thing/settings/", status=200)


def suggestions(page):
    field = page.html.find("input", attrs={"name": "project"})
    datalist = page.html.find("datalist", id=field["list"])
    return [option["value"] for option in datalist.find_all("option")]


def test_the_name_is_typed_with_the_projects_you_could_add_suggested(
    webtest_app, db_session, owner, organization
):
    own_project(owner, "widget")
    own_project(owner, "Gadget")
    organization_project(organization, "in-acme")
    RoleFactory.create(
        project=own_project(UserFactory.create(), "theirs"),
        user=owner,
        role_name=ProjectRoleName.Maintainer,
    )
    page = logged_in(webtest_app, owner).get(PROJECTS)
    field = page.html.find("input", attrs={"name": "project"})
    assert field["type"] == "text"
    assert field["maxlength"] == "100"
    label = page.html.find("label", attrs={"for": field["id"]})
    assert label.get_text(strip=True) == "Name of a project you own"
    assert suggestions(page) == ["Gadget", "widget"]


def test_suggestions_stop_at_100_but_any_project_you_own_can_be_typed(
    webtest_app, db_session, owner, organization
):
    for number in range(120):
        own_project(owner, f"mine{number:03}")
    app = logged_in(webtest_app, owner)
    page = app.get(PROJECTS)
    assert len(suggestions(page)) == 100
    assert "mine119" not in suggestions(page)
    form = page.forms["add-project-form"]
    form["project"] = "mine119"
    preview = form.submit(status=200)
    assert "Before you add mine119" in main_text(preview)
    preview.forms["confirm-add-form"].submit("confirm", status=303)
    added = db_session.scalars(select(Project).where(Project.name == "mine119")).one()
    assert in_organization(db_session, added) == organization.id


def test_a_project_already_in_the_organization_is_refused(
    webtest_app, db_session, owner, organization
):
    widget = organization_project(organization, "widget")
    RoleFactory.create(project=widget, user=owner, role_name=ProjectRoleName.Owner)
    app = logged_in(webtest_app, owner)
    before = table_snapshot(db_session)
    response = add(app, "widget")
    assert response.status_code == 400
    assert field_error(response, "add-project-project") == "widget is already a project of acme."
    assert table_snapshot(db_session) == before


def add(app, name, **extra):
    page = app.get(PROJECTS)
    csrf_token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    fields = {"project": name, "csrf_token": csrf_token}
    return app.post(PROJECTS, {**fields, **extra}, expect_errors=True)


def test_a_project_of_another_organization_is_refused(webtest_app, db_session, owner, organization):
    other = OrganizationFactory.create(name="globex")
    widget = own_project(owner, "widget")
    OrganizationProjectFactory.create(organization=other, project=widget)
    app = logged_in(webtest_app, owner)
    before = table_snapshot(db_session)
    response = add(app, "widget", confirm="y")
    assert response.status_code == 400
    assert "belongs to the organization globex. Transfer it from there instead." in field_error(
        response, "add-project-project"
    )
    assert table_snapshot(db_session) == before
    assert in_organization(db_session, widget) == other.id


@pytest.mark.parametrize("confirm", [{}, {"confirm": "y"}])
def test_a_project_you_do_not_own_is_refused(webtest_app, db_session, owner, organization, confirm):
    someone = UserFactory.create(username="someone")
    widget = own_project(someone, "widget")
    RoleFactory.create(project=widget, user=owner, role_name=ProjectRoleName.Maintainer)
    app = logged_in(webtest_app, owner)
    before = table_snapshot(db_session)
    response = add(app, "widget", **confirm)
    assert response.status_code == 400
    assert "You are not an Owner of widget" in field_error(response, "add-project-project")
    assert table_snapshot(db_session) == before


def test_an_unknown_or_overlong_project_name_is_refused(
    webtest_app, db_session, owner, organization
):
    app = logged_in(webtest_app, owner)
    response = add(app, "nothing-here", confirm="y")
    assert response.status_code == 400
    assert field_error(response, "add-project-project") == "There is no project with this name."
    response = add(app, "x" * 101, confirm="y")
    assert response.status_code == 400
    assert field_error(response, "add-project-project") == "Use at most 100 characters."


def test_a_member_may_not_add_or_create(webtest_app, db_session, organization):
    bob = member(organization, "bob").user
    widget = own_project(bob, "widget")
    app = logged_in(webtest_app, bob)
    assert add(app, "widget", confirm="y").status_code == 403
    assert in_organization(db_session, widget) is None


# Creating


def test_an_owner_creates_a_project_in_the_organization(
    webtest_app, db_session, owner, organization
):
    app = logged_in(webtest_app, owner)
    form = app.get(PROJECTS).forms["create-project-form"]
    form["name"] = "new-thing"
    done = form.submit(status=303).follow()
    assert "The project new-thing is created in acme." in flash(done)
    assert ["new-thing", "alice: Owner, as an Owner of acme"] in rows(done, "organization-projects")
    project = db_session.scalars(select(Project).where(Project.name == "new-thing")).one()
    assert in_organization(db_session, project) == organization.id
    # An Owner of the organization administers it through the organization alone.
    assert individual_roles(db_session, project) == []
    assert EventTag.ProjectOrganizationProjectAdd in event_tags(db_session, project)
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationProjectAdd


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "Enter a project name."),
        ("-bad-", "Use letters, numbers, and . _ - between them"),
        ("x" * 101, "Use at most 100 characters."),
        ("Taken", "A project with this name already exists. Choose another."),
    ],
)
def test_a_bad_or_taken_name_is_refused_beside_the_field(
    webtest_app, db_session, owner, organization, name, error
):
    ProjectFactory.create(name="taken")
    app = logged_in(webtest_app, owner)
    form = app.get(PROJECTS).forms["create-project-form"]
    form["name"] = name
    before = table_snapshot(db_session)
    response = form.submit(status=400)
    assert error in field_error(response, "create-project-name")
    assert table_snapshot(db_session) == before
