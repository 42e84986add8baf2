"""/manage/projects/ and a project's settings, collaborators and history pages."""

import pytest
from sqlalchemy import select, text

from tests.common.db.accounts import UserFactory
from tests.common.db.packaging import RoleFactory
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in, make_authentication_stale
from warehouse_orgs.accounts.models import User
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.packaging.models import Project, ProjectRoleName, Role

OWNER = ProjectRoleName.Owner
MAINTAINER = ProjectRoleName.Maintainer


@pytest.fixture
def owner(db_session):
    return UserFactory.create(username="owner")


@pytest.fixture
def project(owner):
    return RoleFactory.create(user=owner, project__name="sampleproject", role_name=OWNER).project


@pytest.fixture
def app(webtest_app, owner):
    log_in(webtest_app, owner)
    return webtest_app


def _project(db_session, name):
    db_session.expire_all()
    return db_session.scalars(select(Project).where(Project.name == name)).one_or_none()


def _project_count(db_session):
    return db_session.scalar(text("SELECT count(*) FROM projects"))


def _roles(db_session, project):
    db_session.expire_all()
    return sorted(
        (role.user.username, role.role_name)
        for role in db_session.scalars(select(Role).where(Role.project_id == project.id))
    )


def _csrf_token(page):
    return page.html.find("input", attrs={"name": "csrf_token"})["value"]


def _role_id(db_session, project, username):
    return str(
        db_session.scalars(
            select(Role.id)
            .join(User)
            .where(Role.project_id == project.id, User.username == username)
        ).one()
    )


def _flash(page):
    return " ".join(alert.get_text(" ", strip=True) for alert in page.html.select(".alert"))


# Creating


def test_creating_a_project_makes_you_its_owner(app, db_session, owner):
    page = app.get("/manage/projects/")
    assert "You have no projects yet." in main_text(page)
    form = page.forms["create-project-form"]
    form["name"] = "Sample_Project"
    settings = form.submit(status=303).follow()
    assert settings.request.path == "/manage/project/Sample_Project/settings/"
    assert "The project Sample_Project is created; you are its Owner." in _flash(settings)

    project = _project(db_session, "Sample_Project")
    assert project.normalized_name == "sample-project"
    assert _roles(db_session, project) == [("owner", OWNER)]
    assert event_tags(db_session, project) == [EventTag.ProjectCreate, EventTag.ProjectRoleAdd]

    rows = app.get("/manage/projects/").html.select("main table tbody tr")
    cells = [[cell.get_text(" ", strip=True) for cell in row.find_all("td")] for row in rows]
    assert [row[:2] for row in cells] == [["Sample_Project", "Owner your own role"]]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "Enter a project name."),
        ("-leading-dash", "Use letters, numbers, and . _ - between them"),
        ("has space", "Use letters, numbers, and . _ - between them"),
        ("a" * 101, "Use at most 100 characters."),
        ("SampleProject", "A project with this name already exists. Choose another."),
    ],
)
def test_bad_or_taken_names_are_refused_beside_the_field(app, db_session, project, name, error):
    form = app.get("/manage/projects/").forms["create-project-form"]
    form["name"] = name
    response = form.submit(status=400)
    assert field_error(response, "name").startswith(error)
    assert _project_count(db_session) == 1


def test_creating_without_the_csrf_token_changes_nothing(app, db_session):
    response = app.post("/manage/projects/", {"name": "no-token"}, status=400)
    assert "security token" in main_text(response)
    assert _project_count(db_session) == 0


# Collaborators


