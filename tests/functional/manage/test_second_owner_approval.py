"""A second Owner's approval of owner changes, end to end (issue 13): an organization that turns
it on keeps at least two Owners, and a change to who owns it waits for a different Owner."""

import datetime

import pytest
from sqlalchemy import select

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.events import event_tags, events_of
from tests.common.pages import main_text
from tests.common.sessions import log_in
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationInvitation,
    OrganizationOwnerChange,
    OrganizationRole,
)
from warehouse_orgs.organizations.owner_approval_models import OwnerChangeStatus
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.tasks import lapse_overdue_owner_changes

OWNER = OrganizationRoleType.Owner
MEMBER = OrganizationRoleType.Member
PEOPLE = "/manage/organization/acme/people/"
SETTINGS = "/manage/organization/acme/settings/"
CHANGES = "/manage/organization/acme/owner-changes/"


@pytest.fixture
def users(db_session):
    return {name: UserFactory.create(username=name) for name in ("alice", "bob", "carol", "dave")}


@pytest.fixture
def organization(users):
    """acme: alice, bob and carol are Owners, dave a Member; the rule is on."""
    organization = OrganizationFactory.create(name="acme", owner_changes_need_approval=True)
    for name in ("alice", "bob", "carol"):
        OrganizationRoleFactory.create(organization=organization, user=users[name], role_name=OWNER)
    OrganizationRoleFactory.create(organization=organization, user=users["dave"], role_name=MEMBER)
    return organization


@pytest.fixture
def app(webtest_app, users, organization):
    log_in(webtest_app, users["alice"])
    return webtest_app


def _switch_to(app, user, step_offset=0):
    """Each user's own codes: only a second login of the same user needs the next step."""
    app.reset()
    log_in(app, user, step_offset=step_offset)


def _roles(db_session, organization):
    db_session.expire_all()
    return {
        role.user.username: role.role_name
        for role in db_session.scalars(
            select(OrganizationRole).where(OrganizationRole.organization_id == organization.id)
        )
    }


def _role_id(db_session, organization, username):
    return next(
        role.id
        for role in db_session.scalars(
            select(OrganizationRole).where(OrganizationRole.organization_id == organization.id)
        )
        if role.user.username == username
    )


def _changes(db_session):
    db_session.expire_all()
    # By subject: proposals made within one test share their transaction's time.
    return list(
        db_session.scalars(
            select(OrganizationOwnerChange).order_by(OrganizationOwnerChange.subject)
        )
    )


def _remove(app, db_session, organization, username, status=303):
    role_id = _role_id(db_session, organization, username)
    form = app.get(PEOPLE).forms[f"remove-role-{role_id}"]
    form["confirm_username"] = username
    return form.submit(status=status)


def _change_role(app, db_session, organization, username, role_name, status=303):
    role_id = _role_id(db_session, organization, username)
    form = app.get(PEOPLE).forms[f"change-role-{role_id}"]
    form["role_name"] = role_name
    return form.submit(status=status)


def _decide(app, change, action, status=303, organization="acme"):
    """Press a proposal's button on the owner changes page."""
    page = app.get(f"/manage/organization/{organization}/owner-changes/")
    forms = [
        form
        for form in page.forms.values()
        if form.action.endswith(f"/owner-changes/{action}/")
        and form["change_id"].value == str(change.id)
    ]
    assert forms, f"no {action} button for {change.description}"
    return forms[0].submit(status=status)


def _subjects(outbox, address):
    return [m.subject for m in outbox.messages() if m.recipient.rstrip(">").endswith(address)]


