"""Every removal takes a second step: no member, organization, invitation, collaborator or
email address goes by one click, and a POST without the confirmation changes nothing.

Each removal is sent three ways through the page's own form: as one click would send it (the
confirmation left out), with a wrong confirmation, and with the right one. The first two must
answer 400, leave every table as it was (so the row is still there and no event was written)
and send no mail; the wrong one also puts the message beside the field, opens that row's
disclosure and links to the field from the error summary at the top.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from tests.common.db.accounts import EmailFactory, UserFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationInvitationFactory,
    OrganizationRoleFactory,
)
from tests.common.db.packaging import RoleFactory
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from tests.common.table_snapshots import table_snapshot
from warehouse_orgs.accounts.models import Email
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import OrganizationInvitation, OrganizationRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.packaging.models import ProjectRoleName, Role

OWNER = OrganizationRoleType.Owner
MEMBER = OrganizationRoleType.Member
PEOPLE = "/manage/organization/acme/people/"
COLLABORATORS = "/manage/project/sampleproject/collaboration/"
ACCOUNT = "/manage/account/"
# A request changes the session row; nothing else may change when a removal is refused.
SESSIONS = frozenset({"browser_sessions"})


@dataclass
class Removal:
    """One kind of removal, set up and ready: who asks, where, and what the form must carry."""

    page: str
    form_id: str
    field: str
    # What the confirmation must hold; typed ones are also checked in another case.
    expected: str
    typed: bool
    # Whether the row is still there, read from the database.
    still_there: Callable[[], bool]
    # The event the removal writes, on the object it writes it on.
    event: tuple[Any, str]
    done_message: str


@pytest.fixture
def alice(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def bob(db_session):
    return UserFactory.create(username="bob")


@pytest.fixture
def organization(alice):
    organization = OrganizationFactory.create(name="acme")
    OrganizationRoleFactory.create(organization=organization, user=alice, role_name=OWNER)
    return organization


def _exists(db_session, model, row_id):
    db_session.expire_all()
    return db_session.get(model, row_id) is not None


def remove_member(webtest_app, db_session, organization, alice, bob):
    role = OrganizationRoleFactory.create(organization=organization, user=bob, role_name=MEMBER)
    log_in(webtest_app, alice)
    return Removal(
        page=PEOPLE,
        form_id=f"remove-role-{role.id}",
        field="confirm_username",
        expected="bob",
        typed=True,
        still_there=lambda: _exists(db_session, OrganizationRole, role.id),
        event=(organization, EventTag.OrganizationRoleRemove),
        done_message="bob is removed from acme.",
    )


def leave(webtest_app, db_session, organization, alice, bob):
    role = OrganizationRoleFactory.create(organization=organization, user=bob, role_name=MEMBER)
    log_in(webtest_app, bob)
    return Removal(
        page=PEOPLE,
        form_id=f"remove-role-{role.id}",
        field="confirm_name",
        expected="acme",
        typed=True,
        still_there=lambda: _exists(db_session, OrganizationRole, role.id),
        event=(organization, EventTag.OrganizationRoleLeave),
        done_message="You left acme.",
    )


def revoke_invitation(webtest_app, db_session, organization, alice, bob):
    invitation = OrganizationInvitationFactory.create(organization=organization, user=bob)
    log_in(webtest_app, alice)

    def still_pending():
        db_session.expire_all()
        return db_session.get(OrganizationInvitation, invitation.id).status == "pending"

    return Removal(
        page=PEOPLE,
        form_id=f"revoke-invitation-{invitation.id}",
        field="confirm_username",
        expected="bob",
        typed=True,
        still_there=still_pending,
        event=(organization, EventTag.OrganizationRoleInviteRevoke),
        done_message="The invitation to bob is revoked.",
    )


def remove_collaborator(webtest_app, db_session, organization, alice, bob):
    project = RoleFactory.create(
        user=alice, project__name="sampleproject", role_name=ProjectRoleName.Owner
    ).project
    role = RoleFactory.create(project=project, user=bob, role_name=ProjectRoleName.Maintainer)
    log_in(webtest_app, alice)
    return Removal(
        page=COLLABORATORS,
        form_id=f"remove-role-{role.id}",
        field="confirm_username",
        expected="bob",
        typed=True,
        still_there=lambda: _exists(db_session, Role, role.id),
        event=(project, EventTag.ProjectRoleRemove),
        done_message="bob is removed from sampleproject.",
    )


def remove_email(webtest_app, db_session, organization, alice, bob):
    email = EmailFactory.create(user=alice, email="old@example.org", primary=False)
    log_in(webtest_app, alice)
    return Removal(
        page=ACCOUNT,
        form_id=f"remove-email-{email.id}",
        field="confirm_email",
        expected="old@example.org",
        typed=False,
        still_there=lambda: _exists(db_session, Email, email.id),
        event=(alice, EventTag.AccountEmailRemove),
        done_message="old@example.org is removed from your account.",
    )


REMOVALS = [remove_member, leave, revoke_invitation, remove_collaborator, remove_email]


@pytest.fixture(params=REMOVALS, ids=lambda setup: setup.__name__)
def removal(request, webtest_app, db_session, organization, alice, bob):
    return request.param(webtest_app, db_session, organization, alice, bob)


def _page_form(app, removal):
    return app.get(removal.page).forms[removal.form_id]


def _nothing_changed(db_session, outbox, removal, before):
    assert removal.still_there()
    assert table_snapshot(db_session).changed_tables(before, ignore=SESSIONS) == []
    assert removal.event[1] not in event_tags(db_session, removal.event[0])
    assert outbox.messages() == []


def test_the_first_press_only_opens_a_disclosure(webtest_app, removal):
    page = webtest_app.get(removal.page)
    disclosure = page.html.find(id=f"{removal.form_id}-disclosure")
    assert disclosure.name == "details"
    assert not disclosure.has_attr("open")
    # The danger button people press first is the summary; the form that removes is inside.
    assert "button--danger" in disclosure.find("summary")["class"]
    assert disclosure.find("form")["id"] == removal.form_id
    consequences = disclosure.find(id=f"{removal.form_id}-consequences").get_text(" ")
    assert "now" in consequences
    final = disclosure.find("form").find("button", attrs={"type": "submit"})
    assert f"{removal.form_id}-consequences" in final["aria-describedby"]
    if removal.typed:
        box = disclosure.find("input", attrs={"name": removal.field})
        assert box["id"] == f"{removal.form_id}-{removal.field}"
        assert box.get("value", "") == ""
        assert f"Type {removal.expected} to confirm." in disclosure.get_text(" ")
    else:
        assert final.get_text(strip=True) == f"Yes, remove {removal.expected}"


def test_a_post_without_the_confirmation_changes_nothing(webtest_app, db_session, outbox, removal):
    form = _page_form(webtest_app, removal)
    fields = [(name, value) for name, value in form.submit_fields() if name != removal.field]
    before = table_snapshot(db_session)
    response = webtest_app.post(form.action, fields, status=400)
    _nothing_changed(db_session, outbox, removal, before)
    disclosure = response.html.find(id=f"{removal.form_id}-disclosure")
    assert disclosure.has_attr("open")
    error = field_error(response, f"{removal.form_id}-{removal.field}")
    if removal.typed:
        assert error == f"Type {removal.expected} to confirm."
    else:
        assert error == f"Press “Yes, remove {removal.expected}” to confirm."


def test_a_wrong_confirmation_changes_nothing_and_says_so_beside_the_field(
    webtest_app, db_session, outbox, removal
):
    form = _page_form(webtest_app, removal)
    if removal.typed:
        form[removal.field] = "someone-else"
        before = table_snapshot(db_session)
        response = form.submit(status=400)
    else:
        fields = [
            (name, "someone-else@example.org" if name == removal.field else value)
            for name, value in form.submit_fields()
        ]
        before = table_snapshot(db_session)
        response = webtest_app.post(form.action, fields, status=400)
    _nothing_changed(db_session, outbox, removal, before)

    field_id = f"{removal.form_id}-{removal.field}"
    assert response.html.find(id=f"{removal.form_id}-disclosure").has_attr("open")
    if removal.typed:
        assert field_error(response, field_id) == (
            f"That does not match. Type {removal.expected} to confirm."
        )
        box = response.html.find(id=field_id)
        assert box["aria-invalid"] == "true"
        assert f"{field_id}-error" in box["aria-describedby"]
    # The summary at the top links to the field (for the second button, to that button).
    summary = response.html.find(id="error-summary")
    assert summary is not None
    assert [a["href"] for a in summary.find_all("a")] == [f"#{field_id}"]
    assert response.html.find(id=field_id) is not None
    assert response.html.title.get_text().startswith("Error: ")
    # Only the refused row is open: the others stay closed and keep their own ids.
    assert len(response.html.select("details.confirm[open]")) == 1


def test_the_right_confirmation_removes(webtest_app, db_session, outbox, removal):
    form = _page_form(webtest_app, removal)
    if removal.typed:
        # Case does not matter, as with the usernames and names themselves.
        form[removal.field] = removal.expected.upper()
    done = form.submit(status=303).follow()
    assert removal.done_message in main_text(done)
    assert not removal.still_there()
    assert removal.event[1] in event_tags(db_session, removal.event[0])


# No role is chosen for anyone by default


def test_inviting_without_a_role_is_refused_beside_the_picker(
    webtest_app, db_session, outbox, organization, alice, bob
):
    log_in(webtest_app, alice)
    form = webtest_app.get(PEOPLE).forms["invite-member-form"]
    assert form["role_name"].value == ""
    assert form["role_name"].options[0][::2] == ("", "Choose a role")
    form["username"] = "bob"
    response = form.submit(status=400)
    assert field_error(response, "role_name") == "Choose a role."
    assert [a["href"] for a in response.html.find(id="error-summary").find_all("a")] == [
        "#role_name"
    ]
    assert db_session.scalars(select(OrganizationInvitation)).all() == []
    assert outbox.messages() == []


def test_adding_a_collaborator_without_a_role_is_refused_beside_the_picker(
    webtest_app, db_session, alice, bob
):
    project = RoleFactory.create(
        user=alice, project__name="sampleproject", role_name=ProjectRoleName.Owner
    ).project
    log_in(webtest_app, alice)
    form = webtest_app.get(COLLABORATORS).forms["add-role-form"]
    assert form["role_name"].value == ""
    form["username"] = "bob"
    response = form.submit(status=400)
    assert field_error(response, "role_name") == "Choose a role."
    db_session.expire_all()
    assert [role.user.username for role in project.roles] == ["alice"]


def test_change_role_pickers_keep_and_name_the_current_role(
    webtest_app, db_session, organization, alice, bob
):
    role = OrganizationRoleFactory.create(organization=organization, user=bob, role_name=MEMBER)
    log_in(webtest_app, alice)
    page = webtest_app.get(PEOPLE)
    select_box = page.html.find(id=f"role-name-{role.id}")
    chosen = select_box.find("option", selected=True)
    assert (chosen["value"], chosen.get_text()) == ("Member", "Member (current role)")
    label = page.html.find("label", attrs={"for": f"role-name-{role.id}"})
    assert label.get_text() == "New role for bob"


# The people page offers only what works


def _actions_header(page):
    return [th.get_text(strip=True) for th in page.html.select("main table thead th")][:3]


def test_the_only_owner_is_told_why_they_cannot_leave(webtest_app, organization, alice):
    log_in(webtest_app, alice)
    page = webtest_app.get(PEOPLE)
    members = page.html.find("table")
    assert not members.find("details")
    assert not members.select(".button--danger")
    assert "You are the only Owner. Make someone else an Owner before you leave." in (
        members.get_text(" ")
    )


def test_a_second_owner_may_leave(webtest_app, db_session, organization, alice, bob):
    OrganizationRoleFactory.create(organization=organization, user=bob, role_name=OWNER)
    log_in(webtest_app, alice)
    page = webtest_app.get(PEOPLE)
    assert "Leave acme" in main_text(page)
    assert "You are the only Owner" not in main_text(page)


def test_a_billing_manager_sees_no_actions_column(webtest_app, db_session, alice, bob):
    company = OrganizationFactory.create(name="bigco", orgtype="Company")
    OrganizationRoleFactory.create(organization=company, user=alice, role_name=OWNER)
    OrganizationRoleFactory.create(
        organization=company, user=bob, role_name=OrganizationRoleType.BillingManager
    )
    log_in(webtest_app, bob)
    page = webtest_app.get("/manage/organization/bigco/people/")
    header = [th.get_text(strip=True) for th in page.html.find("table").find_all("th")]
    assert header == ["Username", "Role"]
    assert [len(tr.find_all("td")) for tr in page.html.find("table").tbody.find_all("tr")] == [
        2,
        2,
    ]


def test_a_member_sees_only_their_own_leave(webtest_app, db_session, organization, alice, bob):
    role = OrganizationRoleFactory.create(organization=organization, user=bob, role_name=MEMBER)
    log_in(webtest_app, bob)
    page = webtest_app.get(PEOPLE)
    forms = [form_id for form_id in page.forms if isinstance(form_id, str)]
    assert [f for f in forms if f.startswith(("remove-role-", "change-role-"))] == [
        f"remove-role-{role.id}"
    ]
    assert (
        page.html.find(id=f"remove-role-{role.id}-disclosure")
        .summary.get_text(strip=True)
        .startswith("Leave acme")
    )


@pytest.mark.parametrize("orgtype", ["Community", "Company"])
def test_the_role_table_promises_only_pages_that_exist(webtest_app, alice, orgtype):
    organization = OrganizationFactory.create(name="acme", orgtype=orgtype)
    OrganizationRoleFactory.create(organization=organization, user=alice, role_name=OWNER)
    log_in(webtest_app, alice)
    table = webtest_app.get(PEOPLE).html.find(id="role-permissions")
    rows = [th.get_text(" ", strip=True) for th in table.find("tbody").find_all("th")]
    assert rows == [
        "See the organization's settings and people",
        "See the teams and who is on them",
        "Leave the organization",
        "Invite and remove people, change settings, delete",
        "Create, rename and delete teams, choose who is on them",
        "Add projects",
    ]
    # Billing and removing projects have no pages yet.
    text = table.find("tbody").get_text(" ").lower()
    for missing in ("billing", "remove projects"):
        assert missing not in text
    roles = [th.get_text(strip=True) for th in table.find("thead").find_all("th")][1:]
    expected = ["Owner", "Billing Manager", "Manager", "Member"]
    assert roles == (expected if orgtype == "Company" else [r for r in expected if "Bill" not in r])


def test_invitation_statuses_are_badges_with_words(
    webtest_app, db_session, organization, alice, bob
):
    OrganizationInvitationFactory.create(organization=organization, user=bob)
    OrganizationInvitationFactory.create(
        organization=organization,
        user=UserFactory.create(username="carol"),
        expires_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1),
    )
    log_in(webtest_app, alice)
    page = webtest_app.get(PEOPLE)
    badges = [b.get_text() for b in page.html.select("main .badge--status")]
    assert sorted(badges) == ["Expired", "Pending"]
