"""Inviting by email address: someone without an account yet, or the account that verified the
address, and an inviter who cannot tell which."""

import base64
import datetime
import re

import pytest
from sqlalchemy import select

from tests.common.db.accounts import PASSWORD, EmailFactory, UserFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationInvitationFactory,
    OrganizationRoleFactory,
)
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from warehouse_orgs.accounts.models import Email, User
from warehouse_orgs.accounts.services import totp_for
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import OrganizationInvitation, OrganizationRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType

OWNER = OrganizationRoleType.Owner
PEOPLE = "/manage/organization/{}/people/"
LINK = re.compile(r"http://localhost(/account/verify-organization-role/\?token=\S+)")
NOT_VALID = "This invitation link is not valid."


@pytest.fixture
def alice(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def organization(alice):
    organization = OrganizationFactory.create(name="acme")
    OrganizationRoleFactory.create(organization=organization, user=alice, role_name=OWNER)
    return organization


@pytest.fixture
def app(webtest_app, alice, organization):
    log_in(webtest_app, alice)
    return webtest_app


def _invite(app, typed, organization="acme", role="Member", status=303):
    form = app.get(PEOPLE.format(organization)).forms["invite-member-form"]
    form["username"] = typed
    form["role_name"] = role
    return form.submit(status=status)


def _mail_to(outbox, address):
    return [m for m in outbox.messages() if m.recipient.rstrip(">").endswith(address)]


def _link(outbox, address):
    links = [
        match.group(1)
        for message in _mail_to(outbox, address)
        for match in LINK.finditer(message.body("plain"))
    ]
    assert links, f"no invitation link was mailed to {address}"
    return links[0]  # newest first


def _members(db_session, organization):
    db_session.expire_all()
    return sorted(
        role.user.username
        for role in db_session.scalars(
            select(OrganizationRole).where(OrganizationRole.organization_id == organization.id)
        )
    )


def _invitation(db_session, address):
    db_session.expire_all()
    return db_session.scalars(
        select(OrganizationInvitation).where(OrganizationInvitation.invited_address == address)
    ).one()


def _switch_to(app, user, step_offset=0):
    app.reset()
    log_in(app, user, step_offset=step_offset)


def _register_verify_and_secure(app, outbox, username, address):
    """A newcomer's own steps: register, follow the verification link, turn on two-factor."""
    app.reset()
    form = app.get("/account/register/").forms["register-form"]
    form["username"] = username
    form["full_name"] = "New Comer"
    form["email"] = address
    form["new_password"] = "a long enough password"
    form["password_confirm"] = "a long enough password"
    form.submit(status=303)
    (verification,) = [
        m for m in _mail_to(outbox, address) if "/account/verify-email/" in m.body("plain")
    ]
    link = re.search(
        r"http://localhost(/account/verify-email/\?token=\S+)", verification.body("plain")
    )
    app.get(link.group(1)).forms["verify-email-form"].submit(status=303)
    provision = app.get("/manage/account/totp-provision/")
    secret = base64.b32decode(provision.html.find("code", class_="secret").text)
    form = provision.forms["totp-provision-form"]
    form["totp_value"] = totp_for(secret).now()
    form.submit(status=200)


# The whole path of someone without an account


def test_an_address_without_an_account_registers_verifies_and_joins(
    app, db_session, outbox, organization
):
    page = _invite(app, "  Newcomer@Example.org ", role="Manager").follow()
    assert "Newcomer@Example.org is invited as Manager." in main_text(page)
    invitation = _invitation(db_session, "newcomer@example.org")
    assert (invitation.user_id, invitation.email) == (None, "Newcomer@Example.org")
    (mail,) = _mail_to(outbox, "Newcomer@Example.org")
    assert mail.subject == "alice invited you to join acme on PyPI Organizations"
    body = mail.body("plain")
    assert "http://localhost/account/register/" in body
    # Nothing the inviter typed is in it, not even the address.
    assert "newcomer" not in body.casefold()
    link = _link(outbox, "Newcomer@Example.org")

    _register_verify_and_secure(app, outbox, "newcomer", "newcomer@example.org")
    mine = app.get("/manage/organizations/")
    assert f"accept-invitation-{invitation.id}" in mine.forms
    assert "acme" in mine.html.find(id="invitations-table").get_text(" ")

    offer = app.get(link, status=200)
    assert "alice invites you to join" in main_text(offer)
    joined = offer.forms["accept-invitation-form"].submit(status=303).follow()
    assert "You are now a Manager of acme." in main_text(joined)
    assert _members(db_session, organization) == ["alice", "newcomer"]
    assert _invitation(db_session, "newcomer@example.org").status == "accepted"
    assert event_tags(db_session, organization)[-2:] == [
        EventTag.OrganizationRoleInvite,
        EventTag.OrganizationRoleInviteAccept,
    ]
    # Single use.
    assert "already accepted" in main_text(app.get(link, status=400))


def test_an_address_verified_on_an_account_invites_that_account(
    app, db_session, outbox, organization
):
    bob = UserFactory.create(username="bob")
    EmailFactory.create(user=bob, email="bob@work.example", primary=False, verified=True)
    _invite(app, "bob@work.example")
    invitation = _invitation(db_session, "bob@work.example")
    assert (invitation.user_id, invitation.email) == (bob.id, None)
    (mail,) = _mail_to(outbox, "bob@work.example")
    assert mail.body("plain").startswith("Hello bob,")
    link = _link(outbox, "bob@work.example")

    _switch_to(app, bob)
    assert f"accept-invitation-{invitation.id}" in app.get("/manage/organizations/").forms
    app.get(link).forms["accept-invitation-form"].submit(status=303)
    assert _members(db_session, organization) == ["alice", "bob"]


# What the inviter sees


def _normalised(page, typed):
    """The page with what legitimately differs taken out: the address typed, ids, tokens,
    the organization's name and the minute the invitation expires."""
    text = page.text.replace(typed, "ADDRESS")
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", text)
    text = re.sub(r'name="csrf_token" value="[^"]+"', "CSRF", text)
    text = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "TIME", text)
    text = re.sub(r"Request [0-9a-f]{32}", "REQUEST", text)
    return text.replace("known-org", "ORG").replace("other-org", "ORG")


