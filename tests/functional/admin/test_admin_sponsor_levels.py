"""/admin/sponsors/levels/: PSF staff keep the prospectus's levels (add, edit, delete) and read
each level's history; two staff members adding the same level at once end with one level."""

import pytest
from sqlalchemy import func, select
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
from warehouse_orgs.forms import MISSING_MESSAGE, REPEATED_MESSAGE
from warehouse_orgs.sponsors.interfaces import LevelValues, SponsorError
from warehouse_orgs.sponsors.models import SponsorLevel
from warehouse_orgs.sponsors.services import LEVEL_NAME_TAKEN, DatabaseSponsorService

LEVELS = "/admin/sponsors/levels/"
AMOUNT_RULE = "Enter whole US dollars from 0 to 10,000,000, for example 60000."


@pytest.fixture
def staff(db_session):
    return UserFactory.create(username="stella", is_psf_staff=True)


@pytest.fixture
def app(webtest_app, staff):
    log_in(webtest_app, staff)
    return webtest_app


def _detail(level):
    return f"{LEVELS}{level.id}/"


def _rows(page):
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
        for row in page.html.select("#levels-table tbody tr")
    ]


def _level_count(db_session):
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(SponsorLevel))


def _level_named(db_session, name):
    db_session.expire_all()
    return db_session.scalars(select(SponsorLevel).where(SponsorLevel.name == name)).one_or_none()


def _new_level_form(app, **values):
    form = app.get(LEVELS).forms["new-level-form"]
    for name, value in {"name": "Visionary", "yearly_amount": "150000", **values}.items():
        form[name] = value
    return form


def _csrf(app):
    return app.get(LEVELS).html.find("input", attrs={"name": "csrf_token"})["value"]


# The list


def test_levels_are_listed_in_position_order_with_amount_offer_and_benefits(app, db_session):
    SponsorLevelFactory.create(name="Supporting", yearly_amount=5_000, position=3, benefits="")
    SponsorLevelFactory.create(
        name="Visionary", yearly_amount=150_000, position=1, benefits="Logo\n\n  Blog post  \n"
    )
    SponsorLevelFactory.create(
        name="Sustainability", yearly_amount=60_000, position=2, is_open=False, benefits="One"
    )
    page = app.get(LEVELS)
    assert _rows(page) == [
        ["1", "Visionary", "$150,000", "Open", "2 benefits"],
        ["2", "Sustainability", "$60,000", "Closed", "1 benefit"],
        ["3", "Supporting", "$5,000", "Open", "0 benefits"],
    ]
    # The sponsor area's tabs, with this one marked.
    tabs = page.html.find("nav", attrs={"aria-label": "Sponsors"})
    assert tabs.find("a", attrs={"aria-current": "page"}).text == "Levels"


def test_an_empty_list_says_so(app):
    assert "No level yet." in main_text(app.get(LEVELS))


def test_the_list_runs_the_same_statements_for_3_levels_as_for_30(app, db_session):
    SponsorLevelFactory.create_batch(3)
    few = app.get(LEVELS)
    SponsorLevelFactory.create_batch(27)
    many = app.get(LEVELS)
    assert len(_rows(few)) == 3
    assert len(_rows(many)) == 30
    # Session, signed-in user and their emails, the levels.
    assert len(few.sql_statements) == len(many.sql_statements) == 3


# Adding a level


def test_staff_add_a_level_and_it_is_recorded_as_a_staff_action(app, db_session, staff):
    form = _new_level_form(
        app,
        name="  Visionary  ",
        yearly_amount="$150,000",
        benefits="Logo on every page\nA keynote slot",
        position="1",
    )
    page = form.submit(status=303).follow()
    assert "The level Visionary is added." in main_text(page)
    assert _rows(page) == [["1", "Visionary", "$150,000", "Open", "2 benefits"]]
    level = _level_named(db_session, "Visionary")
    assert (level.yearly_amount, level.position, level.is_open) == (150_000, 1, True)
    assert level.benefit_lines == ["Logo on every page", "A keynote slot"]
    (event,) = events_of(db_session, level)
    assert event.tag == EventTag.SponsorLevelCreate
    assert event.actor_id == staff.id
    assert event.acted_as_staff is True
    assert event.additional == {"actor": "stella", "name": "Visionary", "yearly_amount": 150_000}
    history = main_text(app.get(_detail(level)))
    assert "PyPI staff (stella) added the level Visionary at $150,000 a year" in history


