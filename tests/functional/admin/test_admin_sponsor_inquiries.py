"""/admin/sponsors/inquiries/: PSF staff read what companies sent from the prospectus, newest
first, and follow each one up (status and notes); two staff members saving at once are both
recorded, in order."""

import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory
from tests.common.db.sponsors import SponsorInquiryFactory, SponsorLevelFactory
from tests.common.events import events_of
from tests.common.pages import field_error, main_text
from tests.common.races import race
from tests.common.sessions import log_in, make_authentication_stale
from warehouse_orgs.accounts.models import User
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.forms import REPEATED_MESSAGE
from warehouse_orgs.sponsors.interfaces import InquiryValues
from warehouse_orgs.sponsors.models import SponsorInquiry
from warehouse_orgs.sponsors.services import DatabaseSponsorService

INQUIRIES = "/admin/sponsors/inquiries/"
STATUS_RULE = "Choose one of the statuses listed."


@pytest.fixture
def staff(db_session):
    return UserFactory.create(username="stella", is_psf_staff=True)


@pytest.fixture
def app(webtest_app, staff):
    log_in(webtest_app, staff)
    return webtest_app


def _detail(inquiry):
    return f"{INQUIRIES}{inquiry.id}/"


def _rows(page):
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
        for row in page.html.select("#inquiries-table tbody tr")
    ]


def _companies(page):
    return [row[0] for row in _rows(page)]


def _received(days_ago, hour=12):
    today = datetime.datetime(2026, 11, 20, hour, 30, tzinfo=datetime.UTC)
    return today - datetime.timedelta(days=days_ago)


def _submitted(app_registry, db_session, **values):
    """An inquiry sent the way the prospectus sends it, with the visitor's event."""
    service = DatabaseSponsorService(service_request(app_registry, db_session))
    fields = {
        "company": "Acme Corp",
        "contact_name": "Pat Jones",
        "contact_email": "pat@acme.example",
        "message": "We would like to sponsor.",
        **values,
    }
    inquiry = service.submit_inquiry(InquiryValues(**fields))
    db_session.flush()
    return inquiry


def _csrf(app):
    # The layout's log-out form carries the session's token on every page.
    return app.get(INQUIRIES).html.find("input", attrs={"name": "csrf_token"})["value"]


# The list


def test_inquiries_are_listed_newest_first_with_their_status(app, db_session):
    gold = SponsorLevelFactory.create(name="Gold")
    SponsorInquiryFactory.create(
        company="Old Co", contact_name="Olga", created=_received(9), status="lost"
    )
    SponsorInquiryFactory.create(
        company="New Co", contact_name="Nia", level=gold, created=_received(1, hour=23)
    )
    SponsorInquiryFactory.create(
        company="Mid Co", contact_name="Mo", created=_received(4), status="contacted"
    )
    page = app.get(INQUIRIES)
    assert _rows(page) == [
        ["New Co", "Nia", "Gold", "New", "2026-11-19 23:30"],
        ["Mid Co", "Mo", "Not sure yet", "Contacted", "2026-11-16 12:30"],
        ["Old Co", "Olga", "Not sure yet", "Lost", "2026-11-11 12:30"],
    ]
    assert page.html.select_one("#inquiries-table .badge--lost").text == "Lost"
    assert page.html.find("time")["datetime"] == "2026-11-19T23:30:00+00:00"
    tabs = page.html.find("nav", attrs={"aria-label": "Sponsors"})
    assert tabs.find("a", attrs={"aria-current": "page"}).text == "Inquiries"


def test_the_list_filters_by_status(app, db_session):
    for status in ("new", "won", "won", "lost"):
        SponsorInquiryFactory.create(company=f"{status} co", status=status)
    form = app.get(INQUIRIES).forms["inquiry-filter-form"]
    assert [value for value, *_ in form["status"].options] == [
        "", "new", "contacted", "won", "lost"
    ]  # fmt: skip
    form["status"] = "won"
    page = form.submit()
    assert _companies(page) == ["won co", "won co"]
    assert "Won inquiries, newest first" in main_text(page)
    assert "No inquiry with this status." in main_text(app.get(INQUIRIES, {"status": "contacted"}))
    assert len(_rows(app.get(INQUIRIES, {"status": ""}))) == 4