def test_known_and_unknown_addresses_get_the_same_answer(webtest_app, db_session, outbox, alice):
    for name in ("known-org", "other-org"):
        organization = OrganizationFactory.create(name=name, display_name="Same")
        OrganizationRoleFactory.create(organization=organization, user=alice, role_name=OWNER)
    UserFactory.create(username="kaccount", primary_email__email="kim@known.example")
    log_in(webtest_app, alice)

    answers = {}
    for organization, typed in (
        ("known-org", "kim@known.example"),
        ("other-org", "zed@nowhere.example"),
    ):
        before = len(_mail_to(outbox, "alice@example.com"))
        sent = _invite(webtest_app, typed, organization=organization)
        page = sent.follow()
        again = _invite(webtest_app, typed, organization=organization, status=409)
        history = main_text(webtest_app.get(f"/manage/organization/{organization}/history/"))
        answers[typed] = (
            sent.status_int,
            sent.location.replace(organization, "ORG"),
            _normalised(page, typed),
            field_error(again, "username").replace(typed, "ADDRESS"),
            _normalised(again, typed),
            len(_mail_to(outbox, "alice@example.com")) - before,
            "kaccount" in history,
            history.count(typed),
        )
    known, unknown = answers["kim@known.example"], answers["zed@nowhere.example"]
    assert known == unknown
    assert known[3] == "ADDRESS already has a pending invitation."
    assert known[5] == 1  # the owner's own "was invited" message, in both cases
    assert known[6] is False  # the history never names the account
    # Only the invitee's side differs: kim's account got the normal link to their account.
    assert _invitation(db_session, "kim@known.example").user_id is not None
    assert _invitation(db_session, "zed@nowhere.example").user_id is None


def test_an_address_of_a_member_is_an_address_invitation_not_a_refusal(
    app, db_session, outbox, organization
):
    bob = UserFactory.create(username="bob", primary_email__email="bob@member.example")
    OrganizationRoleFactory.create(organization=organization, user=bob)
    page = _invite(app, "bob@member.example").follow()
    assert "bob@member.example is invited as Member." in main_text(page)
    invitations = page.html.select("section[aria-labelledby=invitations-heading] tbody tr")
    assert [row.td.get_text(strip=True) for row in invitations] == ["bob@member.example"]
    assert _invitation(db_session, "bob@member.example").user_id is None