def test_one_owner_cannot_remove_the_others_alone(app, db_session, outbox, users, organization):
    page = _remove(app, db_session, organization, "bob").follow()
    assert page.request.path == CHANGES
    assert "Proposed: remove bob (Owner) from the organization." in main_text(page)
    assert _roles(db_session, organization)["bob"] == OWNER
    _remove(app, db_session, organization, "carol")
    assert _roles(db_session, organization) == {
        "alice": OWNER,
        "bob": OWNER,
        "carol": OWNER,
        "dave": MEMBER,
    }
    # The other Owners hear of each proposal, after the commit; the proposer does not.
    assert (
        "alice proposes to remove bob (Owner) from the organization in acme: "
        "your approval is needed"
    ) in _subjects(outbox, "carol@example.com")
    assert not _subjects(outbox, "alice@example.com")
    assert not _subjects(outbox, "dave@example.com")
    # Alone, alice cannot approve her own proposals: her page offers only Withdraw.
    bob_removal, carol_removal = _changes(db_session)
    page = app.get(CHANGES)
    assert "Approve" not in main_text(page)
    assert "Withdraw" in main_text(page)
    refused = app.post(
        "/manage/organization/acme/owner-changes/approve/",
        {"change_id": str(bob_removal.id), "csrf_token": page.forms[0]["csrf_token"].value},
        status=409,
    )
    assert "A different Owner must approve it: you proposed it." in main_text(refused)
    assert _roles(db_session, organization)["bob"] == OWNER

    # carol approves bob's removal (not her own): it is applied, once, with its history.
    _switch_to(app, users["carol"])
    done = _decide(app, bob_removal, "approve").follow()
    assert "Approved and done: remove bob (Owner) from the organization." in main_text(done)
    assert "bob" not in _roles(db_session, organization)
    bob_removal = _changes(db_session)[0]
    assert (bob_removal.subject, bob_removal.status) == ("bob", OwnerChangeStatus.Applied)
    assert bob_removal.decided_by_username == "carol"
    tags = event_tags(db_session, organization)
    assert tags[-2:] == [EventTag.OrganizationRoleRemove, EventTag.OrganizationOwnerChangeApprove]
    assert any("removed" in subject for subject in _subjects(outbox, "bob@example.com"))
    # Now two Owners remain: carol's removal would leave one, so approving it (even by
    # carol) is refused, the proposal is void, and nothing changes.
    refused = _decide(app, carol_removal, "approve", status=409)
    assert "It could not be applied: Owner changes in this organization need a second" in (
        main_text(refused)
    )
    assert _changes(db_session)[1].status == OwnerChangeStatus.Void
    assert _roles(db_session, organization) == {"alice": OWNER, "carol": OWNER, "dave": MEMBER}


def test_a_change_that_would_leave_one_owner_is_refused(app, db_session, users, organization):
    # alice and bob are the only Owners.
    carol_role = _role_id(db_session, organization, "carol")
    db_session.delete(db_session.get(OrganizationRole, carol_role))
    db_session.flush()
    response = _remove(app, db_session, organization, "bob", status=409)
    assert "keeps at least two Owners" in main_text(response)
    response = _change_role(app, db_session, organization, "bob", "Member", status=409)
    assert "keeps at least two Owners" in main_text(response)
    assert _roles(db_session, organization) == {"alice": OWNER, "bob": OWNER, "dave": MEMBER}
    assert _changes(db_session) == []
    # Nor can alice leave.
    page = app.get(PEOPLE)
    assert "keeps at least two Owners" in page.html.find(id="leave-refused").get_text()


def test_making_and_unmaking_owners_wait_for_approval(app, db_session, outbox, users, organization):
    _change_role(app, db_session, organization, "dave", "Owner")
    _change_role(app, db_session, organization, "carol", "Member")
    assert _roles(db_session, organization)["dave"] == MEMBER
    assert _roles(db_session, organization)["carol"] == OWNER
    demote_carol, make_dave = _changes(db_session)
    assert make_dave.description == "make dave an Owner (now Member)"
    assert demote_carol.description == "change carol from Owner to Member"
    # A second proposal about the same member is refused while one waits.
    again = _change_role(app, db_session, organization, "dave", "Owner", status=409)
    assert "A proposal about dave already waits for approval." in main_text(again)

    _switch_to(app, users["bob"])
    _decide(app, make_dave, "approve")
    _decide(app, demote_carol, "reject")
    assert _roles(db_session, organization)["dave"] == OWNER
    assert _roles(db_session, organization)["carol"] == OWNER
    statuses = {change.kind: change.status for change in _changes(db_session)}
    assert statuses == {"make_owner": "applied", "demote_owner": "rejected"}
    assert "acme: the proposal to change carol from Owner to Member: rejected" in _subjects(
        outbox, "alice@example.com"
    )
    assert any("role" in s for s in _subjects(outbox, "dave@example.com"))


def test_inviting_an_owner_waits_and_the_approval_sends_the_invitation(
    app, db_session, outbox, users, organization
):
    erin = UserFactory.create(username="erin")
    form = app.get(PEOPLE).forms["invite-member-form"]
    form["username"] = "erin"
    form["role_name"] = "Owner"
    form.submit(status=303)
    # A Member's invitation is not an owner change: it goes at once.
    form = app.get(PEOPLE).forms["invite-member-form"]
    form["username"] = "new@example.com"
    form["role_name"] = "Member"
    form.submit(status=303)
    db_session.expire_all()
    invitations = db_session.scalars(select(OrganizationInvitation)).all()
    assert [i.invited_address for i in invitations] == ["new@example.com"]
    assert not _subjects(outbox, "erin@example.com")
    (proposal,) = _changes(db_session)
    assert proposal.description == "invite erin as Owner"

    _switch_to(app, users["carol"])
    _decide(app, proposal, "approve")
    db_session.expire_all()
    invitation = db_session.scalars(
        select(OrganizationInvitation).where(OrganizationInvitation.user_id == erin.id)
    ).one()
    assert invitation.role_name == OWNER
    assert any("invited you" in s for s in _subjects(outbox, "erin@example.com"))


