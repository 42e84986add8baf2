"""/manage/organization/<name>/settings/ and history/: details, deletion, and the history with
its exports."""

import csv
import io

import pytest
from sqlalchemy import select

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.db.packaging import ProjectFactory
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in, make_authentication_stale
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationNameCatalog,
    OrganizationProject,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType

SETTINGS = "/manage/organization/acme/settings/"
HISTORY = "/manage/organization/acme/history/"


@pytest.fixture
def owner(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def organization(owner):
    organization = OrganizationFactory.create(name="acme", display_name="Acme")
    OrganizationRoleFactory.create(
        organization=organization, user=owner, role_name=OrganizationRoleType.Owner
    )
    return organization


@pytest.fixture
def app(webtest_app, owner, organization):
    log_in(webtest_app, owner)
    return webtest_app


def _flash(page):
    return " ".join(alert.get_text(" ", strip=True) for alert in page.html.select(".alert"))


def _organization(db_session, name="acme"):
    db_session.expire_all()
    return db_session.scalars(select(Organization).where(Organization.name == name)).one_or_none()


# Details


def test_owner_edits_the_details_and_owners_are_told(app, db_session, outbox, organization):
    form = app.get(SETTINGS).forms["organization-details-form"]
    form["display_name"] = "Acme Inc."
    form["link_url"] = "https://acme.example.org/"
    form["description"] = "Now with more tools."
    form["orgtype"] = "Company"
    form["confirm_company"] = True
    page = form.submit(status=303).follow()
    assert "The details are saved." in _flash(page)
    saved = _organization(db_session)
    assert (saved.display_name, saved.link_url, saved.description, saved.orgtype) == (
        "Acme Inc.",
        "https://acme.example.org/",
        "Now with more tools.",
        "Company",
    )
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationDetailsChange
    (message,) = outbox.messages()
    assert message.subject == "The details of acme changed"
    assert "display_name: Acme -> Acme Inc." in message.body("plain")


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("display_name", "", "Enter a display name."),
        ("display_name", "x" * 101, "Use at most 100 characters."),
        (
            "link_url",
            "ftp://acme.example.com/",
            "Use an address starting with http:// or https://.",
        ),
        ("link_url", "https://example.com/" + "x" * 400, "Use at most 400 characters."),
        ("description", "x" * 401, "Use at most 400 characters."),
    ],
)
def test_bad_details_are_refused_beside_the_field(app, db_session, field, value, error):
    form = app.get(SETTINGS).forms["organization-details-form"]
    form[field] = value
    response = form.submit(status=400)
    assert error in field_error(response, field)
    assert _organization(db_session).display_name == "Acme"


def test_becoming_a_company_spells_out_the_cost_and_needs_a_tick(
    app, db_session, outbox, organization
):
    page = app.get(SETTINGS)
    warning = page.html.find(id="company-consequences").get_text(" ", strip=True)
    assert "billed for every member (per seat), each month" in warning
    assert "never become a Community organization again" in warning
    form = page.forms["organization-details-form"]
    form["orgtype"] = "Company"
    response = form.submit(status=400)
    assert "Tick this box to confirm the change to Company." in field_error(
        response, "confirm_company"
    )
    assert response.html.title.get_text().startswith("Error: ")
    summary = response.html.find(id="error-summary")
    assert summary.find("a", href="#confirm_company") is not None
    assert _organization(db_session).orgtype == "Community"
    assert outbox.messages() == []


def test_other_changes_need_no_tick(app, db_session, organization):
    form = app.get(SETTINGS).forms["organization-details-form"]
    form["description"] = "Still free."
    form.submit(status=303)
    assert _organization(db_session).description == "Still free."


def test_a_company_never_becomes_a_community(app, db_session, organization):
    organization.orgtype = "Company"
    db_session.flush()
    page = app.get(SETTINGS)
    # Nothing to choose: the type is stated, not offered.
    assert page.html.find("select", attrs={"name": "orgtype"}) is None
    assert "A Company organization stays one." in page.html.find(id="details-heading").parent.text
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    response = app.post(
        SETTINGS,
        {
            "display_name": "Acme",
            "link_url": "https://acme.example.com/",
            "description": "x",
            "orgtype": "Community",
            "csrf_token": token,
        },
        status=400,
    )
    assert "cannot become a Community one" in field_error(response, "orgtype")
    assert _organization(db_session).orgtype == "Company"


def test_a_member_sees_the_details_but_no_forms(webtest_app, db_session, organization):
    member = UserFactory.create()
    OrganizationRoleFactory.create(
        organization=organization, user=member, role_name=OrganizationRoleType.Member
    )
    log_in(webtest_app, member)
    page = webtest_app.get(SETTINGS, status=200)
    assert "Only owners can change these details." in main_text(page)
    assert "organization-details-form" not in page.forms
    assert "delete-organization-form" not in page.forms


# Deletion


def _delete(app, name, status):
    form = app.get(SETTINGS).forms["delete-organization-form"]
    form["confirm_organization_name"] = name
    return form.submit(status=status)


