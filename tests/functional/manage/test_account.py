"""/manage/account/: what a signed-in user can change about their own account."""

import re

import pytest
from sqlalchemy import select, text

from tests.common.db.accounts import PASSWORD, EmailFactory, UserFactory
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in, make_authentication_stale
from warehouse_orgs.accounts.models import Email, RecoveryCode, User
from warehouse_orgs.events.tags import EventTag


@pytest.fixture
def user(db_session):
    return UserFactory.create()


@pytest.fixture
def app(webtest_app, user):
    log_in(webtest_app, user)
    return webtest_app


def test_account_page_shows_the_account_with_a_fixed_number_of_queries(app, db_session, user):
    page = app.get("/manage/account/")
    assert page.html.find("h1").text == "Your account"
    assert f"{user.username}@example.com" in main_text(page)
    baseline = len(page.sql_statements)

    for n in range(5):
        EmailFactory.create(user=user, email=f"extra{n}@example.com", primary=False)
    app.get("/manage/account/")  # events from the first visit do not change the count
    page = app.get("/manage/account/")
    assert len(page.sql_statements) == baseline
    # The session, the user with their emails, the recovery-code count, the projects and the
    # organizations only they own (either blocks deleting the account), the recent events.
    assert baseline == 6


def test_anonymous_visitors_are_asked_to_log_in(webtest_app):
    response = webtest_app.get("/manage/account/", status=303)
    assert response.location == "http://localhost/account/login/?next=%2Fmanage%2Faccount%2F"


def test_name_is_saved_with_an_event(app, db_session, user):
    form = app.get("/manage/account/").forms["save-account-form"]
    form["name"] = "Grace Hopper"
    assert "Your name is saved." in main_text(form.submit(status=303).follow())
    db_session.refresh(user)
    assert user.name == "Grace Hopper"
    assert event_tags(db_session, user)[-1] == EventTag.AccountNameChange


def test_too_long_name_is_refused_beside_the_field(app, db_session, user):
    form = app.get("/manage/account/").forms["save-account-form"]
    form["name"] = "x" * 101
    response = form.submit(status=400)
    assert field_error(response, "name") == "Use at most 100 characters."
    db_session.refresh(user)
    assert user.name != "x" * 101


def test_adding_verifying_and_promoting_an_email(app, db_session, user, outbox):
    form = app.get("/manage/account/").forms["add-email-form"]
    form["email"] = "second@example.org"
    page = form.submit(status=303).follow()
    assert "We sent a verification link to second@example.org." in main_text(page)

    (message,) = outbox.messages()
    assert message.recipient == "second@example.org"
    link = re.search(r"/account/verify-email/\?token=\S+", message.body("plain")).group(0)
    app.get(link).forms["verify-email-form"].submit(status=303)

    second = db_session.scalars(select(Email).where(Email.email == "second@example.org")).one()
    assert second.verified
    page = app.get("/manage/account/")
    page.forms[_form_index(page, "manage/account/emails/primary/")].submit(status=303)
    db_session.expire_all()
    assert user.primary_email.email == "second@example.org"
    assert event_tags(db_session, user)[-3:] == [
        EventTag.AccountEmailAdd,
        EventTag.AccountEmailVerify,
        EventTag.AccountEmailPrimaryChange,
    ]


def _form_index(page, action):
    for index, form in page.forms.items():
        if form.action.endswith(action):
            return index
    raise AssertionError(f"no form posting to {action}")


def test_an_address_used_by_another_account_is_refused(app, db_session):
    UserFactory.create(username="someoneelse")
    form = app.get("/manage/account/").forms["add-email-form"]
    form["email"] = "SomeoneElse@example.com"
    response = form.submit(status=400)
    assert field_error(response, "email") == "This address is already used by an account."


def test_invalid_address_is_refused(app):
    form = app.get("/manage/account/").forms["add-email-form"]
    form["email"] = "not an address"
    response = form.submit(status=400)
    assert "Enter a valid email address" in field_error(response, "email")


def test_removing_a_secondary_address_but_never_the_primary(app, db_session, user):
    EmailFactory.create(user=user, email="old@example.org", primary=False)
    page = app.get("/manage/account/")
    page.forms[_form_index(page, "manage/account/emails/delete/")].submit(status=303)
    db_session.expire_all()
    assert [e.email for e in user.emails] == [f"{user.username}@example.com"]

    primary = user.primary_email
    response = app.post(
        "/manage/account/emails/delete/",
        {
            "email_id": str(primary.id),
            "csrf_token": app.get("/manage/account/")
            .forms["save-account-form"]["csrf_token"]
            .value,
        },
        status=303,
    ).follow()
    assert "Your primary address cannot be removed" in main_text(response)
    db_session.expire_all()
    assert user.primary_email is not None


