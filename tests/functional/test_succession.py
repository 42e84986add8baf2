"""Succession end to end (issue 13): staff find organizations whose Owners are gone, start a
handover, and it takes effect after seven days unless an Owner logs in and objects."""

import datetime

import pytest
from sqlalchemy import select

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.events import event_tags, events_of
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import OrganizationHandover, OrganizationRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.succession_interfaces import ISuccessionService
from warehouse_orgs.organizations.tasks import (
    complete_due_handovers,
    find_ownerless_risk_organizations,
)

Owner = OrganizationRoleType.Owner
Member = OrganizationRoleType.Member
NOW = datetime.datetime.now(datetime.UTC)


@pytest.fixture
def staff(db_session):
    return UserFactory.create(username="the-support", is_support=True)


@pytest.fixture
def world(db_session):
    owner = UserFactory.create(username="gone-owner", last_login=NOW - datetime.timedelta(days=800))
    member = UserFactory.create(username="steady-member", last_login=NOW)
    other = UserFactory.create(username="other-member", last_login=NOW)
    organization = OrganizationFactory.create(name="orphaned")
    OrganizationRoleFactory.create(organization=organization, user=owner, role_name=Owner)
    for user in (member, other):
        OrganizationRoleFactory.create(organization=organization, user=user, role_name=Member)
    return organization, owner, member


def _detail(organization):
    return f"/admin/organizations/{organization.id}/"


def _role(db_session, organization, user):
    db_session.expire_all()
    return db_session.scalars(
        select(OrganizationRole.role_name).where(
            OrganizationRole.organization_id == organization.id,
            OrganizationRole.user_id == user.id,
        )
    ).one()


def _start(app, organization, candidate="steady-member", reason="Nobody answers our emails."):
    form = app.get(_detail(organization)).forms["start-handover-form"]
    form["candidate"] = candidate
    form["reason"] = reason
    return form


def test_staff_list_exactly_the_organizations_at_risk(
    webtest_app, app_registry, db_session, staff, world
):
    _organization, _, _ = world
    lively = OrganizationFactory.create(name="lively")
    OrganizationRoleFactory.create(
        organization=lively, user=UserFactory.create(last_login=NOW), role_name=Owner
    )
    sweep = find_ownerless_risk_organizations(service_request(app_registry, db_session))
    assert sweep.found == ["orphaned"]
    log_in(webtest_app, staff)
    page = webtest_app.get("/admin/organizations/", params={"q": "is:ownerless-risk"})
    names = [row.find("a").text for row in page.html.select("main table tbody tr")]
    assert names == ["orphaned"]


def test_a_handover_without_objection_makes_the_member_an_owner(
    webtest_app, app_registry, db_session, staff, world, outbox
):
    organization, _owner, member = world
    log_in(webtest_app, staff)
    page = _start(webtest_app, organization).submit(status=303).follow()
    assert "Handover started: steady-member becomes Owner of orphaned" in main_text(page)

    # Every member is told, after the commit.
    messages = outbox.messages()
    assert sorted(m.recipient for m in messages) == [
        "gone-owner@example.com",
        "other-member@example.com",
        "steady-member@example.com",
    ]
    assert {m.subject for m in messages} == {
        "PyPI staff will make steady-member an Owner of orphaned"
    }
    assert "Nobody answers our emails." in messages[0].body("plain")
    # Recorded as a staff action: members read "PyPI staff", never who.
    (event,) = [
        e
        for e in events_of(db_session, organization)
        if e.tag == EventTag.OrganizationHandoverStart
    ]
    assert event.acted_as_staff
    seen = event.seen_by(staff=False)
    assert seen.actor == "PyPI staff"
    assert "the-support" not in seen.sentence

    # Seven days later (the row's time moved back), the periodic task makes them Owner.
    handover = db_session.scalars(select(OrganizationHandover)).one()
    handover.takes_effect_at = NOW - datetime.timedelta(seconds=1)
    db_session.flush()
    request = service_request(app_registry, db_session)
    with request.tm:
        assert complete_due_handovers(request) == 1
    assert _role(db_session, organization, member) == Owner
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationHandoverComplete


