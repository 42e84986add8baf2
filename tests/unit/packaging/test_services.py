"""DatabaseProjectService against a real PostgreSQL: names, roles, the last Owner, events, ACL."""

import pytest
from pyramid.authorization import ACLHelper, Allow, Authenticated, Everyone
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.common.concurrency import (
    in_thread,
    service_request,
    wait_until_blocked,
)
from tests.common.db.accounts import UserFactory
from tests.common.db.packaging import ProjectFactory, RoleFactory
from warehouse_orgs.accounts.models import User
from warehouse_orgs.authnz import Permissions, user_principal
from warehouse_orgs.events.tags import EventTag, describe
from warehouse_orgs.ownership import LastOwnerRefused
from warehouse_orgs.packaging.models import Project, ProjectRoleName, Role
from warehouse_orgs.packaging.services import (
    DatabaseProjectService,
    ProjectNameUnavailable,
    RoleAlreadyExists,
)

OWNER = ProjectRoleName.Owner
MAINTAINER = ProjectRoleName.Maintainer


@pytest.fixture
def actor(db_session):
    return UserFactory.create(username="actor")


@pytest.fixture
def service(app_registry, db_session, actor):
    # The factories' session, so rows they make and rows the service makes are the same objects.
    return DatabaseProjectService(service_request(app_registry, db_session, actor))


def _events(db_session, project):
    return [
        (event.tag, event.additional)
        for event in db_session.scalars(
            select(Project.Event)
            .where(Project.Event.source_id == project.id)
            .order_by(Project.Event.time)
        )
    ]


def _roles(db_session, project):
    db_session.expire_all()
    return sorted(
        (role.user.username, role.role_name)
        for role in db_session.scalars(select(Role).where(Role.project_id == project.id))
    )


# Names


def test_create_project_makes_the_creator_its_owner_and_records_it(service, db_session, actor):
    project = service.create_project("Sample_Project", actor)
    assert project.normalized_name == "sample-project"
    assert _roles(db_session, project) == [("actor", OWNER)]
    assert _events(db_session, project) == [
        (EventTag.ProjectCreate, {"actor": "actor", "project": "Sample_Project"}),
        (
            EventTag.ProjectRoleAdd,
            {"actor": "actor", "project": "Sample_Project", "username": "actor", "role": "Owner"},
        ),
    ]
    assert service.get_project_by_name("sample.project") is project


@pytest.mark.parametrize("spelling", ["foo-bar", "Foo_Bar", "FOO.BAR", "foo__-.bar"])
def test_service_refuses_a_name_taken_in_any_spelling(service, db_session, actor, spelling):
    ProjectFactory.create(name="foo-bar")
    with pytest.raises(ProjectNameUnavailable):
        service.create_project(spelling, actor)
    count = db_session.scalar(text("SELECT count(*) FROM projects"))
    assert count == 1


def test_the_database_itself_refuses_a_name_taken_in_another_spelling(db_session):
    ProjectFactory.create(name="foo-bar")
    refused = pytest.raises(IntegrityError, match="projects_normalized_name_key")
    with refused, db_session.begin_nested():
        db_session.execute(insert(Project).values(name="Foo_Bar"))


@pytest.mark.parametrize("name", ["-leading", "trailing.", "has space", "ünïcode", "a" * 101])
def test_the_database_refuses_names_that_break_the_rules(db_session, name):
    refused = pytest.raises(IntegrityError, match="projects_valid_name_check")
    with refused, db_session.begin_nested():
        db_session.execute(insert(Project).values(name=name))


def test_the_longest_allowed_name_is_accepted(service, actor):
    assert service.create_project("a" * 100, actor).normalized_name == "a" * 100


# Roles and the last Owner


def test_add_role_records_names_and_refuses_a_second_role(service, db_session, actor):
    project = service.create_project("roles", actor)
    bob = UserFactory.create(username="bob")
    service.add_role(project, bob, MAINTAINER)
    assert _roles(db_session, project) == [("actor", OWNER), ("bob", MAINTAINER)]
    project = service.get_project_by_name("roles")
    with pytest.raises(RoleAlreadyExists):
        service.add_role(project, bob, OWNER)
    assert _roles(db_session, project) == [("actor", OWNER), ("bob", MAINTAINER)]
    assert _events(db_session, project)[-1] == (
        EventTag.ProjectRoleAdd,
        {"actor": "actor", "project": "roles", "username": "bob", "role": "Maintainer"},
    )


