"""/manage/organizations/: applying for an organization, and following the application."""

import datetime

import pytest
from sqlalchemy import func, select

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import (
    OrganizationApplicationFactory,
    OrganizationFactory,
    OrganizationInvitationFactory,
    OrganizationRoleFactory,
)
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in, make_authentication_stale
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import (
    ApplicationMessageKind,
    OrganizationApplication,
    OrganizationApplicationMessage,
)

USAGE = "We maintain a family of scientific packages together and want them in one place."
GOOD = {
    "name": "science-tools",
    "display_name": "Science Tools",
    "link_url": "https://science-tools.example.org/",
    "description": "Tools for scientists.",
    "orgtype": "Community",
    "usage": USAGE,
    "membership_size": "2-5",
}


@pytest.fixture
def applicant(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def app(webtest_app, applicant):
    log_in(webtest_app, applicant)
    return webtest_app


def _applications(db_session):
    db_session.expire_all()
    return list(
        db_session.scalars(select(OrganizationApplication).order_by(OrganizationApplication.name))
    )


def _apply(app, status=303, **changes):
    form = app.get("/manage/organizations/").forms["apply-form"]
    for key, value in {**GOOD, **changes}.items():
        form[key] = value
    return form.submit(status=status)


def _csrf(page):
    return page.html.find("input", attrs={"name": "csrf_token"})["value"]


def _text(tag):
    return " ".join(tag.get_text(" ").split())


def _flash(page):
    return " ".join(alert.get_text(" ", strip=True) for alert in page.html.select(".alert"))


# Applying


def test_applying_records_the_application_an_event_and_emails_the_applicant(
    app, db_session, applicant, outbox
):
    page = _apply(app).follow()
    (application,) = _applications(db_session)
    assert page.request.path == f"/manage/organizations/application/{application.id}/"
    assert "Your application for science-tools is submitted." in _flash(page)
    assert (application.name, application.orgtype, application.status) == (
        "science-tools",
        "Community",
        "submitted",
    )
    assert application.submitted_by_id == applicant.id
    assert application.usage == USAGE
    assert event_tags(db_session, application) == [EventTag.OrganizationApplicationSubmit]
    (message,) = outbox.messages()
    assert message.recipient == "alice@example.com"
    assert message.subject == "Your application for the organization science-tools was received"
    assert f"/manage/organizations/application/{application.id}/" in message.body("plain")
    text = main_text(page)
    assert "submitted" in text
    assert "No applications are ahead of yours." in text


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("name", "", "Enter a name."),
        ("name", "-bad-", "Use letters, numbers, and . _ - between them"),
        ("name", "a" * 51, "Use at most 50 characters."),
        ("display_name", "d" * 101, "Use at most 100 characters."),
        ("display_name", "   ", "Enter a display name."),
        ("description", "  ", "Describe the organization."),
        ("link_url", "ftp://example.com/", "Use an address starting with http:// or https://."),
        ("link_url", "https://e.com/" + "x" * 400, "Use at most 400 characters."),
        ("description", "x" * 401, "Use at most 400 characters."),
        ("usage", "too short", "Use 32 to 1024 characters."),
        ("usage", "u" * 1025, "Use 32 to 1024 characters."),
    ],
)
def test_bad_input_is_refused_beside_the_field_and_writes_nothing(
    app, db_session, outbox, field, value, error
):
    page = _apply(app, status=400, **{field: value})
    assert error in field_error(page, field)
    assert _applications(db_session) == []
    assert outbox.messages() == []


def test_an_unknown_type_or_size_is_refused(app, db_session):
    token = _csrf(app.get("/manage/organizations/"))
    page = app.post(
        "/manage/organizations/",
        {**GOOD, "orgtype": "Government", "membership_size": "9000", "csrf_token": token},
        status=400,
    )
    assert field_error(page, "orgtype")
    assert field_error(page, "membership_size")
    assert _applications(db_session) == []


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("PyPI", "This name is reserved."),
        ("taken_org", "This name is taken, or was used by an organization before."),
    ],
)
def test_a_reserved_or_taken_name_is_refused(app, db_session, name, error):
    OrganizationFactory.create(name="Taken-Org")
    page = _apply(app, status=400, name=name)
    assert field_error(page, "name") == error
    assert _applications(db_session) == []


