"""Each page a shared cache may keep names, in ``Surrogate-Key``, what it shows: the keys whose
purge refreshes it (tests/unit/cache/test_keys.py: which changes purge which keys)."""

from tests.common.db.organizations import OrganizationFactory, OrganizationProjectFactory
from tests.common.db.packaging import ProjectFactory


def test_a_project_page_names_the_project_and_the_footer(webtest_app, db_session):
    ProjectFactory.create(name="Widget_Tools")
    response = webtest_app.get("/project/Widget_Tools/", status=200)
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Surrogate-Key"] == "project-widget-tools sponsors-footer"


def test_a_project_redirect_is_purged_with_the_project(webtest_app, db_session):
    project = ProjectFactory.create(name="Widget")
    OrganizationProjectFactory.create(organization=OrganizationFactory.create(), project=project)
    response = webtest_app.get("/project/WIDGET/", status=301)
    assert response.headers["Surrogate-Key"] == "project-widget sponsors-footer"


def test_the_sponsors_page_names_itself_and_the_footer(webtest_app):
    response = webtest_app.get("/sponsors/", status=200)
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Surrogate-Key"] == "sponsors sponsors-footer"


def test_a_page_no_shared_cache_keeps_names_no_keys(webtest_app):
    response = webtest_app.get("/", status=200)
    assert "public" not in response.headers.get("Cache-Control", "")
    assert "Surrogate-Key" not in response.headers
