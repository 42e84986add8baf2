"""Races on a project's Owners, between two real connections committing for real.

An account deletion and the other Owner leaving must not both commit: one of them is refused
with the owner rule's message, and the project keeps an Owner. The checks lock the project; the
database's trigger is the guard behind them.
"""

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.common.concurrency import service_request
from tests.common.races import assert_first_won, race
from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.accounts.services import AccountDeletionRefused, DatabaseUserService
from warehouse_orgs.ownership import OWNER_REQUIRED_SUFFIX, LastOwnerRefused
from warehouse_orgs.packaging.models import Project, ProjectRoleName, Role
from warehouse_orgs.packaging.services import DatabaseProjectService

OWNER = ProjectRoleName.Owner


@pytest.fixture
def two_owners(committed_database: Engine) -> uuid.UUID:
    """The project "raced", owned by alice and bob, in no organization."""
    with Session(committed_database) as setup:
        people = []
        for username in ("alice", "bob"):
            user = User(username=username, password="x")
            user.emails.append(Email(email=f"{username}@example.com", primary=True, verified=True))
            people.append(user)
        project = Project(name="raced")
        setup.add_all([Role(user=user, project=project, role_name=OWNER) for user in people])
        setup.commit()
        return project.id


def _load_user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def _delete_account(app_registry: Any, username: str) -> Any:
    def work(session: Session) -> None:
        user = _load_user(session, username)
        DatabaseUserService(service_request(app_registry, session, user)).delete_user(user)

    return work


def _leave(app_registry: Any, project_id: uuid.UUID, username: str) -> Any:
    def work(session: Session) -> None:
        user = _load_user(session, username)
        role = session.scalars(
            select(Role).where(Role.project_id == project_id, Role.user_id == user.id)
        ).one()
        DatabaseProjectService(service_request(app_registry, session, user)).remove_role(role)

    return work


def _delete_user_row(username: str) -> Any:
    """An account deletion that skips every check: only the database's owner rule is left."""

    def work(session: Session) -> None:
        session.execute(text("DELETE FROM users WHERE username = :u"), {"u": username})

    return work


def _owners(engine: Engine, project_id: uuid.UUID) -> list[str]:
    with Session(engine) as check:
        return list(
            check.scalars(
                select(User.username)
                .join(Role, Role.user_id == User.id)
                .where(Role.project_id == project_id, Role.role_name == OWNER)
            )
        )


def _usernames(engine: Engine) -> set[str]:
    with Session(engine) as check:
        return set(check.scalars(select(User.username)))


def test_deleting_an_account_while_the_other_owner_leaves_keeps_an_owner(
    app_registry, committed_database, two_owners
):
    deletion, leaving = race(
        committed_database,
        _delete_account(app_registry, "alice"),
        _leave(app_registry, two_owners, "bob"),
    )

    assert_first_won(deletion, leaving)
    assert isinstance(leaving.error, LastOwnerRefused), repr(leaving.error)
    assert str(leaving.error) == "There must always be at least one Owner; add another first."
    assert _owners(committed_database, two_owners) == ["bob"]
    assert "alice" not in _usernames(committed_database)


def test_leaving_while_the_other_owner_deletes_the_account_keeps_an_owner(
    app_registry, committed_database, two_owners
):
    leaving, deletion = race(
        committed_database,
        _leave(app_registry, two_owners, "bob"),
        _delete_account(app_registry, "alice"),
    )

    assert_first_won(leaving, deletion)
    assert isinstance(deletion.error, AccountDeletionRefused), repr(deletion.error)
    assert deletion.error.reasons == [
        "You are the only owner of raced. Add another owner or delete it first."
    ]
    assert _owners(committed_database, two_owners) == ["alice"]
    assert "alice" in _usernames(committed_database)


def test_the_database_refuses_deleting_the_last_owners_account_after_the_other_left(
    app_registry, committed_database, two_owners
):
    with Session(committed_database) as first:
        _leave(app_registry, two_owners, "bob")(first)
        first.commit()

    with Session(committed_database) as second, pytest.raises(IntegrityError) as refused:
        _delete_user_row("alice")(second)

    constraint = refused.value.orig.diag.constraint_name
    assert constraint == "project_roles_owner_required"
    assert constraint.endswith(OWNER_REQUIRED_SUFFIX)
    assert "The project raced would be left without an Owner." in str(refused.value)
    assert _owners(committed_database, two_owners) == ["alice"]


def test_the_database_alone_keeps_an_owner_when_a_raw_deletion_races_the_other_leaving(
    app_registry, committed_database, two_owners
):
    leaving, deletion = race(
        committed_database,
        _leave(app_registry, two_owners, "bob"),
        _delete_user_row("alice"),
    )

    assert _owners(committed_database, two_owners), "the project has no Owner left"
    assert_first_won(leaving, deletion)
    assert isinstance(deletion.error, IntegrityError), repr(deletion.error)
    assert deletion.error.orig.diag.constraint_name == "project_roles_owner_required"