def test_a_fourth_undecided_application_is_refused(app, db_session, applicant, outbox):
    for status in ("submitted", "moreinformationneeded", "deferred"):
        OrganizationApplicationFactory.create(submitted_by=applicant, status=status)
    OrganizationApplicationFactory.create(submitted_by=applicant, status="declined")
    page = app.get("/manage/organizations/")
    assert "You have 3 applications waiting for a decision." in main_text(page)
    refused = _apply(app, status=409)
    assert "You have 3 applications waiting for a decision" in _flash(refused)
    assert len(_applications(db_session)) == 4
    assert outbox.messages() == []


def test_applying_without_the_csrf_token_changes_nothing(app, db_session):
    app.post("/manage/organizations/", GOOD, status=400)
    assert _applications(db_session) == []


def test_applying_with_stale_authentication_asks_for_the_password_first(app, db_session):
    page = app.get("/manage/organizations/")
    make_authentication_stale(db_session)
    step = app.post("/manage/organizations/", {**GOOD, "csrf_token": _csrf(page)}, status=200)
    assert step.html.find("h1").text == "Confirm your password"
    assert _applications(db_session) == []


def test_the_list_shows_my_organizations_invitations_and_applications(app, db_session, applicant):
    OrganizationRoleFactory.create(user=applicant, organization__name="mine", role_name="Manager")
    OrganizationRoleFactory.create(organization__name="not-mine")
    OrganizationInvitationFactory.create(user=applicant, organization__name="inviting")
    OrganizationApplicationFactory.create(submitted_by=applicant, name="wanted")
    OrganizationApplicationFactory.create(name="someone-elses")
    page = app.get("/manage/organizations/")
    organizations = _text(page.html.find(id="organizations-table"))
    assert "mine" in organizations
    assert "Manager" in organizations
    assert "not-mine" not in main_text(page)
    assert "inviting" in _text(page.html.find(id="invitations-table"))
    assert "answer from the link in the invitation email" in main_text(page)
    assert "wanted" in _text(page.html.find(id="applications-table"))
    assert "someone-elses" not in main_text(page)


# The application page


def test_another_user_cannot_see_or_change_my_application(webtest_app, db_session, applicant):
    application = OrganizationApplicationFactory.create(submitted_by=applicant)
    log_in(webtest_app, UserFactory.create())
    url = f"/manage/organizations/application/{application.id}/"
    webtest_app.get(url, status=403)
    token = _csrf(webtest_app.get("/manage/organizations/"))
    webtest_app.post(url, {"action": "withdraw", "csrf_token": token}, status=403)
    assert _applications(db_session)[0].status == "submitted"
    webtest_app.get("/manage/organizations/application/not-a-uuid/", status=404)


def test_queue_position_counts_older_undecided_applications(app, db_session, applicant):
    # Everything in a test shares one transaction, so one now(): date the others back.
    earlier = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    OrganizationApplicationFactory.create_batch(2, submitted=earlier)
    OrganizationApplicationFactory.create(status="approved", submitted=earlier)
    _apply(app)
    application = next(a for a in _applications(db_session) if a.name == "science-tools")
    page = app.get(f"/manage/organizations/application/{application.id}/")
    assert "2 applications ahead of yours." in main_text(page)


def test_editing_a_submitted_application(app, db_session):
    page = _apply(app).follow()
    form = page.forms["edit-form"]
    form["display_name"] = "Science Tools Collective"
    form["orgtype"] = "Company"
    saved = form.submit(status=303).follow()
    assert "Your application is saved." in _flash(saved)
    (application,) = _applications(db_session)
    assert (application.display_name, application.orgtype) == (
        "Science Tools Collective",
        "Company",
    )
    assert EventTag.OrganizationApplicationEdit in event_tags(db_session, application)