@pytest.mark.parametrize("status", ["pending", "WON", "won ", "x" * 5000, "new' OR 1=1 --"])
def test_a_status_that_is_not_listed_is_refused(app, db_session, status):
    SponsorInquiryFactory.create()
    page = app.get(INQUIRIES, {"status": status}, status=400)
    assert field_error(page, "status") == STATUS_RULE
    assert not page.html.select("#inquiries-table")


def test_a_status_given_twice_is_refused(app, db_session):
    page = app.get(f"{INQUIRIES}?status=new&status=won", status=400)
    assert field_error(page, "status") == REPEATED_MESSAGE


def test_inquiries_come_in_pages_of_25_at_a_fixed_statement_count(app, db_session):
    for n in range(3):
        SponsorInquiryFactory.create(company=f"Few {n}", created=_received(100 + n))
    few = app.get(INQUIRIES)
    for n in range(27):
        SponsorInquiryFactory.create(company=f"Many {n:02}", created=_received(n))
    many = app.get(INQUIRIES)
    assert len(_rows(few)) == 3
    assert len(_rows(many)) == 25
    second = many.click("Next")
    assert _companies(second) == ["Many 25", "Many 26", "Few 0", "Few 1", "Few 2"]
    assert "Showing 26\N{EN DASH}30 of 30" in main_text(second)
    filtered = app.get(INQUIRIES, {"status": "new"})
    # Session, signed-in user and their emails, the count, the page of inquiries.
    assert len(few.sql_statements) == len(many.sql_statements) == 4
    assert len(filtered.sql_statements) == 4
    app.get(INQUIRIES, {"page": "0"}, status=400)


# One inquiry


def test_the_detail_shows_everything_sent_as_text_with_its_line_breaks(
    app, app_registry, db_session
):
    gold = SponsorLevelFactory.create(name="Gold")
    inquiry = _submitted(
        app_registry,
        db_session,
        company="Acme <b>Corp</b>",
        contact_email="pat+sponsor@acme.example",
        message="Hello,\r\nwe'd like to help.\n\n<script>alert(1)</script>",
        level_id=gold.id,
    )
    page = app.get(_detail(inquiry))
    assert page.html.find("h1").text == "Inquiry from Acme <b>Corp</b>"
    message = page.html.find(id="inquiry-message")
    assert message.text == "Hello,\r\nwe'd like to help.\n\n<script>alert(1)</script>"
    # Its class keeps the line breaks (white-space: pre-wrap).
    assert "mail-body" in message["class"]
    # Escaped, never markup.
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
    reply = page.html.find(id="reply-link")
    assert reply.text == "pat+sponsor@acme.example"
    assert reply["href"] == (
        "mailto:pat%2Bsponsor@acme.example?subject=Sponsoring%20the%20Python%20Package%20Index"
    )
    text = main_text(page)
    assert "Contact Pat Jones" in text
    assert "Status New" in text
    level_link = page.html.find("a", string="Gold")
    assert level_link["href"] == f"/admin/sponsors/levels/{gold.id}/"
    # The visitor's submission is the first line of its history.
    assert "Acme <b>Corp</b> sent an inquiry about the Gold level" in text


def test_staff_mark_an_inquiry_won_and_its_history_says_so(app, app_registry, db_session, staff):
    inquiry = _submitted(app_registry, db_session)
    form = app.get(_detail(inquiry)).forms["follow-up-form"]
    assert form["status"].value == "new"
    assert form["notes"].value == ""
    form["status"] = "won"
    form["notes"] = "Signed for two years.\nInvoice sent."
    page = form.submit(status=303).follow()
    text = main_text(page)
    assert "The inquiry from Acme Corp is now Won, and its notes are saved." in text
    assert "PyPI staff (stella) marked the inquiry from Acme Corp Won and changed its notes" in text
    assert page.html.select_one("#inquiry-status .badge--won").text == "Won"
    db_session.expire_all()
    assert inquiry.status == "won"
    assert inquiry.notes == "Signed for two years.\nInvoice sent."
    submit, update = events_of(db_session, inquiry)
    assert submit.tag == EventTag.SponsorInquirySubmit
    assert submit.acted_as_staff is False
    assert update.tag == EventTag.SponsorInquiryUpdate
    assert update.actor_id == staff.id
    assert update.acted_as_staff is True
    assert update.additional == {
        "actor": "stella",
        "company": "Acme Corp",
        "old_status": "new",
        "status": "won",
        "fields": ["status", "notes"],
    }