def test_adding_changing_and_removing_a_collaborator(app, db_session, project):
    UserFactory.create(username="bob")
    page = app.get("/manage/project/sampleproject/collaboration/")
    form = page.forms["add-role-form"]
    form["username"] = "bob"
    form["role_name"] = "Maintainer"
    page = form.submit(status=303).follow()
    assert "bob is added to sampleproject as Maintainer." in _flash(page)
    assert _roles(db_session, project) == [("bob", MAINTAINER), ("owner", OWNER)]

    bob_role = _role_id(db_session, project, "bob")
    form = page.forms[f"change-role-{bob_role}"]
    form["role_name"] = "Owner"
    page = form.submit(status=303).follow()
    assert "bob's role on sampleproject is now Owner." in _flash(page)
    assert _roles(db_session, project) == [("bob", OWNER), ("owner", OWNER)]

    form = page.forms[f"remove-role-{bob_role}"]
    form["confirm_username"] = "bob"
    page = form.submit(status=303).follow()
    assert "bob is removed from sampleproject." in _flash(page)
    assert _roles(db_session, project) == [("owner", OWNER)]

    assert event_tags(db_session, project) == [
        EventTag.ProjectRoleAdd,
        EventTag.ProjectRoleChange,
        EventTag.ProjectRoleRemove,
    ]
    history = main_text(app.get("/manage/project/sampleproject/history/"))
    assert "owner added bob as Maintainer" in history
    assert "owner changed bob from Maintainer to Owner" in history
    assert "owner removed bob (Owner)" in history


def test_only_verified_accounts_without_a_role_can_be_added(app, db_session, project):
    UserFactory.create(username="unverified", primary_email__verified=False)
    RoleFactory.create(project=project, user__username="already", role_name=MAINTAINER)
    cases = [
        ("nobody", 400, "There is no account with this username."),
        ("unverified", 400, "unverified has not verified their email address yet"),
        ("ALREADY", 409, "already already has a role on this project"),
        ("", 400, "Enter a username."),
        ("x" * 51, 400, "Use at most 50 characters."),
    ]
    for username, status, error in cases:
        form = app.get("/manage/project/sampleproject/collaboration/").forms["add-role-form"]
        form["username"] = username
        form["role_name"] = "Maintainer"
        response = form.submit(status=status)
        assert field_error(response, "username").startswith(error)
    assert _roles(db_session, project) == [("already", MAINTAINER), ("owner", OWNER)]


def test_the_last_owner_can_be_neither_demoted_nor_removed(app, db_session, project):
    RoleFactory.create(project=project, user__username="helper", role_name=MAINTAINER)
    page = app.get("/manage/project/sampleproject/collaboration/")
    own_role = _role_id(db_session, project, "owner")

    form = page.forms[f"change-role-{own_role}"]
    form["role_name"] = "Maintainer"
    refused = form.submit(status=409)
    message = "owner is the only Owner of this project. Make someone else an Owner before you"
    assert f"{message} change their role." in main_text(refused)

    # Removing the only Owner is not offered; the reason stands in its place.
    assert f"remove-role-{own_role}" not in page.forms
    assert "You are the only Owner. Make someone else an Owner before you leave." in main_text(page)
    refused = app.post(
        "/manage/project/sampleproject/collaboration/delete/",
        {"role_id": own_role, "confirm_username": "owner", "csrf_token": _csrf_token(page)},
        status=409,
    )
    assert f"{message} remove them." in main_text(refused)

    assert _roles(db_session, project) == [("helper", MAINTAINER), ("owner", OWNER)]
    assert event_tags(db_session, project) == []


def test_an_owner_who_removes_themselves_goes_back_to_their_projects(app, db_session, project):
    RoleFactory.create(project=project, user__username="heir", role_name=OWNER)
    page = app.get("/manage/project/sampleproject/collaboration/")
    own_role = _role_id(db_session, project, "owner")
    form = page.forms[f"remove-role-{own_role}"]
    form["confirm_username"] = "owner"
    done = form.submit(status=303)
    assert done.location == "http://localhost/manage/projects/"
    assert "You left sampleproject." in _flash(done.follow())
    assert _roles(db_session, project) == [("heir", OWNER)]
    app.get("/manage/project/sampleproject/collaboration/", status=403)


