"""/admin/organization_applications/: the review queue, one application, and the decisions."""

import datetime

import pytest
from sqlalchemy import event, select, text

from tests.common.db.accounts import EmailFactory, UserFactory
from tests.common.db.organizations import OrganizationApplicationFactory, OrganizationFactory
from tests.common.events import event_tags
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationApplication,
    OrganizationApplicationMessage,
    OrganizationApplicationStatus,
    OrganizationRole,
)

LIST = "/admin/organization_applications/"
# What each decision needs to succeed.
VALID = {
    "approve": {"message": ""},
    "decline": {"message": "", "confirm_decline": "y"},
    "defer": {"message": ""},
    "requestmoreinfo": {"message": "Which projects?"},
    "addnote": {"message": "Looks fine."},
}
NOW = datetime.datetime.now(datetime.UTC)


def days_ago(days):
    return NOW - datetime.timedelta(days=days)


@pytest.fixture
def support(db_session):
    return UserFactory.create(username="sam-support", is_support=True)


@pytest.fixture
def app(webtest_app, support):
    log_in(webtest_app, support)
    return webtest_app


@pytest.fixture
def application(db_session):
    return OrganizationApplicationFactory.create(
        name="science-tools", submitted_by__username="alice", submitted=days_ago(3)
    )


def _names(page):
    return [row.find("a").text for row in page.html.select("#applications-table tbody tr")]


def _text(tag):
    return " ".join(tag.get_text(" ").split())


def _csrf(page):
    return page.html.find("input", attrs={"name": "csrf_token"})["value"]


def _detail(application):
    return f"{LIST}{application.id}/"


def _decide(page, decision, **fields):
    """The page's one decision form, filled as a reviewer would."""
    form = page.forms["decision-form"]
    if decision is not None:
        form["decision"] = decision
    for name, value in fields.items():
        form[name] = value
    return form


def _offered(page):
    return [
        radio["value"]
        for radio in page.html.select("#decision-form input[type=radio][name=decision]")
    ]


def _reload(db_session, row):
    db_session.expire_all()
    return db_session.get(type(row), row.id)


# The list


def test_the_list_is_oldest_first_and_shows_undecided_ones_by_default(app, db_session):
    OrganizationApplicationFactory.create(name="newer", submitted=days_ago(1))
    OrganizationApplicationFactory.create(name="older", submitted=days_ago(9))
    OrganizationApplicationFactory.create(name="asked", status="moreinformationneeded")
    OrganizationApplicationFactory.create(name="done", status="approved", submitted=days_ago(20))
    page = app.get(LIST)
    assert _names(page) == ["older", "newer", "asked"]
    assert _names(app.get(LIST, {"status": "approved"})) == ["done"]
    assert _names(app.get(LIST, {"status": "all"})) == ["done", "older", "newer", "asked"]


def test_filters_by_type_and_age(app, db_session):
    OrganizationApplicationFactory.create(
        name="old-company", orgtype="Company", submitted=days_ago(10)
    )
    OrganizationApplicationFactory.create(
        name="new-company", orgtype="Company", submitted=days_ago(1)
    )
    OrganizationApplicationFactory.create(name="old-community", submitted=days_ago(10))
    assert _names(app.get(LIST, {"type": "Company"})) == ["old-company", "new-company"]
    assert _names(app.get(LIST, {"type": "Company", "age": "5"})) == ["old-company"]
    assert sorted(_names(app.get(LIST, {"age": "5"}))) == ["old-community", "old-company"]


def test_search_matches_name_display_name_and_applicant(app, db_session):
    OrganizationApplicationFactory.create(name="astro", display_name="Star Gazers")
    OrganizationApplicationFactory.create(name="bio", submitted_by__username="starling")
    OrganizationApplicationFactory.create(name="chem")
    assert sorted(_names(app.get(LIST, {"q": "STAR"}))) == ["astro", "bio"]
    assert _names(app.get(LIST, {"q": "%"})) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "a" * 101}, "q"),
        ({"status": "lost"}, "status"),
        ({"type": "Government"}, "type"),
        ({"age": "soon"}, "age"),
        ({"age": "-1"}, "age"),
    ],
)
def test_bad_filters_are_refused(app, db_session, params, field):
    page = app.get(LIST, params, status=400)
    assert field_error(page, field)
    assert not page.html.select("#applications-table")


