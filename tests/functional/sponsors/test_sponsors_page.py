"""/sponsors/: who sponsors the index, read from the sponsor rows."""

import pytest

from tests.common.db.sponsors import SponsorFactory
from tests.common.pages import main_text


def _text(element):
    return " ".join(element.get_text(" ").split())


def _section(page, heading_id):
    return page.html.find(id=heading_id).find_parent("section")


def _names(container):
    return [
        _text(p)
        for p in container.select(".sponsor-card:not(.sponsor-card--invite) .sponsor-card__name")
    ]


def _levels(page):
    """Each level heading of the PSF section with the sponsor names listed under it."""
    section = _section(page, "psf-sponsors-heading")
    return [
        (_text(heading), _names(heading.find_next_sibling("ul")))
        for heading in section.select("h3.sponsor-level")
    ]


def test_psf_sponsors_are_grouped_by_level_in_level_order(webtest_app, db_session):
    # Made out of order: the page orders them, not the rows' ages.
    SponsorFactory.create(
        name="Zeta Maintaining", psf_sponsor=True, level_name="Maintaining", level_order=3
    )
    SponsorFactory.create(
        name="Beta Visionary", psf_sponsor=True, level_name="Visionary", level_order=1
    )
    SponsorFactory.create(
        name="Alpha Maintaining", psf_sponsor=True, level_name="Maintaining", level_order=3
    )
    SponsorFactory.create(
        name="Gamma Sustainability", psf_sponsor=True, level_name="Sustainability", level_order=2
    )
    SponsorFactory.create(
        name="Asleep Visionary",
        psf_sponsor=True,
        level_name="Visionary",
        level_order=1,
        is_active=False,
    )
    SponsorFactory.create(name="Not A PSF Sponsor", footer=True, with_white_logo=True)

    page = webtest_app.get("/sponsors/", status=200)

    assert _levels(page) == [
        ("Visionary", ["Beta Visionary"]),
        ("Sustainability", ["Gamma Sustainability"]),
        ("Maintaining", ["Alpha Maintaining", "Zeta Maintaining"]),
    ]
    text = main_text(page)
    assert "Asleep Visionary" not in text
    assert "Not A PSF Sponsor" not in text


def test_a_level_change_in_the_rows_changes_the_page(webtest_app, db_session):
    sponsor = SponsorFactory.create(
        name="Mover", psf_sponsor=True, level_name="Visionary", level_order=1
    )
    SponsorFactory.create(name="Stayer", psf_sponsor=True, level_name="Supporting", level_order=5)
    assert _levels(webtest_app.get("/sponsors/")) == [
        ("Visionary", ["Mover"]),
        ("Supporting", ["Stayer"]),
    ]

    sponsor.level_name, sponsor.level_order = "Contributing", 9
    db_session.flush()
    assert _levels(webtest_app.get("/sponsors/")) == [
        ("Supporting", ["Stayer"]),
        ("Contributing", ["Mover"]),
    ]


def test_infrastructure_sponsors_say_what_they_donate_and_one_time_sponsors_are_listed(
    webtest_app, db_session
):
    SponsorFactory.create(
        name="Fastly Example", infra_sponsor=True, with_white_logo=True, service="Content delivery"
    )
    SponsorFactory.create(
        name="Gone Infra", infra_sponsor=True, with_white_logo=True, service="Mail", is_active=False
    )
    SponsorFactory.create(name="Audit Funder", one_time=True)

    page = webtest_app.get("/sponsors/", status=200)

    infrastructure = _section(page, "infra-sponsors-heading")
    (card,) = infrastructure.select(".sponsor-card:not(.sponsor-card--invite)")
    assert _text(card.select_one(".sponsor-card__name")) == "Fastly Example"
    assert _text(card.select_one(".sponsor-card__service")) == "Content delivery"
    assert "Gone Infra" not in main_text(page)
    assert _names(_section(page, "one-time-sponsors-heading")) == ["Audit Funder"]
    # Neither is a PSF sponsor, so that section lists nobody.
    assert _names(_section(page, "psf-sponsors-heading")) == []


