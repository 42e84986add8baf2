"""/admin/users/: finding accounts, reading one, and changing its staff roles."""

import pytest

from tests.common.db.accounts import EmailFactory, UserFactory
from tests.common.events import events_of
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in, make_authentication_stale
from warehouse_orgs.accounts.models import User
from warehouse_orgs.events.tags import EventTag


@pytest.fixture
def admin(db_session):
    return UserFactory.create(username="the-admin", is_superuser=True)


@pytest.fixture
def app(webtest_app, admin):
    log_in(webtest_app, admin)
    return webtest_app


def _usernames(page):
    return [row.find("a").text for row in page.html.select("main table tbody tr")]


def _add_events(db_session, user, count):
    db_session.add_all(
        User.Event(source_id=user.id, tag=EventTag.AccountNameChange, additional={"name": f"n{n}"})
        for n in range(count)
    )
    db_session.flush()


# Finding accounts


def test_search_by_part_of_a_username_ignores_case(app, db_session):
    UserFactory.create(username="Alicia")
    UserFactory.create(username="malice")
    UserFactory.create(username="bob")
    page = app.get("/admin/users/", {"q": "ALIC"})
    assert _usernames(page) == ["Alicia", "malice"]
    assert "Accounts matching “ALIC”" in main_text(page)


def test_search_by_email_finds_the_owner_of_any_address(app, db_session):
    bob = UserFactory.create(username="bob")
    UserFactory.create(username="carol")
    EmailFactory.create(user=bob, email="Robert@Corp.Example", primary=False, verified=False)
    page = app.get("/admin/users/", {"q": "corp.example"})
    assert _usernames(page) == ["bob"]
    # The list shows the primary address, not the one that matched.
    assert "bob@example.com" in main_text(page)


def test_wildcards_in_a_search_are_taken_literally(app, db_session):
    UserFactory.create_batch(3)
    page = app.get("/admin/users/", {"q": "%"})
    assert _usernames(page) == []
    assert "No account matches." in main_text(page)


def test_an_empty_search_lists_everyone_with_their_badges(app, db_session, admin):
    UserFactory.create(username="newbie", without_two_factor=True, primary_email__verified=False)
    page = app.get("/admin/users/", {"q": "  "})
    assert _usernames(page) == ["newbie", "the-admin"]
    newbie, the_admin = page.html.select("main table tbody tr")
    assert [b.text for b in newbie.select(".badge")] == ["Email unverified", "2FA off"]
    assert [b.text for b in the_admin.select(".badge")] == ["Email verified", "2FA on", "Admin"]
    # Read as text (a screen reader, a copy), the badges are apart.
    security = the_admin.find_all("td")[3].get_text()
    assert security == "Email verified, 2FA on"


def test_a_search_longer_than_100_characters_is_refused(app, db_session):
    page = app.get("/admin/users/", {"q": "a" * 101}, status=400)
    assert field_error(page, "q") == "Use at most 100 characters."
    assert not page.html.select("main table")


def test_accounts_come_in_pages_of_25_by_username(app, db_session):
    UserFactory.create_batch(30)  # 31 with the admin
    first = app.get("/admin/users/")
    assert len(_usernames(first)) == 25
    assert _usernames(first) == sorted(_usernames(first))
    second = first.click("Next")
    assert len(_usernames(second)) == 6
    assert "Showing 26\N{EN DASH}31 of 31" in main_text(second)
    assert set(_usernames(first)).isdisjoint(_usernames(second))


@pytest.mark.parametrize("number", ["0", "two", "-1", "10001"])
def test_a_bad_page_number_is_refused(app, number):
    page = app.get("/admin/users/", {"page": number}, status=400)
    assert page.html.find("h1").text == "Bad request"
    assert "The page number must be a whole number from 1 to 10000." in page.text


# One account


def test_detail_page_shows_addresses_flags_and_history(app, db_session):
    user = UserFactory.create(username="grace", is_moderator=True, without_two_factor=True)
    EmailFactory.create(user=user, email="grace@navy.example", primary=False, verified=False)
    _add_events(db_session, user, 1)
    page = app.get(f"/admin/users/{user.id}/")
    text_ = main_text(page)
    assert page.html.find("h1").text == "grace"
    assert "Two-factor authentication Off" in text_
    assert "Staff roles Moderator" in text_
    assert "Last login (UTC) Never" in text_
    assert "grace@example.com Primary , Verified" in text_
    emails = page.html.select("main table")[0].get_text()
    assert "PrimaryVerified" not in emails
    assert "Primary, Verified" in emails
    assert "grace@navy.example Unverified" in text_
    assert "Name changed to n0" in text_


def test_detail_history_comes_in_pages(app, db_session):
    user = UserFactory.create()
    _add_events(db_session, user, 30)
    first = app.get(f"/admin/users/{user.id}/")
    assert len(first.html.select("#events-heading ~ table tbody tr")) == 25
    second = first.click("Next")
    assert len(second.html.select("#events-heading ~ table tbody tr")) == 5
    app.get(f"/admin/users/{user.id}/", {"page": "x"}, status=400)


