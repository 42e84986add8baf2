"""/sponsor/: the prospectus's levels from their rows, and its inquiry form, which anyone may
send: stored with an event, confirmed to the sender and told to PSF staff after the commit,
limited per address, trapping robots, and refusing bad input with a 4xx beside the field."""

import pytest
from sqlalchemy import func, select, text

from tests.common.db.accounts import EmailFactory, UserFactory
from tests.common.db.sponsors import SponsorLevelFactory
from tests.common.events import event_tags
from tests.common.hostile_input import HUGE, urlencoded
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from warehouse_orgs.forms import MISSING_MESSAGE, REPEATED_MESSAGE
from warehouse_orgs.sponsors.models import SponsorInquiry
from warehouse_orgs.sponsors.services import LEVEL_NOT_OFFERED

FORM_ID = "sponsor-inquiry-form"


def _text(element):
    return " ".join(element.get_text(" ").split())


def _level_cards(page):
    return [
        (
            _text(card.find("h3")),
            _text(card.select_one(".level-card__amount")),
            [_text(li) for li in card.select(".level-card__benefits li")],
        )
        for card in page.html.select(".level-card")
    ]


def _inquiries(db_session):
    db_session.expire_all()
    return db_session.scalars(select(SponsorInquiry).order_by(SponsorInquiry.created)).all()


def _inquiry_count(db_session):
    return db_session.scalar(select(func.count()).select_from(SponsorInquiry))


def _fill(page, **values):
    form = page.forms[FORM_ID]
    form["company"] = values.get("company", "Snake Oil Ltd")
    form["contact_name"] = values.get("contact_name", "Grace Hopper")
    form["contact_email"] = values.get("contact_email", "grace@snakeoil.example.com")
    form["message"] = values.get("message", "We ship Python to a million desks.\nHow can we help?")
    if "level" in values:
        form["level"] = values["level"]
    if "website" in values:
        form["website"] = values["website"]
    return form


def _send(app, status=303, **values):
    return _fill(app.get("/sponsor/"), **values).submit(status=status)


def _csrf_token(app):
    return app.get("/sponsor/").forms[FORM_ID]["csrf_token"].value


def _raw_post(app, pairs, status="*"):
    body = urlencoded(pairs)
    return app.post("/sponsor/", params=body.data, content_type=body.content_type, status=status)


def _valid_pairs(token, replace=None):
    """A body the form accepts, with ``replace``'s fields (name: bytes, or None to leave the
    field out) instead."""
    fields = {
        "csrf_token": token.encode(),
        "company": b"Snake Oil Ltd",
        "contact_name": b"Grace Hopper",
        "contact_email": b"grace@snakeoil.example.com",
        "level": b"not-sure",
        "message": b"Hello",
        "website": b"",
        **(replace or {}),
    }
    return [(name.encode(), value) for name, value in fields.items() if value is not None]


@pytest.fixture
def levels(db_session):
    return [
        SponsorLevelFactory.create(
            name="Visionary",
            yearly_amount=160_000,
            position=1,
            benefits="Logo on every page of the index\n\n  Keynote mention  \n",
        ),
        SponsorLevelFactory.create(name="Sustainability", yearly_amount=60_000, position=2),
        SponsorLevelFactory.create(name="Retired", yearly_amount=1_000, position=3, is_open=False),
    ]


@pytest.fixture
def psf_staff(db_session):
    """Who hears of an inquiry: one PSF staff member; the others are not told."""
    told = UserFactory.create(username="psf-clerk", is_psf_staff=True)
    # Not told: an unverified primary address, a closed account, and staff of another kind.
    unverified = UserFactory.create(username="psf-new", is_psf_staff=True, primary_email=None)
    EmailFactory.create(user=unverified, email="psf-new@example.com", verified=False)
    UserFactory.create(username="psf-gone", is_psf_staff=True, is_active=False)
    UserFactory.create(username="an-admin", is_superuser=True)
    return told


# The prospectus


def test_the_levels_come_from_their_rows_in_order(webtest_app, levels):
    page = webtest_app.get("/sponsor/", status=200)
    assert _level_cards(page) == [
        ("Visionary", "$160,000 a year", ["Logo on every page of the index", "Keynote mention"]),
        (
            "Sustainability",
            "$60,000 a year",
            ["Your logo on /sponsors/", "A thank-you on the PSF blog"],
        ),
    ]
    options = [_text(o) for o in page.html.find("select", id="level").find_all("option")]
    assert options == ["Not sure yet", "Visionary", "Sustainability"]


