"""/admin/sponsors/: PSF staff keep the sponsor list: filter it, add a sponsor with its logos,
edit one, read its history, delete it, and ask the PSF feed for a sync now."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from tests.common.db.accounts import UserFactory
from tests.common.db.sponsors import SponsorFactory
from tests.common.events import events_of
from tests.common.network import free_port
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from tests.functional.admin.sponsor_pages import (
    fill_sponsor_form,
    logo,
    new_sponsor_form,
    stored_logos,
)
from warehouse_orgs.admin.sponsor_forms import LEVEL_ORDER_RULE, SLUG_RULE, WHITE_LOGO_NEEDED
from warehouse_orgs.admin.views.sponsors import NO_FEED, SYNC_QUEUED
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.forms import REPEATED_MESSAGE
from warehouse_orgs.sponsors.models import Sponsor, SponsorFeedSync, SponsorOrigin
from warehouse_orgs.sponsors.services import SLUG_TAKEN

LIST = "/admin/sponsors/"
CREATE = "/admin/sponsors/create/"


@pytest.fixture
def psf_staff(db_session):
    return UserFactory.create(username="psf-person", is_psf_staff=True)


@pytest.fixture
def app(webtest_app, psf_staff):
    log_in(webtest_app, psf_staff)
    return webtest_app


def _detail(sponsor):
    return f"/admin/sponsors/{sponsor.id}/"


def _by_slug(db_session, slug):
    db_session.expire_all()
    return db_session.scalar(select(Sponsor).where(Sponsor.slug == slug))


def _sponsor_count(db_session):
    return db_session.scalar(select(func.count()).select_from(Sponsor))


def _csrf_token(app):
    return app.get("/").html.find("input", attrs={"name": "csrf_token"})["value"]


def _listed(page):
    return [
        row.select("td")[1].find("a").text for row in page.html.select("#sponsors-table tbody tr")
    ]


# Adding


def test_psf_staff_add_a_sponsor_with_a_png_and_an_svg_logo(app, db_session, app_registry):
    before = stored_logos(app_registry)
    form = new_sponsor_form(
        app,
        name="Acme Widgets",
        service="Mirrors and bandwidth",
        activity_markdown="Runs **mirrors** for [everyone](https://acme.example.com/m).",
        level_name="Visionary",
        level_order="3",
        psf_sponsor=True,
        footer=True,
        white_logo=("white.svg", logo("logo.svg"), "image/svg+xml"),
    )
    response = form.submit(status=303)

    sponsor = _by_slug(db_session, "acme-widgets")  # the slug was made from the name
    assert response.location == f"http://localhost{_detail(sponsor)}"
    assert (sponsor.name, sponsor.link_url, sponsor.service) == (
        "Acme Widgets",
        "https://acme.example.com/",
        "Mirrors and bandwidth",
    )
    assert (sponsor.level_name, sponsor.level_order) == ("Visionary", 3)
    flags = ("is_active", "psf_sponsor", "footer", "infra_sponsor", "one_time")
    assert [getattr(sponsor, flag) for flag in flags] == [True, True, True, False, False]
    assert sponsor.origin == SponsorOrigin.Manual

    # Both files are in storage, named for the sponsor, and the site serves them as they were.
    added = stored_logos(app_registry) - before
    assert {name.rsplit("-", 1)[0] for name in added} == {
        "acme-widgets-color",
        "acme-widgets-white",
    }
    assert sponsor.color_logo_url.startswith("/static/sponsorlogos/acme-widgets-color-")
    assert sponsor.color_logo_url.endswith(".png")
    assert sponsor.white_logo_url.endswith(".svg")
    colour = app.get(sponsor.color_logo_url, status=200)
    assert (colour.body, colour.content_type) == (logo("logo.png"), "image/png")
    white = app.get(sponsor.white_logo_url, status=200)
    assert (white.body, white.content_type) == (logo("logo.svg"), "image/svg+xml")

    [event] = events_of(db_session, sponsor)
    assert event.tag == EventTag.SponsorCreate
    assert event.acted_as_staff
    assert event.additional["name"] == "Acme Widgets"

    page = response.follow()
    assert "The sponsor Acme Widgets is added." in main_text(page)
    assert "PyPI staff (psf-person) added the sponsor Acme Widgets" in main_text(page)
    preview = page.html.find(id="activity-preview")
    assert preview.find("strong").text == "mirrors"
    assert preview.find("a")["href"] == "https://acme.example.com/m"

    listing = app.get(LIST)
    assert _listed(listing) == ["Acme Widgets"]
    row = listing.html.select_one("#sponsors-table tbody tr")
    assert row.find("img")["src"] == sponsor.color_logo_url
    assert [badge.text for badge in row.select(".badge")] == ["PSF", "Footer", "Active"]
    assert "Added by staff" in row.get_text()


def test_a_slug_given_is_kept(app, db_session):
    new_sponsor_form(app, name="Acme Widgets", slug="acme").submit(status=303)
    assert _by_slug(db_session, "acme").name == "Acme Widgets"


def test_a_slug_another_sponsor_has_is_refused_and_nothing_is_stored(app, db_session, app_registry):
    SponsorFactory.create(slug="acme")
    before = stored_logos(app_registry)
    response = new_sponsor_form(app, slug="acme").submit(status=409)
    assert field_error(response, "slug") == SLUG_TAKEN
    assert _sponsor_count(db_session) == 1
    assert stored_logos(app_registry) == before


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the sponsor's name."),
        ({"name": "x" * 101}, "name", "Use at most 100 characters."),
        ({"slug": "Not A Slug"}, "slug", SLUG_RULE),
        ({"slug": "double--hyphen"}, "slug", SLUG_RULE),
        ({"slug": "a" * 101}, "slug", "Use at most 100 characters."),
        ({"name": "!!!"}, "slug", "The name has no letters or digits to make a slug from"),
        ({"link_url": ""}, "link_url", "Enter the sponsor's website."),
        ({"link_url": "javascript:alert(1)"}, "link_url", "Use an address starting with"),
        ({"link_url": "ftp://acme.example.com/"}, "link_url", "Use an address starting with"),
        ({"link_url": "https://a b.example/"}, "link_url", "A web address has no spaces"),
        ({"link_url": "https://[::1/"}, "link_url", "This is not a web address."),
        ({"link_url": "https://e.example/" + "a" * 1000}, "link_url", "Use at most 1000"),
        ({"service": "s" * 257}, "service", "Use at most 256 characters."),
        ({"activity_markdown": "m" * 5001}, "activity_markdown", "Use at most 5000"),
        ({"level_name": "l" * 101}, "level_name", "Use at most 100 characters."),
        ({"level_order": "first"}, "level_order", LEVEL_ORDER_RULE),
        ({"level_order": "1000001"}, "level_order", LEVEL_ORDER_RULE),
        ({"level_order": ""}, "level_order", LEVEL_ORDER_RULE),
        ({"footer": True}, "white_logo", WHITE_LOGO_NEEDED),
        ({"infra_sponsor": True}, "white_logo", WHITE_LOGO_NEEDED),
        ({"color_logo": ("", b"", "")}, "color_logo", "Choose the colour logo"),
    ],
)
def test_a_refused_sponsor_says_why_beside_the_field_and_stores_nothing(
    app, db_session, app_registry, values, field, message
):
    before = stored_logos(app_registry)
    response = new_sponsor_form(app, **values).submit(status=400)
    assert message in field_error(response, field)
    assert "There is a problem with what you sent; nothing was changed." in response.text
    assert _sponsor_count(db_session) == 0
    assert stored_logos(app_registry) == before


def test_the_activity_counts_a_line_break_as_one_character(app, db_session):
    text = ("m" * 99 + "\r\n") * 50  # 5000 characters once each break is one
    new_sponsor_form(app, activity_markdown=text).submit(status=303)
    assert len(_by_slug(db_session, "acme-widgets").activity_markdown) == 4999


# Editing


def test_editing_a_sponsor_saves_what_changed_and_records_which_fields(
    app, db_session, app_registry
):
    sponsor = SponsorFactory.create(name="Acme", slug="acme", psf_sponsor=True)
    colour_before = sponsor.color_logo_url
    form = app.get(_detail(sponsor)).forms["sponsor-form"]
    assert (form["name"].value, form["slug"].value) == ("Acme", "acme")
    assert [form[flag].checked for flag in ("psf_sponsor", "is_active", "footer")] == [
        True,
        True,
        False,
    ]
    fill_sponsor_form(
        form,
        level_name="Gold",
        footer=True,
        white_logo=("white.png", logo("logo.png"), "image/png"),
    )
    response = form.submit(status=303)
    assert response.location == f"http://localhost{_detail(sponsor)}"
    page = response.follow()
    assert "Acme: “In the footer of every page”, “Level”, the white logo saved." in main_text(page)

    sponsor = _by_slug(db_session, "acme")
    assert (sponsor.level_name, sponsor.footer) == ("Gold", True)
    assert sponsor.white_logo_url.startswith("/static/sponsorlogos/acme-white-")
    assert sponsor.color_logo_url == colour_before
    [event] = events_of(db_session, sponsor)
    assert event.tag == EventTag.SponsorUpdate
    assert event.acted_as_staff
    assert event.additional["fields"] == ["footer", "level_name", "white_logo_url"]
    first_entry = page.html.select_one("#events-heading ~ table tbody tr").get_text(" ")
    assert "PyPI staff (psf-person) changed" in first_entry
    assert app.get(sponsor.white_logo_url).body == logo("logo.png")


def test_saving_an_unchanged_sponsor_records_nothing(app, db_session):
    sponsor = SponsorFactory.create(name="Acme", slug="acme")
    response = app.get(_detail(sponsor)).forms["sponsor-form"].submit(status=303)
    assert "Nothing changed for Acme." in main_text(response.follow())
    assert events_of(db_session, sponsor) == []


def test_a_new_colour_logo_replaces_the_old_one(app, db_session):
    sponsor = SponsorFactory.create(name="Acme", slug="acme")
    form = app.get(_detail(sponsor)).forms["sponsor-form"]
    fill_sponsor_form(form, color_logo=("logo.svg", logo("logo.svg"), "image/svg+xml"))
    form.submit(status=303)
    sponsor = _by_slug(db_session, "acme")
    assert sponsor.color_logo_url.startswith("/static/sponsorlogos/acme-color-")
    assert app.get(sponsor.color_logo_url).body == logo("logo.svg")
    assert events_of(db_session, sponsor)[-1].additional["fields"] == ["color_logo_url"]


def test_the_white_logo_is_removed_only_where_nothing_needs_it(app, db_session):
    sponsor = SponsorFactory.create(slug="acme", footer=True, with_white_logo=True)
    form = fill_sponsor_form(
        app.get(_detail(sponsor)).forms["sponsor-form"], remove_white_logo=True
    )
    response = form.submit(status=400)
    assert field_error(response, "white_logo") == WHITE_LOGO_NEEDED
    assert _by_slug(db_session, "acme").white_logo_url is not None

    form = app.get(_detail(sponsor)).forms["sponsor-form"]
    fill_sponsor_form(form, remove_white_logo=True, footer=False)
    form.submit(status=303)
    sponsor = _by_slug(db_session, "acme")
    assert (sponsor.white_logo_url, sponsor.footer) == (None, False)


def test_editing_a_feed_sponsor_makes_it_staffs(app, db_session):
    sponsor = SponsorFactory.create(
        name="Feedco", slug="feedco", origin=SponsorOrigin.Feed.value, psf_sponsor=True
    )
    page = app.get(_detail(sponsor))
    assert "the hourly sync keeps it up to date" in main_text(page)
    form = fill_sponsor_form(page.forms["sponsor-form"], level_name="Silver")
    message = main_text(form.submit(status=303).follow())
    assert "its origin (now kept by staff, no longer by the feed)" in message
    assert _by_slug(db_session, "feedco").origin == SponsorOrigin.Manual


def test_a_slug_another_sponsor_has_is_refused_on_edit(app, db_session, app_registry):
    SponsorFactory.create(slug="taken")
    sponsor = SponsorFactory.create(slug="acme")
    before = stored_logos(app_registry)
    form = fill_sponsor_form(
        app.get(_detail(sponsor)).forms["sponsor-form"],
        slug="taken",
        color_logo=("logo.webp", logo("logo.webp"), "image/webp"),
    )
    response = form.submit(status=409)
    assert field_error(response, "slug") == SLUG_TAKEN
    assert _by_slug(db_session, "acme") is not None
    assert stored_logos(app_registry) == before


@pytest.mark.parametrize("address", ["/admin/sponsors/nope/", f"/admin/sponsors/{'0' * 32}/"])
def test_an_unknown_sponsor_is_a_404(app, address):
    response = app.get(address, status=404)
    assert main_text(response).startswith("Error 404 Page not found")


# Deleting


def test_deleting_a_sponsor_takes_its_name_typed(app, db_session, psf_staff):
    sponsor = SponsorFactory.create(name="Acme Widgets", slug="acme")
    form = app.get(_detail(sponsor)).forms["delete-sponsor"]
    form["confirm"] = "Acme Widgets"
    response = form.submit(status=303)
    assert response.location == f"http://localhost{LIST}"
    assert "The sponsor Acme Widgets is deleted" in main_text(response.follow())
    assert _by_slug(db_session, "acme") is None
    deletion = events_of(db_session, psf_staff)[-1]
    assert deletion.tag == EventTag.AccountSponsorDelete
    assert deletion.additional["name"] == "Acme Widgets"
    assert deletion.acted_as_staff


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Type Acme Widgets to confirm."),
        ("Acme", "That does not match. Type Acme Widgets to confirm."),
        ("Acme Widgets Inc", "That does not match. Type Acme Widgets to confirm."),
    ],
)
def test_a_wrong_name_deletes_nothing(app, db_session, typed, message):
    sponsor = SponsorFactory.create(name="Acme Widgets", slug="acme")
    form = app.get(_detail(sponsor)).forms["delete-sponsor"]
    form["confirm"] = typed
    response = form.submit(status=400)
    assert field_error(response, "delete-sponsor-confirm") == message
    assert response.html.find(id="delete-sponsor-disclosure").has_attr("open")
    assert _by_slug(db_session, "acme") is not None


# The list


@pytest.fixture
def catalog(db_session):
    SponsorFactory.create(
        name="Alpha Cloud", slug="alpha-cloud", infra_sponsor=True, with_white_logo=True
    )
    SponsorFactory.create(
        name="Beta Bank", slug="beta", psf_sponsor=True, footer=True, with_white_logo=True
    )
    SponsorFactory.create(name="Gamma 100%", slug="gamma", psf_sponsor=True, is_active=False)
    SponsorFactory.create(name="Delta_Co", slug="delta-co", one_time=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Alpha Cloud", "Beta Bank", "Delta_Co", "Gamma 100%"]),
        ("?q=alpha", ["Alpha Cloud"]),
        ("?q=BANK", ["Beta Bank"]),
        ("?q=delta-co", ["Delta_Co"]),  # the slug
        ("?q=%25", ["Gamma 100%"]),  # wildcards are literal
        ("?q=_", ["Delta_Co"]),
        ("?kind=psf", ["Beta Bank", "Gamma 100%"]),
        ("?kind=infra", ["Alpha Cloud"]),
        ("?kind=one_time", ["Delta_Co"]),
        ("?kind=footer", ["Beta Bank"]),
        ("?active=no", ["Gamma 100%"]),
        ("?active=yes&kind=psf", ["Beta Bank"]),
        ("?q=zeta", []),
    ],
)
def test_the_list_filters_by_name_kind_and_activity(app, catalog, query, expected):
    page = app.get(LIST + query, status=200)
    assert _listed(page) == expected
    if not expected:
        assert "No sponsor matches." in main_text(page)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?kind=gold", "kind", "Choose one of the kinds listed."),
        ("?active=maybe", "active", "Choose active, not active or any."),
        ("?q=" + "x" * 101, "q", "Use at most 100 characters."),
        ("?kind=psf&kind=infra", "kind", REPEATED_MESSAGE),
    ],
)
def test_a_filter_out_of_bounds_is_a_400_beside_it(app, catalog, query, field, message):
    response = app.get(LIST + query, status=400)
    assert field_error(response, field) == message
    assert response.html.find(id="sponsors-table") is None


@pytest.mark.parametrize("page_number", ["0", "-1", "x", "10001", "²"])
def test_a_page_number_out_of_bounds_is_a_400(app, page_number):
    response = app.get(LIST, {"page": page_number}, status=400)
    assert "The page number must be a whole number from 1 to 10000." in main_text(response)


def test_the_list_comes_in_pages_for_the_same_statements_whatever_its_length(app, db_session):
    db_session.add_all(SponsorFeedSync(succeeded=bool(n % 2), message=f"run {n}") for n in range(7))
    SponsorFactory.create_batch(3, psf_sponsor=True, with_white_logo=True, footer=True)
    few = app.get(LIST + "?kind=psf")
    assert len(_listed(few)) == 3
    SponsorFactory.create_batch(27, psf_sponsor=True)
    first = app.get(LIST + "?kind=psf")
    assert len(_listed(first)) == 25
    assert len(first.sql_statements) == len(few.sql_statements)
    assert "Showing 1\N{EN DASH}25 of 30" in main_text(first)
    second = first.click(linkid=None, href="page=2")
    assert len(_listed(second)) == 5
    assert "kind=psf" in urlsplit(second.request.url).query


# The sponsor's page


def test_a_sponsors_page_costs_the_same_statements_however_long_its_history(app, db_session):
    sponsor = SponsorFactory.create(slug="acme")
    db_session.add(Sponsor.Event(source_id=sponsor.id, tag=EventTag.SponsorCreate, additional={}))
    db_session.flush()
    short = app.get(_detail(sponsor))
    db_session.add_all(
        Sponsor.Event(
            source_id=sponsor.id, tag=EventTag.SponsorUpdate, additional={"fields": ["name"]}
        )
        for _ in range(40)
    )
    db_session.flush()
    long = app.get(_detail(sponsor))
    assert len(long.sql_statements) == len(short.sql_statements)
    assert len(long.html.select("#events-heading ~ table tbody tr")) == 25
    assert "Showing 1\N{EN DASH}25 of 41" in main_text(long)


# The PSF feed


def test_without_a_feed_the_panel_says_so_and_offers_no_sync(app, db_session):
    page = app.get(LIST)
    assert "No PSF feed is configured on this site" in main_text(page)
    assert "sponsor-sync-form" not in page.forms
    response = app.post("/admin/sponsors/sync/", {"csrf_token": _csrf_token(app)}, status=409)
    assert NO_FEED in main_text(response)
    assert db_session.scalar(select(func.count()).select_from(SponsorFeedSync)) == 0


@pytest.fixture
def unreachable_feed(app_registry):
    """A feed configured at an address where nothing answers."""
    settings = app_registry.settings
    url = f"http://127.0.0.1:{free_port()}/sponsors.json"
    settings.update({"sponsors.feed_url": url, "sponsors.feed_token": "feed-token"})
    try:
        yield url
    finally:
        settings.pop("sponsors.feed_url")
        settings.pop("sponsors.feed_token")


def test_sync_now_runs_the_sync_and_its_refusal_shows_on_the_list(
    app, db_session, unreachable_feed
):
    SponsorFactory.create(name="Kept", slug="kept", psf_sponsor=True)
    response = app.get(LIST).forms["sponsor-sync-form"].submit(status=303)
    assert response.location == f"http://localhost{LIST}"
    page = response.follow()
    assert SYNC_QUEUED in main_text(page)
    [latest] = page.html.select("#syncs-table tbody tr")
    assert "Refused" in latest.get_text()
    assert "Nothing was changed" in latest.get_text()
    assert unreachable_feed in latest.get_text()
    [sync] = db_session.scalars(select(SponsorFeedSync)).all()
    assert not sync.succeeded
    assert _by_slug(db_session, "kept").psf_sponsor


# Who may


@pytest.fixture
def sponsor(db_session):
    return SponsorFactory.create(name="Acme", slug="acme")


def _addresses(sponsor):
    return [
        ("GET", LIST),
        ("GET", CREATE),
        ("GET", _detail(sponsor)),
        ("POST", CREATE),
        ("POST", _detail(sponsor)),
        ("POST", f"{_detail(sponsor)}delete/"),
        ("POST", "/admin/sponsors/sync/"),
    ]


@pytest.mark.parametrize(
    "flags",
    [{}, {"is_moderator": True}, {"is_support": True}],
    ids=["user", "moderator", "support"],
)
def test_only_psf_staff_and_admins_reach_the_sponsor_pages(webtest_app, db_session, sponsor, flags):
    log_in(webtest_app, UserFactory.create(**flags))
    token = _csrf_token(webtest_app)
    for method, address in _addresses(sponsor):
        if method == "GET":
            response = webtest_app.get(address, status=403)
        else:
            response = webtest_app.post(address, {"csrf_token": token}, status=403)
        assert "You do not have permission to see this page." in main_text(response)
    assert _by_slug(db_session, "acme").name == "Acme"


def test_admins_reach_the_sponsor_pages(webtest_app, db_session, sponsor):
    log_in(webtest_app, UserFactory.create(is_superuser=True))
    for method, address in _addresses(sponsor):
        if method == "GET":
            page = webtest_app.get(address, status=200)
            assert page.html.find("nav", attrs={"aria-label": "Sponsors"})


def test_visitors_are_sent_to_log_in(webtest_app, sponsor):
    for method, address in _addresses(sponsor):
        if method == "GET":
            response = webtest_app.get(address, status=303)
            assert urlsplit(response.location).path == "/account/login/"
