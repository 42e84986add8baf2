"""/organizations/: the public directory of active organizations, its search, filter, orders,
pages, caching headers, and its cost whatever the number of organizations."""

import pytest
from sqlalchemy import case, event, func, literal, text, update

from tests.common.db.accounts import UserFactory
from tests.common.db.domains import OrganizationDomainFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationProjectFactory
from tests.common.db.packaging import ProjectFactory
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from warehouse_orgs.organizations.directory import BADGES_KEY
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.sessions import SESSION_COOKIE_NAME

DIRECTORY = "/organizations/"


def _rows(response) -> list[list[str]]:
    table = response.html.find(id="directory-table")
    if table is None:
        return []
    return [
        [" ".join(cell.get_text(" ").split()) for cell in row.find_all("td")]
        for row in table.find("tbody").find_all("tr")
    ]


def _names(response) -> list[str]:
    table = response.html.find(id="directory-table")
    if table is None:
        return []
    return [link.get_text() for link in table.find_all("a")]


def _with_projects(organization, count: int) -> None:
    for _ in range(count):
        project = ProjectFactory.create()
        OrganizationProjectFactory.create(organization=organization, project=project)


def _set_created(db_session, organization, when: str) -> None:
    db_session.execute(
        update(Organization).where(Organization.id == organization.id).values(created=text(when))
    )


@pytest.fixture
def three(db_session):
    """Three active organizations, made on different days, with different project counts."""
    made = {
        "alpha": OrganizationFactory.create(name="alpha-tools", display_name="Alpha Tools"),
        "bravo": OrganizationFactory.create(
            name="bravo_works", display_name="Bravo Industries", orgtype="Company"
        ),
        "charlie": OrganizationFactory.create(name="charlie", display_name="The Charlie Group"),
    }
    _with_projects(made["alpha"], 1)
    _with_projects(made["charlie"], 3)
    _set_created(db_session, made["alpha"], "now() - interval '3 days'")
    _set_created(db_session, made["bravo"], "now() - interval '1 day'")
    _set_created(db_session, made["charlie"], "now() - interval '2 days'")
    db_session.flush()
    db_session.expire_all()
    return made


def test_the_directory_lists_active_organizations_with_type_projects_and_badges(
    webtest_app, db_session, three
):
    OrganizationFactory.create(name="closed-org", display_name="Closed Org", is_active=False)
    page = webtest_app.get(DIRECTORY, status=200)
    assert _rows(page) == [
        ["Alpha Tools alpha-tools", "Community", "1", "Community"],
        ["Bravo Industries bravo_works", "Company", "0", "Company"],
        ["The Charlie Group charlie", "Community", "3", "Community"],
    ]
    assert "Closed Org" not in main_text(page)
    assert "All organizations (3)" in main_text(page)
    profile = page.click("The Charlie Group")
    assert "The Charlie Group" in main_text(profile)


def test_the_home_page_links_the_directory(webtest_app, three):
    directory = webtest_app.get("/", status=200).click("Browse all organizations")
    assert _names(directory) == ["Alpha Tools", "Bravo Industries", "The Charlie Group"]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        # Part of the name, in any case and with any separator.
        ("TOOLS", ["Alpha Tools"]),
        ("bravo_wo", ["Bravo Industries"]),
        ("bravo.works", ["Bravo Industries"]),
        # Part of the display name only.
        ("industries", ["Bravo Industries"]),
        ("charlie gr", ["The Charlie Group"]),
        # Both organizations whose names hold the letter.
        ("  h  ", ["Alpha Tools", "The Charlie Group"]),
        # LIKE's wildcards are taken literally; "_" is a separator, as in the names.
        ("%", []),
        ("a%", []),
        ("_", ["Alpha Tools", "Bravo Industries"]),
    ],
)
def test_search_finds_part_of_the_name_or_display_name(webtest_app, three, typed, found):
    page = webtest_app.get(DIRECTORY, {"q": typed}, status=200)
    assert _names(page) == found
    if not found:
        assert "No organization matches." in main_text(page)
    else:
        assert f"Matching organizations ({len(found)})" in main_text(page)