def test_changing_a_level_row_changes_the_page(webtest_app, db_session, levels):
    visionary, sustainability, retired = levels
    visionary.yearly_amount = 175_500
    visionary.benefits = "A seat at the table"
    sustainability.is_open = False
    retired.is_open, retired.position, retired.name = True, 0, "Founding"
    db_session.flush()
    page = webtest_app.get("/sponsor/", status=200)
    assert _level_cards(page) == [
        ("Founding", "$1,000 a year", ["Your logo on /sponsors/", "A thank-you on the PSF blog"]),
        ("Visionary", "$175,500 a year", ["A seat at the table"]),
    ]


def test_without_open_levels_the_page_still_takes_inquiries(webtest_app, db_session):
    page = webtest_app.get("/sponsor/", status=200)
    assert _level_cards(page) == []
    assert "levels for the coming year are being prepared" in main_text(page)
    assert FORM_ID in page.forms


def test_the_page_tells_of_the_other_ways_to_help(webtest_app, db_session):
    page = webtest_app.get("/sponsor/", status=200)
    hrefs = {a["href"] for a in page.html.find("main").find_all("a")}
    assert "https://www.python.org/psf/membership/" in hrefs
    assert "https://psfmember.org/civicrm/contribute/transact/?reset=1&id=2" in hrefs
    assert "/sponsors/" in hrefs
    # The form holds this visitor's CSRF token.
    assert page.headers["Cache-Control"] == "private, no-cache"


def test_the_statement_count_does_not_grow_with_the_levels(webtest_app, db_session):
    SponsorLevelFactory.create()
    few = webtest_app.get("/sponsor/", status=200)
    for _ in range(12):
        SponsorLevelFactory.create()
    many = webtest_app.get("/sponsor/", status=200)
    assert len(many.html.select(".level-card")) == 13
    assert len(few.sql_statements) == len(many.sql_statements)


# Sending an inquiry


def test_an_anonymous_visitor_sends_an_inquiry(webtest_app, db_session, outbox, levels, psf_staff):
    page = webtest_app.get("/sponsor/")
    form = _fill(page, level=str(levels[0].id))
    response = form.submit(status=303)
    assert response.location == "http://localhost/sponsor/?sent=1#inquiry"
    thanked = response.follow()
    assert "Thank you: your inquiry is on its way" in main_text(thanked)
    assert FORM_ID not in thanked.forms

    (inquiry,) = _inquiries(db_session)
    assert (inquiry.company, inquiry.contact_name, inquiry.contact_email) == (
        "Snake Oil Ltd",
        "Grace Hopper",
        "grace@snakeoil.example.com",
    )
    assert inquiry.message == "We ship Python to a million desks.\nHow can we help?"
    assert (inquiry.level_id, inquiry.level_name, inquiry.status) == (
        levels[0].id,
        "Visionary",
        "new",
    )
    assert event_tags(db_session, inquiry) == ["sponsor_inquiry:submit"]

    messages = {message.recipient: message for message in outbox.messages()}
    assert set(messages) == {"grace@snakeoil.example.com", "psf-clerk@example.com"}
    confirmation = messages["grace@snakeoil.example.com"]
    assert confirmation.subject == "We received your sponsorship inquiry"
    assert "level of interest:\nVisionary" in confirmation.body("plain")
    # Nothing else the visitor typed is mailed back to the address they typed.
    assert "Snake Oil" not in confirmation.body("plain")
    assert "million desks" not in confirmation.body("plain")

    notification = messages["psf-clerk@example.com"]
    assert notification.subject == "Sponsorship inquiry from Snake Oil Ltd (Visionary)"
    body = notification.body("plain")
    assert "Company: Snake Oil Ltd" in body
    assert "Contact: Grace Hopper <grace@snakeoil.example.com>" in body
    assert "Level of interest: Visionary" in body
    assert "How can we help?" in body
    assert f"http://localhost/admin/sponsors/inquiries/{inquiry.id}/" in body


