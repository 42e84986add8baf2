"""The sponsors in the footer of every page: who is shown, what it costs (no statement while
this process has them, exactly one when it must load them, none on an error page), and the
pages that show none: a Company organization's, and its projects'."""

import pytest

from tests.common.db.organizations import OrganizationFactory, OrganizationProjectFactory
from tests.common.db.packaging import ProjectFactory
from tests.common.db.sponsors import SponsorFactory
from warehouse_orgs.sponsors.footer import FOOTER_CACHE_KEY


def _text(element):
    return " ".join(element.get_text(" ").split())


def _footer_sponsors(page):
    """(name from the logo's alt text, caption, link) of each sponsor in the footer."""
    return [
        (
            item.find("img")["alt"],
            _text(item.select_one(".sponsor-band__caption")),
            item.find("a")["href"] if item.find("a") else None,
        )
        for item in page.html.select("footer .sponsor-band__item")
    ]


def _sponsor_statements(page):
    return [s for s in page.sql_statements if "FROM sponsors" in s]


@pytest.fixture
def footer_cache(app_registry):
    return app_registry[FOOTER_CACHE_KEY]


@pytest.fixture
def shown(db_session, footer_cache):
    """Two sponsors the footer shows, others it does not; the cache forgotten, as a sponsor
    change committing in this process would."""
    SponsorFactory.create(
        name="Bandwidth Co",
        slug="bandwidth-co",
        infra_sponsor=True,
        with_white_logo=True,
        service="Content delivery",
        link_url="https://bandwidth.example.com/",
    )
    SponsorFactory.create(
        name="Acme Footer",
        slug="acme-footer",
        footer=True,
        psf_sponsor=True,
        with_white_logo=True,
        link_url="https://acme.example.com/",
    )
    SponsorFactory.create(name="Only On Sponsors Page", psf_sponsor=True, with_white_logo=True)
    SponsorFactory.create(name="Asleep", footer=True, with_white_logo=True, is_active=False)
    SponsorFactory.create(name="One Timer", one_time=True)
    footer_cache.forget()


@pytest.fixture
def community_project(db_session):
    organization = OrganizationFactory.create(name="snake-friends", orgtype="Community")
    project = ProjectFactory.create(name="friendly")
    OrganizationProjectFactory.create(organization=organization, project=project)
    return project


@pytest.fixture
def company_project(db_session):
    organization = OrganizationFactory.create(name="megacorp", orgtype="Company")
    project = ProjectFactory.create(name="corporate-thing")
    OrganizationProjectFactory.create(organization=organization, project=project)
    return project


def test_the_footer_shows_footer_and_infrastructure_sponsors_with_white_logos(webtest_app, shown):
    page = webtest_app.get("/", status=200)
    assert _footer_sponsors(page) == [
        ("Acme Footer", "PSF sponsor", "https://acme.example.com/"),
        ("Bandwidth Co", "Content delivery", "https://bandwidth.example.com/"),
    ]
    band = page.html.select_one("footer .sponsor-band")
    assert [img["src"] for img in band.find_all("img")] == [
        "/static/sponsorlogos/acme-footer-white.png",
        "/static/sponsorlogos/bandwidth-co-white.png",
    ]
    assert all(a["rel"] == ["noopener"] for a in band.select(".sponsor-band__item a"))
    assert band.find("a", string="All our sponsors, and how to join them")["href"] == "/sponsors/"


def test_no_sponsor_no_band_but_a_link_to_the_sponsors(webtest_app, db_session):
    page = webtest_app.get("/", status=200)
    assert page.html.select("footer .sponsor-band") == []
    links = {_text(a): a["href"] for a in page.html.find("footer").find_all("a")}
    assert links["Sponsors"] == "/sponsors/"
    assert links["Sponsor the index"] == "/sponsor/"