def test_an_owner_who_logs_in_sees_the_handover_and_objects(
    webtest_app, app_registry, db_session, staff, world, outbox
):
    organization, owner, member = world
    log_in(webtest_app, staff)
    _start(webtest_app, organization).submit(status=303)
    webtest_app.reset()

    log_in(webtest_app, owner)
    listing = webtest_app.get("/manage/organizations/")
    assert "steady-member becomes an Owner on" in main_text(listing)
    people = webtest_app.get("/manage/organization/orphaned/people/")
    assert people.html.find(id="handover-notice") is not None
    form = webtest_app.get("/manage/organization/orphaned/handover/").forms[
        "object-to-handover-form"
    ]
    form["objection"] = "I am still here."
    page = form.submit(status=303).follow()
    assert "You objected: steady-member will not be made an Owner." in main_text(page)
    assert page.html.find(id="handover-notice") is None

    handover = db_session.scalars(select(OrganizationHandover)).one()
    db_session.refresh(handover)
    assert handover.status == "objected"
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationHandoverObject
    # Every member and the staff member who started it hear of it.
    told = sorted(
        m.recipient
        for m in outbox.messages()
        if m.subject == "The handover of orphaned to steady-member was stopped"
    )
    assert told == [
        "gone-owner@example.com",
        "other-member@example.com",
        "steady-member@example.com",
        "the-support@example.com",
    ]
    # Nothing changes when the time comes.
    handover.takes_effect_at = NOW - datetime.timedelta(seconds=1)
    db_session.flush()
    request = service_request(app_registry, db_session)
    with request.tm:
        assert complete_due_handovers(request) == 0
    assert _role(db_session, organization, member) == Member


@pytest.mark.parametrize(
    ("candidate", "reason", "field", "message"),
    [
        ("outsider", "Why not.", "handover-candidate", "outsider is not a member of orphaned"),
        ("gone-owner", "Why not.", "handover-candidate", "gone-owner is already an Owner."),
        ("steady-member", "", "handover-reason", "Say why the organization is being handed"),
        ("steady-member", "x" * 1001, "handover-reason", "Use at most 1000 characters."),
        ("s" * 51, "Why not.", "handover-candidate", "Use at most 50 characters."),
    ],
)
def test_a_bad_handover_is_refused_beside_the_field(
    webtest_app, db_session, staff, world, outbox, candidate, reason, field, message
):
    organization, _, _ = world
    UserFactory.create(username="outsider")
    log_in(webtest_app, staff)
    page = _start(webtest_app, organization, candidate, reason).submit(status=400)
    assert message in field_error(page, field)
    assert db_session.scalars(select(OrganizationHandover)).all() == []
    assert outbox.messages() == []


def test_a_nul_in_the_reason_is_refused(webtest_app, db_session, staff, world):
    organization, _, _ = world
    log_in(webtest_app, staff)
    form = _start(webtest_app, organization, reason="bad\x00reason")
    response = form.submit(expect_errors=True)
    assert 400 <= response.status_int < 500
    assert db_session.scalars(select(OrganizationHandover)).all() == []


def test_a_member_cannot_object_and_non_staff_cannot_start(
    webtest_app, app_registry, db_session, staff, world
):
    organization, _owner, member = world
    log_in(webtest_app, member)
    assert webtest_app.get("/manage/organization/orphaned/handover/", status=403)
    csrf = webtest_app.get("/manage/organization/orphaned/people/").forms
    token = next(iter(csrf.values()))["csrf_token"].value
    webtest_app.post(
        "/manage/organization/orphaned/handover/",
        {"csrf_token": token, "objection": ""},
        status=403,
    )
    webtest_app.post(
        f"/admin/organizations/{organization.id}/handover/start/",
        {"csrf_token": token, "candidate": "steady-member", "reason": "mine now"},
        status=403,
    )
    assert db_session.scalars(select(OrganizationHandover)).all() == []