def test_the_list_comes_in_pages_of_25(app, db_session):
    for n in range(30):
        OrganizationApplicationFactory.create(name=f"app-{n:02}", submitted=days_ago(60 - n))
    first = app.get(LIST)
    assert _names(first) == [f"app-{n:02}" for n in range(25)]
    second = app.get(LIST, {"page": "2"})
    assert _names(second) == [f"app-{n:02}" for n in range(25, 30)]


# The detail's 8: session, user and emails, the application with its applicant and the
# applicant's emails, the similarity threshold with the name catalog (may it be approved?) and
# the event count, events, the other, competing and similar applications, similar
# organizations, messages with their authors.
@pytest.mark.parametrize(("path", "budget"), [("list", 4), ("detail", 8)])
def test_the_sql_statement_count_does_not_grow_with_the_applications(app, db_session, path, budget):
    applicant = UserFactory.create()
    first = OrganizationApplicationFactory.create(submitted_by=applicant, name="first-one")

    def url():
        return LIST if path == "list" else _detail(first)

    one = len(app.get(url()).sql_statements)
    for n in range(19):
        OrganizationApplicationFactory.create(
            name=f"first-one-{n}", submitted_by=UserFactory.create() if n % 2 else applicant
        )
    twenty = app.get(url())
    assert one == budget
    assert len(twenty.sql_statements) == budget
    if path == "list":
        assert len(_names(twenty)) == 20


# The detail page


def _add_message(db_session, application, kind, author):
    db_session.add(
        OrganizationApplicationMessage(
            application_id=application.id, kind=kind, body=f"A {kind}.", author_id=author.id
        )
    )
    db_session.flush()


def test_the_detail_costs_the_same_however_many_messages_similar_names_and_competitors(
    app, db_session, application, support
):
    _add_message(db_session, application, "note", support)
    OrganizationFactory.create(name="science-tool")
    OrganizationApplicationFactory.create(name="Science.Tools")
    one = app.get(_detail(application))
    for n in range(5):
        _add_message(db_session, application, "question", UserFactory.create())
        _add_message(db_session, application, "answer", application.submitted_by)
        OrganizationFactory.create(name=f"science-tool{n}")
        OrganizationApplicationFactory.create(
            name=[
                "Science_Tools",
                "SCIENCE.TOOLS",
                "science--tools",
                "Science-Tools",
                "science_.tools",
            ][n]
        )
    many = app.get(_detail(application))
    assert len(many.html.select("#competing-applications li")) == 6
    assert len(many.html.select(".conversation li")) == 11
    # As counted above, messages and their authors being one statement.
    assert len(one.sql_statements) == len(many.sql_statements) == 8


def test_the_detail_shows_the_applicant_and_similar_names(app, db_session, application):
    OrganizationFactory.create(name="science-tool")
    OrganizationFactory.create(name="unrelated")
    OrganizationApplicationFactory.create(name="Science_Tools", submitted_by__username="mallory")
    OrganizationApplicationFactory.create(name="gardening", submitted_by=application.submitted_by)
    page = app.get(_detail(application))
    assert "alice , account 0 days old." in _text(page.html.find(id="applicant"))
    assert "gardening" in _text(page.html.find(id="other-applications-table"))
    organizations = _text(page.html.find(id="similar-organizations-table"))
    assert "science-tool" in organizations
    assert "unrelated" not in organizations
    applications = _text(page.html.find(id="similar-applications-table"))
    assert "Science_Tools" in applications
    assert "mallory" in applications
    assert "gardening" not in applications


LOOK_ALIKES = [
    "science-tool", "science-toolz", "sciencetools", "science-tools-extra", "science",
    "tools", "sci-tools", "science-tools-2", "the-science-tools", "science-tolls",
    "sciences-tool", "science-t", "scientific-tools", "pandas", "unrelated", "toolscience",
]  # fmt: skip


def _similar_rows(page, table):
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
        for row in page.html.select(f"#{table} tbody tr")
    ]