def test_the_type_filter(webtest_app, three):
    companies = webtest_app.get(DIRECTORY, {"type": "Company"}, status=200)
    assert _names(companies) == ["Bravo Industries"]
    communities = webtest_app.get(DIRECTORY, {"type": "Community", "q": "a"}, status=200)
    assert _names(communities) == ["Alpha Tools", "The Charlie Group"]
    # The form keeps what was chosen.
    assert communities.forms["directory-search-form"]["type"].value == "Community"


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Alpha Tools", "Bravo Industries", "The Charlie Group"]),
        ("newest", ["Bravo Industries", "The Charlie Group", "Alpha Tools"]),
        ("projects", ["The Charlie Group", "Alpha Tools", "Bravo Industries"]),
    ],
)
def test_each_order(webtest_app, three, sort, expected):
    page = webtest_app.get(DIRECTORY, {"sort": sort}, status=200)
    assert _names(page) == expected
    assert page.forms["directory-search-form"]["sort"].value == sort


def test_ties_are_settled_by_name(webtest_app, db_session):
    for name in ("zulu", "mike", "echo"):
        OrganizationFactory.create(name=name, display_name=name.title())
    # Made in one transaction, they share their creation time and their (zero) project count.
    for sort in ("newest", "projects"):
        page = webtest_app.get(DIRECTORY, {"sort": sort}, status=200)
        assert _names(page) == ["Echo", "Mike", "Zulu"]


def _bulk(db_session, count: int, prefix: str = "bulk") -> None:
    db_session.execute(
        text(
            "INSERT INTO organizations (name, display_name, orgtype, link_url, description)"
            " SELECT :prefix || '-' || lpad(n::text, 5, '0'), 'Bulk ' || n,"
            " CASE WHEN n % 2 = 0 THEN 'Company' ELSE 'Community' END,"
            " 'https://example.com/', 'Made in bulk.'"
            " FROM generate_series(1, :count) AS n"
        ),
        {"prefix": prefix, "count": count},
    )


def test_the_directory_is_paginated(webtest_app, db_session):
    _bulk(db_session, 30)
    first = webtest_app.get(DIRECTORY, {"type": "Community"}, status=200)
    assert len(_names(first)) == 15
    _bulk(db_session, 30, prefix="more")
    first = webtest_app.get(DIRECTORY, {"type": "Company", "sort": "name"}, status=200)
    assert "Showing 1\N{EN DASH}25 of 30" in main_text(first)
    second = first.click("Next")
    assert "Showing 26\N{EN DASH}30 of 30" in main_text(second)
    # The next page keeps the filter and the order.
    assert second.request.GET["type"] == "Company"
    assert _names(second) == [f"Bulk {n}" for n in (22, 24, 26, 28, 30)]
    beyond = webtest_app.get(DIRECTORY, {"page": "9"}, status=200)
    assert _names(beyond) == []
    assert "Go to the first page" in main_text(beyond)
    for bad in ("0", "-1", "two", "99999999999999"):
        webtest_app.get(DIRECTORY, {"page": bad}, status=400)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"q": "x" * 101}, "q", "Use at most 100 characters."),
        ({"type": "Charity"}, "type", "Not a valid choice."),
        ({"sort": "oldest"}, "sort", "Not a valid choice."),
        ([("sort", "name"), ("sort", "newest")], "sort", "sent more than once"),
        ([("q", "a"), ("q", "b")], "q", "sent more than once"),
    ],
)
def test_a_bad_query_is_refused_beside_its_field(webtest_app, three, params, field, message):
    page = webtest_app.get(DIRECTORY, params, status=400)
    assert message in field_error(page, field)
    assert _names(page) == []
    assert page.headers.get("Surrogate-Key") is None


def test_public_caching_headers(webtest_app, three):
    response = webtest_app.get(DIRECTORY, {"q": "a"}, status=200)
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Vary"] == "Cookie"
    # Its own key, and the footer's, which every cached page shows.
    assert response.headers["Surrogate-Key"] == "organizations-directory sponsors-footer"
    assert SESSION_COOKIE_NAME not in response.headers.get("Set-Cookie", "")


def test_a_signed_in_copy_is_private(webtest_app, three):
    log_in(webtest_app, UserFactory.create())
    response = webtest_app.get(DIRECTORY, status=200)
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert response.headers["Vary"] == "Cookie"


QUERIES = [
    {},
    {"q": "bulk 1"},
    {"q": "charlie", "type": "Community"},
    {"type": "Company", "sort": "newest"},
    {"sort": "projects", "page": "2"},
]


