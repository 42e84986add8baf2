"""Invariant 8 on the organization's own pages: a Company organization out of good standing
(no active subscription, no unexpired manual activation) says why on its people, teams and
projects pages, links those who pay to billing, offers no form that would be refused, and
refuses invitations, new teams and projects moving in, whoever sends them. Settings, history,
removing people, leaving and deleting stay available: a lapsed company must be able to shrink.

Good standing is set up through rows (a manual activation), as staff would grant it.
"""

import datetime

import pytest
from sqlalchemy import select

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationInvitationFactory,
    OrganizationProjectFactory,
    OrganizationRoleFactory,
    TeamFactory,
)
from tests.common.db.packaging import ProjectFactory, RoleFactory
from tests.common.db.subscriptions import ManualActivationFactory
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from tests.common.table_snapshots import table_snapshot
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationInvitation,
    OrganizationProject,
    OrganizationRole,
    Team,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.packaging.models import Project, ProjectRoleName

OWNER = OrganizationRoleType.Owner
MANAGER = OrganizationRoleType.Manager
MEMBER = OrganizationRoleType.Member
BILLING_MANAGER = OrganizationRoleType.BillingManager
BASE = "/manage/organization/acme/"
PEOPLE, TEAMS, PROJECTS = BASE + "people/", BASE + "teams/", BASE + "projects/"
SETTINGS, HISTORY = BASE + "settings/", BASE + "history/"
ACTIVATE = BASE + "subscription/activate/"
REASON = "Acme Inc has no active subscription."
UNTIL_THEN = "Until then nobody can be invited, no team created and no project added."
# Requests leave behind a browser session row; nothing else may change when one is refused.
SESSIONS = frozenset({"browser_sessions"})