def test_delete_needs_the_exact_name(app, db_session):
    response = _delete(app, "ACME", 400)
    assert field_error(response, "confirm_organization_name") == "Type acme exactly to confirm."
    assert _organization(db_session) is not None


def test_delete_is_refused_while_the_organization_has_projects(app, db_session, organization):
    project = ProjectFactory.create()
    db_session.add(OrganizationProject(organization_id=organization.id, project_id=project.id))
    db_session.flush()
    assert "has 1 project" in main_text(app.get(SETTINGS))
    response = _delete(app, "acme", 409)
    assert "still has projects" in field_error(response, "confirm_organization_name")
    assert _organization(db_session) is not None


def test_delete_removes_the_organization_keeps_the_name_and_tells_owners(
    app, db_session, outbox, owner
):
    response = _delete(app, "acme", 303)
    assert response.location.endswith("/manage/organizations/")
    assert _organization(db_session) is None
    catalog = db_session.scalars(
        select(OrganizationNameCatalog).where(OrganizationNameCatalog.normalized_name == "acme")
    ).one()
    assert catalog.organization_id is None
    (message,) = outbox.messages()
    assert message.subject == "The organization acme was deleted"
    assert event_tags(db_session, owner)[-1] == EventTag.OrganizationDelete


def test_delete_asks_for_the_password_again_when_it_is_stale(app, db_session):
    form = app.get(SETTINGS).forms["delete-organization-form"]
    form["confirm_organization_name"] = "acme"
    make_authentication_stale(db_session)
    step = form.submit(status=200)
    assert step.html.find("h1").text == "Confirm your password"
    assert step.forms["reauthenticate-form"].action == SETTINGS
    assert _organization(db_session) is not None


# History


def _history_rows(page):
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
        for row in page.html.find(id="organization-history").find("tbody").find_all("tr")
    ]


def test_history_reads_as_sentences_newest_first_with_ip_redacted_for_staff(
    app, db_session, organization, owner
):
    form = app.get(SETTINGS).forms["organization-details-form"]
    form["display_name"] = "Acme Inc."
    form.submit(status=303)
    event = organization.Event(
        source_id=organization.id,
        tag=str(EventTag.AdminOrganizationRoleRemove),
        ip_address="198.51.100.7",
        acted_as_staff=True,
        additional={"actor": "staffer", "username": "mallory", "role": "Member"},
    )
    db_session.add(event)
    db_session.flush()
    page = app.get(HISTORY)
    rows = _history_rows(page)
    assert rows[0][1:] == ["PyPI staff removed mallory (Member)", "PyPI staff", "—"]
    assert "staffer" not in page.text
    assert "198.51.100.7" not in page.text
    assert rows[1][1].startswith("alice changed")
    assert rows[1][2:] == ["alice", "192.0.2.10"]


def test_history_is_paginated_by_25(app, db_session, organization):
    for n in range(30):
        db_session.add(
            organization.Event(
                source_id=organization.id,
                tag=str(EventTag.OrganizationRoleAdd),
                additional={"actor": "alice", "username": f"user{n:02}", "role": "Member"},
            )
        )
    db_session.flush()
    first = app.get(HISTORY)
    assert len(_history_rows(first)) == 25
    second = app.get(HISTORY + "?page=2")
    assert len(_history_rows(second)) == 5


def test_history_exports_as_csv_and_json(app, db_session, organization):
    db_session.add(
        organization.Event(
            source_id=organization.id,
            tag=str(EventTag.AdminOrganizationRoleAdd),
            ip_address="198.51.100.7",
            acted_as_staff=True,
            additional={"actor": "staffer", "username": "bob", "role": "Member"},
        )
    )
    db_session.add(
        organization.Event(
            source_id=organization.id,
            tag=str(EventTag.OrganizationRoleInvite),
            ip_address="192.0.2.55",
            additional={"actor": "alice", "username": "carol", "role": "Manager"},
        )
    )
    db_session.flush()
    exported = app.get(HISTORY + "?format=json", status=200)
    assert exported.content_type == "application/json"
    rows = exported.json
    assert [row["tag"] for row in rows] == [
        EventTag.OrganizationRoleInvite,
        EventTag.AdminOrganizationRoleAdd,
    ]
    assert rows[0]["ip"] == "192.0.2.55"
    assert rows[0]["actor"] == "alice"
    assert (rows[1]["ip"], rows[1]["actor"]) == ("—", "PyPI staff")
    assert "staffer" not in exported.text
    assert "198.51.100.7" not in exported.text
    assert set(rows[0]) == {"time", "sentence", "actor", "ip", "tag"}

    as_csv = app.get(HISTORY + "?format=csv", status=200)
    assert as_csv.content_type == "text/csv"
    assert "attachment" in as_csv.headers["Content-Disposition"]
    parsed = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [row["sentence"] for row in parsed] == [row["sentence"] for row in rows]
    assert parsed[1]["ip"] == "—"
    assert "staffer" not in as_csv.text
    assert "198.51.100.7" not in as_csv.text

    app.get(HISTORY + "?format=xml", status=400)