def test_a_level_added_unticked_is_closed(app, db_session):
    form = _new_level_form(app, name="Retired")
    form["is_open"] = False
    form.submit(status=303)
    assert _level_named(db_session, "Retired").is_open is False


def test_a_name_another_level_has_is_refused_beside_the_name(app, db_session):
    SponsorLevelFactory.create(name="Visionary")
    page = _new_level_form(app, name="Visionary").submit(status=409)
    assert field_error(page, "new-level-name") == LEVEL_NAME_TAKEN
    assert page.html.find("title").text.startswith("Error: ")
    assert _level_count(db_session) == 1


@pytest.mark.parametrize(
    "amount", ["-1", "10000001", "60k", "1.5", "", "  ", "1e6", "9" * 50, "$", "1,5,0x"]
)
def test_an_amount_that_is_not_whole_dollars_in_range_is_refused(app, db_session, amount):
    page = _new_level_form(app, yearly_amount=amount).submit(status=400)
    assert field_error(page, "new-level-yearly_amount") == AMOUNT_RULE
    # What was typed is shown again, to be corrected.
    assert page.forms["new-level-form"]["yearly_amount"].value == amount
    assert _level_count(db_session) == 0


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("name", "", "Enter the level's name."),
        ("name", "   ", "Enter the level's name."),
        ("name", "n" * 101, "Use at most 100 characters."),
        ("benefits", "b" * 5001, "Use at most 5000 characters."),
        ("position", "-1", "Enter a whole number from 0 to 1000."),
        ("position", "1001", "Enter a whole number from 0 to 1000."),
        ("position", "first", "Enter a whole number from 0 to 1000."),
    ],
)
def test_other_bad_values_are_refused_beside_their_field(app, db_session, field, value, error):
    page = _new_level_form(app, **{field: value}).submit(status=400)
    assert field_error(page, f"new-level-{field}") == error
    assert _level_count(db_session) == 0


def test_adding_a_level_asks_for_the_password_after_30_minutes(app, db_session):
    form = _new_level_form(app)
    make_authentication_stale(db_session)
    step = form.submit(status=200)
    assert step.html.find("h1").text == "Confirm your password"
    assert _level_count(db_session) == 0


def test_a_post_without_the_csrf_token_changes_nothing(app, db_session):
    page = app.post(
        LEVELS, {"name": "Visionary", "yearly_amount": "1", "position": "0"}, status=400
    )
    assert "security token was missing" in main_text(page)
    assert _level_count(db_session) == 0


# Hostile input: a 4xx, never a 5xx, and nothing changed.

HOSTILE_LEVEL_BODIES = [
    ([("name", "a\x00b")], None),
    ([("benefits", "x" * 100_000)], "Use at most 5000 characters."),
    ([("yearly_amount", "1" * 5000)], AMOUNT_RULE),
    ([("yearly_amount", "99999999999999999999")], AMOUNT_RULE),
    ([("position", "99999999999999999999")], "Enter a whole number from 0 to 1000."),
    ([("name", "One"), ("name", "Two")], REPEATED_MESSAGE),
    ([("yearly_amount", "1"), ("yearly_amount", "2")], REPEATED_MESSAGE),
]


@pytest.mark.parametrize(("fields", "error"), HOSTILE_LEVEL_BODIES)
def test_hostile_level_forms_are_refused_and_change_nothing(app, db_session, fields, error):
    level = SponsorLevelFactory.create(name="Kept", yearly_amount=1_000, position=5)
    token = _csrf(app)
    base = {"name": "Fine", "yearly_amount": "100", "benefits": "", "position": "0"}
    overridden = {name for name, _ in fields}
    body = [("csrf_token", token)]
    body += [(name, value) for name, value in base.items() if name not in overridden]
    body += fields
    for address in (LEVELS, _detail(level)):
        response = app.post(address, body, expect_errors=True)
        assert response.status_int == 400, address
        if error is not None:
            assert error in main_text(response)
    db_session.expire_all()
    assert (level.name, level.yearly_amount) == ("Kept", 1_000)
    assert db_session.scalars(select(SponsorLevel.name)).all() == ["Kept"]