@pytest.mark.parametrize("user_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_or_malformed_id_is_not_found(app, user_id):
    app.get(f"/admin/users/{user_id}/", status=404)
    form_page = app.get("/")
    token = form_page.html.find("input", attrs={"name": "csrf_token"})["value"]
    app.post(f"/admin/users/{user_id}/staff-flags/", {"csrf_token": token}, status=404)


# Staff roles


def test_granting_support_sets_the_flag_and_records_who_did_it(app, db_session, admin):
    user = UserFactory.create(username="helper")
    form = app.get(f"/admin/users/{user.id}/").forms["staff-flags-form"]
    form["is_support"] = True
    page = form.submit(status=303).follow()
    assert "helper: Support granted." in main_text(page)
    assert "Support role granted by PyPI staff (the-admin)" in main_text(page)
    db_session.refresh(user)
    assert user.staff_roles == ["Support"]
    (event,) = [e for e in events_of(db_session, user) if e.tag == EventTag.AccountStaffFlagChange]
    assert event.actor_id == admin.id
    assert event.additional == {
        "actor": "the-admin",
        "flag": "Support",
        "value": True,
        "username": "helper",
    }


def test_an_admin_can_take_away_another_admins_roles(app, db_session):
    other = UserFactory.create(username="other-admin", is_superuser=True, is_psf_staff=True)
    form = app.get(f"/admin/users/{other.id}/").forms["staff-flags-form"]
    assert form["is_superuser"].checked
    form["is_superuser"] = False
    form["is_psf_staff"] = False
    page = form.submit(status=303).follow()
    assert "other-admin: Admin removed, PSF staff removed." in main_text(page)
    db_session.refresh(other)
    assert other.staff_roles == []


def test_saving_without_a_change_says_so_and_records_nothing(app, db_session):
    user = UserFactory.create(username="plain")
    form = app.get(f"/admin/users/{user.id}/").forms["staff-flags-form"]
    page = form.submit(status=303).follow()
    assert "Nothing changed for plain." in main_text(page)
    assert EventTag.AccountStaffFlagChange not in [e.tag for e in events_of(db_session, user)]


def test_an_admin_cannot_remove_their_own_admin_role(app, db_session, admin):
    form = app.get(f"/admin/users/{admin.id}/").forms["staff-flags-form"]
    form["is_superuser"] = False
    form["is_support"] = True
    page = form.submit(status=409)
    assert "You cannot remove your own Admin role." in main_text(page)
    db_session.refresh(admin)
    assert admin.staff_roles == ["Admin"]
    assert EventTag.AccountStaffFlagChange not in [e.tag for e in events_of(db_session, admin)]


def test_an_admin_may_add_roles_to_themselves(app, db_session, admin):
    form = app.get(f"/admin/users/{admin.id}/").forms["staff-flags-form"]
    form["is_moderator"] = True
    form.submit(status=303)
    db_session.refresh(admin)
    assert admin.staff_roles == ["Admin", "Moderator"]


def test_a_post_without_the_csrf_token_changes_nothing(app, db_session):
    user = UserFactory.create()
    page = app.post(f"/admin/users/{user.id}/staff-flags/", {"is_superuser": "y"}, status=400)
    assert "security token was missing" in main_text(page)
    db_session.refresh(user)
    assert user.staff_roles == []


def test_changing_staff_roles_asks_for_the_password_after_30_minutes(app, db_session):
    user = UserFactory.create()
    form = app.get(f"/admin/users/{user.id}/").forms["staff-flags-form"]
    form["is_superuser"] = True
    make_authentication_stale(db_session)
    step = form.submit(status=200)
    assert step.html.find("h1").text == "Confirm your password"
    db_session.refresh(user)
    assert user.staff_roles == []


# A fixed number of SQL statements, however many accounts, addresses or events


def test_user_list_has_a_fixed_query_count(app, db_session):
    few = app.get("/admin/users/", {"q": "example"})
    for user in UserFactory.create_batch(29):
        EmailFactory.create(user=user, primary=False)
    many = app.get("/admin/users/", {"q": "example"})
    assert len(_usernames(few)) == 1
    assert len(_usernames(many)) == 25
    # Session, signed-in user and their emails, the count, the page of users, their emails.
    assert len(few.sql_statements) == len(many.sql_statements) == 5


def test_user_detail_has_a_fixed_query_count(app, db_session):
    user = UserFactory.create()
    _add_events(db_session, user, 1)
    few = app.get(f"/admin/users/{user.id}/")
    for _ in range(5):
        EmailFactory.create(user=user, primary=False)
    _add_events(db_session, user, 29)
    many = app.get(f"/admin/users/{user.id}/")
    assert len(many.html.select("#events-heading ~ table tbody tr")) == 25
    # Session, signed-in user and emails, the account and emails, the event count, the events.
    assert len(few.sql_statements) == len(many.sql_statements) == 5


def test_dashboard_has_a_fixed_query_count(app, db_session):
    few = app.get("/admin/")
    UserFactory.create_batch(30, is_support=True)
    many = app.get("/admin/")
    assert "Accounts 31 Staff accounts 31" in main_text(many)
    # Session, signed-in user and their emails, the counts.
    assert len(few.sql_statements) == len(many.sql_statements) == 3
