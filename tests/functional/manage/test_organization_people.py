"""/manage/organization/<name>/people/ and the invitation link: inviting, answering, roles,
removal and leaving."""

import datetime
import re

import pytest
from sqlalchemy import select

from tests.common.db.accounts import EmailFactory, UserFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationInvitationFactory,
    OrganizationRoleFactory,
)
from tests.common.db.subscriptions import ManualActivationFactory
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from warehouse_orgs.accounts.models import User
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import (
    OrganizationInvitation,
    OrganizationRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType

OWNER = OrganizationRoleType.Owner
MANAGER = OrganizationRoleType.Manager
MEMBER = OrganizationRoleType.Member
PEOPLE = "/manage/organization/acme/people/"
LINK = re.compile(r"http://localhost(/account/verify-organization-role/\?token=\S+)")


@pytest.fixture
def owner(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def organization(owner):
    organization = OrganizationFactory.create(name="acme")
    OrganizationRoleFactory.create(organization=organization, user=owner, role_name=OWNER)
    return organization


@pytest.fixture
def bob(db_session):
    return UserFactory.create(username="bob")


@pytest.fixture
def app(webtest_app, owner, organization):
    log_in(webtest_app, owner)
    return webtest_app


def _roles(db_session, organization):
    db_session.expire_all()
    return sorted(
        (role.user.username, role.role_name)
        for role in db_session.scalars(
            select(OrganizationRole).where(OrganizationRole.organization_id == organization.id)
        )
    )


def _role_id(db_session, organization, username):
    return str(
        db_session.scalars(
            select(OrganizationRole.id)
            .join(User)
            .where(OrganizationRole.organization_id == organization.id, User.username == username)
        ).one()
    )


def _csrf(page):
    return page.html.find("input", attrs={"name": "csrf_token"})["value"]


def _flash(page):
    return " ".join(alert.get_text(" ", strip=True) for alert in page.html.select(".alert"))


def _invite(app, username, role="Member", status=303):
    form = app.get(PEOPLE).forms["invite-member-form"]
    form["username"] = username
    form["role_name"] = role
    return form.submit(status=status)


def _link(outbox, recipient):
    bodies = [m.body("plain") for m in outbox.messages() if m.recipient.endswith(recipient)]
    links = [match.group(1) for body in bodies for match in LINK.finditer(body)]
    assert links, f"no invitation link was mailed to {recipient}"
    return links[0]  # newest first


def _confirmed(page, form_id, **typed):
    """The page's own removal form, with the confirmation typed in."""
    form = page.forms[form_id]
    for name, value in typed.items():
        form[name] = value
    return form


def _switch_to(app, user, step_offset=0):
    app.reset()
    log_in(app, user, step_offset=step_offset)


def _invitation(db_session, user):
    db_session.expire_all()
    return db_session.scalars(
        select(OrganizationInvitation)
        .where(OrganizationInvitation.user_id == user.id)
        .order_by(OrganizationInvitation.created.desc())
    ).first()


# Inviting and answering


def test_invite_email_accept_makes_a_member(app, db_session, outbox, organization, bob):
    page = _invite(app, "bob", "Manager").follow()
    assert "bob is invited as Manager." in _flash(page)
    assert "bob" in main_text(page)
    assert "Pending until" in main_text(page)
    subjects = {m.recipient.split("<")[-1].rstrip(">"): m.subject for m in outbox.messages()}
    assert subjects["bob@example.com"] == "alice invited you to join acme on PyPI Organizations"
    assert subjects["alice@example.com"] == "bob was invited to acme"
    link = _link(outbox, "bob@example.com")

    _switch_to(app, bob)
    offer = app.get(link, status=200)
    assert "alice invites you to join Acme (acme) as Manager ." in main_text(offer)
    # Looking is not answering.
    app.get(link, status=200)
    assert _invitation(db_session, bob).status == "pending"

    people = offer.forms["accept-invitation-form"].submit(status=303).follow()
    assert people.request.path == PEOPLE
    assert "You are now a Manager of acme." in _flash(people)
    assert _roles(db_session, organization) == [("alice", OWNER), ("bob", MANAGER)]
    assert _invitation(db_session, bob).status == "accepted"
    assert any(m.subject == "bob joined acme" for m in outbox.messages())
    assert event_tags(db_session, organization)[-2:] == [
        EventTag.OrganizationRoleInvite,
        EventTag.OrganizationRoleInviteAccept,
    ]


def test_declining_with_a_message_emails_the_owners(app, db_session, outbox, organization, bob):
    _invite(app, "bob")
    link = _link(outbox, "bob@example.com")
    _switch_to(app, bob)
    form = app.get(link).forms["decline-invitation-form"]
    form["message"] = "Thanks, but I am too busy this year."
    form.submit("decline", status=303)
    assert _invitation(db_session, bob).status == "declined"
    assert _roles(db_session, organization) == [("alice", OWNER)]
    (declined,) = [m for m in outbox.messages() if "declined" in m.subject]
    assert declined.subject == "bob declined the invitation to acme"
    assert "Thanks, but I am too busy this year." in declined.body("plain")


def test_a_decline_message_is_bounded(app, db_session, outbox, bob):
    _invite(app, "bob")
    link = _link(outbox, "bob@example.com")
    _switch_to(app, bob)
    form = app.get(link).forms["decline-invitation-form"]
    form["message"] = "x" * 401
    response = form.submit("decline", status=400)
    assert field_error(response, "message") == "Use at most 400 characters."
    assert _invitation(db_session, bob).status == "pending"


def test_a_used_token_never_works_again(app, db_session, outbox, bob):
    _invite(app, "bob")
    link = _link(outbox, "bob@example.com")
    _switch_to(app, bob)
    offer = app.get(link)
    token = offer.forms["accept-invitation-form"]["token"].value
    offer.forms["accept-invitation-form"].submit(status=303)
    replay = app.post(
        "/account/verify-organization-role/",
        {"token": token, "csrf_token": _csrf(offer)},
        status=400,
    )
    assert "This invitation was already accepted." in main_text(replay)
    assert "already accepted" in main_text(app.get(link, status=400))


def test_an_expired_token_is_refused(webtest_app, db_session, organization, bob):
    OrganizationInvitationFactory.create(
        organization=organization,
        user=bob,
        token="expired-token",
        expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1),
    )
    log_in(webtest_app, bob)
    page = webtest_app.get("/account/verify-organization-role/?token=expired-token", status=400)
    assert "This invitation has expired." in main_text(page)
    response = webtest_app.post(
        "/account/verify-organization-role/",
        {"token": "expired-token", "csrf_token": _csrf(page)},
        status=400,
    )
    assert "expired" in main_text(response)
    assert _roles(db_session, organization) == [("alice", OWNER)]


def test_another_users_token_is_refused(webtest_app, db_session, organization, bob):
    OrganizationInvitationFactory.create(organization=organization, user=bob, token="bobs-token")
    log_in(webtest_app, UserFactory.create(username="mallory"))
    page = webtest_app.get("/account/verify-organization-role/?token=bobs-token", status=400)
    assert "This invitation is for another account." in main_text(page)
    webtest_app.post(
        "/account/verify-organization-role/",
        {"token": "bobs-token", "csrf_token": _csrf(page)},
        status=400,
    )
    assert _invitation(db_session, bob).status == "pending"
    assert _roles(db_session, organization) == [("alice", OWNER)]


def test_accepting_when_already_a_member_changes_nothing(
    webtest_app, db_session, organization, bob
):
    OrganizationInvitationFactory.create(organization=organization, user=bob, token="late-token")
    OrganizationRoleFactory.create(organization=organization, user=bob, role_name=MANAGER)
    log_in(webtest_app, bob)
    offer = webtest_app.get("/account/verify-organization-role/?token=late-token")
    response = offer.forms["accept-invitation-form"].submit(status=409)
    assert "You are already a member of acme." in main_text(response)
    assert _roles(db_session, organization) == [("alice", OWNER), ("bob", MANAGER)]


def test_a_missing_or_unknown_token_is_refused(webtest_app, bob):
    log_in(webtest_app, bob)
    page = webtest_app.get("/account/verify-organization-role/", status=400)
    assert "This invitation link is not valid." in main_text(page)
    webtest_app.get("/account/verify-organization-role/?token=nope", status=400)


def test_a_revoked_token_is_refused(app, db_session, outbox, bob):
    _invite(app, "bob")
    link = _link(outbox, "bob@example.com")
    invitation = _invitation(db_session, bob)
    form = _confirmed(app.get(PEOPLE), f"revoke-invitation-{invitation.id}", confirm_username="bob")
    page = form.submit(status=303).follow()
    assert "The invitation to bob is revoked." in _flash(page)
    assert any(m.subject == "Your invitation to acme was revoked" for m in outbox.messages())
    _switch_to(app, bob)
    assert "already revoked" in main_text(app.get(link, status=400))


def test_a_resent_invitation_has_a_new_token(app, db_session, outbox, organization, bob):
    _invite(app, "bob")
    old_link = _link(outbox, "bob@example.com")
    invitation = _invitation(db_session, bob)
    app.get(PEOPLE).forms[f"resend-invitation-{invitation.id}"].submit(status=303)
    new_link = _link(outbox, "bob@example.com")
    assert new_link != old_link
    _switch_to(app, bob)
    assert "not valid" in main_text(app.get(old_link, status=400))
    app.get(new_link).forms["accept-invitation-form"].submit(status=303)
    assert _roles(db_session, organization) == [("alice", OWNER), ("bob", MEMBER)]


def test_expired_invitations_show_as_expired_and_can_be_sent_again(
    app, db_session, outbox, organization, bob
):
    invitation = OrganizationInvitationFactory.create(
        organization=organization,
        user=bob,
        expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1),
    )
    page = app.get(PEOPLE)
    assert "Expired" in main_text(page)
    assert f"revoke-invitation-{invitation.id}" not in page.forms
    page.forms[f"resend-invitation-{invitation.id}"].submit(status=303)
    assert _invitation(db_session, bob).status == "pending"
    assert _link(outbox, "bob@example.com")