def _add_unrelated_names(db_connection, applicant_id, count):
    for table, extra_columns, extra_values in (
        ("organizations", "", ""),
        ("organization_applications", ", submitted_by_id", ", :applicant"),
    ):
        db_connection.execute(
            text(
                f"INSERT INTO {table} (name, display_name, orgtype, link_url, description"
                f"{extra_columns}) SELECT 'filler-' || md5(n::text), 'Filler', 'Community',"
                f" 'https://filler.example.org/', ''{extra_values}"
                " FROM generate_series(1, :count) AS n"
            ),
            {"applicant": applicant_id, "count": count},
        )
        # What autovacuum does in production: move the new rows out of the index's pending
        # list, which the planner would otherwise count as read in full.
        db_connection.execute(
            text(f"SELECT gin_clean_pending_list('ix_{table}_normalized_name_trgm'::regclass)")
        )
        db_connection.execute(text(f"ANALYZE {table}"))


def test_similar_names_use_the_trigram_indexes_and_find_what_a_full_scan_finds(
    app, db_session, db_connection, application
):
    for n, name in enumerate(LOOK_ALIKES):
        OrganizationFactory.create(name=name)
        OrganizationApplicationFactory.create(name=f"{name}.{n}" if n % 2 else name)
    ran = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "similarity(" in statement:
            ran.append((statement, parameters))

    event.listen(db_connection, "before_cursor_execute", keep)
    try:
        page = app.get(_detail(application))
    finally:
        event.remove(db_connection, "before_cursor_execute", keep)

    # What a comparison with every row finds, closest first, as the page always listed them.
    expected_organizations = db_connection.execute(
        text(
            "SELECT name, similarity(normalized_name, 'science-tools') AS score FROM organizations"
            " WHERE similarity(normalized_name, 'science-tools') > 0.4"
            " ORDER BY score DESC, normalized_name LIMIT 10"
        )
    ).all()
    expected_applications = db_connection.execute(
        text(
            "SELECT name, similarity(normalized_name, 'science-tools') AS score"
            " FROM organization_applications"
            " WHERE similarity(normalized_name, 'science-tools') > 0.4 AND id != :id"
            " ORDER BY score DESC, submitted LIMIT 10"
        ),
        {"id": application.id},
    ).all()
    assert len(expected_organizations) == 10
    assert _similar_rows(page, "similar-organizations-table") == [
        [name, f"{score:.2f}"] for name, score in expected_organizations
    ]
    assert [row[0] for row in _similar_rows(page, "similar-applications-table")] == [
        name for name, _score in expected_applications
    ]

    # The page's own statements, planned over tables of a few thousand unrelated names.
    _add_unrelated_names(db_connection, application.submitted_by_id, 3000)
    # Left only bitmap scans, which need a condition an index can answer, the planner must use
    # an index that answers ``%``; with plain index scans allowed it may instead walk another
    # index in order and filter (it did, now and then, on the 3,000 rows here).
    db_connection.execute(text("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off"))
    plans = {}
    for statement, parameters in ran:
        table = (
            "organization_applications"
            if "FROM organization_applications" in statement
            else "organizations"
        )
        plan = db_connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars().all()
        plans[table] = "\n".join(plan)
    assert "ix_organizations_normalized_name_trgm" in plans["organizations"]
    assert "ix_organization_applications_normalized_name_trgm" in plans["organization_applications"]


def test_an_approved_application_does_not_list_its_own_organization_as_similar(
    app, db_session, application
):
    OrganizationFactory.create(name="science-tool")
    _decide(app.get(_detail(application)), "approve").submit(status=303)
    page = app.get(_detail(application))
    assert [row[0] for row in _similar_rows(page, "similar-organizations-table")] == [
        "science-tool"
    ]


@pytest.mark.parametrize(
    ("link_url", "email", "verified", "matches"),
    [
        ("https://science.example.org/", "me@example.org", True, True),
        ("https://example.org", "me@Example.org", True, True),
        ("https://example.org/", "me@example.org", False, False),
        ("https://notexample.org/", "me@example.org", True, False),
    ],
)
def test_the_detail_says_whether_the_link_matches_a_verified_email_domain(
    app, db_session, link_url, email, verified, matches
):
    applicant = UserFactory.create()
    EmailFactory.create(user=applicant, email=email, primary=False, verified=verified)
    application = OrganizationApplicationFactory.create(submitted_by=applicant, link_url=link_url)
    badge = _text(app.get(_detail(application)).html.find(id="domain-match"))
    if matches:
        assert badge == "Matches the verified email domain example.org"
    else:
        assert badge == "No verified email of the applicant is at this domain"