def test_the_only_owner_cannot_be_demoted(service, db_session):
    role = RoleFactory.create(role_name=OWNER)
    RoleFactory.create(project=role.project, role_name=MAINTAINER)
    with pytest.raises(LastOwnerRefused):
        service.change_role(role, MAINTAINER)
    assert sorted(r for _u, r in _roles(db_session, role.project)) == [MAINTAINER, OWNER]
    assert _events(db_session, role.project) == []


def test_the_only_owner_cannot_be_removed(service, db_session):
    role = RoleFactory.create(role_name=OWNER)
    with pytest.raises(LastOwnerRefused):
        service.remove_role(role)
    assert _roles(db_session, role.project) == [(role.user.username, OWNER)]


def test_an_owner_can_be_demoted_or_removed_while_another_remains(service, db_session):
    first = RoleFactory.create(role_name=OWNER, user__username="first")
    second = RoleFactory.create(project=first.project, role_name=OWNER, user__username="second")
    project = first.project

    service.change_role(first, MAINTAINER)
    assert _roles(db_session, project) == [("first", MAINTAINER), ("second", OWNER)]
    # Now second is the only Owner.
    with pytest.raises(LastOwnerRefused):
        service.remove_role(second)
    service.remove_role(first)
    assert _roles(db_session, project) == [("second", OWNER)]

    name = project.name
    assert _events(db_session, project) == [
        (
            EventTag.ProjectRoleChange,
            {
                "actor": "actor",
                "project": name,
                "username": "first",
                "role": "Maintainer",
                "old_role": "Owner",
            },
        ),
        (
            EventTag.ProjectRoleRemove,
            {"actor": "actor", "project": name, "username": "first", "role": "Maintainer"},
        ),
    ]
    sentences = [describe(tag, details) for tag, details in _events(db_session, project)]
    assert sentences == [
        "actor changed first from Owner to Maintainer",
        "actor removed first (Maintainer)",
    ]


def test_changing_to_the_same_role_changes_and_records_nothing(service, db_session):
    role = RoleFactory.create(role_name=OWNER)
    service.change_role(role, OWNER)
    assert _events(db_session, role.project) == []


def test_a_stale_role_is_judged_by_what_is_committed(service, db_session):
    # The request loaded "Maintainer", but the row says Owner by the time the lock is taken.
    role = RoleFactory.create(role_name=MAINTAINER)
    db_session.execute(
        text("UPDATE project_roles SET role_name = 'Owner' WHERE id = :id"), {"id": role.id}
    )
    assert role.role_name == MAINTAINER
    with pytest.raises(LastOwnerRefused):
        service.remove_role(role)
    assert _roles(db_session, role.project) == [(role.user.username, OWNER)]


# Deleting


def test_delete_project_keeps_the_deletion_in_each_collaborators_history(
    service, db_session, actor
):
    project = service.create_project("doomed", actor)
    bob = UserFactory.create(username="bob")
    service.add_role(project, bob, MAINTAINER)
    project = service.get_project_by_name("doomed")
    service.delete_project(project)
    db_session.expire_all()
    assert service.get_project_by_name("doomed") is None
    assert db_session.scalar(text("SELECT count(*) FROM project_roles")) == 0
    assert db_session.scalar(text("SELECT count(*) FROM project_events")) == 0
    for user in (actor, bob):
        (event,) = db_session.scalars(
            select(User.Event).where(
                User.Event.source_id == user.id, User.Event.tag == EventTag.ProjectDelete
            )
        )
        assert describe(event.tag, event.additional) == "Project doomed deleted by actor"


# Listing


def test_projects_for_user_lists_only_their_projects_with_their_role(service, db_session, actor):
    for name in ("zeta", "Alpha", "mid"):
        service.create_project(name, actor)
    other = RoleFactory.create(project__name="not-mine")
    RoleFactory.create(
        project=service.get_project_by_name("mid"), user=other.user, role_name=MAINTAINER
    )

    page = service.projects_for_user(actor, 1)
    assert [(project.name, ways) for project, ways in page.items] == [
        ("Alpha", [(OWNER, None)]),
        ("mid", [(OWNER, None)]),
        ("zeta", [(OWNER, None)]),
    ]
    page = service.projects_for_user(other.user, 1)
    assert [(project.name, ways) for project, ways in page.items] == [
        ("mid", [(MAINTAINER, None)]),
        ("not-mine", [(OWNER, None)]),
    ]