def test_inviting_a_username_after_its_address_does_not_pair_them(
    app, db_session, outbox, organization
):
    # The address went to bob's account; the username "bob" is invited as if it had not, so
    # the inviter cannot tell that the address was bob's (as for any other username).
    bob = UserFactory.create(username="bob")
    EmailFactory.create(user=bob, email="bob@work.example", primary=False, verified=True)
    _invite(app, "bob@work.example")
    page = _invite(app, "bob").follow()
    assert "bob is invited as Member." in main_text(page)
    by_address = _invitation(db_session, "bob@work.example")
    assert (by_address.user_id, by_address.email) == (None, "bob@work.example")
    # bob still answers either: the address's holder, and the username's account.
    _switch_to(app, bob)
    mine = app.get("/manage/organizations/")
    pending = [n for n in mine.forms if str(n).startswith("accept-invitation-")]
    assert len(pending) == 2
    mine.forms[f"accept-invitation-{by_address.id}"].submit(status=303)
    assert _members(db_session, organization) == ["alice", "bob"]


# Who can answer


def test_a_token_for_one_address_fails_for_an_account_with_another(
    webtest_app, db_session, organization
):
    OrganizationInvitationFactory.create(
        organization=organization,
        user=None,
        email="carol@example.org",
        invited_address="carol@example.org",
        token="carols-token",
    )
    mallory = UserFactory.create(username="mallory")
    log_in(webtest_app, mallory)
    link = "/account/verify-organization-role/?token=carols-token"
    page = webtest_app.get(link, status=400)
    unknown = webtest_app.get("/account/verify-organization-role/?token=nope", status=400)
    assert NOT_VALID in main_text(page)
    assert main_text(page) == main_text(unknown)
    csrf = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    webtest_app.post(
        "/account/verify-organization-role/", {"token": "carols-token", "csrf_token": csrf},
        status=400,
    )  # fmt: skip
    assert "acme" not in main_text(webtest_app.get("/manage/organizations/"))
    assert _members(db_session, organization) == ["alice"]


def test_an_unverified_address_does_not_capture_the_invitation(
    app, db_session, outbox, organization
):
    mallory = UserFactory.create(username="mallory")
    claimed = EmailFactory.create(user=mallory, email="ceo@bigco.example", primary=False,
                                  verified=False)  # fmt: skip
    _invite(app, "ceo@bigco.example")
    assert _invitation(db_session, "ceo@bigco.example").user_id is None
    link = _link(outbox, "ceo@bigco.example")
    _switch_to(app, mallory)
    assert NOT_VALID in main_text(app.get(link, status=400))
    # Once the address is proven theirs, it is theirs to answer.
    claimed.verified = True
    db_session.flush()
    app.get(link).forms["accept-invitation-form"].submit(status=303)
    assert _members(db_session, organization) == ["alice", "mallory"]


def test_an_address_removed_after_the_invitation_no_longer_carries_it(
    app, db_session, outbox, organization
):
    _invite(app, "dana@old.example")
    link = _link(outbox, "dana@old.example")
    dana = UserFactory.create(username="dana")
    old = EmailFactory.create(user=dana, email="dana@old.example", primary=False, verified=True)
    _switch_to(app, dana)
    assert app.get(link, status=200)
    account = app.get("/manage/account/")
    old_id = old.id
    account.forms[f"remove-email-{old_id}"].submit(status=303)
    db_session.expire_all()
    assert db_session.get(Email, old_id) is None
    assert NOT_VALID in main_text(app.get(link, status=400))
    assert "acme" not in main_text(app.get("/manage/organizations/"))
    assert _invitation(db_session, "dana@old.example").status == "pending"


def test_an_expired_address_invitation_is_refused(webtest_app, db_session, organization):
    OrganizationInvitationFactory.create(
        organization=organization,
        user=None,
        email="erin@example.org",
        invited_address="erin@example.org",
        token="erins-token",
        expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1),
    )
    erin = UserFactory.create(username="erin", primary_email__email="erin@example.org")
    log_in(webtest_app, erin)
    page = webtest_app.get("/account/verify-organization-role/?token=erins-token", status=400)
    assert "This invitation has expired." in main_text(page)
    assert "acme" not in main_text(webtest_app.get("/manage/organizations/"))


# Revoking, sending again, limits