def test_notes_alone_are_saved_and_said_so(app, db_session):
    inquiry = SponsorInquiryFactory.create(company="Initech", status="contacted")
    form = app.get(_detail(inquiry)).forms["follow-up-form"]
    form["notes"] = "Called back on Tuesday."
    page = form.submit(status=303).follow()
    assert "The notes on the inquiry from Initech are saved." in main_text(page)
    assert "PyPI staff (stella) changed the notes on the inquiry from Initech" in main_text(page)
    db_session.expire_all()
    assert (inquiry.status, inquiry.notes) == ("contacted", "Called back on Tuesday.")


def test_saving_without_a_change_says_so_and_records_nothing(app, db_session):
    inquiry = SponsorInquiryFactory.create(company="Initech", notes="Kept")
    page = app.get(_detail(inquiry)).forms["follow-up-form"].submit(status=303).follow()
    assert "Nothing changed for the inquiry from Initech." in main_text(page)
    assert events_of(db_session, inquiry) == []


def test_notes_longer_than_the_limit_are_refused_and_nothing_changes(app, db_session):
    inquiry = SponsorInquiryFactory.create(notes="Before")
    form = app.get(_detail(inquiry)).forms["follow-up-form"]
    form["status"] = "lost"
    form["notes"] = "n" * 10_001
    page = form.submit(status=400)
    assert field_error(page, "notes") == "Use at most 10000 characters."
    assert page.html.find(id="notes")["maxlength"] == "10000"
    db_session.expire_all()
    assert (inquiry.status, inquiry.notes) == ("new", "Before")
    assert events_of(db_session, inquiry) == []


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ([("notes", "x")], "Choose a status."),
        ([("status", ""), ("notes", "x")], "Choose a status."),
        ([("status", "pending"), ("notes", "x")], STATUS_RULE),
        ([("status", "x" * 100_000), ("notes", "x")], STATUS_RULE),
        ([("status", "won"), ("status", "lost"), ("notes", "x")], REPEATED_MESSAGE),
        ([("status", "won"), ("notes", "a"), ("notes", "b")], REPEATED_MESSAGE),
        ([("status", "won")], "This field was not sent."),
        ([("status", "won"), ("notes", "\U0001f600" * 25_000)], "Use at most 10000 characters."),
        ([("status", "won"), ("notes", "a\x00b")], "contains a NUL character"),
        ([("status", "won\x1b"), ("notes", "")], "contains a control character"),
    ],
)
def test_hostile_follow_ups_are_refused_and_change_nothing(app, db_session, fields, error):
    inquiry = SponsorInquiryFactory.create(notes="Before")
    response = app.post(_detail(inquiry), [("csrf_token", _csrf(app)), *fields], status=400)
    assert error in main_text(response)
    db_session.expire_all()
    assert (inquiry.status, inquiry.notes) == ("new", "Before")


@pytest.mark.parametrize(
    "body",
    [
        b"status=won&notes=%FF%FE",
        b"status=w%C3%28on&notes=",
        b"%FF=1&status=won&notes=",
    ],
)
def test_bytes_that_are_not_text_are_refused_before_the_page(app, db_session, body):
    inquiry = SponsorInquiryFactory.create()
    response = app.request(
        _detail(inquiry),
        method="POST",
        body=b"csrf_token=" + _csrf(app).encode() + b"&" + body,
        content_type="application/x-www-form-urlencoded",
        expect_errors=True,
    )
    assert response.status_int == 400
    assert "The form sent bytes that are not UTF-8 text." in main_text(response)
    db_session.expire_all()
    assert inquiry.status == "new"


def test_following_up_asks_for_the_password_after_30_minutes(app, db_session):
    inquiry = SponsorInquiryFactory.create()
    form = app.get(_detail(inquiry)).forms["follow-up-form"]
    form["status"] = "won"
    make_authentication_stale(db_session)
    step = form.submit(status=200)
    assert step.html.find("h1").text == "Confirm your password"
    db_session.expire_all()
    assert inquiry.status == "new"