def test_an_unknown_application_is_404(app, db_session):
    app.get(f"{LIST}not-a-uuid/", status=404)
    app.get(f"{LIST}00000000-0000-0000-0000-000000000000/", status=404)


# The decision panel


def test_the_page_has_one_decision_form_offering_what_can_succeed(app, db_session, application):
    page = app.get(_detail(application))
    main = page.html.find("main")
    forms = main.find_all("form")
    assert [form.get("id") for form in forms] == ["decision-form"]
    assert forms[0]["action"] == f"{_detail(application)}decide/"
    assert _offered(page) == ["approve", "requestmoreinfo", "defer", "decline", "addnote"]
    assert len(main.find_all("textarea")) == 1
    assert len(main.find_all("button", attrs={"type": "submit"})) == 1
    nexts = main.find_all("input", attrs={"name": "next"})
    assert len(nexts) == 1
    text = main_text(page)
    assert "Who reads it: with Approve, Decline or Ask, the applicant, by email" in text
    assert "staff only; the applicant never sees it" in text
    assert "No other application is waiting for this name." in text


def test_a_deferred_application_is_not_offered_defer_again(app, db_session):
    deferred = OrganizationApplicationFactory.create(status="deferred")
    assert _offered(app.get(_detail(deferred))) == [
        "approve", "requestmoreinfo", "decline", "addnote"
    ]  # fmt: skip


def test_a_taken_name_is_not_offered_approve_and_says_why(app, db_session, application):
    OrganizationFactory.create(name="Science_Tools")
    page = app.get(_detail(application))
    assert "approve" not in _offered(page)
    reason = "Approve is not offered: an organization has, or once had, this name"
    assert reason in main_text(page)
    # Forced anyway: refused beside the decision, nothing changes.
    form = _decide(page, None)
    refused = app.post(
        form.action,
        {"decision": "approve", "message": "", "csrf_token": _csrf(page)},
        status=400,
    )
    assert reason in field_error(refused, "decision")
    assert _reload(db_session, application).status == "submitted"


@pytest.mark.parametrize("status", ["approved", "declined", "withdrawn"])
def test_a_decided_application_shows_its_outcome_and_takes_notes_only(
    app, db_session, status, outbox
):
    decided = OrganizationApplicationFactory.create(status=status)
    page = app.get(_detail(decided))
    assert _offered(page) == []
    outcome = " ".join(page.html.find(id="decision-outcome").get_text().split())
    assert outcome.startswith(f"This application is {status.capitalize()}.")
    assert "No further decision can be taken" in outcome
    token = _csrf(page)
    for decision in ("approve", "decline", "defer", "requestmoreinfo"):
        app.post(
            f"{_detail(decided)}decide/",
            {"decision": decision, "message": "x", "confirm_decline": "y", "csrf_token": token},
            status=400,
        )
    assert _reload(db_session, decided).status == status
    form = page.forms["decision-form"]
    form["message"] = "Looked again; still right."
    form.submit(status=303)
    (note,) = db_session.scalars(select(OrganizationApplicationMessage))
    assert note.kind == "note"
    assert outbox.messages() == []


def test_choosing_nothing_is_refused_beside_the_decision(app, db_session, application, outbox):
    refused = _decide(app.get(_detail(application)), None, message="Hello").submit(status=400)
    assert field_error(refused, "decision") == "Choose what to do."
    assert refused.html.title.get_text().startswith("Error: ")
    assert "Choose what to do." in _text(refused.html.find(id="error-summary"))
    # What was typed is kept.
    assert refused.forms["decision-form"]["message"].value == "Hello"
    assert _reload(db_session, application).status == "submitted"
    assert outbox.messages() == []


# Approve


