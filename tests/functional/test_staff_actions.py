"""Staff act on an organization through the admin pages; its owners see that PyPI staff acted,
never which staff member nor from where. Staff still see who did it.

One journey through the real app: a staff member approves an application, renames the new
organization, edits its details and adds, changes and removes a member, from an address of
their own. The Owner then reads the history page and both exports, and the mail they got.
"""

import csv
import io

import pytest
from sqlalchemy import select

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationApplicationFactory
from tests.common.pages import main_text
from tests.common.sessions import log_in
from warehouse_orgs.organizations.models import Organization

STAFF_NAME = "stella-staff"
STAFF_IP = "203.0.113.77"
OWNER_IP = "192.0.2.10"  # the address every other request in the tests comes from
HISTORY = "/manage/organization/acme-labs/history/"


def _csrf(page):
    return page.html.find("input", attrs={"name": "csrf_token"})["value"]


def _log_out(app):
    app.post("/account/logout/", {"csrf_token": _csrf(app.get("/"))}, status=303)


def _history_rows(page):
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
        for row in page.html.find(id="organization-history").find("tbody").find_all("tr")
    ]


def _mail_text(message):
    return "\n".join([message.subject, message.body("plain"), message.body("html") or ""])


@pytest.fixture
def staff(db_session):
    return UserFactory.create(username=STAFF_NAME, is_superuser=True)