@pytest.mark.parametrize("inquiry_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_or_malformed_id_is_not_found(app, inquiry_id):
    token = _csrf(app)
    app.get(f"{INQUIRIES}{inquiry_id}/", status=404)
    app.post(f"{INQUIRIES}{inquiry_id}/", {"csrf_token": token, "status": "won"}, status=404)


def test_the_detail_runs_the_same_statements_for_a_short_and_a_long_history(app, db_session):
    inquiry = SponsorInquiryFactory.create(company="Initech")

    def add_events(count):
        db_session.add_all(
            SponsorInquiry.Event(source_id=inquiry.id, tag=EventTag.SponsorInquiryUpdate,
                                 additional={"company": "Initech", "fields": ["notes"]})
            for _ in range(count)
        )  # fmt: skip
        db_session.flush()

    add_events(1)
    few = app.get(_detail(inquiry))
    add_events(29)
    many = app.get(_detail(inquiry))
    assert len(many.html.select("#history-heading ~ table tbody tr")) == 25
    assert len(many.click("Next").html.select("#history-heading ~ table tbody tr")) == 5
    # Session, signed-in user and their emails, the inquiry, the event count, the events.
    assert len(few.sql_statements) == len(many.sql_statements) == 5


# Who may


def test_staff_outside_the_sponsor_program_may_not_read_or_follow_up(webtest_app, db_session):
    inquiry = SponsorInquiryFactory.create()
    log_in(webtest_app, UserFactory.create(is_support=True, is_moderator=True))
    token = webtest_app.get("/admin/").html.find("input", attrs={"name": "csrf_token"})["value"]
    webtest_app.get(INQUIRIES, status=403)
    webtest_app.get(_detail(inquiry), status=403)
    webtest_app.post(
        _detail(inquiry), {"csrf_token": token, "status": "won", "notes": ""}, status=403
    )
    db_session.expire_all()
    assert inquiry.status == "new"


def test_an_admin_may_follow_up(webtest_app, db_session):
    inquiry = SponsorInquiryFactory.create()
    log_in(webtest_app, UserFactory.create(is_superuser=True))
    form = webtest_app.get(_detail(inquiry)).forms["follow-up-form"]
    form["status"] = "contacted"
    form.submit(status=303)
    db_session.expire_all()
    assert inquiry.status == "contacted"


# Two staff members at once, on two real connections


def test_two_follow_ups_at_once_are_recorded_one_after_the_other(app_registry, committed_database):
    with Session(committed_database) as setup:
        setup.add_all([User(username="first", password="x"), User(username="second", password="x")])
        inquiry = SponsorInquiry(
            company="Raced Co", contact_name="Pat", contact_email="pat@raced.example",
            message="Hello", status="new",
        )  # fmt: skip
        setup.add(inquiry)
        setup.commit()
        inquiry_id = inquiry.id

    def follow_up_as(username, status, notes):
        def work(session):
            actor = session.scalars(select(User).where(User.username == username)).one()
            # Read before the lock, as a page does: the service must read it again under it.
            raced = session.get(SponsorInquiry, inquiry_id)
            assert raced.status == "new"
            service = DatabaseSponsorService(service_request(app_registry, session, actor))
            return service.update_inquiry(raced, status, notes)

        return work

    first, second = race(
        committed_database,
        follow_up_as("first", "contacted", "Called them."),
        follow_up_as("second", "won", "They signed."),
    )

    assert first.succeeded, first
    assert second.succeeded, second
    assert first.result == ["status", "notes"]
    assert second.result == ["status", "notes"]
    with Session(committed_database) as check:
        final = check.get(SponsorInquiry, inquiry_id)
        assert (final.status, final.notes) == ("won", "They signed.")
        event = SponsorInquiry.Event
        chain = check.execute(
            select(event.additional["actor"].astext, event.additional["old_status"].astext,
                   event.additional["status"].astext)
            .where(event.source_id == inquiry_id)
            .order_by(event.time, event.id)
        ).all()  # fmt: skip
        # The second saw the first's status: new → contacted, then contacted → won.
        assert [tuple(row) for row in chain] == [
            ("first", "new", "contacted"),
            ("second", "contacted", "won"),
        ]
