"""An organization's life after approval, through the real pages: the owner invites, the
invitee accepts, the owner changes their role, they leave, and the owner deletes it."""

import re

from sqlalchemy import select

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.events import event_tags
from tests.common.sessions import log_in
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import Organization, OrganizationRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType

PEOPLE = "/manage/organization/acme/people/"
LINK = re.compile(r"http://localhost(/account/verify-organization-role/\?token=\S+)")


def _role_id(db_session, username):
    db_session.expire_all()
    return next(
        role.id
        for role in db_session.scalars(select(OrganizationRole))
        if role.user.username == username
    )


def test_invite_accept_change_leave_delete(webtest_app, db_session, outbox):
    alice, bob = UserFactory.create(username="alice"), UserFactory.create(username="bob")
    organization = OrganizationFactory.create(name="acme")
    OrganizationRoleFactory.create(
        organization=organization, user=alice, role_name=OrganizationRoleType.Owner
    )
    # Two browsers, each signed in once.
    app = webtest_app
    bobs = type(app)(app.app, app.recorder, extra_environ={"REMOTE_ADDR": "192.0.2.20"})

    # The owner invites.
    log_in(app, alice)
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
    bobs.get(PEOPLE).forms[f"remove-role-{_role_id(db_session, 'bob')}"].submit(status=303)

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
