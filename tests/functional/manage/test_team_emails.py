"""Who is emailed when a team is created, and when a team is given a role on a project, has it
changed or loses it: driven through the real pages, read back from the outbox.

The cast, in the organization acme: alice (Owner) does everything; olga is another Owner,
not on the team; tess is an Owner on the team; bob is a Member on the team; una is on the team
without a verified address; mo is a Manager, not on the team. Outside acme, pat owns the
project widget in his own name and max maintains it.
"""

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
from tests.common.db.subscriptions import ManualActivationFactory
from tests.common.sessions import log_in
from warehouse_orgs.organizations.models import OrganizationRole, TeamProjectRoleType
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.packaging.models import ProjectRoleName

OWNER = OrganizationRoleType.Owner
MANAGER = OrganizationRoleType.Manager
MEMBER = OrganizationRoleType.Member
BILLING_MANAGER = OrganizationRoleType.BillingManager
TEAMS = "/manage/organization/acme/teams/"
COLLABORATION = "/manage/project/widget/collaboration/"


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
def project(organization):
    project = ProjectFactory.create(name="widget")
    OrganizationProjectFactory.create(organization=organization, project=project)
    return project


@pytest.fixture
def team(organization):
    return TeamFactory.create(organization=organization, name="Core Devs")


@pytest.fixture
def app(webtest_app, owner, organization):
    log_in(webtest_app, owner)
    return webtest_app


def member(organization, username, role_name=MEMBER, *, verified=True):
    user = UserFactory.create(username=username, primary_email__verified=verified)
    return OrganizationRoleFactory.create(organization=organization, user=user, role_name=role_name)


@pytest.fixture
def cast(organization, project, team):
    """Everyone the team-role emails could reach, each placed to test one rule; by username."""
    people = {
        "olga": member(organization, "olga", OWNER),
        "tess": member(organization, "tess", OWNER),
        "bob": member(organization, "bob"),
        "una": member(organization, "una", verified=False),
        "mo": member(organization, "mo", MANAGER),
    }
    for username in ("tess", "bob", "una"):
        TeamRoleFactory.create(team=team, organization_role=people[username])
    RoleFactory.create(
        project=project, user=UserFactory.create(username="pat"), role_name=ProjectRoleName.Owner
    )
    RoleFactory.create(
        project=project,
        user=UserFactory.create(username="max"),
        role_name=ProjectRoleName.Maintainer,
    )
    return {username: role.user for username, role in people.items()}


def received(outbox):
    """Who got which subject, by username (every address here is <username>@example.com)."""
    messages = outbox.messages()
    by_username = {
        message.recipient.removesuffix("@example.com"): message.subject for message in messages
    }
    assert len(by_username) == len(messages), "someone was emailed twice"
    return by_username


def bodies(outbox):
    return {
        message.recipient.removesuffix("@example.com"): message.body("plain")
        for message in outbox.messages()
    }


def csrf(page):
    return page.html.find("input", attrs={"name": "csrf_token"})["value"]


# Creating a team


def test_creating_a_team_tells_the_other_owners_and_the_managers(app, outbox, organization):
    member(organization, "olga", OWNER)
    member(organization, "mo", MANAGER)
    member(organization, "nell", MANAGER, verified=False)
    member(organization, "mel")
    member(organization, "bill", BILLING_MANAGER)
    form = app.get(TEAMS).forms["create-team-form"]
    form["name"] = "Docs"
    form.submit(status=303)
    assert received(outbox) == {
        "mo": "A new team, Docs, in acme",
        "olga": "A new team, Docs, in acme",
    }
    assert "alice created the team Docs in the organization acme." in bodies(outbox)["mo"]


def test_a_refused_team_name_tells_nobody(app, outbox, organization, team):
    member(organization, "olga", OWNER)
    form = app.get(TEAMS).forms["create-team-form"]
    form["name"] = "core devs"
    form.submit(status=409)
    form["name"] = ""
    form.submit(status=400)
    assert outbox.messages() == []


# A team's role on a project

MEMBERS_ADDED = "You are Maintainer of widget through the team Core Devs"
OWNERS_ADDED = "The team Core Devs is now Maintainer of widget"