def test_revoking_an_address_invitation_asks_for_the_address(app, db_session, outbox, organization):
    _invite(app, "fay@example.org")
    link = _link(outbox, "fay@example.org")
    invitation = _invitation(db_session, "fay@example.org")
    form_id = f"revoke-invitation-{invitation.id}"
    form = app.get(PEOPLE.format("acme")).forms[form_id]
    form["confirm_address"] = "someone@else.example"
    refused = form.submit(status=400)
    assert "Type fay@example.org to confirm." in field_error(refused, f"{form_id}-confirm_address")
    form = app.get(PEOPLE.format("acme")).forms[form_id]
    form["confirm_address"] = "FAY@example.org"
    page = form.submit(status=303).follow()
    assert "The invitation to fay@example.org is revoked." in main_text(page)
    revoked = _mail_to(outbox, "fay@example.org")[0]
    assert revoked.subject == "Your invitation to acme was revoked"
    fay = UserFactory.create(username="fay", primary_email__email="fay@example.org")
    _switch_to(app, fay)
    assert "already revoked" in main_text(app.get(link, status=400))


def test_sending_an_address_invitation_again_replaces_its_link(
    app, db_session, outbox, organization
):
    _invite(app, "gus@example.org")
    old_link = _link(outbox, "gus@example.org")
    invitation = _invitation(db_session, "gus@example.org")
    app.get(PEOPLE.format("acme")).forms[f"resend-invitation-{invitation.id}"].submit(status=303)
    new_link = _link(outbox, "gus@example.org")
    assert new_link != old_link
    gus = UserFactory.create(username="gus", primary_email__email="gus@example.org")
    _switch_to(app, gus)
    assert NOT_VALID in main_text(app.get(old_link, status=400))
    app.get(new_link).forms["accept-invitation-form"].submit(status=303)
    assert _members(db_session, organization) == ["alice", "gus"]
    assert EventTag.OrganizationRoleInviteResend in event_tags(db_session, organization)


def test_mailing_one_address_is_rate_limited_the_same_for_known_and_unknown(
    app, db_session, outbox, organization
):
    UserFactory.create(username="hal", primary_email__email="hal@known.example")
    for typed in ("hal@known.example", "ivy@unknown.example"):
        _invite(app, typed)
        invitation = _invitation(db_session, typed)
        resend = f"resend-invitation-{invitation.id}"
        for _ in range(2):
            app.get(PEOPLE.format("acme")).forms[resend].submit(status=303)
        refused = app.get(PEOPLE.format("acme")).forms[resend].submit(status=429)
        assert "Too many invitations to this address or from you today." in main_text(refused)
        assert len(_mail_to(outbox, typed)) == 3


def test_an_account_deleted_with_an_invitation_by_address_leaves_it_to_the_address(
    app, db_session, organization
):
    jo = UserFactory.create(username="jo", primary_email__email="jo@example.org")
    _invite(app, "jo@example.org")
    assert _invitation(db_session, "jo@example.org").user_id == jo.id
    _switch_to(app, jo)
    form = app.get("/manage/account/").forms["delete-account-form"]
    form["confirm_username"] = "jo"
    form["password"] = PASSWORD
    form.submit(status=303)
    db_session.expire_all()
    assert db_session.scalars(select(User).where(User.username == "jo")).one_or_none() is None
    # The owners' side sees no change: the same row, pending, for the address typed.
    invitation = _invitation(db_session, "jo@example.org")
    assert (invitation.user_id, invitation.email, invitation.status) == (
        None,
        "jo@example.org",
        "pending",
    )
    assert EventTag.OrganizationRoleInviteAccountDelete not in event_tags(db_session, organization)


def test_the_invitation_lists_statement_counts_do_not_grow_with_addresses(
    app, db_session, organization
):
    kay = UserFactory.create(username="kay")
    _switch_to(app, kay)
    small = len(app.get("/manage/organizations/").sql_statements)
    for n in range(5):
        address = f"kay{n}@example.org"
        EmailFactory.create(user=kay, email=address, primary=False, verified=True)
        OrganizationInvitationFactory.create(
            organization=organization, user=None, email=address, invited_address=address
        )
    page = app.get("/manage/organizations/")
    assert len(page.sql_statements) == small
    assert len(page.html.select("#invitations-table tbody tr")) == 5
    _switch_to(app, db_session.scalars(select(User).where(User.username == "alice")).one(), 1)
    assert len(app.get(PEOPLE.format("acme")).sql_statements) == 6