def test_a_role_of_another_project_cannot_be_touched(app, db_session, project):
    elsewhere = RoleFactory.create(project__name="elsewhere", role_name=MAINTAINER)
    RoleFactory.create(project=elsewhere.project, role_name=OWNER)
    page = app.get("/manage/project/sampleproject/collaboration/")
    token = _csrf_token(page)
    for path, data in [
        ("change/", {"role_id": str(elsewhere.id), "role_name": "Owner"}),
        ("delete/", {"role_id": str(elsewhere.id)}),
        ("delete/", {"role_id": "not-a-uuid"}),
    ]:
        response = app.post(
            f"/manage/project/sampleproject/collaboration/{path}",
            {**data, "csrf_token": token},
            status=400,
        )
        assert "That collaborator is no longer on this project." in main_text(response)
    assert len(_roles(db_session, elsewhere.project)) == 2
    assert event_tags(db_session, elsewhere.project) == []


def test_an_unknown_role_name_is_refused(app, db_session, project):
    RoleFactory.create(project=project, user__username="helper", role_name=MAINTAINER)
    page = app.get("/manage/project/sampleproject/collaboration/")
    response = app.post(
        "/manage/project/sampleproject/collaboration/change/",
        {
            "role_id": _role_id(db_session, project, "helper"),
            "role_name": "Emperor",
            "csrf_token": _csrf_token(page),
        },
        status=400,
    )
    assert "Not a valid choice" in main_text(response)
    assert _roles(db_session, project) == [("helper", MAINTAINER), ("owner", OWNER)]


# The collaborators, 25 a page

COLLABORATION = "/manage/project/sampleproject/collaboration/"


def _collaborators(page):
    rows = page.html.select("section[aria-labelledby=collaborators-heading] tbody tr")
    return [row.find("td").get_text(" ", strip=True) for row in rows]


def _add_maintainers(project, count):
    for n in range(count):
        RoleFactory.create(project=project, user__username=f"helper-{n:02}", role_name=MAINTAINER)


def test_the_collaborators_come_25_a_page_the_owners_first(app, db_session, project):
    _add_maintainers(project, 30)
    first = app.get(COLLABORATION)
    shown = _collaborators(first)
    assert len(shown) == 25
    assert shown[0] == "owner (you)"
    assert "Showing 1\N{EN DASH}25 of 31" in main_text(first)
    # The only Owner still may not leave, and says why.
    assert "You are the only Owner. Make someone else an Owner before you leave." in main_text(
        first
    )
    second = first.click("Next")
    assert second.request.query_string == "page=2"
    rest = _collaborators(second)
    assert len(rest) == 6
    assert sorted(shown[1:] + rest) == [f"helper-{n:02}" for n in range(30)]
    assert "You are the only Owner" not in main_text(second)
    app.get(f"{COLLABORATION}?page=0", status=400)


def test_a_refused_removal_is_shown_on_the_page_it_was_made_on(app, db_session, project):
    _add_maintainers(project, 30)
    second = app.get(f"{COLLABORATION}?page=2")
    form_id = next(name for name in second.forms if str(name).startswith("remove-role-"))
    form = second.forms[form_id]
    form["confirm_username"] = "nobody-at-all"
    refused = form.submit(status=400)
    assert refused.request.query_string == "page=2"
    assert form_id in refused.forms
    assert "That does not match." in main_text(refused)
    assert _collaborators(refused) == _collaborators(second)
    # Its links to the other pages land on the collaborators' pages.
    back = refused.click("Previous").follow()
    assert back.request.path == COLLABORATION
    assert _collaborators(back)[0] == "owner (you)"
    assert len(_roles(db_session, project)) == 31


# Deleting


