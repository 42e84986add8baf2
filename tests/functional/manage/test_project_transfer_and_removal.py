"""A project's place in organizations, from its settings page: transferring it to another
organization and removing it from its organization. Each shows who keeps, gains and loses
access before anything changes (Warehouse issue 18102), and each deletes the old
organization's team grants in the same transaction (invariant 3)."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

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
from tests.common.events import event_tags, events_of
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from tests.common.table_snapshots import table_snapshot
from warehouse_orgs.accounts.models import User
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import OrganizationProject, TeamProjectRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.packaging.models import ProjectRoleName, Role

OWNER = OrganizationRoleType.Owner
MANAGER = OrganizationRoleType.Manager
MEMBER = OrganizationRoleType.Member
SETTINGS = "/manage/project/widget/settings/"


def member(organization, user, role_name=MEMBER):
    return OrganizationRoleFactory.create(organization=organization, user=user, role_name=role_name)


@pytest.fixture
def alice(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def acme(alice):
    organization = OrganizationFactory.create(name="acme")
    member(organization, alice, OWNER)
    return organization


@pytest.fixture
def beta(alice):
    organization = OrganizationFactory.create(name="beta")
    member(organization, alice, OWNER)
    member(organization, UserFactory.create(username="bob"), OWNER)
    return organization


@pytest.fixture
def widget(acme):
    project = ProjectFactory.create(name="widget")
    OrganizationProjectFactory.create(organization=acme, project=project)
    return project


@pytest.fixture
def docs_team(acme, widget):
    """carol reaches widget only through acme's Docs team; dan has a role of his own."""
    team = TeamFactory.create(organization=acme, name="Docs")
    TeamRoleFactory.create(
        team=team, organization_role=member(acme, UserFactory.create(username="carol"))
    )
    TeamProjectRoleFactory.create(team=team, project=widget, role_name="Maintainer")
    RoleFactory.create(
        project=widget,
        user=UserFactory.create(username="dan"),
        role_name=ProjectRoleName.Maintainer,
    )
    return team


def rows(page):
    return [
        [" ".join(cell.get_text(" ").split()) for cell in row.find_all("td")]
        for row in page.html.find(id="access-preview").find("tbody").find_all("tr")
    ]


def flash(page):
    return " ".join(alert.get_text(" ", strip=True) for alert in page.html.select(".alert"))


def organization_of(db_session, project):
    db_session.expire_all()
    return db_session.scalar(
        select(OrganizationProject.organization_id).where(
            OrganizationProject.project_id == project.id
        )
    )


def team_grants(db_session, project):
    return db_session.scalars(
        select(TeamProjectRole.id).where(TeamProjectRole.project_id == project.id)
    ).all()


def individual_roles(db_session, project):
    db_session.expire_all()
    return sorted(
        (role.user.username, role.role_name)
        for role in db_session.scalars(select(Role).where(Role.project_id == project.id))
    )


def subjects(outbox):
    return sorted((m.recipient.split("@")[0], m.subject) for m in outbox.messages())


# Transfer