def test_approve_names_the_competing_applications_it_will_decline(app, db_session, application):
    OrganizationApplicationFactory.create(name="Science.Tools", submitted_by__username="bob")
    OrganizationApplicationFactory.create(name="science_tools", submitted_by__username="carol")
    OrganizationApplicationFactory.create(
        name="SCIENCE-TOOLS", submitted_by__username="dave", status="declined"
    )
    OrganizationApplicationFactory.create(name="science-toolz", submitted_by__username="erin")
    page = app.get(_detail(application))
    consequences = _text(page.html.find(id="approve-consequences"))
    assert consequences.startswith("Approving also declines 2 other applications for this name")
    competing = [_text(item) for item in page.html.select("#competing-applications li")]
    # Oldest first; these two were submitted in the same transaction, so in either order.
    assert sorted(competing) == [
        "Science.Tools by bob (Waiting for review)",
        "science_tools by carol (Waiting for review)",
    ]
    radio = page.html.find(id="decision-approve")
    assert radio["aria-describedby"] == "approve-consequences"


def test_approving_creates_the_organization_and_declines_the_competitor(
    app, db_session, application, outbox
):
    competitor = OrganizationApplicationFactory.create(
        name="Science.Tools", submitted_by__username="bob"
    )
    page = _decide(app.get(_detail(application)), "approve", message="Welcome aboard.").submit(
        status=303
    )
    page = page.follow()
    assert (
        "science-tools is approved; the applicant is emailed. Also declined, for the same name:"
        " Science.Tools (bob)." in main_text(page)
    )
    organization = db_session.scalars(
        select(Organization).where(Organization.name == "science-tools")
    ).one()
    (role,) = db_session.scalars(
        select(OrganizationRole).where(OrganizationRole.organization_id == organization.id)
    )
    assert (role.user_id, role.role_name) == (application.submitted_by_id, "Owner")
    assert _reload(db_session, application).status == "approved"
    assert _reload(db_session, competitor).status == "declined"
    assert EventTag.OrganizationApplicationApprove in event_tags(db_session, application)
    assert EventTag.OrganizationApplicationDecline in event_tags(db_session, competitor)
    mail = {message.recipient: message for message in outbox.messages()}
    approved = mail["alice@example.com"]
    assert approved.subject == "Your organization science-tools is approved"
    assert "Welcome aboard." in approved.body("plain")
    declined = mail["bob@example.com"]
    assert declined.subject == "Your application for the organization Science.Tools was declined"
    assert "Another application for this name was approved." in declined.body("plain")
    # The page now shows the outcome, and the competitor's row says Declined.
    assert _text(page.html.find(id="application-status")) == "Approved"
    assert "Science.Tools bob Declined" in _text(page.html.find(id="similar-applications-table"))


def test_approving_a_name_taken_meanwhile_is_refused_and_changes_nothing(
    app, db_session, application, outbox
):
    page = app.get(_detail(application))
    OrganizationFactory.create(name="science-tools")
    refused = _decide(page, "approve").submit(status=400)
    assert "Approve is not offered" in field_error(refused, "decision")
    assert "approve" not in _offered(refused)
    assert _reload(db_session, application).status == "submitted"
    assert EventTag.OrganizationApplicationApprove not in event_tags(db_session, application)
    assert outbox.messages() == []


# Decline


def test_declining_needs_its_confirmation(app, db_session, application, outbox):
    refused = _decide(
        app.get(_detail(application)), "decline", message="Please use a project instead."
    ).submit(status=400)
    assert field_error(refused, "confirm_decline") == "Tick this box to confirm the decline."
    assert refused.forms["decision-form"]["decision"].value == "decline"
    assert _reload(db_session, application).status == "submitted"
    assert EventTag.OrganizationApplicationDecline not in event_tags(db_session, application)
    assert outbox.messages() == []


def test_declining_emails_the_optional_message(app, db_session, application, outbox):
    form = _decide(
        app.get(_detail(application)),
        "decline",
        message="Please use a project instead.",
        confirm_decline=True,
    )
    form.submit(status=303)
    assert _reload(db_session, application).status == "declined"
    assert EventTag.OrganizationApplicationDecline in event_tags(db_session, application)
    (message,) = outbox.messages()
    assert "Please use a project instead." in message.body("plain")
    # Decided: no more decisions, but notes still.
    page = app.get(_detail(application))
    assert _offered(page) == []
    assert "decision-form" in page.forms


# Defer, ask, note


def test_deferring(app, db_session, application, outbox):
    _decide(app.get(_detail(application)), "defer").submit(status=303)
    assert _reload(db_session, application).status == "deferred"
    assert EventTag.OrganizationApplicationDefer in event_tags(db_session, application)
    assert outbox.messages() == []