def test_an_edit_with_bad_input_is_refused(app, db_session):
    page = _apply(app).follow()
    form = page.forms["edit-form"]
    form["link_url"] = "javascript:alert(1)"
    refused = form.submit(status=400)
    assert field_error(refused, "link_url") == "Use an address starting with http:// or https://."
    assert _applications(db_session)[0].link_url == GOOD["link_url"]


def test_withdrawing_frees_the_name(app, db_session, outbox):
    page = _apply(app).follow()
    withdrawn = page.forms["withdraw-form"].submit(status=303).follow()
    assert "is withdrawn" in _flash(withdrawn)
    assert "withdraw-form" not in withdrawn.forms
    assert "edit-form" not in withdrawn.forms
    assert _applications(db_session)[0].status == "withdrawn"
    subjects = {message.subject for message in outbox.messages()}
    assert "You withdrew your application for the organization science-tools" in subjects
    _apply(app)
    assert sorted(a.status for a in _applications(db_session)) == ["submitted", "withdrawn"]


def test_answering_a_staff_question_puts_the_application_back_in_review(app, db_session, applicant):
    application = OrganizationApplicationFactory.create(
        submitted_by=applicant, status="moreinformationneeded"
    )
    staff = UserFactory.create(is_support=True)
    db_session.add_all(
        [
            OrganizationApplicationMessage(
                application_id=application.id,
                kind=ApplicationMessageKind.Question,
                body="Who else maintains these?",
                author_id=staff.id,
            ),
            OrganizationApplicationMessage(
                application_id=application.id,
                kind=ApplicationMessageKind.Note,
                body="Secret staff note",
                author_id=staff.id,
            ),
        ]
    )
    db_session.flush()
    page = app.get(f"/manage/organizations/application/{application.id}/")
    assert "Who else maintains these?" in main_text(page)
    assert "Secret staff note" not in main_text(page)
    assert "edit-form" not in page.forms
    empty = page.forms["answer-form"].submit(status=400)
    assert field_error(empty, "answer") == "Write a message."
    form = page.forms["answer-form"]
    form["message"] = "Bob and Carol."
    answered = form.submit(status=303).follow()
    assert "Bob and Carol." in main_text(answered)
    assert _applications(db_session)[0].status == "submitted"
    assert event_tags(db_session, application) == [EventTag.OrganizationApplicationAnswer]


def test_answering_when_no_question_waits_is_refused(app, db_session, applicant):
    application = OrganizationApplicationFactory.create(submitted_by=applicant)
    page = app.get(f"/manage/organizations/application/{application.id}/")
    app.post(
        page.request.path,
        {"action": "answer", "message": "hello", "csrf_token": _csrf(page)},
        status=409,
    )
    count = db_session.scalar(select(func.count()).select_from(OrganizationApplicationMessage))
    assert count == 0


def test_an_unknown_action_is_refused(app, db_session, applicant):
    application = OrganizationApplicationFactory.create(submitted_by=applicant)
    page = app.get(f"/manage/organizations/application/{application.id}/")
    app.post(page.request.path, {"action": "approve", "csrf_token": _csrf(page)}, status=400)
    assert _applications(db_session)[0].status == "submitted"


def test_the_list_page_sql_statement_count_does_not_grow(app, db_session, applicant):
    OrganizationRoleFactory.create(user=applicant)
    OrganizationInvitationFactory.create(user=applicant)
    OrganizationApplicationFactory.create(submitted_by=applicant, status="approved")
    one = len(app.get("/manage/organizations/").sql_statements)
    for _ in range(19):
        OrganizationRoleFactory.create(user=applicant)
        OrganizationInvitationFactory.create(user=applicant)
        OrganizationApplicationFactory.create(submitted_by=applicant, status="declined")
    twenty = app.get("/manage/organizations/")
    assert len(twenty.html.select("#applications-table tbody tr")) == 20
    assert len(twenty.html.select("#invitations-table tbody tr")) == 20
    # Session and account, the three lists' totals, a page of each.
    assert one == 6
    assert len(twenty.sql_statements) == 6


def _first_cells(page, table_id):
    return [
        row.find("td").get_text(" ", strip=True)
        for row in page.html.select(f"#{table_id} tbody tr")
    ]