def test_the_statement_count_is_the_same_for_one_organization_and_a_thousand(
    webtest_app, db_session
):
    _with_projects(OrganizationFactory.create(name="charlie", display_name="Charlie"), 2)
    db_session.flush()
    small = {
        str(query): webtest_app.get(DIRECTORY, query, status=200).sql_statements
        for query in QUERIES
    }
    _bulk(db_session, 1000)
    for query in QUERIES:
        large = webtest_app.get(DIRECTORY, query, status=200)
        # The page's rows and the total, in one statement.
        assert len(large.sql_statements) == len(small[str(query)]) == 1, query
    assert "All organizations (1001)" in main_text(webtest_app.get(DIRECTORY))
    assert "Matching organizations (112)" in main_text(webtest_app.get(DIRECTORY, {"q": "bulk 1"}))


def test_a_badge_a_feature_adds_shows_in_the_same_statement(
    webtest_app, db_session, app_registry, monkeypatch, three
):
    """What the verified-domain feature does through ``config.add_directory_badge``."""
    before = webtest_app.get(DIRECTORY, status=200)
    badges = dict(app_registry[BADGES_KEY])
    badges["probe"] = lambda: case(
        (Organization.normalized_name == "charlie", literal("Verified")), else_=None
    )
    monkeypatch.setitem(app_registry, BADGES_KEY, badges)
    after = webtest_app.get(DIRECTORY, status=200)
    assert [row[3] for row in _rows(after)] == ["Community", "Company", "Community Verified"]
    assert len(after.sql_statements) == len(before.sql_statements) == 1


# The indexes a page of each order may be read from: in order, stopping after its rows. By
# name, the unique index of every name serves as well while few organizations are closed.
SORTS = {
    "name": ("ix_organizations_active_normalized_name", "organizations_normalized_name_key"),
    "newest": ("ix_organizations_active_created",),
    "projects": ("ix_organizations_active_project_count",),
}


def _planned(db_connection, webtest_app, params) -> list[str]:
    """The plan of the one statement the directory sends for ``params``."""
    ran = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "FROM organizations" in statement:
            ran.append((statement, parameters))

    event.listen(db_connection, "before_cursor_execute", keep)
    try:
        webtest_app.get(DIRECTORY, params, status=200)
    finally:
        event.remove(db_connection, "before_cursor_execute", keep)
    [(statement, parameters)] = ran
    return db_connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).scalars().all()


@pytest.fixture
def thousands(db_session, db_connection):
    _bulk(db_session, 3000)
    # Some closed ones, which the partial indexes leave out.
    db_session.execute(text("UPDATE organizations SET is_active = false WHERE name LIKE '%7'"))
    db_session.flush()
    db_connection.execute(text("ANALYZE organizations"))


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_each_order_is_read_from_its_index(webtest_app, db_connection, thousands, sort):
    plan = _planned(db_connection, webtest_app, {"sort": sort, "page": "3"})
    # The page: its rows read in order from the index, not every row sorted.
    limit = next(n for n, line in enumerate(plan) if line.strip().startswith("->  Limit"))
    read = plan[limit + 1]
    assert "Index Scan" in read, "\n".join(plan)
    assert any(f"using {index} on" in read for index in SORTS[sort]), "\n".join(plan)


def test_the_search_reads_the_trigram_indexes(webtest_app, db_connection, thousands):
    # Left only bitmap scans, the planner must answer ILIKE from an index that can.
    db_connection.execute(text("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off"))
    plan = "\n".join(_planned(db_connection, webtest_app, {"q": "bulk 12"}))
    assert "ix_organizations_normalized_name_trgm" in plan, plan
    assert "ix_organizations_display_name_trgm" in plan, plan


def _etag_of(webtest_app, params=None) -> str:
    return webtest_app.get(DIRECTORY, params or {}, status=200).headers["ETag"]


def test_a_matching_etag_answers_304_in_one_statement(webtest_app, db_session, three):
    first = webtest_app.get(DIRECTORY, status=200)
    etag = first.headers["ETag"]
    again = webtest_app.get(DIRECTORY, headers={"If-None-Match": etag}, status=304)
    assert again.body == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=60"
    assert again.headers["Surrogate-Key"] == "organizations-directory sponsors-footer"
    # The tag is taken from the page's one statement, so the 304 costs just that.
    assert len(again.sql_statements) == len(first.sql_statements) == 1

    # A thousand organizations more: a new tag, and the same cost to revalidate it.
    _bulk(db_session, 1000)
    db_session.flush()
    large = webtest_app.get(DIRECTORY, headers={"If-None-Match": etag}, status=200)
    assert large.headers["ETag"] != etag
    revalidated = webtest_app.get(
        DIRECTORY, headers={"If-None-Match": large.headers["ETag"]}, status=304
    )
    assert len(revalidated.sql_statements) == 1