def test_transferring_shows_who_loses_access_then_moves_and_drops_the_old_teams(
    webtest_app, db_session, outbox, alice, acme, beta, widget, docs_team
):
    member(acme, UserFactory.create(username="erin"), OWNER)
    log_in(webtest_app, alice)
    form = webtest_app.get(SETTINGS).forms["transfer-form"]
    assert [value for value, *_ in form["organization"].options] == ["", "beta"]
    form["organization"] = "beta"
    before = table_snapshot(db_session)
    preview = form.submit(status=200)
    assert table_snapshot(db_session) == before
    assert outbox.messages() == []
    assert rows(preview) == [
        [
            "alice",
            "Owner, as an Owner of acme",
            "Owner, as an Owner of beta",
            "Keeps access, through something else",
        ],
        ["bob", "No access", "Owner, as an Owner of beta", "Gains access"],
        ["carol", "Maintainer, through the team Docs of acme", "No access", "Loses access"],
        ["dan", "Maintainer, own role", "Maintainer, own role", "Keeps access"],
        ["erin", "Owner, as an Owner of acme", "No access", "Loses access"],
    ]
    assert "The teams of acme lose their roles on widget" in main_text(preview)

    done = preview.forms["confirm-transfer-form"].submit("confirm", status=303)
    assert "widget is now part of beta" in flash(done.follow())
    assert organization_of(db_session, widget) == beta.id
    assert team_grants(db_session, widget) == []
    assert event_tags(db_session, acme)[-1] == EventTag.OrganizationProjectRemove
    assert event_tags(db_session, beta)[-1] == EventTag.OrganizationProjectAdd
    assert event_tags(db_session, widget)[-3:] == [
        EventTag.ProjectTeamProjectRoleRemove,
        EventTag.ProjectOrganizationProjectRemove,
        EventTag.ProjectOrganizationProjectAdd,
    ]
    assert events_of(db_session, widget)[-1].additional["from"] == "acme"
    assert subjects(outbox) == [
        ("bob", "The project widget is now part of beta"),
        ("carol", "You no longer have access to the project widget"),
        ("erin", "The project widget moved from acme to beta"),
    ]
    (to_erin,) = [m for m in outbox.messages() if m.recipient.startswith("erin")]
    assert "carol, erin" in to_erin.message.get_content()


def test_after_a_transfer_the_old_teams_members_cannot_open_the_project(
    webtest_app, db_session, alice, acme, beta, widget, docs_team
):
    log_in(webtest_app, alice)
    form = webtest_app.get(SETTINGS).forms["transfer-form"]
    form["organization"] = "beta"
    form.submit().forms["confirm-transfer-form"].submit("confirm", status=303)

    webtest_app.reset()
    carol = db_session.scalars(select(User).where(User.username == "carol")).one()
    log_in(webtest_app, carol)
    webtest_app.get(SETTINGS, status=403)
    assert "widget" not in main_text(webtest_app.get("/manage/projects/"))


def test_only_an_owner_of_the_organization_it_leaves_may_transfer_it(
    webtest_app, db_session, acme, beta, widget, docs_team
):
    # A Manager of acme whose team is Owner of widget may manage it, but not move it away.
    manager = UserFactory.create(username="mo")
    role = member(acme, manager, MANAGER)
    member(beta, manager, MANAGER)
    team = TeamFactory.create(organization=acme, name="Leads")
    TeamRoleFactory.create(team=team, organization_role=role)
    TeamProjectRoleFactory.create(team=team, project=widget, role_name="Owner")
    log_in(webtest_app, manager)

    page = webtest_app.get(SETTINGS)
    assert "transfer-form" not in page.forms
    assert "Only Owners of acme can transfer widget" in main_text(page)

    before = table_snapshot(db_session)
    refused = webtest_app.post(
        "/manage/project/widget/transfer_organization_project/",
        {
            "csrf_token": page.forms["delete-project-form"]["csrf_token"].value,
            "organization": "beta",
            "confirm": "y",
        },
        status=403,
    )
    assert "You do not have permission" in main_text(refused)
    assert table_snapshot(db_session) == before


def test_the_target_must_be_an_organization_you_own_or_manage(
    webtest_app, db_session, alice, acme, widget
):
    gamma = OrganizationFactory.create(name="gamma")
    member(gamma, alice, MEMBER)
    inactive = OrganizationFactory.create(name="sleepy", is_active=False)
    member(inactive, alice, OWNER)
    log_in(webtest_app, alice)
    page = webtest_app.get(SETTINGS)
    assert "transfer-form" not in page.forms
    token = page.forms["delete-project-form"]["csrf_token"].value

    before = table_snapshot(db_session)
    for target in ("gamma", "sleepy", "nowhere", "acme"):
        refused = webtest_app.post(
            "/manage/project/widget/transfer_organization_project/",
            {"csrf_token": token, "organization": target, "confirm": "y"},
            status=400,
        )
        assert field_error(refused, "transfer-organization")
    assert table_snapshot(db_session) == before