def test_a_message_with_a_deferral_is_kept_as_an_internal_note(
    app, db_session, application, outbox
):
    _decide(app.get(_detail(application)), "defer", message="Waiting on legal.").submit(status=303)
    (note,) = db_session.scalars(select(OrganizationApplicationMessage))
    assert (note.kind, note.body) == ("note", "Waiting on legal.")
    assert outbox.messages() == []


def test_requesting_more_information_needs_a_message_and_emails_it(
    app, db_session, application, outbox
):
    page = app.get(_detail(application))
    empty = _decide(page, "requestmoreinfo").submit(status=400)
    assert field_error(empty, "message") == "Write the question to send to the applicant."
    assert _reload(db_session, application).status == "submitted"
    _decide(page, "requestmoreinfo", message="Who else maintains these?").submit(status=303)
    assert _reload(db_session, application).status == "moreinformationneeded"
    assert EventTag.OrganizationApplicationRequestInformation in event_tags(db_session, application)
    (message,) = outbox.messages()
    assert "Who else maintains these?" in message.body("plain")
    assert f"/manage/organizations/application/{application.id}/" in message.body("plain")


def test_a_note_is_internal_and_never_emailed(app, db_session, application, outbox):
    page = app.get(_detail(application))
    empty = _decide(page, "addnote").submit(status=400)
    assert field_error(empty, "message") == "Write the note."
    page = _decide(page, "addnote", message="Checked their projects; fine.").submit(status=303)
    page = page.follow()
    assert "Checked their projects; fine." in main_text(page)
    assert outbox.messages() == []
    (note,) = db_session.scalars(select(OrganizationApplicationMessage))
    assert note.kind == "note"
    assert EventTag.OrganizationApplicationNote in event_tags(db_session, application)
    assert _reload(db_session, application).status == "submitted"


def test_a_message_longer_than_the_limit_is_refused(app, db_session, application, outbox):
    refused = _decide(app.get(_detail(application)), "addnote", message="x" * 1025).submit(
        status=400
    )
    assert field_error(refused, "message") == "Use at most 1024 characters."
    assert db_session.scalars(select(OrganizationApplicationMessage)).all() == []


def test_review_next_goes_to_the_next_oldest_waiting_application(app, db_session, application):
    following = OrganizationApplicationFactory.create(name="next-up", submitted=days_ago(2))
    OrganizationApplicationFactory.create(name="later", submitted=days_ago(1))
    response = _decide(app.get(_detail(application)), "defer", next=True).submit(status=303)
    assert response.location == f"http://localhost{_detail(following)}"
    form = _decide(app.get(_detail(following)), "addnote", message="Noted.")
    assert form.submit(status=303).location == f"http://localhost{_detail(following)}"


def test_posting_without_the_csrf_token_changes_nothing(app, db_session, application, outbox):
    for decision, fields in VALID.items():
        app.post(f"{_detail(application)}decide/", {"decision": decision, **fields}, status=400)
    assert _reload(db_session, application).status == "submitted"
    assert db_session.scalars(select(OrganizationApplicationMessage)).all() == []
    assert db_session.scalars(select(Organization)).all() == []
    assert outbox.messages() == []


# Labels


def test_statuses_read_as_words_never_as_codes(app, db_session, application):
    asked = OrganizationApplicationFactory.create(
        name="science-toolz", status="moreinformationneeded", submitted_by=application.submitted_by
    )
    page = app.get(LIST)
    table = _text(page.html.find(id="applications-table"))
    assert "Waiting for review" in table
    assert "More information needed" in table
    options = [option.get_text() for option in page.html.select("#status option")]
    assert "Waiting for review" in options
    assert "More information needed" in options
    codes = {status.value for status in OrganizationApplicationStatus if status.label != status}
    for response in (page, app.get(_detail(application)), app.get(_detail(asked))):
        assert "moreinformationneeded" not in main_text(response)
        # No piece of text on the page is a bare status code.
        pieces = {piece.strip() for piece in response.html.find("main").find_all(string=True)}
        assert not pieces & codes
    detail = app.get(_detail(asked))
    assert _text(detail.html.find(id="application-status")) == "More information needed"


# Who may do what