@pytest.mark.parametrize("missing", ["name", "yearly_amount", "benefits", "position"])
def test_a_form_without_one_of_its_fields_is_refused_beside_it(app, db_session, missing):
    body = {"csrf_token": _csrf(app), "name": "Fine", "yearly_amount": "1", "benefits": "",
            "position": "0"}  # fmt: skip
    del body[missing]
    page = app.post(LEVELS, body, status=400)
    assert field_error(page, f"new-level-{missing}") == MISSING_MESSAGE
    assert _level_count(db_session) == 0


# One level


def test_the_edit_form_is_prefilled_and_saves_what_changed(app, db_session, staff):
    level = SponsorLevelFactory.create(
        name="Sustainability", yearly_amount=60_000, benefits="Logo", position=2
    )
    form = app.get(_detail(level)).forms["edit-level-form"]
    assert form["name"].value == "Sustainability"
    assert form["yearly_amount"].value == "60000"
    assert form["benefits"].value == "Logo"
    assert form["position"].value == "2"
    assert form["is_open"].checked
    form["yearly_amount"] = "75,000"
    form["is_open"] = False
    page = form.submit(status=303).follow()
    text = main_text(page)
    assert (
        "The level Sustainability is saved; changed: whether it is offered, the yearly amount."
    ) in text
    assert (
        "PyPI staff (stella) changed whether it is offered, the yearly amount of the level "
        "Sustainability"
    ) in text
    db_session.expire_all()
    assert (level.yearly_amount, level.is_open) == (75_000, False)
    update = events_of(db_session, level)[-1]
    assert update.tag == EventTag.SponsorLevelUpdate
    assert update.actor_id == staff.id
    assert update.acted_as_staff is True
    assert update.additional["fields"] == ["is_open", "yearly_amount"]


def test_saving_without_a_change_says_so_and_records_nothing(app, db_session):
    level = SponsorLevelFactory.create(name="Same")
    page = app.get(_detail(level)).forms["edit-level-form"].submit(status=303).follow()
    assert "Nothing changed for the level Same." in main_text(page)
    assert events_of(db_session, level) == []


def test_renaming_to_another_levels_name_is_refused(app, db_session):
    SponsorLevelFactory.create(name="Taken")
    level = SponsorLevelFactory.create(name="Mine", yearly_amount=10)
    form = app.get(_detail(level)).forms["edit-level-form"]
    form["name"] = "Taken"
    form["yearly_amount"] = "20"
    page = form.submit(status=409)
    assert field_error(page, "edit-level-name") == LEVEL_NAME_TAKEN
    db_session.expire_all()
    assert (level.name, level.yearly_amount) == ("Mine", 10)
    assert events_of(db_session, level) == []


def test_an_invalid_amount_on_edit_changes_nothing(app, db_session):
    level = SponsorLevelFactory.create(name="Mine", yearly_amount=10)
    form = app.get(_detail(level)).forms["edit-level-form"]
    form["yearly_amount"] = "-5"
    form["name"] = "Renamed"
    page = form.submit(status=400)
    assert field_error(page, "edit-level-yearly_amount") == AMOUNT_RULE
    db_session.expire_all()
    assert (level.name, level.yearly_amount) == ("Mine", 10)