def test_not_sure_yet_is_an_inquiry_without_a_level(webtest_app, db_session, outbox, levels):
    _send(webtest_app)  # the select starts on "Not sure yet"
    (inquiry,) = _inquiries(db_session)
    assert (inquiry.level_id, inquiry.level_name) == (None, None)
    (confirmation,) = outbox.messages()
    assert "level of interest:\nNot sure yet" in confirmation.body("plain")


def test_a_signed_in_visitor_may_send_one_too(webtest_app, db_session, outbox):
    log_in(webtest_app, UserFactory.create())
    _send(webtest_app, company="Signed In Inc")
    assert [i.company for i in _inquiries(db_session)] == ["Signed In Inc"]


def test_a_request_that_fails_stores_nothing_and_sends_nothing(
    webtest_app, db_session, outbox, psf_staff
):
    # The inquiry's event is written when the transaction commits, after both messages were
    # queued; refusing it there makes the whole request fail at its very end.
    db_session.execute(
        text(
            "CREATE FUNCTION refuse_inquiry_event() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$"
        )
    )
    db_session.execute(
        text(
            "CREATE TRIGGER refuse_inquiry_event BEFORE INSERT ON sponsor_inquiry_events "
            "FOR EACH ROW EXECUTE FUNCTION refuse_inquiry_event()"
        )
    )
    _send(webtest_app, status=500)
    assert _inquiry_count(db_session) == 0
    assert outbox.messages() == []


# Robots and floods


def test_a_filled_honeypot_looks_like_success_but_stores_and_sends_nothing(
    webtest_app, db_session, outbox, psf_staff
):
    page = webtest_app.get("/sponsor/")
    trap = page.html.find(id="website")
    # Out of people's sight, out of the tab order, and skipped by screen readers.
    assert trap["tabindex"] == "-1"
    assert trap.find_parent(attrs={"aria-hidden": "true"}) is not None
    assert page.html.find("label", attrs={"for": "website"}) is not None

    response = _fill(page, website="https://cheap-pills.example/").submit(status=303)
    assert response.location == "http://localhost/sponsor/?sent=1#inquiry"
    assert "Thank you" in main_text(response.follow())
    assert _inquiry_count(db_session) == 0
    assert outbox.messages() == []
    # It did not count against the address's limit either.
    for _ in range(5):
        _send(webtest_app)
    assert _inquiry_count(db_session) == 5


def test_the_sixth_inquiry_within_the_hour_is_refused_and_stores_nothing(
    webtest_app, db_session, outbox, psf_staff
):
    for n in range(5):
        _send(webtest_app, company=f"Company {n}")
    assert len(outbox.messages()) == 10

    refused = _send(webtest_app, status=429, company="Company 5")
    assert "Too many inquiries from your network. Try again in 60 minutes." in main_text(refused)
    assert refused.headers["Retry-After"]
    # The form is shown again, filled in, so nothing typed is lost.
    assert refused.forms[FORM_ID]["company"].value == "Company 5"
    assert _inquiry_count(db_session) == 5
    assert len(outbox.messages()) == 10

    # The limit is per address: another network may still write.
    page = webtest_app.get("/sponsor/")
    _fill(page, company="Elsewhere").submit(
        status=303, extra_environ={"REMOTE_ADDR": "198.51.100.20"}
    )
    assert _inquiry_count(db_session) == 6


# Bad input


def test_missing_answers_are_shown_beside_their_fields(webtest_app, db_session, outbox):
    response = _send(
        webtest_app, status=400, company="  ", contact_name="", contact_email="", message=""
    )
    assert field_error(response, "company") == "Enter the name of your company."
    assert field_error(response, "contact_name") == "Enter your name, so we know whom to reply to."
    assert field_error(response, "contact_email") == "Enter the email address we should reply to."
    assert field_error(response, "message") == (
        "Tell us a little about your company and what you have in mind."
    )
    assert response.html.find(id="company")["aria-invalid"] == "true"
    assert "There are 4 problems with what you sent" in main_text(response)
    assert _inquiry_count(db_session) == 0
    assert outbox.messages() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_email", "not an address", "Enter a valid email address, like name@example.com."),
        ("contact_email", "a@b", "Enter a valid email address, like name@example.com."),
        ("company", "x" * 201, "Use at most 200 characters."),
        ("contact_name", "y" * 201, "Use at most 200 characters."),
        ("contact_email", "z" * 250 + "@example.com", "Use at most 254 characters."),
        ("message", "m" * 5001, "Use at most 5000 characters."),
        ("company", "Two\nLines Ltd", "Use a single line."),
    ],
)
def test_bad_answers_are_refused_beside_the_field(
    webtest_app, db_session, outbox, field, value, message
):
    response = _send(webtest_app, status=400, **{field: value})
    assert message in field_error(response, field)
    assert _inquiry_count(db_session) == 0
    assert outbox.messages() == []