def test_deleting_needs_the_exact_name(app, db_session, owner, project):
    form = app.get("/manage/project/sampleproject/settings/").forms["delete-project-form"]
    form["confirm_project_name"] = "SampleProject"
    response = form.submit(status=400)
    assert field_error(response, "confirm_project_name") == "Type sampleproject exactly to confirm."
    assert _project(db_session, "sampleproject") is not None

    form = response.forms["delete-project-form"]
    form["confirm_project_name"] = "sampleproject"
    listing = form.submit(status=303).follow()
    assert listing.request.path == "/manage/projects/"
    assert "The project sampleproject is deleted." in _flash(listing)
    assert "You have no projects yet." in main_text(listing)
    assert _project(db_session, "sampleproject") is None
    # The deletion stays in the owner's own history.
    assert "Project sampleproject deleted by owner" in main_text(app.get("/manage/account/"))
    app.get("/manage/project/sampleproject/settings/", status=404)


def test_deleting_without_the_csrf_token_changes_nothing(app, db_session, project):
    app.post(
        "/manage/project/sampleproject/settings/",
        {"confirm_project_name": "sampleproject"},
        status=400,
    )
    assert _project(db_session, "sampleproject") is not None


def test_deleting_with_stale_authentication_asks_for_the_password_first(app, db_session, project):
    form = app.get("/manage/project/sampleproject/settings/").forms["delete-project-form"]
    form["confirm_project_name"] = "sampleproject"
    make_authentication_stale(db_session)
    step = form.submit(status=200)
    assert step.html.find("h1").text == "Confirm your password"
    assert _project(db_session, "sampleproject") is not None


# History


def test_history_shows_sentences_newest_first_and_pages(app, db_session, project):
    form = app.get("/manage/project/sampleproject/collaboration/").forms["add-role-form"]
    UserFactory.create(username="bob")
    form["username"] = "bob"
    form["role_name"] = "Maintainer"
    form.submit(status=303)
    page = app.get("/manage/project/sampleproject/history/")
    rows = page.html.select("main table tbody tr")
    assert len(rows) == 1
    assert "owner added bob as Maintainer" in rows[0].get_text(" ")
    assert "192.0.2.10" in rows[0].get_text(" ")

    _add_events(db_session, project, 30)
    page = app.get("/manage/project/sampleproject/history/")
    assert len(page.html.select("main table tbody tr")) == 25
    assert "Showing 1\N{EN DASH}25 of 31" in main_text(page)
    page = page.click("Next")
    assert len(page.html.select("main table tbody tr")) == 6
    assert "owner added bob as Maintainer" in main_text(page)
    app.get("/manage/project/sampleproject/history/?page=0", status=400)


# Who may do what


def test_a_maintainer_can_read_but_not_change(webtest_app, db_session, project):
    maintainer = RoleFactory.create(project=project, role_name=MAINTAINER).user
    log_in(webtest_app, maintainer)
    settings = webtest_app.get("/manage/project/sampleproject/settings/")
    assert "delete-project-form" not in settings.forms
    roles = webtest_app.get("/manage/project/sampleproject/collaboration/")
    assert "add-role-form" not in roles.forms
    assert not roles.html.select("form[id^=change-role-], form[id^=remove-role-]")
    assert "owner Owner" in main_text(roles)
    webtest_app.get("/manage/project/sampleproject/history/", status=200)

    token = _csrf_token(roles)
    owner_role = _role_id(db_session, project, "owner")
    for path, data in [
        ("settings/", {"confirm_project_name": "sampleproject"}),
        ("collaboration/", {"username": maintainer.username, "role_name": "Owner"}),
        ("collaboration/change/", {"role_id": owner_role, "role_name": "Maintainer"}),
        ("collaboration/delete/", {"role_id": owner_role}),
    ]:
        webtest_app.post(
            f"/manage/project/sampleproject/{path}", {**data, "csrf_token": token}, status=403
        )
    assert _roles(db_session, project) == sorted(
        [(maintainer.username, MAINTAINER), ("owner", OWNER)]
    )
    assert event_tags(db_session, project) == []