def test_someone_elses_address_cannot_be_touched(app, db_session):
    other = UserFactory.create()
    token = app.get("/manage/account/").forms["save-account-form"]["csrf_token"].value
    target = (
        other.emails[0]
        if other.emails
        else db_session.scalars(select(Email).where(Email.user_id == other.id)).one()
    )
    app.post("/manage/account/emails/delete/", {"email_id": str(target.id), "csrf_token": token})
    app.post("/manage/account/emails/primary/", {"email_id": str(target.id), "csrf_token": token})
    db_session.expire_all()
    assert db_session.get(Email, target.id) is not None
    assert db_session.get(Email, target.id).primary


def test_verification_links_are_limited(app, db_session, user, outbox):
    email = EmailFactory.create(user=user, email="slow@example.org", primary=False, verified=False)
    for _ in range(5):
        page = app.get("/manage/account/")
        page.forms[_form_index(page, "manage/account/emails/resend/")].submit(status=303)
    page = app.get("/manage/account/")
    limited = page.forms[_form_index(page, "manage/account/emails/resend/")].submit().follow()
    assert "wait an hour" in main_text(limited)
    assert len([m for m in outbox.messages() if m.recipient == email.email]) == 5


def test_stale_authentication_asks_for_the_password_again(app, db_session):
    make_authentication_stale(db_session)
    detour = app.get("/manage/account/totp-provision/", status=303)
    assert detour.location == (
        "http://localhost/account/reauthenticate/?next=%2Fmanage%2Faccount%2Ftotp-provision%2F"
    )
    confirm = detour.follow().forms["reauthenticate-form"]
    confirm["password"] = "wrong"
    assert field_error(confirm.submit(status=400), "password") == "That is not your password."
    confirm["password"] = PASSWORD
    back = confirm.submit(status=303)
    assert back.location == "http://localhost/manage/account/totp-provision/"
    # Fresh again: the form goes through.
    form = app.get("/manage/account/").forms["save-account-form"]
    form["name"] = "Changed"
    form.submit(status=303)


def test_password_change_needs_the_current_password(app, db_session, user):
    form = app.get("/manage/account/").forms["change-password-form"]
    form["password"] = "not my password"
    form["new_password"] = "something new and long"
    form["password_confirm"] = "something new and long"
    response = form.submit(status=400)
    assert field_error(response, "change-current-password") == "That is not your password."

    form = response.forms["change-password-form"]
    form["password"] = PASSWORD
    form["new_password"] = "short"
    form["password_confirm"] = "different"
    response = form.submit(status=400)
    assert field_error(response, "new_password") == "Use at least 8 characters."
    assert field_error(response, "password_confirm") == "The two passwords do not match."
    assert EventTag.AccountPasswordChange not in event_tags(db_session, user)


def test_recovery_codes_can_be_regenerated_and_old_ones_die(app, db_session, user):
    page = app.get("/manage/account/")
    form = page.forms["recovery-codes-form"]
    form["password"] = PASSWORD
    first = [c.text for c in form.submit(status=200).html.select("ul.recovery-codes code")]
    form = app.get("/manage/account/").forms["recovery-codes-form"]
    form["password"] = PASSWORD
    second = [c.text for c in form.submit(status=200).html.select("ul.recovery-codes code")]
    assert len(second) == 8
    assert not set(first) & set(second)
    live = db_session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.burned.is_(None))
    ).all()
    assert len(live) == 8


def test_turning_off_two_factor_needs_the_password_and_locks_projects(
    app, db_session, user, outbox
):
    form = app.get("/manage/account/").forms["totp-remove-form"]
    form["password"] = "nope"
    assert field_error(form.submit(status=400), "totp-remove-password") == (
        "That is not your password."
    )
    form = app.get("/manage/account/").forms["totp-remove-form"]
    form["password"] = PASSWORD
    page = form.submit(status=303).follow()
    assert "Two-factor authentication is off" in main_text(page)
    db_session.refresh(user)
    assert not user.has_two_factor
    assert (
        outbox.messages()[0].subject == "Two-factor authentication was turned off for your account"
    )
    # Projects need two-factor authentication now, and the refusal says how to fix it.
    refused = app.get("/_probe/needs-secure-account/", status=403)
    assert refused.html.find("h1").text == "Set up two-factor authentication first"
    assert refused.html.find("a", string="Set up two-factor authentication")


def test_unverified_email_is_named_as_the_missing_piece(webtest_app, db_session):
    user = UserFactory.create()
    db_session.execute(text("UPDATE user_emails SET verified = false"))
    log_in(webtest_app, user)
    refused = webtest_app.get("/_probe/needs-secure-account/", status=403)
    assert refused.html.find("h1").text == "Verify your email address first"


def test_two_factor_setup_rejects_a_wrong_code(webtest_app, db_session):
    user = UserFactory.create(without_two_factor=True)
    log_in(webtest_app, user)
    form = webtest_app.get("/manage/account/totp-provision/").forms["totp-provision-form"]
    form["totp_value"] = "12345"
    assert "6-digit code" in field_error(form.submit(status=400), "totp_value")
    db_session.refresh(user)
    assert not user.has_two_factor