def test_a_level_no_longer_offered_is_refused_beside_the_select(
    webtest_app, db_session, outbox, levels
):
    page = webtest_app.get("/sponsor/")
    form = _fill(page, level=str(levels[1].id))
    levels[1].is_open = False  # closed by staff while the visitor was typing
    db_session.flush()
    response = form.submit(status=400)
    assert field_error(response, "level") == LEVEL_NOT_OFFERED
    assert _inquiry_count(db_session) == 0


@pytest.mark.parametrize(
    "replace",
    [
        {"level": b"5f0c3a4e-8d1b-4c2a-9e7f-0a1b2c3d4e5f"},
        {"level": b"not-a-uuid"},
        {"level": b""},
        {"level": b"x" * HUGE},
        {"company": b"a" * HUGE},
        {"message": "\U0001f600".encode() * (HUGE // 4)},
        {"contact_email": b"<script>@example.com"},
        {"contact_name": b"{{ 7 * 7 }}\r\nBcc: victim@example.com"},
        {"company": None},
        {"message": None},
    ],
    ids=[
        "unknown-level",
        "level-not-a-uuid",
        "level-empty",
        "level-huge",
        "company-huge",
        "message-huge",
        "email-markup",
        "name-line-break",
        "company-missing",
        "message-missing",
    ],
)
def test_hostile_values_are_a_400_and_change_nothing(
    webtest_app, db_session, outbox, levels, replace
):
    response = _raw_post(webtest_app, _valid_pairs(_csrf_token(webtest_app), replace))
    assert response.status_code == 400
    assert _inquiry_count(db_session) == 0
    assert outbox.messages() == []


def test_a_field_sent_twice_or_left_out_is_refused(webtest_app, db_session):
    token = _csrf_token(webtest_app)
    twice = [*_valid_pairs(token), (b"company", b"Again Ltd")]
    response = _raw_post(webtest_app, twice, status=400)
    assert field_error(response, "company") == REPEATED_MESSAGE
    missing = _valid_pairs(token, {"contact_email": None})
    response = _raw_post(webtest_app, missing, status=400)
    assert field_error(response, "contact_email") == MISSING_MESSAGE
    assert _inquiry_count(db_session) == 0


@pytest.mark.parametrize(
    "value",
    [b"Nul\x00Ltd", b"\xff\xfe", b"\xc3\x28 Ltd", b"bell\x07"],
    ids=["nul", "bom", "truncated-utf8", "control"],
)
def test_bytes_that_are_not_text_are_a_400_before_the_form(webtest_app, db_session, value):
    response = _raw_post(
        webtest_app, _valid_pairs(_csrf_token(webtest_app), {"company": value}), status=400
    )
    assert main_text(response).startswith("Error 400 Bad request")
    assert _inquiry_count(db_session) == 0


def test_a_valid_body_from_the_raw_pairs_is_accepted(webtest_app, db_session):
    """The raw posts above are refused for what they hold, not for how they are built."""
    _raw_post(webtest_app, _valid_pairs(_csrf_token(webtest_app)), status=303)
    assert _inquiry_count(db_session) == 1


def test_a_post_without_the_csrf_token_is_refused(webtest_app, db_session, outbox):
    webtest_app.get("/sponsor/")  # a session exists; its token is not sent
    pairs = _valid_pairs("", {"csrf_token": None})
    response = _raw_post(webtest_app, pairs, status=400)
    assert "security token was missing or has expired" in main_text(response)
    response = _raw_post(webtest_app, _valid_pairs("forged"), status=400)
    assert _inquiry_count(db_session) == 0
    assert outbox.messages() == []


def test_a_post_without_the_csrf_token_and_a_filled_honeypot_is_still_refused(
    webtest_app, db_session
):
    webtest_app.get("/sponsor/")
    pairs = _valid_pairs("", {"csrf_token": None, "website": b"spam"})
    _raw_post(webtest_app, pairs, status=400)