def test_deleting_the_organization_waits_for_a_second_owner(
    app, db_session, outbox, users, organization
):
    form = app.get(SETTINGS).forms["delete-organization-form"]
    form["confirm_organization_name"] = "acme"
    page = form.submit(status=303).follow()
    assert "Proposed: delete the organization acme." in main_text(page)
    db_session.expire_all()
    assert db_session.get(Organization, organization.id) is not None

    _switch_to(app, users["bob"])
    (proposal,) = _changes(db_session)
    done = _decide(app, proposal, "approve")
    assert done.headers["Location"].endswith("/manage/organizations/")
    db_session.expire_all()
    assert db_session.scalar(select(Organization).where(Organization.name == "acme")) is None
    assert any("deleted" in subject for subject in _subjects(outbox, "carol@example.com"))
    assert not any("waiting" in subject for subject in _subjects(outbox, "carol@example.com"))


def test_turning_it_on_needs_two_owners_and_turning_it_off_needs_approval(
    app, db_session, outbox, users
):
    solo = OrganizationFactory.create(name="solo")
    OrganizationRoleFactory.create(organization=solo, user=users["alice"], role_name=OWNER)
    page = app.get("/manage/organization/solo/settings/")
    assert "It needs at least two Owners; solo has 1." in main_text(page)
    assert "owner-approval-form" not in page.forms
    refused = app.post(
        "/manage/organization/solo/settings/owner-approval/",
        {"requirement": "on", "csrf_token": page.forms[0]["csrf_token"].value},
        status=409,
    )
    assert "Only an organization with two Owners or more" in main_text(refused)
    db_session.expire_all()
    assert not db_session.get(Organization, solo.id).owner_changes_need_approval

    OrganizationRoleFactory.create(organization=solo, user=users["bob"], role_name=OWNER)
    app.get("/manage/organization/solo/settings/").forms["owner-approval-form"].submit(status=303)
    db_session.expire_all()
    assert db_session.get(Organization, solo.id).owner_changes_need_approval
    assert event_tags(db_session, solo)[-1] == EventTag.OrganizationOwnerApprovalOn
    assert "Owner changes in solo now need a second Owner's approval" in _subjects(
        outbox, "bob@example.com"
    )

    # Turning it off is itself an owner change.
    app.get("/manage/organization/solo/settings/").forms["owner-approval-form"].submit(status=303)
    db_session.expire_all()
    assert db_session.get(Organization, solo.id).owner_changes_need_approval
    (proposal,) = _changes(db_session)
    assert proposal.description == "stop requiring a second Owner's approval for owner changes"
    _switch_to(app, users["bob"])
    _decide(app, proposal, "approve", organization="solo")
    db_session.expire_all()
    assert not db_session.get(Organization, solo.id).owner_changes_need_approval
    assert event_tags(db_session, solo)[-2:] == [
        EventTag.OrganizationOwnerApprovalOff,
        EventTag.OrganizationOwnerChangeApprove,
    ]


def test_only_its_proposer_withdraws_it(app, db_session, users, organization):
    _remove(app, db_session, organization, "bob")
    (proposal,) = _changes(db_session)
    _switch_to(app, users["carol"])
    page = app.get(CHANGES)
    refused = app.post(
        "/manage/organization/acme/owner-changes/withdraw/",
        {"change_id": str(proposal.id), "csrf_token": page.forms[0]["csrf_token"].value},
        status=409,
    )
    assert "Only the Owner who proposed it can withdraw it." in main_text(refused)
    _switch_to(app, users["alice"], step_offset=1)
    _decide(app, proposal, "withdraw")
    assert _changes(db_session)[0].status == OwnerChangeStatus.Withdrawn
    assert _roles(db_session, organization)["bob"] == OWNER


def test_a_proposal_lapses_after_72_hours(
    app, app_registry, db_session, outbox, users, organization
):
    _remove(app, db_session, organization, "bob")
    _remove(app, db_session, organization, "carol")
    first, second = _changes(db_session)
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    first.expires_at = second.expires_at = past
    db_session.flush()
    # The periodic task lapses what waited too long, and tells the Owners.
    request = service_request(app_registry, db_session)
    with request.tm:
        assert lapse_overdue_owner_changes(request) == 2
    assert {change.status for change in _changes(db_session)} == {OwnerChangeStatus.Lapsed}
    assert EventTag.OrganizationOwnerChangeLapse in event_tags(db_session, organization)
    assert any("lapsed" in s for s in _subjects(outbox, "bob@example.com"))
    assert _roles(db_session, organization)["bob"] == OWNER
    assert "Nothing is waiting for approval." in main_text(app.get(CHANGES))