@pytest.fixture
def alice(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def bob(db_session):
    return UserFactory.create(username="bob")


@pytest.fixture
def acme(alice):
    """A Company organization just approved: nobody has paid for it yet."""
    organization = OrganizationFactory.create(
        name="acme", display_name="Acme Inc", orgtype="Company"
    )
    OrganizationRoleFactory.create(organization=organization, user=alice, role_name=OWNER)
    return organization


@pytest.fixture
def widget(alice):
    """A project alice owns, in no organization: one she could add."""
    project = ProjectFactory.create(name="widget")
    RoleFactory.create(project=project, user=alice, role_name=ProjectRoleName.Owner)
    return project


@pytest.fixture
def beta(alice):
    """A Community organization of alice's owning gadget: a project she could transfer."""
    organization = OrganizationFactory.create(name="beta")
    OrganizationRoleFactory.create(organization=organization, user=alice, role_name=OWNER)
    gadget = ProjectFactory.create(name="gadget")
    OrganizationProjectFactory.create(organization=organization, project=gadget)
    return organization


@pytest.fixture
def app(webtest_app, alice, acme):
    log_in(webtest_app, alice)
    return webtest_app


def activate(organization, **columns):
    return ManualActivationFactory.create(organization=organization, **columns)


def member(organization, username, role_name=MEMBER):
    user = UserFactory.create(username=username)
    return OrganizationRoleFactory.create(organization=organization, user=user, role_name=role_name)


def csrf(page):
    return page.html.find("input", attrs={"name": "csrf_token"})["value"]


def notice(page):
    found = page.html.find(id="good-standing-notice")
    return " ".join(found.get_text(" ").split()) if found else None


def flash(page):
    return " ".join(alert.get_text(" ", strip=True) for alert in page.html.select(".alert"))


def organization_of(db_session, project_name):
    db_session.expire_all()
    return db_session.scalar(
        select(OrganizationProject.organization_id)
        .join(Project, Project.id == OrganizationProject.project_id)
        .where(Project.name == project_name)
    )


def team_names(db_session, organization):
    db_session.expire_all()
    return db_session.scalars(
        select(Team.name).where(Team.organization_id == organization.id)
    ).all()


def roles(db_session, organization):
    db_session.expire_all()
    return sorted(
        (role.user.username, role.role_name)
        for role in db_session.scalars(
            select(OrganizationRole).where(OrganizationRole.organization_id == organization.id)
        )
    )


# What the pages say


def test_the_people_teams_and_projects_pages_say_why_and_link_to_billing(app, acme, widget):
    TeamFactory.create(organization=acme, name="Core")
    team_pages = [f"{BASE}team/Core/{tab}/" for tab in ("members", "projects", "settings")]
    for path in [PEOPLE, TEAMS, PROJECTS, *team_pages]:
        page = app.get(path)
        text = notice(page)
        assert text.startswith(f"Acme Inc is not in good standing {REASON} "), path
        assert text.endswith(f"{UNTIL_THEN} Activate billing for acme"), path
        assert page.html.find(id="good-standing-notice").find("a")["href"] == ACTIVATE


def test_the_forms_that_would_be_refused_are_not_offered_and_the_reason_stands_in(
    app, acme, widget, bob
):
    OrganizationInvitationFactory.create(organization=acme, user=bob)
    people = app.get(PEOPLE)
    assert "invite-member-form" not in people.forms
    assert REASON in people.html.find(id="invite-refused").get_text()
    # A pending invitation may be revoked, not sent again.
    assert not [form for form in people.forms if str(form).startswith("resend-invitation-")]
    assert any(str(form).startswith("revoke-invitation-") for form in people.forms)

    teams = app.get(TEAMS)
    assert "create-team-form" not in teams.forms
    assert REASON in teams.html.find(id="create-team-refused").get_text()

    projects = app.get(PROJECTS)
    assert "add-project-form" not in projects.forms
    assert "create-project-form" not in projects.forms
    assert REASON in projects.html.find(id="add-project-refused").get_text()
    assert REASON in projects.html.find(id="create-project-refused").get_text()


def test_settings_and_history_say_nothing_and_keep_their_forms(app):
    settings = app.get(SETTINGS)
    assert notice(settings) is None
    assert {"organization-details-form", "delete-organization-form"} <= set(settings.forms)
    assert notice(app.get(HISTORY)) is None


@pytest.mark.parametrize("role_name", [MANAGER, MEMBER])
def test_people_who_do_not_pay_read_why_without_a_link_to_billing(webtest_app, acme, role_name):
    role = member(acme, "mo", role_name)
    log_in(webtest_app, role.user)
    page = webtest_app.get(PEOPLE)
    assert REASON in notice(page)
    assert page.html.find(id="good-standing-notice").find("a") is None


def test_a_billing_manager_is_linked_to_billing(webtest_app, acme):
    role = member(acme, "payer", BILLING_MANAGER)
    log_in(webtest_app, role.user)
    page = webtest_app.get(PEOPLE)
    assert page.html.find(id="good-standing-notice").find("a")["href"] == ACTIVATE


# What is refused


def test_an_invitation_is_refused_with_the_reason(app, db_session, outbox, acme, bob):
    page = app.get(PEOPLE)
    before = table_snapshot(db_session)
    response = app.post(
        PEOPLE, {"username": "bob", "role_name": "Member", "csrf_token": csrf(page)}, status=409
    )
    assert field_error(response, "username").startswith(REASON)
    assert before.changed_tables(table_snapshot(db_session), ignore=SESSIONS) == []
    assert db_session.scalars(select(OrganizationInvitation)).all() == []
    assert outbox.messages() == []


def test_sending_an_invitation_again_is_refused(app, db_session, outbox, acme, bob):
    invitation = OrganizationInvitationFactory.create(
        organization=acme,
        user=bob,
        expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1),
    )
    page = app.get(PEOPLE)
    before = table_snapshot(db_session)
    response = app.post(
        BASE + "people/resend_invite/",
        {"invitation_id": str(invitation.id), "csrf_token": csrf(page)},
        status=409,
    )
    assert REASON in response.html.find(class_="alert--error").get_text()
    assert before.changed_tables(table_snapshot(db_session), ignore=SESSIONS) == []
    assert outbox.messages() == []


def test_a_new_team_is_refused_with_the_reason(app, db_session, outbox, acme):
    page = app.get(TEAMS)
    before = table_snapshot(db_session)
    response = app.post(TEAMS, {"name": "Core", "csrf_token": csrf(page)}, status=400)
    assert field_error(response, "create-team-name").startswith(REASON)
    assert before.changed_tables(table_snapshot(db_session), ignore=SESSIONS) == []
    assert team_names(db_session, acme) == []
    assert outbox.messages() == []


def test_adding_a_project_is_refused_at_the_preview_and_at_the_confirmation(
    app, db_session, outbox, widget
):
    page = app.get(PROJECTS)
    before = table_snapshot(db_session)
    for confirm in ({}, {"confirm": "y"}):
        response = app.post(
            PROJECTS, {"project": "widget", "csrf_token": csrf(page), **confirm}, status=400
        )
        assert field_error(response, "add-project-project").startswith(REASON)
        assert "Before you add widget" not in main_text(response)
    assert before.changed_tables(table_snapshot(db_session), ignore=SESSIONS) == []
    assert organization_of(db_session, "widget") is None
    assert outbox.messages() == []