def test_logos_are_in_colour_named_and_link_to_the_sponsor(webtest_app, db_session):
    SponsorFactory.create(
        name="Logo & Co",
        slug="logo-co",
        psf_sponsor=True,
        link_url="https://logo.example.com/python",
        color_logo_url="/static/sponsorlogos/logo-co-color.png",
    )
    page = webtest_app.get("/sponsors/", status=200)
    (image,) = page.html.select(".sponsor-card__logo img")
    assert image["alt"] == "Logo & Co"
    assert image["src"] == "/static/sponsorlogos/logo-co-color.png"
    link = image.find_parent("a")
    assert link["href"] == "https://logo.example.com/python"
    assert link["rel"] == ["noopener"]


def test_an_address_that_is_not_a_web_address_is_not_made_a_link(webtest_app, db_session):
    SponsorFactory.create(name="Odd Row", psf_sponsor=True, link_url="javascript:alert(1)")
    page = webtest_app.get("/sponsors/", status=200)
    assert page.html.select(".sponsor-card__logo img")[0].find_parent("a") is None
    assert "javascript:" not in page.text


def test_activity_is_markdown_rendered_and_sanitised(webtest_app, db_session):
    SponsorFactory.create(
        name="Writer",
        psf_sponsor=True,
        activity_markdown=(
            "Funds **packaging security** and [the audit](https://audit.example.com/).\n\n"
            "<script>alert('owned')</script>\n\n"
            '<img src=x onerror="alert(2)">\n\n'
            "[click](javascript:alert(3))"
        ),
    )
    page = webtest_app.get("/sponsors/", status=200)
    (activity,) = page.html.select(".sponsor-card__activity")
    assert _text(activity.find("strong")) == "packaging security"
    link = activity.find("a", string="the audit")
    assert link["href"] == "https://audit.example.com/"
    # Raw HTML never becomes markup: no script, no image, no handler, no javascript: link.
    assert activity.find("script") is None
    assert page.html.find("main").find("script") is None
    assert activity.find("img") is None
    assert not [
        tag for tag in activity.find_all(True) if any(a.startswith("on") for a in tag.attrs)
    ]
    assert all(not a.get("href", "").startswith("javascript:") for a in activity.find_all("a"))
    # What was typed is shown as text, escaped.
    assert "<script>alert('owned')</script>" in _text(activity)


def test_every_section_invites_a_company_and_the_page_says_how_to_help(webtest_app, db_session):
    page = webtest_app.get("/sponsors/", status=200)
    for heading_id in (
        "psf-sponsors-heading",
        "infra-sponsors-heading",
        "one-time-sponsors-heading",
    ):
        (invite,) = _section(page, heading_id).select(".sponsor-card--invite")
        assert invite.find("a")["href"] == "/sponsor/"
    help_links = {_text(a): a["href"] for a in _section(page, "help-heading").find_all("a")}
    assert help_links["Become a sponsor"] == "/sponsor/"
    assert help_links["Become a PSF member"] == "https://www.python.org/psf/membership/"
    assert help_links["Donate to the PSF"] == (
        "https://psfmember.org/civicrm/contribute/transact/?reset=1&id=2"
    )


@pytest.mark.parametrize("count", [1, 15])
def test_the_page_is_one_statement_however_many_sponsors(webtest_app, db_session, count):
    for n in range(count):
        SponsorFactory.create(psf_sponsor=True, level_name=f"Level {n % 3}", level_order=n % 3)
        SponsorFactory.create(infra_sponsor=True, with_white_logo=True, service="Hosting")
        SponsorFactory.create(one_time=True)
    page = webtest_app.get("/sponsors/", status=200)
    assert len(page.html.select(".sponsor-card:not(.sponsor-card--invite)")) == 3 * count
    # The footer's sponsors are already in this process (tests/conftest.py primes them), so
    # the page's own list is the only statement.
    assert len(page.sql_statements) == 1


def test_the_page_is_public_and_cacheable(webtest_app, db_session):
    page = webtest_app.get("/sponsors/", status=200)
    assert page.headers["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in page.headers["Vary"]