def test_approving_a_proposal_past_its_time_lapses_it(app, db_session, users, organization):
    _remove(app, db_session, organization, "bob")
    (proposal,) = _changes(db_session)
    _switch_to(app, users["carol"])
    page = app.get(CHANGES)
    proposal.expires_at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
    db_session.flush()
    form = next(f for f in page.forms.values() if f.action.endswith("/approve/"))
    refused = form.submit(status=409)
    assert "This proposal is no longer waiting: lapsed." in main_text(refused)
    assert _changes(db_session)[0].status == OwnerChangeStatus.Lapsed
    assert _roles(db_session, organization)["bob"] == OWNER


def test_a_proposal_no_longer_possible_is_void(app, db_session, users, organization):
    _remove(app, db_session, organization, "bob")
    (proposal,) = _changes(db_session)
    # bob leaves on his own meanwhile (three Owners: he may).
    _switch_to(app, users["bob"])
    role_id = _role_id(db_session, organization, "bob")
    form = app.get(PEOPLE).forms[f"remove-role-{role_id}"]
    form["confirm_name"] = "acme"
    form.submit(status=303)
    _switch_to(app, users["carol"])
    refused = _decide(app, proposal, "approve", status=409)
    assert "It could not be applied: bob is no longer a member. Nothing changed." in main_text(
        refused
    )
    assert _changes(db_session)[0].status == OwnerChangeStatus.Void
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationOwnerChangeVoid


def test_a_proposal_from_someone_no_longer_an_owner_is_void(app, db_session, users, organization):
    _remove(app, db_session, organization, "dave")  # not an owner change: done at once
    _remove(app, db_session, organization, "bob")
    (proposal,) = _changes(db_session)
    # alice's account turned out to be taken over: staff take her Owner role away.
    db_session.delete(db_session.get(OrganizationRole, _role_id(db_session, organization, "alice")))
    db_session.flush()
    _switch_to(app, users["carol"])
    refused = _decide(app, proposal, "approve", status=409)
    assert "its proposer is no longer an Owner" in main_text(refused)
    assert _roles(db_session, organization) == {"bob": OWNER, "carol": OWNER}


def test_staff_are_unaffected_and_a_single_owner_ends_the_rule(
    webtest_app, db_session, users, organization
):
    for name in ("bob", "carol"):
        role_id = _role_id(db_session, organization, name)
        staff = UserFactory.create(username=f"support-{name}", is_support=True)
        webtest_app.reset()
        log_in(webtest_app, staff)
        page = webtest_app.get(f"/admin/organizations/{organization.id}/")
        rule = page.html.find(id="owner-approval").get_text()
        assert rule.startswith("Need a second Owner's approval")
        form = page.forms[f"delete-role-form-{name}"]
        assert str(role_id) in form.action
        form["username"] = name
        form.submit(status=303)
    assert _roles(db_session, organization) == {"alice": OWNER, "dave": MEMBER}
    assert _changes(db_session) == []
    page = webtest_app.get(f"/admin/organizations/{organization.id}/")
    assert page.html.find(id="owner-approval").get_text() == "One Owner may make them"
    db_session.expire_all()
    assert not db_session.get(Organization, organization.id).owner_changes_need_approval
    (off,) = [
        e
        for e in events_of(db_session, organization)
        if e.tag == EventTag.OrganizationOwnerApprovalOff
    ]
    assert off.additional["why"] == "PyPI staff's change left fewer than two Owners"


def test_the_owner_changes_page_runs_the_same_statements_however_many_proposals(
    app, db_session, users, organization
):
    _remove(app, db_session, organization, "bob")
    app.get(CHANGES)  # shows (and so takes) the flash message, which writes the session
    small = len(app.get(CHANGES).sql_statements)
    # Many more waiting (the most allowed) and more decided than fit on a page.
    (first,) = _changes(db_session)
    for number in range(45):
        db_session.add(
            OrganizationOwnerChange(
                organization_id=organization.id,
                kind=first.kind,
                subject=f"someone-{number}",
                subject_key=f"invite:someone-{number}",
                proposed_by_id=users["alice"].id,
                proposed_by_username="alice",
                expires_at=first.expires_at,
                status=OwnerChangeStatus.Waiting if number < 19 else OwnerChangeStatus.Rejected,
            )
        )
    db_session.flush()
    page = app.get(CHANGES)
    assert len(page.sql_statements) == small == 6
    assert "Showing 1\N{EN DASH}20 of 26" in main_text(page)
