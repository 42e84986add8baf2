"""Two people registering the same username or address at the same moment: the database's
unique constraint decides, and the one who comes second is told the name is taken, with the
form's own words, instead of an error page."""

from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.common.concurrency import service_request
from tests.common.races import assert_first_won, race
from warehouse_orgs.accounts.interfaces import EMAIL_TAKEN, USERNAME_TAKEN, NameOrAddressTaken
from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.accounts.services import DatabaseUserService


def _register(app_registry: Any, username: str, email: str) -> Any:
    def work(session: Session) -> None:
        service = DatabaseUserService(service_request(app_registry, session))
        service.create_user(username, "", "a long enough password", email)

    return work


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as check:
        return check.scalar(select(func.count()).select_from(model))


def test_two_registrations_of_one_username_make_one_account(app_registry, committed_database):
    first, second = race(
        committed_database,
        _register(app_registry, "twin", "first@example.com"),
        _register(app_registry, "TWIN", "second@example.com"),
    )
    assert_first_won(first, second)
    assert isinstance(second.error, NameOrAddressTaken)
    assert (second.error.field, str(second.error)) == ("username", USERNAME_TAKEN)
    assert _count(committed_database, User) == 1


def test_two_registrations_of_one_address_make_one_account(app_registry, committed_database):
    first, second = race(
        committed_database,
        _register(app_registry, "first", "same@example.com"),
        _register(app_registry, "second", "SAME@example.com"),
    )
    assert_first_won(first, second)
    assert isinstance(second.error, NameOrAddressTaken)
    assert (second.error.field, str(second.error)) == ("email", EMAIL_TAKEN)
    assert _count(committed_database, Email) == 1


def test_adding_an_address_another_account_just_took_is_refused(app_registry, committed_database):
    with Session(committed_database) as setup:
        DatabaseUserService(service_request(app_registry, setup)).create_user(
            "owner-of-two", "", "a long enough password", "first@example.com"
        )
        setup.commit()

    def add(session: Session) -> None:
        user = session.scalars(select(User).where(User.username == "owner-of-two")).one()
        DatabaseUserService(service_request(app_registry, session)).add_email(
            user, "wanted@example.com"
        )

    first, second = race(
        committed_database,
        _register(app_registry, "newcomer", "wanted@example.com"),
        add,
    )
    assert_first_won(first, second)
    assert str(second.error) == EMAIL_TAKEN
    assert _count(committed_database, Email) == 2