# The ACL


def test_acl_grants_each_role_its_permissions_and_nobody_else_anything():
    owner = User(username="o")
    maintainer = User(username="m")
    owner.id, maintainer.id = (
        "11111111-1111-1111-1111-111111111111",
        "22222222-2222-2222-2222-222222222222",
    )
    project = Project(name="acl")
    project.roles = [
        Role(user=owner, user_id=owner.id, role_name=OWNER),
        Role(user=maintainer, user_id=maintainer.id, role_name=MAINTAINER),
    ]
    assert sorted(project.__acl__()) == sorted(
        [
            (
                Allow,
                user_principal(owner.id),
                ["projects:read", "projects:write", "projects:upload"],
            ),
            (Allow, user_principal(maintainer.id), ["projects:read", "projects:upload"]),
        ]
    )

    def permits(principal, permission):
        principals = [Everyone, Authenticated, principal]
        return bool(ACLHelper().permits(project, principals, permission))

    assert permits(user_principal(owner.id), Permissions.ProjectsWrite)
    assert permits(user_principal(maintainer.id), Permissions.ProjectsUpload)
    assert not permits(user_principal(maintainer.id), Permissions.ProjectsWrite)
    stranger = user_principal("33333333-3333-3333-3333-333333333333")
    assert not any(permits(stranger, p) for p in Permissions)
    # Staff groups get nothing from the project: it has no parent to inherit from.
    assert not permits("group:admins", Permissions.ProjectsRead)


# Concurrency: two real connections on a database of their own, committing for real.


def test_two_owners_demoting_each_other_at_once_leave_one_owner(app_registry, committed_database):
    with Session(committed_database) as setup:
        alice = User(username="alice", password="x")
        bob = User(username="bob", password="x")
        project = Project(name="raced")
        setup.add_all(
            [
                Role(user=alice, project=project, role_name=OWNER),
                Role(user=bob, project=project, role_name=OWNER),
            ]
        )
        setup.commit()
        project_id = project.id

    def demote(session, username):
        service = DatabaseProjectService(service_request(app_registry, session))
        role = session.scalars(
            select(Role).join(User).where(Role.project_id == project_id, User.username == username)
        ).one()
        return service, role

    with Session(committed_database) as first, Session(committed_database) as second:
        service, role = demote(first, "alice")
        service.change_role(role, MAINTAINER)  # holds the project's row lock until commit

        other_service, other_role = demote(second, "bob")
        thread, outcome = in_thread(lambda: other_service.change_role(other_role, MAINTAINER))
        wait_until_blocked(committed_database)
        first.commit()
        thread.join(timeout=10)
        second.rollback()

    assert isinstance(outcome.get("error"), LastOwnerRefused)
    with Session(committed_database) as check:
        owners = check.scalars(
            select(User.username)
            .join(Role)
            .where(Role.project_id == project_id, Role.role_name == OWNER)
        ).all()
    assert owners == ["bob"]


def test_a_name_taken_by_a_concurrent_request_is_refused_the_same_way(
    app_registry, committed_database
):
    with Session(committed_database) as setup:
        setup.add_all([User(username="alice", password="x"), User(username="bob", password="x")])
        setup.commit()

    with Session(committed_database) as first, Session(committed_database) as second:
        alice = first.scalars(select(User).where(User.username == "alice")).one()
        DatabaseProjectService(service_request(app_registry, first)).create_project("Racy", alice)

        bob = second.scalars(select(User).where(User.username == "bob")).one()
        service = DatabaseProjectService(service_request(app_registry, second))
        # The first insert is not committed, so the check sees nothing and the insert waits.
        thread, outcome = in_thread(lambda: service.create_project("racy", bob))
        wait_until_blocked(committed_database)
        first.commit()
        thread.join(timeout=10)
        second.rollback()

    assert isinstance(outcome.get("error"), ProjectNameUnavailable)