def test_creating_a_project_in_it_is_refused(app, db_session, outbox):
    page = app.get(PROJECTS)
    before = table_snapshot(db_session)
    response = app.post(PROJECTS, {"name": "brand-new", "csrf_token": csrf(page)}, status=400)
    assert field_error(response, "create-project-name").startswith(REASON)
    assert before.changed_tables(table_snapshot(db_session), ignore=SESSIONS) == []
    assert db_session.scalars(select(Project).where(Project.name == "brand-new")).all() == []
    assert outbox.messages() == []


def test_transferring_a_project_into_it_is_refused(app, db_session, outbox, acme, beta):
    settings = app.get("/manage/project/gadget/settings/")
    form = settings.forms["transfer-form"]
    form["organization"] = "acme"
    before = table_snapshot(db_session)
    preview = form.submit(status=400)
    assert field_error(preview, "transfer-organization").startswith(REASON)
    confirmed = app.post(
        "/manage/project/gadget/transfer_organization_project/",
        {"organization": "acme", "confirm": "y", "csrf_token": csrf(settings)},
        status=400,
    )
    assert field_error(confirmed, "transfer-organization").startswith(REASON)
    assert before.changed_tables(table_snapshot(db_session), ignore=SESSIONS) == []
    assert organization_of(db_session, "gadget") == beta.id
    assert outbox.messages() == []


def test_a_project_may_still_leave_it(app, db_session, acme, beta):
    """Only the organization a project joins must be in good standing."""
    OrganizationProjectFactory.create(
        organization=acme, project=ProjectFactory.create(name="leaving")
    )
    form = app.get("/manage/project/leaving/settings/").forms["transfer-form"]
    form["organization"] = "beta"
    form.submit(status=200).forms["confirm-transfer-form"].submit("confirm", status=303)
    assert organization_of(db_session, "leaving") == beta.id


def test_an_invitation_sent_earlier_waits_until_the_organization_is_in_good_standing(
    webtest_app, db_session, acme, bob
):
    """Accepting would add a seat; the invitation stays open for later instead."""
    invitation = OrganizationInvitationFactory.create(organization=acme, user=bob, token="t")
    log_in(webtest_app, bob)
    offer = webtest_app.get("/account/verify-organization-role/?token=t")
    response = offer.forms["accept-invitation-form"].submit(status=409)
    text = main_text(response)
    assert REASON in text
    assert "You can join once it is in good standing again" in text
    assert roles(db_session, acme) == [("alice", OWNER)]
    db_session.refresh(invitation)
    assert invitation.is_pending

    activate(acme)
    webtest_app.get("/account/verify-organization-role/?token=t").forms[
        "accept-invitation-form"
    ].submit(status=303)
    assert roles(db_session, acme) == [("alice", OWNER), ("bob", MEMBER)]


@pytest.mark.parametrize("role_name", [OWNER, MANAGER])
@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        (TEAMS, {"name": "Core"}, 400),
        (PROJECTS, {"name": "brand-new"}, 400),
        (PROJECTS, {"project": "widget", "confirm": "y"}, 400),
    ],
)
def test_whoever_may_make_it_grow_is_refused_while_it_is_not_in_good_standing(
    webtest_app, db_session, outbox, acme, role_name, path, data, status
):
    """Outside the permission matrix, whose Company organization is in good standing: every
    role the matrix lets grow the organization is refused here, and nothing changes."""
    role = member(acme, "grower", role_name)
    project = ProjectFactory.create(name="widget")
    RoleFactory.create(project=project, user=role.user, role_name=ProjectRoleName.Owner)
    log_in(webtest_app, role.user)
    page = webtest_app.get(PEOPLE)
    before = table_snapshot(db_session)
    response = webtest_app.post(path, {**data, "csrf_token": csrf(page)}, status=status)
    assert REASON in main_text(response)
    assert before.changed_tables(table_snapshot(db_session), ignore=SESSIONS) == []
    assert outbox.messages() == []


# What stays available