@pytest.fixture
def owner(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def journey(webtest_app, db_session, outbox, staff, owner):
    """Everything staff do, from STAFF_IP; returns the organization and the mail it caused."""
    UserFactory.create(username="mark")
    application = OrganizationApplicationFactory.create(name="acme-tools", submitted_by=owner)
    webtest_app.extra_environ = {"REMOTE_ADDR": STAFF_IP}
    log_in(webtest_app, staff)

    page = webtest_app.get(f"/admin/organization_applications/{application.id}/")
    form = page.forms["decision-form"]
    form["decision"] = "approve"
    form.submit(status=303)
    organization = db_session.scalars(
        select(Organization).where(Organization.name == "acme-tools")
    ).one()
    detail = f"/admin/organizations/{organization.id}/"

    form = webtest_app.get(detail).forms["organization-rename-form"]
    form["new_organization_name"] = "acme-labs"
    form["confirm_organization_name"] = "acme-tools"
    form.submit(status=303)

    form = webtest_app.get(detail).forms["organization-details-form"]
    form["display_name"] = "Acme Laboratories"
    form["description"] = "Renamed by staff."
    form.submit(status=303)

    form = webtest_app.get(detail).forms["add-role-form"]
    form["username"] = "mark"
    form["role_name"] = "Member"
    form.submit(status=303)

    form = webtest_app.get(detail).forms["update-role-form-mark"]
    form["role_name"] = "Manager"
    form.submit(status=303)

    form = webtest_app.get(detail).forms["delete-role-form-mark"]
    form["username"] = "mark"
    form.submit(status=303)

    _log_out(webtest_app)
    webtest_app.extra_environ = {"REMOTE_ADDR": OWNER_IP}
    return organization, outbox.messages()


@pytest.fixture
def owner_app(webtest_app, journey, owner):
    log_in(webtest_app, owner)
    return webtest_app


STAFF_SENTENCES = [
    "PyPI staff removed mark (Manager)",
    "PyPI staff changed mark from Member to Manager",
    "PyPI staff added mark as Member",
    "PyPI staff renamed the organization from acme-tools to acme-labs",
]


def test_owners_read_staff_actions_as_pypi_staff_on_the_history_page(owner_app, db_session):
    page = owner_app.get(HISTORY)
    rows = _history_rows(page)
    staff_rows = [row for row in rows if row[2] == "PyPI staff"]
    # Approval (creation, the Owner's role), rename, details, and the three role changes.
    assert len(staff_rows) == 7, rows
    assert all(row[3] == "—" for row in staff_rows), staff_rows
    sentences = [row[1] for row in rows]
    for sentence in STAFF_SENTENCES:
        assert any(s.startswith(sentence) for s in sentences), (sentence, sentences)
    assert STAFF_NAME not in page.text
    assert STAFF_IP not in page.text


def test_owners_exports_name_neither_the_staff_member_nor_their_address(owner_app):
    exported = owner_app.get(HISTORY + "?format=json")
    rows = exported.json
    staff_rows = [row for row in rows if row["actor"] == "PyPI staff"]
    assert len(staff_rows) == 7, rows
    assert {row["ip"] for row in staff_rows} == {"—"}
    assert STAFF_NAME not in exported.text
    assert STAFF_IP not in exported.text

    as_csv = owner_app.get(HISTORY + "?format=csv")
    parsed = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [row["sentence"] for row in parsed] == [row["sentence"] for row in rows]
    assert [row["actor"] for row in parsed].count("PyPI staff") == 7
    assert STAFF_NAME not in as_csv.text
    assert STAFF_IP not in as_csv.text


def test_an_owners_own_change_is_shown_as_theirs(owner_app, db_session):
    form = owner_app.get("/manage/organization/acme-labs/settings/").forms[
        "organization-details-form"
    ]
    form["display_name"] = "Alice's Labs"
    form.submit(status=303)

    rows = _history_rows(owner_app.get(HISTORY))
    newest = rows[0]
    assert newest[1].startswith("alice changed"), newest
    assert newest[2:] == ["alice", OWNER_IP]
    exported = owner_app.get(HISTORY + "?format=json").json[0]
    assert (exported["actor"], exported["ip"]) == ("alice", OWNER_IP)
    assert [row[2] for row in rows].count("PyPI staff") == 7


def test_the_mail_owners_get_does_not_name_the_staff_member(journey, owner):
    _, messages = journey
    to_owner = [m for m in messages if m.recipient == owner.primary_email.email]
    subjects = {m.subject for m in to_owner}
    assert "Your organization acme-tools is approved" in subjects
    assert "Your organization acme-tools is now called acme-labs" in subjects
    for message in messages:
        text = _mail_text(message)
        assert STAFF_NAME not in text, message.subject
        assert STAFF_IP not in text, message.subject


def test_staff_still_see_who_did_it(webtest_app, journey, staff, db_session):
    organization, _ = journey
    log_in(webtest_app, staff, step_offset=1)
    page = webtest_app.get(f"/admin/organizations/{organization.id}/")
    text = main_text(page)
    assert f"PyPI staff ({STAFF_NAME}) renamed the organization from acme-tools to acme-labs" in (
        text
    )
    assert f"PyPI staff ({STAFF_NAME}) added mark as Member" in text
    assert STAFF_IP in page.text


def test_the_events_are_recorded_as_staff_actions(journey, db_session, staff):
    organization, _ = journey
    db_session.expire_all()
    events = db_session.scalars(
        select(Organization.Event).where(Organization.Event.source_id == organization.id)
    ).all()
    assert len(events) == 7
    assert all(event.acted_as_staff for event in events)
    assert {event.actor_id for event in events} == {staff.id}
    assert {str(event.ip_address) for event in events} == {STAFF_IP}


def test_staff_changes_to_the_members_are_mailed_as_done_by_pypi_staff(journey, owner):
    _, messages = journey
    mark = [m for m in messages if m.recipient.startswith("mark")]
    to_owner = [m for m in messages if m.recipient == owner.primary_email.email]
    assert "PyPI staff added mark to acme-labs as Member." in " ".join(
        _mail_text(m) for m in to_owner
    )
    assert "PyPI staff changed your role in acme-labs from Member to" in " ".join(
        _mail_text(m) for m in mark
    )
    removed = "PyPI staff removed mark from the organization acme-labs."
    assert removed in " ".join(_mail_text(m) for m in mark)
    assert removed in " ".join(_mail_text(m) for m in to_owner)