def test_someone_without_a_role_gets_nothing(webtest_app, db_session, project):
    stranger = UserFactory.create()
    home = log_in(webtest_app, stranger)
    for page in ("settings", "collaboration", "history"):
        response = webtest_app.get(f"/manage/project/sampleproject/{page}/", status=403)
        assert "You do not have permission to see this page." in main_text(response)
    webtest_app.post(
        "/manage/project/sampleproject/settings/",
        {"confirm_project_name": "sampleproject", "csrf_token": _csrf_token(home)},
        status=403,
    )
    assert _project(db_session, "sampleproject") is not None
    # Their own list does not show it.
    assert "sampleproject" not in main_text(webtest_app.get("/manage/projects/"))


def test_a_missing_project_is_not_found(app):
    app.get("/manage/project/no-such-project/settings/", status=404)
    app.get(f"/manage/project/{'x' * 200}/collaboration/", status=404)


def test_anonymous_visitors_are_sent_to_log_in(webtest_app, project):
    for path in ("/manage/projects/", "/manage/project/sampleproject/settings/"):
        response = webtest_app.get(path, status=303)
        assert (
            response.location == f"http://localhost/account/login/?next={path.replace('/', '%2F')}"
        )


def test_without_two_factor_the_page_says_to_set_it_up(webtest_app, db_session):
    user = UserFactory.create(without_two_factor=True)
    RoleFactory.create(user=user, project__name="theirs", role_name=OWNER)
    log_in(webtest_app, user)
    for path in ("/manage/projects/", "/manage/project/theirs/settings/"):
        refused = webtest_app.get(path, status=403)
        assert "Set up two-factor authentication first" in main_text(refused)


# A fixed number of SQL statements, however many roles, projects or events


def _add_events(db_session, project, count):
    db_session.add_all(
        Project.Event(source_id=project.id, tag=EventTag.ProjectCreate, additional={"n": n})
        for n in range(count)
    )
    db_session.flush()


def test_project_list_has_a_fixed_query_count(app, db_session, owner, project):
    few = app.get("/manage/projects/")
    for n in range(14):
        RoleFactory.create(user=owner, project__name=f"more-{n}", role_name=MAINTAINER)
    many = app.get("/manage/projects/")
    assert len(many.html.select("main table tbody tr")) == 15
    assert len(few.sql_statements) == len(many.sql_statements) == 4


# Each is the project with its roles and their users (one statement), then one for the Owners
# of the organization that owns the project, who administer it too (none own this one, but the
# page cannot know without asking); the
# collaboration page one more for the organization whose teams it would list; the settings page
# two for where it could be transferred (its organization with the person's role in it, the
# organizations they manage).
@pytest.mark.parametrize(
    ("page", "expected"), [("settings", 6), ("collaboration", 5), ("history", 6)]
)
def test_project_pages_have_a_fixed_query_count(app, db_session, project, page, expected):
    path = f"/manage/project/sampleproject/{page}/"
    _add_events(db_session, project, 1)
    few = app.get(path)
    for _ in range(14):
        RoleFactory.create(project=project, role_name=MAINTAINER)
    _add_events(db_session, project, 14)
    many = app.get(path)
    if page in ("collaboration", "history"):
        assert len(few.html.select("main table tbody tr")) == 1
        assert len(many.html.select("main table tbody tr")) == 15
    assert len(few.sql_statements) == len(many.sql_statements) == expected


@pytest.mark.parametrize(
    "staff_flag", ["is_superuser", "is_support", "is_moderator", "is_psf_staff"]
)
def test_staff_get_nothing_on_projects_they_hold_no_role_on(
    webtest_app, db_session, project, staff_flag
):
    """Staff power lives in /admin/; it does not reach into people's projects."""
    log_in(webtest_app, UserFactory.create(**{staff_flag: True}))
    for page in ("settings", "collaboration", "history"):
        webtest_app.get(f"/manage/project/sampleproject/{page}/", status=403)
    # Everyone, staff included, sees the public page.
    webtest_app.get("/project/sampleproject/", status=200)