@pytest.mark.parametrize("level_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_or_malformed_id_is_not_found(app, level_id):
    token = _csrf(app)
    app.get(f"{LEVELS}{level_id}/", status=404)
    app.post(f"{LEVELS}{level_id}/", {"csrf_token": token}, status=404)
    app.post(f"{LEVELS}{level_id}/delete/", {"csrf_token": token}, status=404)


def test_the_history_comes_in_pages_at_a_fixed_statement_count(app, db_session):
    level = SponsorLevelFactory.create()
    db_session.add(
        SponsorLevel.Event(source_id=level.id, tag=EventTag.SponsorLevelUpdate,
                           additional={"name": level.name, "fields": ["benefits"]})
    )  # fmt: skip
    db_session.flush()
    few = app.get(_detail(level))
    db_session.add_all(
        SponsorLevel.Event(source_id=level.id, tag=EventTag.SponsorLevelUpdate,
                           additional={"name": level.name, "fields": ["position"]})
        for _ in range(29)
    )  # fmt: skip
    db_session.flush()
    many = app.get(_detail(level))
    assert len(many.html.select("#history-heading ~ table tbody tr")) == 25
    assert len(many.click("Next").html.select("#history-heading ~ table tbody tr")) == 5
    # Session, signed-in user and their emails, the level, the event count, the events.
    assert len(few.sql_statements) == len(many.sql_statements) == 5


# Deleting a level


def test_deleting_a_level_keeps_its_inquiries_and_records_it_on_the_staff_account(
    app, db_session, staff
):
    level = SponsorLevelFactory.create(name="Visionary")
    inquiry = SponsorInquiryFactory.create(level=level)
    form = app.get(_detail(level)).forms["delete-level"]
    form["confirm"] = "visionary"  # case does not matter
    page = form.submit(status=303).follow()
    assert page.request.path == LEVELS
    assert "The level Visionary is deleted; its inquiries keep its name." in main_text(page)
    assert _level_count(db_session) == 0
    db_session.refresh(inquiry)
    assert (inquiry.level_id, inquiry.level_name) == (None, "Visionary")
    (event,) = [
        e
        for e in events_of(db_session, db_session.get(User, staff.id))
        if e.tag == EventTag.AccountSponsorLevelDelete
    ]
    assert event.acted_as_staff is True
    assert event.additional == {"actor": "stella", "name": "Visionary"}
    # The inquiry still says which level it was about.
    inquiry_page = app.get(f"/admin/sponsors/inquiries/{inquiry.id}/")
    assert "Visionary (this level has since been deleted)" in main_text(inquiry_page)


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("Visionar", "That does not match. Type Visionary to confirm."),
        ("", "Type Visionary to confirm."),
        ("v" * 101, "Use at most 100 characters."),
    ],
)
def test_deleting_with_the_wrong_name_typed_deletes_nothing(app, db_session, typed, error):
    level = SponsorLevelFactory.create(name="Visionary")
    form = app.get(_detail(level)).forms["delete-level"]
    form["confirm"] = typed
    page = form.submit(status=400)
    assert field_error(page, "delete-level-confirm") == error
    # The confirmation stays open, beside its error.
    assert page.html.find(id="delete-level-disclosure").has_attr("open")
    assert _level_count(db_session) == 1


def test_a_get_on_the_delete_address_goes_back_to_the_level(app, db_session):
    level = SponsorLevelFactory.create()
    response = app.get(f"{_detail(level)}delete/", status=303)
    assert response.location == f"http://localhost{_detail(level)}"


# Who may


def test_staff_outside_the_sponsor_program_may_not_see_or_change_levels(webtest_app, db_session):
    level = SponsorLevelFactory.create(name="Kept")
    log_in(webtest_app, UserFactory.create(is_support=True, is_moderator=True))
    token = webtest_app.get("/admin/").html.find("input", attrs={"name": "csrf_token"})["value"]
    webtest_app.get(LEVELS, status=403)
    webtest_app.get(_detail(level), status=403)
    webtest_app.post(LEVELS, {"csrf_token": token, "name": "New", "yearly_amount": "1",
                              "benefits": "", "position": "0"}, status=403)  # fmt: skip
    webtest_app.post(f"{_detail(level)}delete/", {"csrf_token": token, "confirm": "Kept"},
                     status=403)  # fmt: skip
    assert _level_count(db_session) == 1


def test_an_admin_may_keep_the_levels(webtest_app, db_session):
    log_in(webtest_app, UserFactory.create(is_superuser=True))
    form = _new_level_form(webtest_app, name="By an admin")
    form.submit(status=303)
    assert _level_named(db_session, "By an admin") is not None


# Two staff members at once, on two real connections


def test_two_staff_adding_the_same_level_at_once_end_with_one_level(
    app_registry, committed_database
):
    with Session(committed_database) as setup:
        setup.add_all([User(username="first", password="x"), User(username="second", password="x")])
        setup.commit()

    def add_as(username):
        def work(session):
            actor = session.scalars(select(User).where(User.username == username)).one()
            service = DatabaseSponsorService(service_request(app_registry, session, actor))
            return service.create_level(LevelValues(name="Visionary", yearly_amount=150_000))

        return work

    first, second = race(committed_database, add_as("first"), add_as("second"))

    assert first.succeeded
    # The second waited for the first's lock, then found the name taken: a refusal with a
    # message for its form, not a unique violation.
    assert isinstance(second.error, SponsorError), second.error
    assert str(second.error) == LEVEL_NAME_TAKEN
    assert second.error.field == "name"
    with Session(committed_database) as check:
        assert check.scalars(select(SponsorLevel.name)).all() == ["Visionary"]
        events = check.scalars(select(SponsorLevel.Event.tag)).all()
        assert events == [EventTag.SponsorLevelCreate]
