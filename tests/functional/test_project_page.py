"""/project/<name>/: the public page of a project."""

import datetime

import pytest

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationProjectFactory
from tests.common.db.packaging import ProjectFactory, RoleFactory
from tests.common.pages import main_text
from tests.common.sessions import log_in
from warehouse_orgs.packaging import MAINTAINERS_SHOWN
from warehouse_orgs.packaging.models import ProjectRoleName
from warehouse_orgs.sessions import SESSION_COOKIE_NAME


@pytest.fixture
def project(db_session):
    project = ProjectFactory.create(name="Sample_Project", description="Does sample things.")
    RoleFactory.create(project=project, user__username="alice", role_name=ProjectRoleName.Owner)
    RoleFactory.create(project=project, user__username="bob", role_name=ProjectRoleName.Maintainer)
    return project


def test_anyone_sees_the_name_description_and_maintainers(webtest_app, project):
    page = webtest_app.get("/project/Sample_Project/", status=200)
    assert page.html.find("h1").text == "Sample_Project"
    text = main_text(page)
    assert "Does sample things." in text
    maintainers = [" ".join(li.get_text(" ").split()) for li in page.html.select(".maintainers li")]
    assert maintainers == ["alice Owner", "bob Maintainer"]


def test_the_page_is_cacheable_and_sets_no_cookie(webtest_app, project):
    page = webtest_app.get("/project/Sample_Project/")
    assert page.headers["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in page.headers["Vary"]
    assert "Set-Cookie" not in page.headers
    assert not webtest_app.cookies


def test_other_spellings_redirect_permanently_to_the_canonical_name(webtest_app, project):
    for spelling in ("sample-project", "SAMPLE.PROJECT", "sample__project"):
        response = webtest_app.get(f"/project/{spelling}/", status=301)
        assert response.location == "http://localhost/project/Sample_Project/"
        assert "Set-Cookie" not in response.headers


def test_a_missing_project_is_not_found(webtest_app, project):
    response = webtest_app.get("/project/no-such-project/", status=404)
    assert "There is nothing at this address." in main_text(response)
    webtest_app.get(f"/project/{'a' * 500}/", status=404)


def test_a_signed_in_visitors_copy_is_not_shared(webtest_app, project):
    user = UserFactory.create()
    log_in(webtest_app, user)
    page = webtest_app.get("/project/Sample_Project/")
    # The header carries their username and a logout token.
    assert user.username in page.text
    assert page.headers["Cache-Control"] == "private, no-cache"
    assert SESSION_COOKIE_NAME in webtest_app.cookies


def test_the_page_takes_one_statement_however_many_maintainers(webtest_app, project):
    few = webtest_app.get("/project/Sample_Project/")
    for _ in range(13):
        RoleFactory.create(project=project, role_name=ProjectRoleName.Maintainer)
    many = webtest_app.get("/project/Sample_Project/")
    assert len(many.html.select(".maintainers li")) == 15
    # The project with its first maintainers and how many there are, the organization it is
    # in, for "Part of", and the members of its teams who chose to be listed
    # (tests/functional/test_team_maintainer_listing.py). What its organization grants (its
    # Owners and teams) and its roles are asked only by a permission check, which a visitor's
    # page makes none of.
    assert len(few.sql_statements) == len(many.sql_statements) == 1


def test_a_project_with_many_maintainers_lists_the_first_and_counts_the_rest(webtest_app, project):
    # Added after alice and bob, one a second (in one transaction, now() would tie them).
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=1)
    for n in range(MAINTAINERS_SHOWN + 5):
        RoleFactory.create(
            project=project,
            user__username=f"helper{n:03}",
            role_name=ProjectRoleName.Maintainer,
            created=later + datetime.timedelta(seconds=n),
        )
    page = webtest_app.get("/project/Sample_Project/")
    maintainers = [" ".join(li.get_text(" ").split()) for li in page.html.select(".maintainers li")]
    # Owners first, then in the order they were added.
    assert maintainers[:3] == ["alice Owner", "bob Maintainer", "helper000 Maintainer"]
    assert len(maintainers) == MAINTAINERS_SHOWN
    assert maintainers[-1] == f"helper{MAINTAINERS_SHOWN - 3:03} Maintainer"
    (more,) = page.html.select(".maintainers-more")
    assert more.get_text(strip=True) == "And 7 more."
    assert "Nobody is listed" not in main_text(page)


def test_a_project_with_few_maintainers_says_nothing_of_more(webtest_app, project):
    page = webtest_app.get("/project/Sample_Project/")
    assert not page.html.select(".maintainers-more")


def test_a_project_nobody_holds_a_role_on_says_so(webtest_app, db_session):
    ProjectFactory.create(name="orphan")
    page = webtest_app.get("/project/orphan/")
    assert not page.html.select(".maintainers li")
    assert "Nobody is listed." in main_text(page)


def test_a_project_in_an_organization_says_so_with_a_link(webtest_app, project):
    organization = OrganizationFactory.create(name="sample-org", display_name="Sample Org Ltd")
    OrganizationProjectFactory.create(organization=organization, project=project)
    page = webtest_app.get("/project/Sample_Project/")
    (part_of,) = page.html.select(".project-owner")
    assert " ".join(part_of.get_text(" ").split()) == "Part of Sample Org Ltd"
    assert part_of.find("a")["href"] == "/org/sample-org/"
    webtest_app.get(part_of.find("a")["href"], status=200)
    assert len(page.sql_statements) == 1


def test_a_personal_project_names_no_organization(webtest_app, project):
    # Another organization, with projects of its own, changes nothing here.
    OrganizationProjectFactory.create(organization=OrganizationFactory.create())
    page = webtest_app.get("/project/Sample_Project/")
    assert not page.html.select(".project-owner")
    assert "Part of" not in main_text(page)


def test_an_inactive_organization_is_not_named(webtest_app, project):
    organization = OrganizationFactory.create(display_name="Closed Org", is_active=False)
    OrganizationProjectFactory.create(organization=organization, project=project)
    page = webtest_app.get("/project/Sample_Project/")
    assert not page.html.select(".project-owner")
    assert "Closed Org" not in page.text