@pytest.mark.parametrize("decision", VALID)
def test_moderators_read_but_every_decision_is_refused(
    webtest_app, db_session, application, decision
):
    log_in(webtest_app, UserFactory.create(is_moderator=True))
    page = webtest_app.get(_detail(application))
    assert "decision-form" not in page.forms
    webtest_app.get(LIST)
    webtest_app.post(
        f"{_detail(application)}decide/",
        {"decision": decision, **VALID[decision], "csrf_token": _csrf(page)},
        status=403,
    )
    assert _reload(db_session, application).status == "submitted"


@pytest.mark.parametrize("path", ["list", "detail", *VALID])
def test_ordinary_users_are_refused_everywhere(webtest_app, db_session, application, path):
    log_in(webtest_app, UserFactory.create())
    token = _csrf(webtest_app.get("/"))
    if path == "list":
        webtest_app.get(LIST, status=403)
    elif path == "detail":
        webtest_app.get(_detail(application), status=403)
    else:
        webtest_app.post(
            f"{_detail(application)}decide/",
            {"decision": path, **VALID[path], "csrf_token": token},
            status=403,
        )
    assert _reload(db_session, application).status == "submitted"


def test_admins_act_too(webtest_app, db_session, application):
    log_in(webtest_app, UserFactory.create(is_superuser=True))
    _decide(webtest_app.get(_detail(application)), "defer").submit(status=303)
    assert _reload(db_session, application).status == "deferred"


# The journey


def test_apply_then_approve_then_the_applicant_is_owner(webtest_app, db_session, outbox):
    alice = UserFactory.create(username="alice")
    log_in(webtest_app, alice)
    form = webtest_app.get("/manage/organizations/").forms["apply-form"]
    form["name"] = "journey-org"
    form["display_name"] = "Journey Org"
    form["link_url"] = "https://journey.example.com/"
    form["description"] = "From application to organization."
    form["orgtype"] = "Community"
    form["usage"] = "We want to keep our several related packages under one roof."
    form["membership_size"] = "2-5"
    form.submit(status=303)
    (application,) = db_session.scalars(select(OrganizationApplication))
    webtest_app.post("/account/logout/", {"csrf_token": _csrf(webtest_app.get("/"))})

    log_in(webtest_app, UserFactory.create(is_support=True), step_offset=0)
    _decide(webtest_app.get(_detail(application)), "approve").submit(status=303)
    webtest_app.post("/account/logout/", {"csrf_token": _csrf(webtest_app.get("/"))})

    log_in(webtest_app, alice, step_offset=1)
    page = webtest_app.get("/manage/organizations/")
    row = page.html.select_one("#organizations-table tbody tr")
    assert "Journey Org" in _text(row)
    assert "Owner" in _text(row)
    assert "Approved" in _text(page.html.find(id="applications-table"))
    subjects = [message.subject for message in outbox.messages()]
    assert "Your organization journey-org is approved" in subjects


# The contract's path for each decision (ARCHITECTURE.md) takes the same form and rules.


def test_each_decision_has_its_own_path_with_the_same_rules(app, db_session, outbox):
    page_of = {}
    for name in ("one", "two", "three"):
        application = OrganizationApplicationFactory.create(name=f"path-{name}")
        page_of[name] = (application, app.get(_detail(application)))

    application, page = page_of["one"]
    refused = app.post(
        f"{_detail(application)}decline/",
        {"csrf_token": _csrf(page), "message": "No."},
        status=400,
    )
    assert field_error(refused, "confirm_decline") == "Tick this box to confirm the decline."
    assert _reload(db_session, application).status == "submitted"
    assert outbox.messages() == []

    app.post(
        f"{_detail(application)}decline/",
        {"csrf_token": _csrf(page), "message": "No.", "confirm_decline": "y"},
        status=303,
    )
    assert _reload(db_session, application).status == "declined"

    # The path wins over a decision field sent with it.
    application, page = page_of["two"]
    app.post(
        f"{_detail(application)}defer/",
        {"csrf_token": _csrf(page), "message": "", "decision": "approve"},
        status=303,
    )
    assert _reload(db_session, application).status == "deferred"

    application, page = page_of["three"]
    app.post(f"{_detail(application)}approve/", {"csrf_token": _csrf(page), "message": ""})
    assert _reload(db_session, application).status == "approved"
    assert db_session.scalars(select(Organization).where(Organization.name == "path-three")).one()