def test_a_manager_of_the_target_is_given_an_owner_role_so_they_can_still_manage_it(
    webtest_app, db_session, alice, acme, widget
):
    """The 20337 lesson, for transfers: an Owner of acme who only manages beta would otherwise
    move the project somewhere they cannot reach it."""
    delta = OrganizationFactory.create(name="delta")
    member(delta, UserFactory.create(username="dora"), OWNER)
    member(delta, alice, MANAGER)
    log_in(webtest_app, alice)
    form = webtest_app.get(SETTINGS).forms["transfer-form"]
    form["organization"] = "delta"
    preview = form.submit(status=200)
    assert [
        "alice",
        "Owner, as an Owner of acme",
        "Owner, own role",
        "Keeps access, through something else",
    ] in rows(preview)
    preview.forms["confirm-transfer-form"].submit("confirm", status=303)

    assert organization_of(db_session, widget) == delta.id
    assert individual_roles(db_session, widget) == [("alice", "Owner")]
    webtest_app.get(SETTINGS, status=200)


def test_a_project_outside_any_organization_can_be_added_from_its_settings(
    webtest_app, db_session, alice, beta
):
    solo = ProjectFactory.create(name="solo")
    RoleFactory.create(project=solo, user=alice, role_name=ProjectRoleName.Owner)
    log_in(webtest_app, alice)
    page = webtest_app.get("/manage/project/solo/settings/")
    assert "belongs to no organization" in main_text(page)
    form = page.forms["transfer-form"]
    form["organization"] = "beta"
    preview = form.submit(status=200)
    assert "Before you add solo to beta" in main_text(preview)
    preview.forms["confirm-transfer-form"].submit("confirm", status=303)
    assert organization_of(db_session, solo) == beta.id
    # alice is an Owner of beta: she administers it through the organization.
    assert individual_roles(db_session, solo) == []


# Removal


def test_removing_needs_an_owner_shows_who_loses_access_then_leaves_them_the_owner(
    webtest_app, db_session, outbox, alice, acme, widget, docs_team
):
    log_in(webtest_app, alice)
    page = webtest_app.get(SETTINGS)
    form = page.forms["remove-form"]
    assert [value for value, *_ in form["owner"].options] == ["", "alice", "carol", "dan"]
    assert field_error(form.submit(status=400), "remove-owner") == (
        "Choose who will be the project's Owner."
    )
    form["owner"] = "dan"
    before = table_snapshot(db_session)
    preview = form.submit(status=200)
    assert table_snapshot(db_session) == before
    assert rows(preview) == [
        ["alice", "Owner, as an Owner of acme", "No access", "Loses access"],
        ["carol", "Maintainer, through the team Docs of acme", "No access", "Loses access"],
        ["dan", "Maintainer, own role", "Owner, own role", "Keeps access, through something else"],
    ]

    done = preview.forms["confirm-remove-form"].submit("confirm", status=303)
    # alice no longer reaches the project: back to her projects, told why.
    assert done.location.endswith("/manage/projects/")
    assert "You no longer have access to it" in flash(done.follow())
    assert organization_of(db_session, widget) is None
    assert team_grants(db_session, widget) == []
    assert individual_roles(db_session, widget) == [("dan", "Owner")]
    assert event_tags(db_session, acme)[-1] == EventTag.OrganizationProjectRemove
    assert events_of(db_session, acme)[-1].additional["owner"] == "dan"
    assert event_tags(db_session, widget)[-3:] == [
        EventTag.ProjectRoleChange,
        EventTag.ProjectTeamProjectRoleRemove,
        EventTag.ProjectOrganizationProjectRemove,
    ]
    assert subjects(outbox) == [
        ("carol", "You no longer have access to the project widget"),
        ("dan", "The project widget is no longer part of acme"),
    ]


