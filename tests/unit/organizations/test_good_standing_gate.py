"""Invariant 8 in the services: an organization out of good standing does not grow. Sending or
resending an invitation, accepting one, creating a team and moving a project in (added,
created, transferred) are refused with the good-standing rule's reason, judged under the
organization's lock; everything else (staff adding someone, removing people, a project
leaving) goes on.

The rule is billing's (``IOrganizationStanding``); these tests set its inputs up through rows:
a Company organization with no subscription is not in good standing, one with an unexpired
manual activation is, a Community one always is.
"""

import datetime
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationInvitationFactory,
    OrganizationProjectFactory,
    OrganizationRoleFactory,
)
from tests.common.db.packaging import ProjectFactory, RoleFactory
from tests.common.db.subscriptions import ManualActivationFactory
from tests.common.races import assert_first_won, race
from tests.common.table_snapshots import table_snapshot
from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.organizations.interfaces import (
    InvitationRefused,
    MembershipRefused,
    TeamRefused,
)
from warehouse_orgs.organizations.locks import lock_organization
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationInvitation,
    OrganizationNameCatalog,
    OrganizationRole,
    Team,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.project_interfaces import OrganizationProjectRefused
from warehouse_orgs.organizations.services import (
    DatabaseOrganizationMembershipService,
    DatabaseTeamService,
)
from warehouse_orgs.organizations.services.projects import DatabaseOrganizationProjectService
from warehouse_orgs.packaging.models import Project, ProjectRoleName
from warehouse_orgs.subscriptions.models import ManualActivation

OWNER = OrganizationRoleType.Owner
MEMBER = OrganizationRoleType.Member
REASON = "Lapsed Inc has no active subscription."


@pytest.fixture
def lapsed(actor: User) -> Organization:
    organization = OrganizationFactory.create(
        name="lapsed", display_name="Lapsed Inc", orgtype="Company"
    )
    OrganizationRoleFactory.create(organization=organization, user=actor, role_name=OWNER)
    return organization


@pytest.fixture
def in_transaction(request_: Any) -> Any:
    """A change of seats queues billing's work for after the commit, as a web request's
    transaction would run it: begin one, and abort it, so nothing runs."""
    request_.tm.begin()
    yield
    request_.tm.abort()


@pytest.fixture
def teams(request_: Any) -> DatabaseTeamService:
    return DatabaseTeamService(request_)


@pytest.fixture
def projects(request_: Any) -> DatabaseOrganizationProjectService:
    return DatabaseOrganizationProjectService(request_)


def own_project(user: User, name: str) -> Project:
    project = ProjectFactory.create(name=name)
    RoleFactory.create(project=project, user=user, role_name=ProjectRoleName.Owner)
    return project


def refuses(db_session: Any, kind: type[Exception], work: Any) -> str:
    """Run ``work``, which must be refused with ``kind`` and change no row; the message."""
    before = table_snapshot(db_session)
    with pytest.raises(kind) as refused:
        work()
    assert before.changed_tables(table_snapshot(db_session), ignore=frozenset()) == []
    return str(refused.value)


# Refused while lapsed, allowed once activated


def test_an_invitation_is_refused_then_allowed_once_activated(membership, db_session, lapsed):
    bob = UserFactory.create(username="bob")
    message = refuses(db_session, InvitationRefused, lambda: membership.invite(lapsed, bob, MEMBER))
    assert message.startswith(REASON)

    ManualActivationFactory.create(organization=lapsed)
    invitation, _ = membership.invite(lapsed, bob, MEMBER)
    assert invitation.user_id == bob.id


def test_sending_an_invitation_again_is_refused(membership, db_session, lapsed):
    invitation = OrganizationInvitationFactory.create(organization=lapsed)
    message = refuses(
        db_session, InvitationRefused, lambda: membership.resend_invitation(invitation)
    )
    assert message.startswith(REASON)


def test_accepting_waits_until_the_organization_is_in_good_standing(
    membership, db_session, lapsed, in_transaction
):
    invitation = OrganizationInvitationFactory.create(organization=lapsed)
    message = refuses(
        db_session, MembershipRefused, lambda: membership.accept_invitation(invitation)
    )
    assert message.startswith(REASON)
    assert "your invitation stays open until" in message
    db_session.refresh(invitation)
    assert invitation.is_pending

    ManualActivationFactory.create(organization=lapsed)
    role = membership.accept_invitation(invitation)
    assert (role.user_id, role.role_name) == (invitation.user_id, MEMBER)


def test_a_new_team_is_refused(teams, db_session, lapsed):
    assert refuses(db_session, TeamRefused, lambda: teams.create_team(lapsed, "docs")).startswith(
        REASON
    )
    ManualActivationFactory.create(organization=lapsed)
    assert teams.create_team(lapsed, "docs").name == "docs"


def test_adding_a_project_is_refused_at_the_preview_and_under_the_lock(
    projects, db_session, actor, lapsed
):
    widget = own_project(actor, "widget")
    for work in (
        lambda: projects.preview_add(lapsed, widget, actor),
        lambda: projects.add_project(lapsed, widget, actor),
    ):
        assert refuses(db_session, OrganizationProjectRefused, work).startswith(REASON)
    ManualActivationFactory.create(organization=lapsed)
    projects.add_project(lapsed, widget, actor)
    assert projects.current_organization(widget) is lapsed