def test_inviting_refusals_are_shown_beside_the_username(app, db_session, bob):
    unverified = UserFactory.create(username="unverified", primary_email=None)
    EmailFactory.create(user=unverified, verified=False)
    assert field_error(_invite(app, "nobody", status=400), "username") == (
        "There is no account with this username."
    )
    assert "has no verified email" in field_error(
        _invite(app, "unverified", status=409), "username"
    )
    assert "already a member" in field_error(_invite(app, "alice", status=409), "username")
    _invite(app, "bob")
    assert "pending invitation" in field_error(_invite(app, "bob", status=409), "username")


def test_billing_manager_is_offered_only_in_company_organizations(app, db_session, bob):
    options = [o[0] for o in app.get(PEOPLE).forms["invite-member-form"]["role_name"].options]
    assert options == ["", "Owner", "Manager", "Member"]
    page = app.get(PEOPLE)
    response = app.post(
        PEOPLE,
        {"username": "bob", "role_name": "Billing Manager", "csrf_token": _csrf(page)},
        status=400,
    )
    assert field_error(response, "role_name") == "Not a valid choice."
    assert _invitation(db_session, bob) is None


def test_company_organizations_offer_billing_manager(webtest_app, db_session, owner):
    company = OrganizationFactory.create(name="bigco", orgtype="Company")
    ManualActivationFactory.create(organization=company)
    OrganizationRoleFactory.create(organization=company, user=owner, role_name=OWNER)
    log_in(webtest_app, owner)
    page = webtest_app.get("/manage/organization/bigco/people/")
    options = [o[0] for o in page.forms["invite-member-form"]["role_name"].options]
    assert "Billing Manager" in options