def test_the_owner_must_be_someone_who_reaches_the_project(
    webtest_app, db_session, alice, acme, widget, docs_team
):
    UserFactory.create(username="stranger")
    log_in(webtest_app, alice)
    page = webtest_app.get(SETTINGS)
    before = table_snapshot(db_session)
    refused = webtest_app.post(
        "/manage/project/widget/remove_organization_project/",
        {
            "csrf_token": page.forms["remove-form"]["csrf_token"].value,
            "owner": "stranger",
            "confirm": "y",
        },
        status=400,
    )
    assert "Choose someone who reaches the project now" in field_error(refused, "remove-owner")
    assert table_snapshot(db_session) == before


def test_a_team_owner_who_is_not_an_organization_owner_cannot_remove_it(
    webtest_app, db_session, acme, widget
):
    manager = UserFactory.create(username="mo")
    team = TeamFactory.create(organization=acme, name="Leads")
    TeamRoleFactory.create(team=team, organization_role=member(acme, manager, MANAGER))
    TeamProjectRoleFactory.create(team=team, project=widget, role_name="Owner")
    log_in(webtest_app, manager)
    page = webtest_app.get(SETTINGS)
    assert "remove-form" not in page.forms
    before = table_snapshot(db_session)
    refused = webtest_app.post(
        "/manage/project/widget/remove_organization_project/",
        {
            "csrf_token": page.forms["delete-project-form"]["csrf_token"].value,
            "owner": "mo",
            "confirm": "y",
        },
        status=403,
    )
    assert "You do not have permission" in main_text(refused)
    assert table_snapshot(db_session) == before


def test_the_database_refuses_a_project_leaving_its_organization_without_an_owner(
    db_session, widget
):
    link = db_session.scalars(
        select(OrganizationProject).where(OrganizationProject.project_id == widget.id)
    ).one()
    db_session.delete(link)
    with pytest.raises(IntegrityError, match="widget would be left without an Owner"):
        db_session.flush()


# The last individual Owner of an organization project


def test_an_organization_projects_last_own_owner_may_go_since_its_owners_administer_it(
    webtest_app, db_session, alice, acme, widget
):
    dan = UserFactory.create(username="dan")
    RoleFactory.create(project=widget, user=dan, role_name=ProjectRoleName.Owner)
    log_in(webtest_app, alice)
    page = webtest_app.get("/manage/project/widget/collaboration/")
    (role,) = db_session.scalars(select(Role).where(Role.project_id == widget.id))
    form = page.forms[f"remove-role-{role.id}"]
    form["confirm_username"] = "dan"
    form.submit(status=303)
    assert individual_roles(db_session, widget) == []
    webtest_app.get(SETTINGS, status=200)


# A fixed number of statements


def test_the_settings_page_costs_the_same_however_many_people_teams_and_targets(
    webtest_app, db_session, alice, acme, widget, docs_team
):
    log_in(webtest_app, alice)
    few = webtest_app.get(SETTINGS)
    for n in range(15):
        target = OrganizationFactory.create(name=f"target-{n}")
        member(target, alice, MANAGER)
        team = TeamFactory.create(organization=acme, name=f"team {n}")
        TeamRoleFactory.create(
            team=team, organization_role=member(acme, UserFactory.create(username=f"m{n}"))
        )
        TeamProjectRoleFactory.create(team=team, project=widget)
    many = webtest_app.get(SETTINGS)
    assert len(many.forms["transfer-form"]["organization"].options) == 16
    assert len(many.forms["remove-form"]["owner"].options) == 19
    # Session, user, project, its ACL, where it is with the person's role there, those they
    # manage, who reaches it.
    assert len(few.sql_statements) == len(many.sql_statements)
