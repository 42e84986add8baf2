"""ITeamService on a real PostgreSQL: teams, members, project roles, the rules the database
keeps, the project access teams give, and what each change records."""

from typing import Any

import pytest
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from tests.common.concurrency import service_request
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
from tests.common.events import event_tags, events_of
from warehouse_orgs.accounts.models import User
from warehouse_orgs.authnz import Permissions, user_principal
from warehouse_orgs.events.tags import EventTag, describe
from warehouse_orgs.organizations.interfaces import (
    OrganizationError,
    TeamGrantRefused,
    TeamMembershipRefused,
    TeamNameUnavailable,
    TeamRefused,
)
from warehouse_orgs.organizations.models import (
    OrganizationProject,
    OrganizationRole,
    Team,
    TeamProjectRole,
    TeamProjectRoleType,
    TeamRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services import DatabaseTeamService
from warehouse_orgs.organizations.services.teams import OWN_TEAM_OWNER
from warehouse_orgs.packaging.models import ProjectFactory as ProjectTraversal

OWNER = OrganizationRoleType.Owner
MANAGER = OrganizationRoleType.Manager
MEMBER = OrganizationRoleType.Member
BILLING = OrganizationRoleType.BillingManager
TEAM_OWNER = TeamProjectRoleType.Owner
TEAM_MAINTAINER = TeamProjectRoleType.Maintainer


@pytest.fixture
def teams(request_: Any) -> DatabaseTeamService:
    return DatabaseTeamService(request_)


@pytest.fixture
def organization(actor: Any) -> Any:
    """The actor's organization, which they own."""
    return OrganizationRoleFactory.create(user=actor, role_name=OWNER).organization


def _member(organization: Any, username: str, role_name: str = MEMBER) -> Any:
    return OrganizationRoleFactory.create(
        organization=organization, user=UserFactory.create(username=username), role_name=role_name
    )


def _org_project(organization: Any, name: str) -> Any:
    project = ProjectFactory.create(name=name)
    OrganizationProjectFactory.create(organization=organization, project=project)
    return project


def _team_usernames(db_session: Any, team: Any) -> list[str]:
    db_session.expire_all()
    return sorted(
        db_session.scalars(
            text(
                "SELECT u.username FROM team_roles tr "
                "JOIN organization_roles r ON r.id = tr.organization_role_id "
                "JOIN users u ON u.id = r.user_id WHERE tr.team_id = :t"
            ),
            {"t": team.id},
        )
    )


def _permissions(app_registry: Any, db_session: Any, project: Any, user: Any) -> set[str]:
    """What ``user`` may do on the project, by the ACL a page would load."""
    request = service_request(app_registry, db_session, user)
    db_session.expire_all()
    loaded = ProjectTraversal(request)[project.name]
    principals = [Everyone, Authenticated, user_principal(user.id)]
    helper = ACLHelper()
    return {
        str(p)
        for p in Permissions
        if p.startswith("projects:") and helper.permits(loaded, principals, p)
    }


READ_UPLOAD = {"projects:read", "projects:upload"}
ADMINISTER = {"projects:read", "projects:upload", "projects:write"}


# Teams


def test_creating_a_team_records_it_on_the_organization_and_the_team(
    teams, organization, db_session
):
    team = teams.create_team(organization, "Core Developers")

    assert teams.get_team(organization, "core-developers").id == team.id
    assert teams.get_team(organization, "CORE_developers").id == team.id
    assert teams.get_team(OrganizationFactory.create(), "Core Developers") is None
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationTeamCreate
    [created] = events_of(db_session, team)
    assert created.tag == EventTag.TeamCreate
    assert created.sentence == "actor created the team Core Developers"
    assert events_of(db_session, organization)[-1].additional["team"] == "Core Developers"


@pytest.mark.parametrize("taken", ["core developers", "Core-Developers", "core.developers"])
def test_a_team_name_is_unique_in_its_organization_by_its_normalized_form(
    teams, organization, taken
):
    teams.create_team(organization, "Core Developers")
    with pytest.raises(TeamNameUnavailable, match="already has a team named"):
        teams.create_team(organization, taken)
    # Another organization may use it.
    teams.create_team(OrganizationFactory.create(), taken)


def test_the_database_refuses_two_teams_with_one_normalized_name(organization, db_session):
    TeamFactory.create(organization=organization, name="Docs")
    with pytest.raises(IntegrityError) as refused, db_session.begin_nested():
        TeamFactory.create(organization=organization, name="docs")
    assert refused.value.orig.diag.constraint_name == "teams_organization_id_normalized_name_key"


@pytest.mark.parametrize(
    "name", ["", " lead", "trail ", "/x", "x/", ".hidden", "-x", "x_", "a" * 51, "a\x00b", "a\nb"]
)
def test_a_team_name_that_is_not_valid_is_refused_in_words(teams, organization, db_session, name):
    with pytest.raises(TeamRefused, match="do not start or end with a space"):
        teams.create_team(organization, name)
    assert db_session.scalars(select(Team)).all() == []


def test_renaming_a_team(teams, organization, db_session):
    team = teams.create_team(organization, "Docs")
    other = teams.create_team(organization, "Web")

    assert teams.rename_team(team, "Docs") is None
    assert teams.rename_team(team, "docs") == "Docs"  # only the spelling changes
    with pytest.raises(TeamNameUnavailable, match="team named Web"):
        teams.rename_team(team, "web")
    assert teams.rename_team(team, "Documentation") == "docs"

    assert teams.get_team(organization, "documentation").id == team.id
    assert teams.get_team(organization, "docs") is None
    assert teams.get_team(organization, "web").id == other.id
    assert [e.sentence for e in events_of(db_session, team)][-1] == (
        "actor renamed the team from docs to Documentation"
    )
    assert events_of(db_session, organization)[-1].sentence == (
        "actor renamed the team docs to Documentation"
    )


def test_the_teams_list_counts_members_and_the_organizations_projects_in_one_query(
    teams, organization, db_session, query_recorder
):
    docs = TeamFactory.create(organization=organization, name="docs")
    TeamFactory.create(organization=organization, name="Apps")
    TeamFactory.create(name="elsewhere")
    for _ in range(3):
        TeamRoleFactory.create(team=docs)
    for name in ("one", "two"):
        TeamProjectRoleFactory.create(team=docs, project=_org_project(organization, name))
    # A grant on a project the organization does not own reaches nothing, so it is not counted.
    TeamProjectRoleFactory.create(team=docs, project=ProjectFactory.create())

    with query_recorder:
        rows = teams.teams(organization)

    assert query_recorder.count == 1
    assert [(r.team.name, r.member_count, r.project_count) for r in rows] == [
        ("Apps", 0, 0),
        ("docs", 3, 2),
    ]


def test_deleting_a_team_removes_its_grants(app_registry, teams, organization, db_session):
    team = teams.create_team(organization, "Release")
    bob = _member(organization, "bob")
    teams.add_member(team, bob.user)
    project = _org_project(organization, "rocket")
    teams.grant_project(team, project, TEAM_OWNER)
    assert _permissions(app_registry, db_session, project, bob.user) == ADMINISTER

    members = teams.delete_team(team)

    assert [m.organization_role.user.username for m in members] == ["bob"]
    db_session.expire_all()
    assert db_session.scalars(select(TeamProjectRole)).all() == []
    assert db_session.scalars(select(TeamRole)).all() == []
    assert db_session.scalars(select(Team)).all() == []
    assert _permissions(app_registry, db_session, project, bob.user) == set()
    assert events_of(db_session, organization)[-1].sentence == "actor deleted the team Release"
    assert events_of(db_session, project)[-1].sentence == (
        f"actor removed the team Release of {organization.name} (Owner): the team was deleted"
    )
    assert events_of(db_session, bob.user)[-1].sentence == (
        f"You left the team Release of {organization.name}: the team was deleted"
    )


# Members


def test_adding_and_removing_a_member_records_it_on_the_organization_team_and_account(
    teams, organization, db_session
):
    team = teams.create_team(organization, "docs")
    bob = _member(organization, "bob", MANAGER)

    team_role = teams.add_member(team, bob.user)

    assert _team_usernames(db_session, team) == ["bob"]
    assert [r.organization_role.user.username for r in teams.team_members(team)] == ["bob"]
    assert teams.team_role_of(team, bob.user).id == team_role.id
    assert teams.get_team_role(team, str(team_role.id)).id == team_role.id
    assert teams.get_team_role(team, "not-a-uuid") is None
    assert [t.name for t in teams.teams_of_user(bob.user)] == ["docs"]
    assert events_of(db_session, organization)[-1].sentence == "actor added bob to the team docs"
    assert events_of(db_session, team)[-1].sentence == "actor added bob to the team"
    assert events_of(db_session, bob.user)[-1].sentence == (
        f"actor added you to the team docs of {organization.name}"
    )

    teams.remove_member(team_role)

    assert _team_usernames(db_session, team) == []
    assert teams.teams_of_user(bob.user) == []
    assert events_of(db_session, organization)[-1].sentence == (
        "actor removed bob from the team docs"
    )
    assert events_of(db_session, team)[-1].tag == EventTag.TeamRoleRemove
    assert events_of(db_session, bob.user)[-1].sentence == (
        f"actor removed you from the team docs of {organization.name}"
    )
    with pytest.raises(TeamMembershipRefused, match="no longer on the team"):
        teams.remove_member(team_role)


def test_leaving_a_team_yourself_reads_as_leaving(app_registry, organization, db_session):
    team = TeamFactory.create(organization=organization, name="docs")
    bob = _member(organization, "bob")
    team_role = TeamRoleFactory.create(team=team, organization_role=bob)
    as_bob = DatabaseTeamService(service_request(app_registry, db_session, bob.user))

    as_bob.remove_member(team_role)

    assert events_of(db_session, team)[-1].sentence == "bob left the team"
    assert events_of(db_session, bob.user)[-1].sentence == (
        f"You left the team docs of {organization.name}"
    )


def test_only_members_who_are_not_billing_managers_can_be_on_a_team(teams, db_session, actor):
    company = OrganizationFactory.create(orgtype="Company")
    ManualActivationFactory.create(organization=company)
    OrganizationRoleFactory.create(organization=company, user=actor)
    team = teams.create_team(company, "docs")
    stranger = UserFactory.create(username="stranger")
    billing = _member(company, "payer", BILLING)
    bob = _member(company, "bob")

    with pytest.raises(TeamMembershipRefused, match="stranger is not a member of"):
        teams.add_member(team, stranger)
    with pytest.raises(TeamMembershipRefused, match="Billing Managers cannot be on a team"):
        teams.add_member(team, billing.user)
    teams.add_member(team, bob.user)
    with pytest.raises(TeamMembershipRefused, match="bob is already on the team docs"):
        teams.add_member(team, bob.user)
    # A member of another organization is no member here.
    elsewhere = _member(OrganizationFactory.create(), "elsewhere")
    with pytest.raises(TeamMembershipRefused, match="not a member"):
        teams.add_member(team, elsewhere.user)

    assert _team_usernames(db_session, team) == ["bob"]
    # Every refusal is an OrganizationError, which the views turn into a message.
    assert issubclass(TeamMembershipRefused, OrganizationError)


def _refused_team_role(db_session: Any, **columns: Any) -> str:
    """The constraint the database names when refusing this membership row."""
    try:
        with db_session.begin_nested():
            db_session.add(TeamRole(**columns))
            db_session.flush()
    except IntegrityError as error:
        return error.orig.diag.constraint_name
    raise AssertionError("the database took the row")


def test_the_database_keeps_a_team_and_its_members_in_one_organization(db_session):
    team = TeamFactory.create()
    outsider = OrganizationRoleFactory.create(role_name=MEMBER)
    role = {"organization_role_id": outsider.id, "organization_role_name": outsider.role_name}

    assert (
        _refused_team_role(
            db_session, team_id=team.id, organization_id=team.organization_id, **role
        )
        == "team_roles_organization_role_id_fkey"
    )
    assert (
        _refused_team_role(
            db_session, team_id=team.id, organization_id=outsider.organization_id, **role
        )
        == "team_roles_team_id_fkey"
    )


def test_the_database_keeps_billing_managers_off_teams(db_session):
    team_role = TeamRoleFactory.create(team__organization__orgtype="Company")
    with pytest.raises(IntegrityError) as refused, db_session.begin_nested():
        db_session.execute(
            update(OrganizationRole)
            .where(OrganizationRole.id == team_role.organization_role_id)
            .values(role_name=BILLING)
        )
    assert refused.value.orig.diag.constraint_name == "team_roles_no_billing_managers_check"

    # Any other change of role follows the membership along.
    db_session.execute(
        update(OrganizationRole)
        .where(OrganizationRole.id == team_role.organization_role_id)
        .values(role_name=MANAGER)
    )
    db_session.expire_all()
    assert db_session.get(TeamRole, team_role.id).organization_role_name == MANAGER


def test_making_a_team_member_a_billing_manager_ends_their_memberships(
    app_registry, membership, teams, db_session, actor
):
    company = OrganizationFactory.create(orgtype="Company")
    ManualActivationFactory.create(organization=company)
    OrganizationRoleFactory.create(organization=company, user=actor)
    bob = _member(company, "bob")
    docs, web = (teams.create_team(company, name) for name in ("docs", "web"))
    for team in (docs, web):
        teams.add_member(team, bob.user)
    project = _org_project(company, "widget")
    teams.grant_project(docs, project, TEAM_MAINTAINER)
    assert _permissions(app_registry, db_session, project, bob.user) == READ_UPLOAD

    membership.change_role(bob, BILLING)

    assert _team_usernames(db_session, docs) == _team_usernames(db_session, web) == []
    assert _permissions(app_registry, db_session, project, bob.user) == set()
    assert events_of(db_session, docs)[-1].sentence == (
        "bob left the team: Billing Managers cannot be on a team"
    )
    assert [e.tag for e in events_of(db_session, company)][-3:] == [
        EventTag.OrganizationTeamRoleRemove,
        EventTag.OrganizationTeamRoleRemove,
        EventTag.OrganizationRoleChange,
    ]


# The PyPI incidents, each as its own test


def test_team_rights_end_when_the_member_leaves_the_organization(
    app_registry, teams, membership, organization, db_session
):
    # PyPI, April 2025: a team role tied to the user outlived the organization membership.
    team = teams.create_team(organization, "release")
    bob = _member(organization, "bob")
    carol = _member(organization, "carol")
    for member in (bob, carol):
        teams.add_member(team, member.user)
    project = _org_project(organization, "rocket")
    teams.grant_project(team, project, TEAM_OWNER)
    assert _permissions(app_registry, db_session, project, bob.user) == ADMINISTER

    bob_user, carol_user = bob.user, carol.user

    # One statement, as any path that deletes the organization role runs it (an account
    # deletion's cascade included): the memberships go with it.
    db_session.execute(text("DELETE FROM organization_roles WHERE id = :id"), {"id": bob.id})
    assert _team_usernames(db_session, team) == ["carol"]
    assert _permissions(app_registry, db_session, project, bob_user) == set()

    # The service's way, which also says so in the team's history.
    membership.remove_role(carol)
    assert _team_usernames(db_session, team) == []
    assert _permissions(app_registry, db_session, project, carol_user) == set()
    assert events_of(db_session, team)[-1].sentence == (
        "carol left the team: they are no longer a member of the organization"
    )


def test_a_team_grant_does_not_survive_a_transfer_to_another_organization(
    app_registry, teams, organization, db_session
):
    # Trail of Bits 2026, TOB-PYPI26-13: team grants kept Owner access after a transfer.
    team = teams.create_team(organization, "release")
    bob = _member(organization, "bob")
    teams.add_member(team, bob.user)
    project = _org_project(organization, "rocket")
    grant = teams.grant_project(team, project, TEAM_OWNER)
    assert _permissions(app_registry, db_session, project, bob.user) == ADMINISTER

    # The project moves, and the old team's row is left behind (as a buggy transfer might).
    other = OrganizationFactory.create()
    db_session.execute(
        update(OrganizationProject)
        .where(OrganizationProject.project_id == project.id)
        .values(organization_id=other.id)
    )
    db_session.expire_all()
    assert db_session.get(TeamProjectRole, grant.id) is not None

    assert _permissions(app_registry, db_session, project, bob.user) == set()
    assert teams.team_projects(team) == []
    assert teams.project_grants(project) == []
    assert [r.project_count for r in teams.teams(organization)] == [0]
    # Nor does it come back into force through the new organization.
    assert teams.project_access(project.id) == []
    with pytest.raises(TeamGrantRefused, match="does not belong to"):
        teams.grant_project(team, project, TEAM_MAINTAINER)


def test_revoking_a_projects_grants_as_it_leaves_the_organization(teams, organization, db_session):
    project = _org_project(organization, "rocket")
    kept = _org_project(organization, "kept")
    for name in ("a", "b"):
        team = teams.create_team(organization, name)
        teams.grant_project(team, project, TEAM_MAINTAINER)
        teams.grant_project(team, kept, TEAM_MAINTAINER)

    assert teams.revoke_project_grants(organization, project) == 2

    assert teams.project_grants(project) == []
    assert len(teams.project_grants(kept)) == 2
    assert [e.tag for e in events_of(db_session, project)][-2:] == [
        EventTag.ProjectTeamProjectRoleRemove
    ] * 2


def test_demoting_an_owner_to_member_removes_the_organization_owner_access_at_once(
    app_registry, membership, organization, db_session
):
    bob = _member(organization, "bob", OWNER)
    project = _org_project(organization, "rocket")
    assert _permissions(app_registry, db_session, project, bob.user) == ADMINISTER

    membership.change_role(bob, MEMBER)

    assert _permissions(app_registry, db_session, project, bob.user) == set()


# Project roles


def test_granting_changing_and_revoking_a_team_role_on_a_project(
    app_registry, teams, organization, db_session
):
    team = teams.create_team(organization, "release")
    bob = _member(organization, "bob")
    teams.add_member(team, bob.user)
    project = _org_project(organization, "rocket")

    grant = teams.grant_project(team, project, TEAM_MAINTAINER)
    assert _permissions(app_registry, db_session, project, bob.user) == READ_UPLOAD
    assert [g.project.name for g in teams.team_projects(team)] == ["rocket"]
    assert [g.team.name for g in teams.project_grants(project)] == ["release"]
    assert teams.get_grant(team, project).id == grant.id
    with pytest.raises(TeamGrantRefused, match="already has a role on rocket"):
        teams.grant_project(team, project, TEAM_OWNER)

    assert teams.change_grant(grant, TEAM_MAINTAINER) is None
    assert teams.change_grant(grant, TEAM_OWNER) == "Maintainer"
    assert _permissions(app_registry, db_session, project, bob.user) == ADMINISTER
    with pytest.raises(TeamGrantRefused, match="Owner or Maintainer"):
        teams.change_grant(grant, "Administrator")

    teams.revoke_grant(grant)
    assert _permissions(app_registry, db_session, project, bob.user) == set()
    with pytest.raises(TeamGrantRefused, match="no longer has a role"):
        teams.revoke_grant(grant)

    sentences = [e.sentence for e in events_of(db_session, project)]
    assert sentences[-3:] == [
        f"actor made the team release of {organization.name} Maintainer",
        f"actor changed the team release of {organization.name} from Maintainer to Owner",
        f"actor removed the team release of {organization.name} (Owner)",
    ]
    assert [e.tag for e in events_of(db_session, team)][-3:] == [
        EventTag.TeamProjectRoleAdd,
        EventTag.TeamProjectRoleChange,
        EventTag.TeamProjectRoleRemove,
    ]
    assert events_of(db_session, organization)[-1].sentence == (
        "actor removed the team release (Owner) from rocket"
    )


def test_a_team_is_given_roles_only_on_its_organizations_projects(teams, organization):
    team = teams.create_team(organization, "release")
    with pytest.raises(TeamGrantRefused, match="does not belong to"):
        teams.grant_project(team, ProjectFactory.create(name="personal"), TEAM_OWNER)
    with pytest.raises(TeamGrantRefused, match="does not belong to"):
        teams.grant_project(team, _org_project(OrganizationFactory.create(), "theirs"), TEAM_OWNER)


def test_a_team_member_who_is_not_an_owner_cannot_demote_or_remove_their_own_teams_owner_role(
    app_registry, teams, organization, db_session
):
    team = teams.create_team(organization, "release")
    project = _org_project(organization, "rocket")
    manager_on_team = _member(organization, "bob", MANAGER)
    manager_elsewhere = _member(organization, "carol", MANAGER)
    owner_on_team = _member(organization, "dana", OWNER)
    for member in (manager_on_team, owner_on_team):
        teams.add_member(team, member.user)
    grant = teams.grant_project(team, project, TEAM_OWNER)

    assert not teams.may_change_grant(manager_on_team.user, grant)
    assert teams.may_change_grant(manager_elsewhere.user, grant)
    assert teams.may_change_grant(owner_on_team.user, grant)

    as_bob = DatabaseTeamService(service_request(app_registry, db_session, manager_on_team.user))
    with pytest.raises(TeamGrantRefused) as refused:
        as_bob.change_grant(grant, TEAM_MAINTAINER)
    assert str(refused.value) == OWN_TEAM_OWNER
    with pytest.raises(TeamGrantRefused, match="your own team's Owner role"):
        as_bob.revoke_grant(grant)
    db_session.expire_all()
    assert db_session.get(TeamProjectRole, grant.id).role_name == TEAM_OWNER

    # A Maintainer role is not theirs to lose Owner access through: they may change it.
    as_dana = DatabaseTeamService(service_request(app_registry, db_session, owner_on_team.user))
    assert as_dana.change_grant(grant, TEAM_MAINTAINER) == "Owner"
    grant = teams.get_grant(team, project)
    assert teams.may_change_grant(manager_on_team.user, grant)
    assert as_bob.change_grant(grant, TEAM_OWNER) == "Maintainer"


def test_teams_of_a_user_across_organizations(teams, db_session):
    bob = UserFactory.create(username="bob")
    first = OrganizationFactory.create(name="alpha")
    second = OrganizationFactory.create(name="beta")
    for organization, names in ((second, ["z", "a"]), (first, ["m"])):
        role = OrganizationRoleFactory.create(organization=organization, user=bob, role_name=MEMBER)
        for name in names:
            TeamRoleFactory.create(
                team=TeamFactory.create(organization=organization, name=name),
                organization_role=role,
            )

    assert [(t.organization.name, t.name) for t in teams.teams_of_user(bob)] == [
        ("alpha", "m"),
        ("beta", "a"),
        ("beta", "z"),
    ]
    assert [t.name for t in teams.teams_of_user(bob, second)] == ["a", "z"]


# The project's access


def _world(db_session: Any, organization: Any, size: int) -> Any:
    """A project of the organization reached by ``size`` teams, each with the same ``size``
    members (the memberships are inserted in one statement: 2,500 factory rows cost seconds)."""
    project = _org_project(organization, f"sized-{size}")
    members = [
        OrganizationRoleFactory.create(organization=organization, role_name=MEMBER)
        for _ in range(size)
    ]
    for t in range(size):
        team = TeamFactory.create(organization=organization, name=f"team-{size}-{t}")
        TeamProjectRoleFactory.create(team=team, project=project, role_name=TEAM_MAINTAINER)
        db_session.add_all(
            TeamRole(
                team_id=team.id,
                organization_id=organization.id,
                organization_role_id=member.id,
                organization_role_name=member.role_name,
            )
            for member in members
        )
    db_session.flush()
    return project


def test_loading_a_projects_access_costs_the_same_statements_for_1_and_50_teams_and_members(
    app_registry, organization, db_session, query_recorder, actor
):
    small, large = _world(db_session, organization, 1), _world(db_session, organization, 50)
    request = service_request(app_registry, db_session, actor)

    counts, entries = [], []
    for name in (small.name, large.name):
        db_session.expire_all()
        with query_recorder:
            loaded = ProjectTraversal(request)[name]
            entries.append(len(loaded.__acl__()))
        counts.append(query_recorder.count)

    # The actor is an organization Owner; the rest reach the project through their teams.
    assert entries == [1 + 1, 1 + 50 * 50]
    # The project with its individual roles, and what its organization grants (Owners and teams).
    assert counts == [2, 2]


def test_a_team_role_gives_the_permissions_of_the_same_individual_role(
    app_registry, teams, organization, db_session
):
    project = _org_project(organization, "rocket")
    owners, maintainers = (teams.create_team(organization, n) for n in ("owners", "maintainers"))
    bob, carol = _member(organization, "bob"), _member(organization, "carol", MANAGER)
    teams.add_member(owners, bob.user)
    teams.add_member(maintainers, carol.user)
    teams.grant_project(owners, project, TEAM_OWNER)
    teams.grant_project(maintainers, project, TEAM_MAINTAINER)
    outsider = _member(organization, "erin")

    assert _permissions(app_registry, db_session, project, bob.user) == ADMINISTER
    assert _permissions(app_registry, db_session, project, carol.user) == READ_UPLOAD
    # Being in the organization gives a Member nothing on its projects.
    assert _permissions(app_registry, db_session, project, outsider.user) == set()
    # Who reaches it through what, as the organization's projects page will say.
    assert sorted(
        (db_session.get(User, a.user_id).username, a.role_name, a.team)
        for a in teams.project_access(project.id)
    ) == [
        ("actor", "Owner", None),
        ("bob", "Owner", "owners"),
        ("carol", "Maintainer", "maintainers"),
    ]


def test_an_inactive_organizations_teams_reach_nothing(
    app_registry, teams, organization, db_session
):
    team = teams.create_team(organization, "release")
    bob = _member(organization, "bob")
    teams.add_member(team, bob.user)
    project = _org_project(organization, "rocket")
    teams.grant_project(team, project, TEAM_OWNER)
    organization.is_active = False
    db_session.flush()

    assert _permissions(app_registry, db_session, project, bob.user) == set()


@pytest.mark.parametrize(
    ("tag", "details", "sentence"),
    [
        (
            EventTag.OrganizationTeamRoleRemove,
            {"actor": "ada", "username": "bob", "team": "docs"},
            "ada removed bob from the team docs",
        ),
        (
            EventTag.OrganizationTeamRoleRemove,
            {"actor": "ada", "username": "bob", "team": "docs", "reason": "left_organization"},
            "bob left the team docs: they are no longer a member of the organization",
        ),
        (
            EventTag.OrganizationTeamProjectRoleChange,
            {
                "actor": "ada",
                "team": "docs",
                "project": "p",
                "old_role": "Owner",
                "role": "Maintainer",
            },
            "ada changed the team docs on p from Owner to Maintainer",
        ),
        (
            EventTag.AccountTeamRoleRemove,
            {"actor": "ada", "username": "bob", "team": "docs", "organization": "o"},
            "ada removed you from the team docs of o",
        ),
    ],
)
def test_team_events_read_as_sentences(tag, details, sentence):
    assert describe(tag, details) == sentence