def test_a_lapsed_organization_can_still_shrink_be_read_and_be_deleted(
    app, webtest_app, db_session, outbox, acme, alice
):
    app.get(SETTINGS, status=200)
    app.get(HISTORY, status=200)
    form = app.get(SETTINGS).forms["organization-details-form"]
    form["display_name"] = "Acme Incorporated"
    form.submit(status=303)

    removed, leaving = member(acme, "removed"), member(acme, "leaving")
    form = app.get(PEOPLE).forms[f"remove-role-{removed.id}"]
    form["confirm_username"] = "removed"
    assert "removed is removed from acme." in flash(form.submit(status=303).follow())

    app.reset()
    log_in(app, leaving.user)
    form = app.get(PEOPLE).forms[f"remove-role-{leaving.id}"]
    form["confirm_name"] = "acme"
    form.submit(status=303)
    assert roles(db_session, acme) == [("alice", OWNER)]

    app.reset()
    log_in(app, alice)
    TeamFactory.create(organization=acme, name="Old")
    form = app.get(f"{BASE}team/Old/settings/").forms["delete-team"]
    form["confirm_team_name"] = "Old"
    form.submit(status=303)
    assert team_names(db_session, acme) == []

    form = app.get(SETTINGS).forms["delete-organization-form"]
    form["confirm_organization_name"] = "acme"
    form.submit(status=303)
    db_session.expire_all()
    assert db_session.scalars(select(Organization).where(Organization.name == "acme")).all() == []


# In good standing


def test_a_manual_activation_lifts_the_gate(app, db_session, outbox, acme, widget, beta, bob):
    activate(acme)
    for path in (PEOPLE, TEAMS, PROJECTS):
        assert notice(app.get(path)) is None

    form = app.get(PEOPLE).forms["invite-member-form"]
    form["username"] = "bob"
    form["role_name"] = "Member"
    form.submit(status=303)
    assert db_session.scalars(select(OrganizationInvitation.user_id)).all() == [bob.id]

    form = app.get(TEAMS).forms["create-team-form"]
    form["name"] = "Core"
    form.submit(status=303)
    assert team_names(db_session, acme) == ["Core"]

    form = app.get(PROJECTS).forms["add-project-form"]
    form["project"] = "widget"
    form.submit(status=200).forms["confirm-add-form"].submit("confirm", status=303)
    assert organization_of(db_session, "widget") == acme.id

    form = app.get(PROJECTS).forms["create-project-form"]
    form["name"] = "brand-new"
    form.submit(status=303)
    assert organization_of(db_session, "brand-new") == acme.id

    form = app.get("/manage/project/gadget/settings/").forms["transfer-form"]
    form["organization"] = "acme"
    form.submit(status=200).forms["confirm-transfer-form"].submit("confirm", status=303)
    assert organization_of(db_session, "gadget") == acme.id


def test_an_expired_manual_activation_gates_again(app, db_session, acme):
    activate(acme, expires=datetime.date.today() - datetime.timedelta(days=1))
    assert REASON in notice(app.get(PEOPLE))
    assert "invite-member-form" not in app.get(PEOPLE).forms


def test_a_community_organization_is_never_gated(webtest_app, db_session, alice, beta, bob):
    log_in(webtest_app, alice)
    for path in ("people/", "teams/", "projects/"):
        assert notice(webtest_app.get(f"/manage/organization/beta/{path}")) is None
    form = webtest_app.get("/manage/organization/beta/people/").forms["invite-member-form"]
    form["username"] = "bob"
    form["role_name"] = "Member"
    form.submit(status=303)
    form = webtest_app.get("/manage/organization/beta/teams/").forms["create-team-form"]
    form["name"] = "Core"
    form.submit(status=303)
    assert team_names(db_session, beta) == ["Core"]


# Statement counts


@pytest.mark.parametrize(("path", "expected"), [(PEOPLE, 7), (TEAMS, 6), (PROJECTS, 8)])
def test_the_gated_pages_ask_for_the_standing_in_one_statement(
    app, db_session, acme, path, expected
):
    """Lapsed or not, however many members, invitations, teams and projects, the page asks
    for the standing once, in one statement: one more than the page had before the gate."""

    def grow():
        member(acme, f"m{next_number()}")
        TeamFactory.create(organization=acme)
        OrganizationInvitationFactory.create(organization=acme)
        OrganizationProjectFactory.create(organization=acme)

    next_number = iter(range(100)).__next__
    grow()
    small = len(app.get(path).sql_statements)
    for _ in range(5):
        grow()
    large = len(app.get(path).sql_statements)
    activate(acme)
    active = len(app.get(path).sql_statements)
    assert small == large == active == expected