def _approve_another(db_session, three):
    OrganizationFactory.create(name="delta", display_name="Delta Dynamics")
    return "Delta Dynamics"


def _add_a_project(db_session, three):
    _with_projects(three["alpha"], 1)
    return "Alpha Tools alpha-tools Community 2 Community"


def _verify_a_domain(db_session, three):
    OrganizationDomainFactory.create(
        organization=three["bravo"], domain="bravo.example", verified_at=func.now()
    )
    return "Verified: bravo.example"


def _rename_display(db_session, three):
    three["charlie"].display_name = "Charlie and Sons"
    return "Charlie and Sons"


def _close_one(db_session, three):
    three["charlie"].is_active = False
    return "All organizations (2)"


@pytest.mark.parametrize(
    "change",
    [_approve_another, _add_a_project, _verify_a_domain, _rename_display, _close_one],
    ids=lambda change: change.__name__.lstrip("_"),
)
def test_each_change_to_what_the_directory_shows_changes_its_etag(
    webtest_app, db_session, three, change
):
    etag = _etag_of(webtest_app)
    webtest_app.get(DIRECTORY, headers={"If-None-Match": etag}, status=304)

    shown = change(db_session, three)
    db_session.flush()

    fresh = webtest_app.get(DIRECTORY, headers={"If-None-Match": etag}, status=200)
    assert shown in " ".join(main_text(fresh).split())
    assert fresh.headers["ETag"] != etag
    webtest_app.get(DIRECTORY, headers={"If-None-Match": fresh.headers["ETag"]}, status=304)


def test_each_query_and_page_has_a_tag_of_its_own(webtest_app, db_session, three):
    _bulk(db_session, 30)
    queries = [
        {},
        {"q": "alpha"},
        {"q": "ALPHA"},
        {"type": "Company"},
        {"sort": "newest"},
        {"sort": "projects"},
        {"page": "2"},
    ]
    tags = [_etag_of(webtest_app, query) for query in queries]
    assert len(set(tags)) == len(queries)
    # A tag answers 304 only for the query it was given for.
    webtest_app.get(DIRECTORY, {"q": "alpha"}, headers={"If-None-Match": tags[1]}, status=304)
    page = webtest_app.get(
        DIRECTORY, {"q": "bravo"}, headers={"If-None-Match": tags[1]}, status=200
    )
    assert _names(page) == ["Bravo Industries"]


def test_a_change_the_page_does_not_show_keeps_its_tag(webtest_app, db_session, three):
    alpha = _etag_of(webtest_app, {"q": "alpha"})
    # Bravo's projects show neither in Alpha's row nor in the search's total.
    _with_projects(three["bravo"], 2)
    db_session.flush()
    webtest_app.get(DIRECTORY, {"q": "alpha"}, headers={"If-None-Match": alpha}, status=304)


def test_each_signed_in_visitor_has_a_tag_of_their_own(webtest_app, db_session, three):
    anonymous = _etag_of(webtest_app)
    log_in(webtest_app, UserFactory.create(username="first-visitor"))
    mine = webtest_app.get(DIRECTORY, headers={"If-None-Match": anonymous}, status=200)
    assert "first-visitor" in mine.text
    again = webtest_app.get(DIRECTORY, headers={"If-None-Match": mine.headers["ETag"]}, status=304)
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert len(again.sql_statements) == len(mine.sql_statements)

    webtest_app.reset()
    log_in(webtest_app, UserFactory.create(username="second-visitor"))
    theirs = webtest_app.get(DIRECTORY, headers={"If-None-Match": mine.headers["ETag"]}, status=200)
    assert "second-visitor" in theirs.text


def test_a_message_waiting_to_be_shown_is_never_answered_with_304(webtest_app, db_session, three):
    log_in(webtest_app, UserFactory.create())
    etag = _etag_of(webtest_app)
    # Leaves a message in the session; the redirect that would show it is not followed.
    webtest_app.get("/manage/account/totp-provision/", status=303)
    page = webtest_app.get(DIRECTORY, headers={"If-None-Match": etag}, status=200)
    assert "Two-factor authentication is already on." in main_text(page)
    # A copy with the message is not one to revalidate: shown again, it would repeat it.
    assert "ETag" not in page.headers
    webtest_app.get(DIRECTORY, headers={"If-None-Match": etag}, status=304)