@pytest.mark.parametrize(
    "path",
    ["/", "/sponsor/", "/org/snake-friends/", "/project/friendly/", "/account/login/"],
)
def test_the_footer_costs_one_statement_cold_and_none_warm(
    webtest_app, shown, community_project, footer_cache, path
):
    cold = webtest_app.get(path, status=200)
    warm = webtest_app.get(path, status=200)
    assert len(_footer_sponsors(cold)) == len(_footer_sponsors(warm)) == 2
    assert len(_sponsor_statements(cold)) == 1
    assert len(cold.sql_statements) == len(warm.sql_statements) + 1

    footer_cache.forget()
    again = webtest_app.get(path, status=200)
    assert len(again.sql_statements) == len(cold.sql_statements)


def test_the_footer_statement_does_not_grow_with_the_sponsors(
    webtest_app, db_session, shown, footer_cache
):
    few = webtest_app.get("/", status=200)
    for _ in range(15):
        SponsorFactory.create(footer=True, with_white_logo=True)
    footer_cache.forget()
    many = webtest_app.get("/", status=200)
    assert len(_footer_sponsors(many)) == 17
    assert len(many.sql_statements) == len(few.sql_statements)


def test_an_error_page_never_loads_the_sponsors(webtest_app, shown, footer_cache):
    missing = webtest_app.get("/no-such-page/", status=404)
    assert _sponsor_statements(missing) == []
    # Nothing loaded, so nothing shown; the next ordinary page loads them.
    assert _footer_sponsors(missing) == []
    assert len(_sponsor_statements(webtest_app.get("/", status=200))) == 1
    # Once this process has them, an error page shows them, still without asking.
    missing = webtest_app.get("/org/nobody-here/", status=404)
    assert _sponsor_statements(missing) == []
    assert len(_footer_sponsors(missing)) == 2


def test_a_community_organization_page_shows_the_sponsors(webtest_app, shown, community_project):
    page = webtest_app.get("/org/snake-friends/", status=200)
    assert len(_footer_sponsors(page)) == 2


def test_a_company_organization_page_shows_no_sponsor_and_never_asks(
    webtest_app, shown, company_project
):
    page = webtest_app.get("/org/megacorp/", status=200)
    assert page.html.select(".sponsor-band") == []
    assert "Bandwidth Co" not in page.text
    assert _sponsor_statements(page) == []


def test_a_company_organizations_project_shows_no_sponsor(
    webtest_app, shown, company_project, community_project
):
    page = webtest_app.get("/project/corporate-thing/", status=200)
    assert "Part of Megacorp" in _text(page.html.find("main"))
    assert page.html.select(".sponsor-band") == []
    assert _sponsor_statements(page) == []
    # The Community organization's project and a project in no organization do show them.
    assert len(_footer_sponsors(webtest_app.get("/project/friendly/", status=200))) == 2
    ProjectFactory.create(name="loner")
    assert len(_footer_sponsors(webtest_app.get("/project/loner/", status=200))) == 2


def test_the_organization_page_etag_follows_the_footer(
    webtest_app, db_session, footer_cache, community_project, company_project
):
    community_before = webtest_app.get("/org/snake-friends/", status=200).headers["ETag"]
    company_before = webtest_app.get("/org/megacorp/", status=200).headers["ETag"]
    # The same footer: the same tag, and a revalidation is answered without a body.
    webtest_app.get("/org/snake-friends/", headers={"If-None-Match": community_before}, status=304)

    SponsorFactory.create(name="Newcomer", footer=True, with_white_logo=True)
    footer_cache.forget()

    community_after = webtest_app.get(
        "/org/snake-friends/", headers={"If-None-Match": community_before}, status=200
    )
    assert community_after.headers["ETag"] != community_before
    assert [name for name, _, _ in _footer_sponsors(community_after)] == ["Newcomer"]
    # A Company organization's page shows no sponsor, so its tag does not move.
    webtest_app.get("/org/megacorp/", headers={"If-None-Match": company_before}, status=304)