def test_the_role_table_comes_from_the_permission_data(app):
    table = app.get(PEOPLE).html.find(id="role-permissions")
    header = [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
    assert header == ["Permission", "Owner", "Manager", "Member"]
    rows = {
        row.find("th").get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
        for row in table.find("tbody").find_all("tr")
    }
    assert rows["Leave the organization"] == ["Yes", "Yes", "Yes"]
    assert rows["Invite and remove people, change settings, delete"] == ["Yes", "No", "No"]


# Roles


def test_owner_changes_a_role_and_the_member_is_told(app, db_session, outbox, organization, bob):
    OrganizationRoleFactory.create(organization=organization, user=bob, role_name=MEMBER)
    form = app.get(PEOPLE).forms[f"change-role-{_role_id(db_session, organization, 'bob')}"]
    form["role_name"] = "Manager"
    assert "bob is now Manager." in _flash(form.submit(status=303).follow())
    assert _roles(db_session, organization) == [("alice", OWNER), ("bob", MANAGER)]
    (message,) = outbox.messages()
    assert message.subject == "Your role in acme is now Manager"
    assert "from Member to Manager" in message.body("plain").replace("\n", " ")


def test_owners_cannot_demote_themselves(app, db_session, organization, bob):
    OrganizationRoleFactory.create(organization=organization, user=bob, role_name=OWNER)
    page = app.get(PEOPLE)
    response = app.post(
        "/manage/organization/acme/people/change/",
        {
            "role_id": _role_id(db_session, organization, "alice"),
            "role_name": "Member",
            "csrf_token": _csrf(page),
        },
        status=400,
    )
    assert "You cannot change your own Owner role" in _flash(response)
    assert _roles(db_session, organization) == [("alice", OWNER), ("bob", OWNER)]


def test_the_last_owner_cannot_leave(app, db_session, organization):
    page = app.get(PEOPLE)
    role_id = _role_id(db_session, organization, "alice")
    # Not offered: the reason stands where the button would be.
    assert f"remove-role-{role_id}" not in page.forms
    assert "You are the only Owner. Make someone else an Owner before you leave." in main_text(page)
    # And refused when posted anyway, even with the name typed.
    response = app.post(
        "/manage/organization/acme/people/delete/",
        {"role_id": role_id, "confirm_name": "acme", "csrf_token": _csrf(page)},
        status=409,
    )
    assert "You are the only Owner of this organization." in _flash(response)
    assert _roles(db_session, organization) == [("alice", OWNER)]


def test_a_member_leaves(webtest_app, db_session, outbox, organization, bob):
    OrganizationRoleFactory.create(organization=organization, user=bob, role_name=MEMBER)
    log_in(webtest_app, bob)
    page = webtest_app.get(PEOPLE)
    assert "invite-member-form" not in page.forms
    form_id = f"remove-role-{_role_id(db_session, organization, 'bob')}"
    response = _confirmed(page, form_id, confirm_name="acme").submit(status=303)
    assert response.location.endswith("/manage/organizations/")
    assert _roles(db_session, organization) == [("alice", OWNER)]
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationRoleLeave
    (message,) = outbox.messages()
    assert message.subject == "bob left acme"


def test_an_owner_removes_a_member(app, db_session, outbox, organization, bob):
    OrganizationRoleFactory.create(organization=organization, user=bob, role_name=MEMBER)
    form_id = f"remove-role-{_role_id(db_session, organization, 'bob')}"
    form = _confirmed(app.get(PEOPLE), form_id, confirm_username="bob")
    assert "bob is removed from acme." in _flash(form.submit(status=303).follow())
    assert _roles(db_session, organization) == [("alice", OWNER)]
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationRoleRemove
    assert {m.subject for m in outbox.messages()} == {"bob was removed from acme"}
    assert len(outbox.messages()) == 2


def test_a_member_cannot_remove_someone_else(webtest_app, db_session, organization, bob):
    OrganizationRoleFactory.create(organization=organization, user=bob, role_name=MANAGER)
    log_in(webtest_app, bob)
    page = webtest_app.get(PEOPLE)
    webtest_app.post(
        "/manage/organization/acme/people/delete/",
        {"role_id": _role_id(db_session, organization, "alice"), "csrf_token": _csrf(page)},
        status=403,
    )
    assert _roles(db_session, organization) == [("alice", OWNER), ("bob", MANAGER)]


def test_a_non_owner_cannot_invite(webtest_app, db_session, organization, bob):
    OrganizationRoleFactory.create(organization=organization, user=bob, role_name=MANAGER)
    UserFactory.create(username="carol")
    log_in(webtest_app, bob)
    page = webtest_app.get(PEOPLE)
    webtest_app.post(
        PEOPLE,
        {"username": "carol", "role_name": "Member", "csrf_token": _csrf(page)},
        status=403,
    )
    assert db_session.scalars(select(OrganizationInvitation)).all() == []


def test_the_people_page_statement_count_is_fixed(app, db_session, organization):
    def add_member_and_invitation():
        OrganizationRoleFactory.create(organization=organization, role_name=MEMBER)
        OrganizationInvitationFactory.create(organization=organization)

    add_member_and_invitation()
    small = len(app.get(PEOPLE).sql_statements)
    for _ in range(10):
        add_member_and_invitation()
    assert len(app.get(PEOPLE).sql_statements) == small == 6


def test_members_and_invitations_come_in_pages_of_25(app, db_session, organization):
    """An organization of thousands shows its people a page at a time, each list with its
    own page number, so opening the page never renders everyone."""
    for _ in range(30):
        OrganizationRoleFactory.create(organization=organization, role_name=MEMBER)
        OrganizationInvitationFactory.create(organization=organization)

    def rows(page, heading):
        return page.html.select(f"section[aria-labelledby={heading}] tbody tr")

    first = app.get(PEOPLE)
    # 30 members and the Owner looking, 30 invitations.
    assert (len(rows(first, "members-heading")), len(rows(first, "invitations-heading"))) == (
        25,
        25,
    )
    assert "of 31" in first.html.select_one("nav[aria-label='Pages of members']").text
    assert "of 30" in first.html.select_one("nav[aria-label='Pages of invitations']").text
    second = app.get(PEOPLE, {"page": "2", "invitations_page": "2"})
    assert (len(rows(second, "members-heading")), len(rows(second, "invitations-heading"))) == (
        6,
        5,
    )
    shown = {
        row.td.get_text(strip=True)
        for page in (first, second)
        for row in rows(page, "members-heading")
    }
    assert len(shown) == 31
    app.get(PEOPLE, {"page": "0"}, status=400)


def test_an_invitee_answers_from_their_own_invitations_list(webtest_app, db_session, outbox):
    from tests.common.db.organizations import OrganizationInvitationFactory

    invitee = UserFactory.create()
    accepted = OrganizationInvitationFactory.create(user=invitee, organization__name="joinme")
    declined = OrganizationInvitationFactory.create(user=invitee, organization__name="skipme")
    someone_elses = OrganizationInvitationFactory.create(organization__name="notyours")
    log_in(webtest_app, invitee)

    page = webtest_app.get("/manage/organizations/")
    page.forms[f"accept-invitation-{accepted.id}"].submit(status=303)
    page.forms[f"decline-invitation-{declined.id}"].submit("decline", status=303)
    token = page.forms[f"accept-invitation-{accepted.id}"]["csrf_token"].value
    refused = webtest_app.post(
        "/account/verify-organization-role/",
        {"invitation_id": str(someone_elses.id), "csrf_token": token},
        status=400,
    )
    assert "There is no such invitation." in main_text(refused)

    db_session.expire_all()
    assert (accepted.status, declined.status, someone_elses.status) == (
        "accepted",
        "declined",
        "pending",
    )
    mine = main_text(webtest_app.get("/manage/organizations/"))
    assert "joinme" in mine
    # Answered invitations leave the list: the buttons cannot be pressed twice.
    assert f"accept-invitation-{accepted.id}" not in webtest_app.get("/manage/organizations/").forms
