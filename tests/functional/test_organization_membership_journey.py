"""An organization's whole life through the real pages: apply, staff approve, the owner
invites, the invitee accepts, the owner changes their role, they leave, and the owner deletes
the organization."""

import re

from sqlalchemy import select

from tests.common.db.accounts import UserFactory
from tests.common.events import event_tags
from tests.common.sessions import log_in
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import Organization, OrganizationRole

PEOPLE = "/manage/organization/acme/people/"
LINK = re.compile(r"http://localhost(/account/verify-organization-role/\?token=\S+)")


def _role_id(db_session, username):
    db_session.expire_all()
    return next(
        role.id
        for role in db_session.scalars(select(OrganizationRole))
        if role.user.username == username
    )


def test_apply_approve_invite_accept_change_leave_delete(webtest_app, db_session, outbox):
    alice, bob = UserFactory.create(username="alice"), UserFactory.create(username="bob")
    staff = UserFactory.create(username="sam", is_support=True)
    # Three browsers, each signed in once.
    app = webtest_app
    bobs = type(app)(app.app, app.recorder, extra_environ={"REMOTE_ADDR": "192.0.2.20"})
    staffs = type(app)(app.app, app.recorder, extra_environ={"REMOTE_ADDR": "192.0.2.30"})

    # Alice applies.
    log_in(app, alice)
    form = app.get("/manage/organizations/").forms["apply-form"]
    for field, value in {
        "name": "acme",
        "display_name": "Acme",
        "link_url": "https://acme.example.org/",
        "description": "Acme's open source.",
        "orgtype": "Community",
        "usage": "We maintain a dozen packages together and want them under one name.",
        "membership_size": "2-5",
    }.items():
        form[field] = value
    form.submit(status=303)

    # Support approves it.
    log_in(staffs, staff)
    queue = staffs.get("/admin/organization_applications/")
    review = queue.click("acme")
    decision = review.forms["decision-form"]
    decision["decision"] = "approve"
    decision.submit(status=303)
    organization = db_session.scalars(select(Organization)).one()
    assert organization.name == "acme"
    (owner,) = db_session.scalars(select(OrganizationRole)).all()
    assert (owner.user.username, owner.role_name) == ("alice", "Owner")

    # The owner invites.
    form = app.get(PEOPLE).forms["invite-member-form"]
    form["username"], form["role_name"] = "bob", "Member"
    form.submit(status=303)
    (invited,) = [m for m in outbox.messages() if "bob@example.com" in m.recipient]
    link = LINK.search(invited.body("plain")).group(1)

    # The invitee accepts.
    log_in(bobs, bob)
    bobs.get(link).forms["accept-invitation-form"].submit(status=303).follow()

    # The owner makes them a Manager.
    form = app.get(PEOPLE).forms[f"change-role-{_role_id(db_session, 'bob')}"]
    form["role_name"] = "Manager"
    form.submit(status=303)

    # They leave.
    form = bobs.get(PEOPLE).forms[f"remove-role-{_role_id(db_session, 'bob')}"]
    form["confirm_name"] = "acme"
    form.submit(status=303)

    assert event_tags(db_session, organization)[-4:] == [
        EventTag.OrganizationRoleInvite,
        EventTag.OrganizationRoleInviteAccept,
        EventTag.OrganizationRoleChange,
        EventTag.OrganizationRoleLeave,
    ]

    # The owner reads the history and deletes the organization.
    history = app.get("/manage/organization/acme/history/")
    assert "bob left the organization" in history.text
    form = app.get("/manage/organization/acme/settings/").forms["delete-organization-form"]
    form["confirm_organization_name"] = "acme"
    form.submit(status=303)
    db_session.expire_all()
    assert db_session.scalars(select(Organization)).all() == []
    subjects = [m.subject for m in outbox.messages()]
    assert subjects[0] == "The organization acme was deleted"
    assert "bob left acme" in subjects
    assert "Your role in acme is now Manager" in subjects