def test_each_list_comes_in_pages_of_25_with_its_own_page_number(app, db_session, applicant):
    """Someone in thousands of organizations sees each list a page at a time; turning one
    list's page leaves the others where they were."""
    start = datetime.datetime.now(datetime.UTC)
    for number in range(26):
        OrganizationRoleFactory.create(
            user=applicant, organization__name=f"member-of-{number:02}", role_name="Member"
        )
        # Newest first: the invitation and application numbered 0 are the oldest, the 26th.
        OrganizationInvitationFactory.create(
            user=applicant,
            organization__name=f"inviting-{number:02}",
            created=start - datetime.timedelta(days=1) + datetime.timedelta(minutes=number),
        )
        OrganizationApplicationFactory.create(
            submitted_by=applicant,
            name=f"applied-for-{number:02}",
            status="declined",
            submitted=start - datetime.timedelta(days=1) + datetime.timedelta(minutes=number),
        )
    url = "/manage/organizations/"
    first = app.get(url)
    for table in ("organizations-table", "invitations-table", "applications-table"):
        assert len(_first_cells(first, table)) == 25
    assert "member-of-25" not in main_text(first)
    assert "inviting-00" not in main_text(first)
    assert "applied-for-00" not in main_text(first)
    for label in (
        "Pages of your organizations",
        "Pages of invitations",
        "Pages of your applications",
    ):
        nav = first.html.select_one(f"nav[aria-label='{label}']")
        assert "Showing 1\N{EN DASH}25 of 26" in nav.get_text(" ", strip=True)
        assert nav.find("a", rel="next")

    # Each list's "Next" turns that list alone.
    next_invitations = first.html.select_one("nav[aria-label='Pages of invitations'] a[rel=next]")
    turned = app.get(next_invitations["href"])
    assert turned.request.GET["invitations_page"] == "2"
    assert [cell.split(" (")[0] for cell in _first_cells(turned, "invitations-table")] == [
        "Inviting-00"
    ]
    assert len(_first_cells(turned, "organizations-table")) == 25
    assert len(_first_cells(turned, "applications-table")) == 25

    second = app.get(url, {"page": "2", "invitations_page": "2", "applications_page": "2"})
    assert _first_cells(second, "organizations-table") == ["Member-Of-25 (member-of-25)"]
    assert _first_cells(second, "applications-table") == ["applied-for-00"]
    assert len(second.sql_statements) == len(first.sql_statements) == 6

    for parameter in ("page", "invitations_page", "applications_page"):
        # The last is longer than int() will read (a 500 once).
        for bad in ("0", "two", "-1", "99999", "9" * 5000):
            refused = app.get(url, {parameter: bad}, status=400)
            assert "The page number must be a whole number from 1 to 10000." in main_text(refused)


def test_editing_to_a_reserved_name_is_refused(app, db_session, applicant):
    application = OrganizationApplicationFactory.create(submitted_by=applicant, name="mine")
    form = app.get(f"/manage/organizations/application/{application.id}/").forms["edit-form"]
    form["name"] = "admin"
    refused = form.submit(status=400)
    assert field_error(refused, "name") == "This name is reserved."
    assert _applications(db_session)[0].name == "mine"


def test_application_actions_without_the_csrf_token_change_nothing(app, db_session, applicant):
    application = OrganizationApplicationFactory.create(submitted_by=applicant)
    url = f"/manage/organizations/application/{application.id}/"
    app.post(url, {"action": "withdraw"}, status=400)
    assert _applications(db_session)[0].status == "submitted"


def test_anonymous_visitors_are_sent_to_log_in(webtest_app, db_session, applicant):
    application = OrganizationApplicationFactory.create(submitted_by=applicant)
    for url in ("/manage/organizations/", f"/manage/organizations/application/{application.id}/"):
        response = webtest_app.get(url, status=303)
        assert response.location.startswith("http://localhost/account/login/")


def test_applying_needs_two_factor_authentication(webtest_app, db_session):
    log_in(webtest_app, UserFactory.create(without_two_factor=True))
    webtest_app.get("/manage/organizations/", status=403)