def test_giving_a_team_a_role_tells_its_members_and_the_owners_off_the_team(
    app, outbox, cast, team
):
    form = app.get(COLLABORATION).forms["grant-team-form"]
    form["team_name"] = "Core Devs"
    form["role_name"] = "Maintainer"
    form.submit(status=303)
    # Not alice, who did it; not una, unverified; not mo nor max, who own neither.
    assert received(outbox) == {
        "bob": MEMBERS_ADDED,
        "tess": MEMBERS_ADDED,
        "olga": OWNERS_ADDED,
        "pat": OWNERS_ADDED,
    }
    sent = bodies(outbox)
    assert "As a member of the team, you now have that role on widget" in sent["bob"]
    assert "alice gave the team Core Devs of acme the role Maintainer" in sent["pat"]


def test_the_actor_on_the_team_is_not_told_as_a_member(
    app, db_session, outbox, organization, project, team
):
    alice_role = db_session.scalars(
        select(OrganizationRole).where(OrganizationRole.organization_id == organization.id)
    ).one()
    TeamRoleFactory.create(team=team, organization_role=alice_role)
    TeamRoleFactory.create(team=team, organization_role=member(organization, "bob"))
    form = app.get(COLLABORATION).forms["grant-team-form"]
    form["team_name"] = "Core Devs"
    form["role_name"] = "Maintainer"
    form.submit(status=303)
    assert received(outbox) == {"bob": MEMBERS_ADDED}


def test_a_refused_grant_tells_nobody(app, outbox, cast):
    form = app.get(COLLABORATION).forms["grant-team-form"]
    form["team_name"] = "Core Devs"
    form.submit(status=400)
    assert outbox.messages() == []


def test_changing_a_teams_role_tells_the_same_people_both_roles(app, outbox, cast, project, team):
    grant = TeamProjectRoleFactory.create(
        team=team, project=project, role_name=TeamProjectRoleType.Maintainer
    )
    form = app.get(COLLABORATION).forms[f"change-team-{grant.id}"]
    form["role_name"] = "Owner"
    form.submit(status=303)
    for_members = "Your role on widget through the team Core Devs is now Owner"
    for_owners = "The team Core Devs is now Owner of widget, no longer Maintainer"
    assert received(outbox) == {
        "bob": for_members,
        "tess": for_members,
        "olga": for_owners,
        "pat": for_owners,
    }
    assert "from Maintainer to Owner" in bodies(outbox)["tess"]


def test_changing_to_the_role_the_team_has_tells_nobody(app, outbox, cast, project, team):
    grant = TeamProjectRoleFactory.create(
        team=team, project=project, role_name=TeamProjectRoleType.Owner
    )
    form = app.get(COLLABORATION).forms[f"change-team-{grant.id}"]
    form["role_name"] = "Owner"
    form.submit(status=303)
    assert outbox.messages() == []


def test_a_refused_change_or_removal_tells_nobody(webtest_app, outbox, cast, project, team):
    grant = TeamProjectRoleFactory.create(
        team=team, project=project, role_name=TeamProjectRoleType.Owner
    )
    # bob, a Member on the team, manages widget through it but may not demote or remove the
    # team's Owner role.
    log_in(webtest_app, cast["bob"])
    token = csrf(webtest_app.get(COLLABORATION))
    webtest_app.post(
        "/manage/project/widget/collaboration/team/change/",
        {"csrf_token": token, "grant_id": str(grant.id), "role_name": "Maintainer"},
        status=409,
    )
    webtest_app.post(
        "/manage/project/widget/collaboration/team/delete/",
        {"csrf_token": token, "grant_id": str(grant.id), "confirm_team_name": "Core Devs"},
        status=409,
    )
    assert outbox.messages() == []


def test_removing_a_teams_role_tells_whom_it_reached_once_confirmed(
    app, outbox, cast, project, team
):
    grant = TeamProjectRoleFactory.create(
        team=team, project=project, role_name=TeamProjectRoleType.Maintainer
    )
    form = app.get(COLLABORATION).forms[f"remove-team-{grant.id}"]
    form["confirm_team_name"] = "Core"
    form.submit(status=400)
    assert outbox.messages() == []

    form = app.get(COLLABORATION).forms[f"remove-team-{grant.id}"]
    form["confirm_team_name"] = "Core Devs"
    form.submit(status=303)
    for_members = "The team Core Devs no longer gives you a role on widget"
    for_owners = "The team Core Devs no longer has a role on widget"
    assert received(outbox) == {
        "bob": for_members,
        "tess": for_members,
        "olga": for_owners,
        "pat": for_owners,
    }
    assert "took away the role Maintainer" in bodies(outbox)["bob"]