def test_deleting_the_account_needs_the_username_and_password(app, db_session, user):
    form = app.get("/manage/account/").forms["delete-account-form"]
    form["confirm_username"] = "someone"
    form["password"] = PASSWORD
    response = form.submit(status=400)
    assert field_error(response, "confirm_username") == f"Type {user.username} exactly to confirm."

    form = response.forms["delete-account-form"]
    form["confirm_username"] = user.username
    form["password"] = PASSWORD
    user_id, username = user.id, user.username
    done = form.submit(status=303).follow()
    assert f"The account {username} is deleted." in main_text(done)
    db_session.expunge_all()
    assert db_session.scalar(select(User).where(User.id == user_id)) is None


def test_a_registered_check_can_refuse_deletion(app, db_session, user, app_registry):
    checks = app_registry.setdefault("accounts.deletion_checks", [])
    checks.append(lambda request, u, *, lock: ["You are the only owner of example-org."])
    try:
        page = app.get("/manage/account/")
        assert "You are the only owner of example-org." in main_text(page)
        assert "delete-account-form" not in page.forms
        token = page.forms["save-account-form"]["csrf_token"].value
        refused = app.post(
            "/manage/account/delete/",
            {"confirm_username": user.username, "password": PASSWORD, "csrf_token": token},
            status=409,
        )
        assert "You are the only owner of example-org." in main_text(refused)
    finally:
        checks.pop()
    db_session.expire_all()
    assert db_session.get(User, user.id) is not None


def test_the_only_owner_of_a_project_cannot_delete_the_account(app, db_session, user):
    from tests.common.db.packaging import ProjectFactory, RoleFactory

    shared = ProjectFactory.create(name="shared-project")
    RoleFactory.create(project=shared, user=user, role_name="Owner")
    RoleFactory.create(project=shared, user=UserFactory.create(), role_name="Owner")
    alone = ProjectFactory.create(name="lonely-project")
    RoleFactory.create(project=alone, user=user, role_name="Owner")

    page = app.get("/manage/account/")
    assert (
        "You are the only owner of lonely-project. Add another owner or delete it first."
        in main_text(page)
    )
    assert "shared-project" not in main_text(page)
    assert "delete-account-form" not in page.forms


def _delete_account(app, user):
    form = app.get("/manage/account/").forms["delete-account-form"]
    form["confirm_username"] = user.username
    form["password"] = PASSWORD
    return form.submit(status=303)


def test_deleting_the_account_is_recorded_in_each_organization_and_project_it_leaves(
    app, db_session, user
):
    from tests.common.db.organizations import (
        OrganizationFactory,
        OrganizationInvitationFactory,
        OrganizationRoleFactory,
    )
    from tests.common.db.packaging import ProjectFactory, RoleFactory

    member_of = OrganizationFactory.create(name="member-of")
    OrganizationRoleFactory.create(organization=member_of, user=user, role_name="Manager")
    invited_to = OrganizationFactory.create(name="invited-to")
    OrganizationInvitationFactory.create(organization=invited_to, user=user)
    project = ProjectFactory.create(name="kept-project")
    RoleFactory.create(project=project, user=user, role_name="Maintainer")
    username = user.username
    _delete_account(app, user)

    db_session.expire_all()
    left = db_session.scalars(
        select(member_of.Event).where(member_of.Event.source_id == member_of.id)
    ).all()
    assert [e.sentence for e in left if e.tag == EventTag.OrganizationRoleAccountDelete] == [
        f"{username} (Manager) left: their account was deleted"
    ]
    ended = db_session.scalars(
        select(invited_to.Event).where(invited_to.Event.source_id == invited_to.id)
    ).all()
    assert EventTag.OrganizationRoleInviteAccountDelete in [e.tag for e in ended]
    assert EventTag.ProjectRoleAccountDelete in event_tags(db_session, project)


def test_the_last_administrator_cannot_delete_the_account(app, db_session, user):
    db_session.execute(text("UPDATE users SET is_superuser = true WHERE id = :id"), {"id": user.id})
    db_session.expire_all()
    page = app.get("/manage/account/")
    assert "You are the only administrator" in main_text(page)
    assert "delete-account-form" not in page.forms

    colleague = UserFactory.create()
    db_session.execute(
        text("UPDATE users SET is_superuser = true WHERE id = :id"), {"id": colleague.id}
    )
    db_session.expire_all()
    user_id = user.id
    _delete_account(app, user)
    db_session.expunge_all()
    assert db_session.get(User, user_id) is None


def _email_table_headings(page):
    table = page.html.find("caption", string="Your email addresses").parent
    return [th.get_text(strip=True) for th in table.find("thead").find_all("th")]


def test_the_only_address_offers_no_actions_and_a_second_one_does(app, db_session, user):
    # The verified primary address can be neither removed nor verified again.
    assert _email_table_headings(app.get("/manage/account/")) == ["Address", "Status"]
    EmailFactory.create(user=user, email="second@example.com", verified=False, primary=False)
    page = app.get("/manage/account/")
    assert _email_table_headings(page) == ["Address", "Status", "Actions"]
    assert "Send verification link to second@example.com" in main_text(page)