def test_creating_a_project_in_it_is_refused(projects, db_session, actor, lapsed):
    message = refuses(
        db_session,
        OrganizationProjectRefused,
        lambda: projects.create_project(lapsed, "brand-new", actor),
    )
    assert message.startswith(REASON)
    assert db_session.scalars(select(Project).where(Project.name == "brand-new")).all() == []


def test_a_project_may_leave_it_but_not_come_in(projects, db_session, actor, lapsed):
    community = OrganizationFactory.create(name="community")
    OrganizationRoleFactory.create(organization=community, user=actor, role_name=OWNER)
    gadget = ProjectFactory.create(name="gadget")
    OrganizationProjectFactory.create(organization=community, project=gadget)
    for work in (
        lambda: projects.preview_transfer(gadget, "lapsed", actor),
        lambda: projects.transfer_project(gadget, "lapsed", actor),
    ):
        assert refuses(db_session, OrganizationProjectRefused, work).startswith(REASON)

    leaving = ProjectFactory.create(name="leaving")
    OrganizationProjectFactory.create(organization=lapsed, project=leaving)
    projects.transfer_project(leaving, "community", actor)
    assert projects.current_organization(leaving) is community


def test_a_community_organization_is_never_refused(membership, teams, projects, actor):
    community = OrganizationFactory.create(name="community")
    OrganizationRoleFactory.create(organization=community, user=actor, role_name=OWNER)
    membership.invite(community, UserFactory.create(), MEMBER)
    teams.create_team(community, "docs")
    projects.create_project(community, "brand-new", actor)


def test_staff_adding_someone_and_removing_people_are_not_gated(
    membership, db_session, lapsed, in_transaction
):
    """Staff act on purpose (a support case); and a lapsed company must be able to shrink."""
    role = membership.add_role(lapsed, UserFactory.create(username="added"), MEMBER)
    membership.remove_role(role)
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(OrganizationRole)
            .where(OrganizationRole.organization_id == lapsed.id)
        )
        == 1
    )


# Judged under the lock


@pytest.fixture
def activated(committed_database: Engine) -> uuid.UUID:
    """A committed Company organization "raced" with a manual activation; alice its Owner,
    bob a verified account to invite."""
    with Session(committed_database) as setup:
        users = {}
        for username in ("alice", "bob"):
            user = User(username=username, password="x")
            user.emails.append(Email(email=f"{username}@example.com", primary=True, verified=True))
            users[username] = user
        organization = Organization(
            name="raced", display_name="Raced Inc", orgtype="Company",
            link_url="https://example.com/", description="",
        )  # fmt: skip
        setup.add_all([*users.values(), organization])
        setup.flush()
        setup.refresh(organization, ["normalized_name"])
        setup.add_all(
            [
                OrganizationNameCatalog(
                    normalized_name=organization.normalized_name, organization_id=organization.id
                ),
                OrganizationRole(organization=organization, user=users["alice"], role_name=OWNER),
                ManualActivation(
                    organization_id=organization.id,
                    seat_limit=5,
                    expires=datetime.date.today() + datetime.timedelta(days=30),
                ),
            ]
        )
        setup.commit()
        return organization.id


def _lapse(organization_id: uuid.UUID) -> Any:
    """Staff end the manual activation, taking the organization's lock first, as every change
    to the billing mirror does."""

    def work(session: Session) -> None:
        lock_organization(session, session.get(Organization, organization_id))
        session.execute(
            delete(ManualActivation).where(ManualActivation.organization_id == organization_id)
        )

    return work


def _grow(app_registry: Any, organization_id: uuid.UUID, how: str) -> Any:
    def work(session: Session) -> None:
        alice = session.scalars(select(User).where(User.username == "alice")).one()
        request = service_request(app_registry, session, alice)
        organization = session.get(Organization, organization_id)
        if how == "invite":
            bob = session.scalars(select(User).where(User.username == "bob")).one()
            DatabaseOrganizationMembershipService(request).invite(organization, bob, MEMBER)
        elif how == "team":
            DatabaseTeamService(request).create_team(organization, "docs")
        else:
            DatabaseOrganizationProjectService(request).create_project(
                organization, "brand-new", alice
            )

    return work


@pytest.mark.parametrize(
    ("how", "refusal"),
    [
        ("invite", InvitationRefused),
        ("team", TeamRefused),
        ("project", OrganizationProjectRefused),
    ],
)
def test_growing_while_the_activation_ends_waits_and_is_refused(
    app_registry, committed_database, activated, how, refusal
):
    """The request that would grow the organization read it in good standing; it waits for
    the lock the ending activation holds, then judges again and is refused. Judged before the
    lock, it would go ahead after the organization lapsed."""
    lapsing, growing = race(
        committed_database, _lapse(activated), _grow(app_registry, activated, how)
    )

    assert_first_won(lapsing, growing)
    assert isinstance(growing.error, refusal), repr(growing.error)
    assert str(growing.error).startswith("Raced Inc has no active subscription.")
    with Session(committed_database) as check:
        assert check.scalars(select(OrganizationInvitation)).all() == []
        assert check.scalars(select(Team)).all() == []
        assert check.scalars(select(Project)).all() == []
