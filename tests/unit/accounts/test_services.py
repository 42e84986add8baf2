import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.common.db.accounts import EmailFactory, UserFactory, totp_code
from warehouse_orgs.accounts.interfaces import NameOrAddressTaken
from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.accounts.services import DatabaseUserService, LastAdminRefused
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.tasks import make_task_request


@pytest.fixture
def service(app_registry):
    request = make_task_request(app_registry)
    request.tm.begin()
    yield DatabaseUserService(request)
    request.tm.abort()


def _tags(service, user):
    return [
        e.tag
        for e in service.db.scalars(
            select(User.Event).where(User.Event.source_id == user.id).order_by(User.Event.time)
        )
    ]


def test_create_user_makes_an_unverified_primary_email_and_an_event(service):
    user = service.create_user("Ada", "Ada L", "a good password", "ada@example.com")
    assert user.primary_email.email == "ada@example.com"
    assert not user.has_verified_primary_email
    assert service.check_password(user, "a good password")
    assert not service.check_password(user, "A good password")
    assert _tags(service, user) == [EventTag.AccountCreate]
    assert service.get_user_by_username("ADA") is user
    assert service.get_user_by_email("ADA@EXAMPLE.COM") is user


def test_usernames_are_unique_ignoring_case_in_the_database(service):
    service.create_user("Ada", "", "pw pw pw pw", "a1@example.com")
    # The database refuses it; the service answers with the form's own words.
    with pytest.raises(NameOrAddressTaken, match="already taken") as refused:
        service.create_user("ada", "", "pw pw pw pw", "a2@example.com")
    assert isinstance(refused.value.__cause__, IntegrityError)


def test_the_database_refuses_a_malformed_username(service):
    with pytest.raises(IntegrityError, match="users_valid_username_check"):
        service.create_user("-bad-", "", "pw pw pw pw", "bad@example.com")


def test_a_user_has_at_most_one_primary_address_in_the_database(service, db_session):
    user = UserFactory.create()
    with pytest.raises(IntegrityError, match="user_emails_one_primary_per_user"):
        EmailFactory.create(user=user, email="second@example.com", primary=True)


def test_verifying_an_address_makes_it_primary_if_the_primary_is_unverified(service):
    user = service.create_user("bea", "", "pw pw pw pw", "bea@example.com")
    other = service.add_email(user, "bea@work.example")
    service.verify_email(other)
    assert user.primary_email.email == "bea@work.example"
    assert user.has_verified_primary_email


def test_only_verified_addresses_become_primary_and_the_primary_stays(service):
    user = service.create_user("cy", "", "pw pw pw pw", "cy@example.com")
    other = service.add_email(user, "cy@other.example")
    with pytest.raises(ValueError, match="only a verified address"):
        service.set_primary_email(user, other)
    with pytest.raises(ValueError, match="primary address cannot be removed"):
        service.remove_email(user, user.primary_email)


def test_totp_rejects_malformed_and_replayed_codes(service):
    user = service.get_user(UserFactory.create().id)
    assert not service.check_totp_value(user, "12345")
    assert not service.check_totp_value(user, "abcdef")
    code = totp_code(user)
    assert service.check_totp_value(user, code)
    assert not service.check_totp_value(user, code)
    assert service.check_totp_value(user, totp_code(user, step_offset=1))


def test_recovery_codes_work_once_each(service):
    user = service.get_user(UserFactory.create().id)
    codes = service.generate_recovery_codes(user)
    assert service.use_recovery_code(user, codes[0].upper())
    assert not service.use_recovery_code(user, codes[0])
    assert service.unused_recovery_code_count(user) == 7
    service.disable_totp(user)
    assert service.unused_recovery_code_count(user) == 0
    assert not user.has_two_factor


def test_staff_flags_record_only_real_changes(service):
    user = service.get_user(UserFactory.create().id)
    service.set_staff_flag(user, "is_support", True)
    service.set_staff_flag(user, "is_support", True)
    assert user.staff_roles == ["Support"]
    assert "group:support" in user.__principals__()
    assert _tags(service, user).count(EventTag.AccountStaffFlagChange) == 1
    with pytest.raises(ValueError, match="unknown staff flag"):
        service.set_staff_flag(user, "is_root", True)


def test_deleting_a_user_removes_their_rows(service):
    user = service.get_user(UserFactory.create().id)
    service.generate_recovery_codes(user)
    user_id = user.id
    service.delete_user(user)
    assert service.db.scalars(select(Email).where(Email.user_id == user_id)).all() == []
    assert service.get_user(user_id) is None


def test_unknown_ids_find_nobody(service):
    assert service.get_user("not-a-uuid") is None
    assert service.get_user("00000000-0000-4000-8000-000000000000") is None


def test_the_last_admin_cannot_lose_the_role(service):
    only = service.get_user(UserFactory.create(is_superuser=True).id)
    with pytest.raises(LastAdminRefused):
        service.set_staff_flag(only, "is_superuser", False)
    second = service.get_user(UserFactory.create(is_superuser=True).id)
    service.set_staff_flag(only, "is_superuser", False)
    assert not only.is_superuser
    with pytest.raises(LastAdminRefused):
        service.set_staff_flag(second, "is_superuser", False)