def test_a_single_owner_is_advised_to_add_a_second(webtest_app, db_session):
    owner = UserFactory.create(username="lonely-owner")
    member = UserFactory.create(username="plain-member")
    organization = OrganizationFactory.create(name="solo")
    OrganizationRoleFactory.create(organization=organization, user=owner, role_name=Owner)
    OrganizationRoleFactory.create(organization=organization, user=member, role_name=Member)
    log_in(webtest_app, owner)
    for page in ("people", "settings"):
        notice = webtest_app.get(f"/manage/organization/solo/{page}/").html.find(
            id="second-owner-notice"
        )
        assert "solo has a single Owner" in notice.get_text()
        assert notice.find("a")["href"] == "/manage/organization/solo/people/#invite-heading"
    # A Member is not told; nor are two Owners.
    webtest_app.reset()
    log_in(webtest_app, member)
    assert (
        webtest_app.get("/manage/organization/solo/people/").html.find(id="second-owner-notice")
        is None
    )
    webtest_app.reset()
    OrganizationRoleFactory.create(
        organization=organization, user=UserFactory.create(), role_name=Owner
    )
    log_in(webtest_app, owner)
    assert (
        webtest_app.get("/manage/organization/solo/settings/").html.find(id="second-owner-notice")
        is None
    )


def _dangling_links(page) -> list[str]:
    """The page's in-page links that lead nowhere on it."""
    return [
        link["href"]
        for link in page.html.select('a[href^="#"]')
        if page.html.find(id=link["href"][1:]) is None
    ]


def test_an_objection_after_the_handover_ended_says_so_on_the_page(
    webtest_app, app_registry, db_session, staff, world, outbox
):
    organization, owner, _member = world
    log_in(webtest_app, staff)
    _start(webtest_app, organization).submit(status=303)
    webtest_app.reset()
    log_in(webtest_app, owner)
    form = webtest_app.get("/manage/organization/orphaned/handover/").forms[
        "object-to-handover-form"
    ]
    form["objection"] = "I am still here."

    # Staff cancel it while the Owner's page is open.
    request = service_request(app_registry, db_session, staff)
    with request.tm:
        request.find_service(ISuccessionService).cancel_handover(
            organization, "The Owner wrote to us."
        )
    sent = len(outbox.messages())

    page = form.submit(status=409)
    summary = page.html.find(id="error-summary")
    assert "There is no pending handover" in summary.get_text()
    # About the form as a whole: no line of the summary points at a field the page lacks.
    assert _dangling_links(page) == []
    assert page.html.find(id="object-to-handover-form") is None
    assert "there is nothing to object to" in main_text(page)
    assert (
        "The latest handover, to steady-member, was cancelled on"
        in page.html.find(id="latest-handover").get_text()
    )
    assert "The Owner wrote to us." in main_text(page)
    assert page.html.title.get_text().startswith("Error: ")
    # Nothing changed and nobody was emailed.
    handover = db_session.scalars(select(OrganizationHandover)).one()
    db_session.refresh(handover)
    assert handover.status == "cancelled"
    assert EventTag.OrganizationHandoverObject not in event_tags(db_session, organization)
    assert len(outbox.messages()) == sent


def test_the_page_says_what_became_of_the_latest_handover(
    webtest_app, app_registry, db_session, staff, world
):
    organization, owner, _member = world
    log_in(webtest_app, owner)
    page = webtest_app.get("/manage/organization/orphaned/handover/")
    assert "There is no pending handover of orphaned" in main_text(page)
    assert page.html.find(id="latest-handover") is None

    webtest_app.reset()
    log_in(webtest_app, staff)
    _start(webtest_app, organization).submit(status=303)
    handover = db_session.scalars(select(OrganizationHandover)).one()
    handover.takes_effect_at = NOW - datetime.timedelta(seconds=1)
    db_session.flush()
    request = service_request(app_registry, db_session)
    with request.tm:
        assert complete_due_handovers(request) == 1
    webtest_app.reset()
    log_in(webtest_app, owner)
    page = webtest_app.get("/manage/organization/orphaned/handover/")
    latest = page.html.find(id="latest-handover").get_text()
    assert "The latest handover took effect on" in latest
    assert "steady-member was made an Owner." in latest
    assert page.html.find(id="object-to-handover-form") is None
    assert _dangling_links(page) == []
