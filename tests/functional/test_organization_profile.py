"""/org/<name>/: an organization's public page, its caching headers and its redirects."""

import pytest

from tests.common.concurrency import service_request
from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.db.packaging import ProjectFactory, RoleFactory
from tests.common.pages import main_text
from tests.common.sessions import log_in
from warehouse_orgs.organizations.models import OrganizationProject
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.services import DatabaseOrganizationService
from warehouse_orgs.sessions import SESSION_COOKIE_NAME


@pytest.fixture
def organization(db_session):
    organization = OrganizationFactory.create(
        name="Acme-Tools",
        display_name="Acme Tools",
        orgtype="Company",
        link_url="https://acme.example.com/",
        description="Tools for everyone.",
    )
    OrganizationRoleFactory.create(organization=organization)
    return organization


def _add_members_and_projects(db_session, organization, count, start=0):
    for n in range(start, start + count):
        OrganizationRoleFactory.create(
            organization=organization, role_name=OrganizationRoleType.Member
        )
        project = ProjectFactory.create(name=f"acme-project-{n:02}")
        db_session.add(OrganizationProject(organization_id=organization.id, project_id=project.id))
    db_session.flush()


def test_the_page_shows_the_organization_and_its_projects(webtest_app, db_session, organization):
    _add_members_and_projects(db_session, organization, 2)
    response = webtest_app.get("/org/Acme-Tools/", status=200)
    text = main_text(response)
    assert "Acme Tools Company" in text
    assert "Tools for everyone." in text
    assert "https://acme.example.com/" in text
    assert "Members 3" in text
    assert "acme-project-00" in text
    assert "acme-project-01" in text
    assert response.html.find("time")["datetime"].startswith(str(organization.created.year))


def test_public_caching_headers_and_no_cookie(webtest_app, organization):
    response = webtest_app.get("/org/Acme-Tools/", status=200)
    assert response.headers["Cache-Control"] == "public, max-age=60"
    # Its own key, and the footer's, which every cached page shows.
    assert response.headers["Surrogate-Key"] == "org-acme-tools sponsors-footer"
    assert response.headers["Vary"] == "Cookie"
    assert response.headers["ETag"]
    assert SESSION_COOKIE_NAME not in response.headers.get("Set-Cookie", "")


def test_a_signed_in_copy_is_private(webtest_app, db_session, organization):
    log_in(webtest_app, UserFactory.create())
    response = webtest_app.get("/org/Acme-Tools/", status=200)
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_a_matching_etag_answers_304_without_a_body(webtest_app, db_session, organization):
    first = webtest_app.get("/org/Acme-Tools/", status=200)
    etag = first.headers["ETag"]
    again = webtest_app.get("/org/Acme-Tools/", headers={"If-None-Match": etag}, status=304)
    assert again.body == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Surrogate-Key"] == "org-acme-tools sponsors-footer"

    # A change to what the page shows changes the tag.
    _add_members_and_projects(db_session, organization, 1, start=50)
    webtest_app.get("/org/Acme-Tools/", headers={"If-None-Match": etag}, status=200)
    webtest_app.get("/org/Acme-Tools/?page=2", headers={"If-None-Match": etag}, status=200)


def _link(db_session, organization, name, description=""):
    project = ProjectFactory.create(name=name, description=description)
    link = OrganizationProject(organization_id=organization.id, project_id=project.id)
    db_session.add(link)
    db_session.flush()
    return project, link


@pytest.fixture
def listed(db_session, organization):
    """Two projects on the page, so each kind of change can be made beside one that stays."""
    return {
        name: _link(db_session, organization, name, f"About {name}.")
        for name in ("acme-anvil", "acme-rocket")
    }


def _add_project(db_session, organization, listed):
    _link(db_session, organization, "acme-magnet")
    return "acme-magnet"


def _take_out(db_session, project, link):
    """The project leaves the organization, as a removal does: with an Owner of its own first,
    since the database refuses a project leaving without one."""
    RoleFactory.create(project=project, role_name="Owner")
    db_session.delete(link)


def _remove_project(db_session, organization, listed):
    _take_out(db_session, *listed["acme-rocket"])
    return "acme-anvil"


def _swap_project(db_session, organization, listed):
    # Same count, and the newcomer takes the same place in the list.
    _take_out(db_session, *listed["acme-rocket"])
    _link(db_session, organization, "acme-rockets")
    return "acme-rockets"


def _rename_project(db_session, organization, listed):
    listed["acme-rocket"][0].name = "acme-spaceship"
    return "acme-spaceship"


def _describe_project(db_session, organization, listed):
    listed["acme-rocket"][0].description = "Now with boosters."
    return "Now with boosters."


def _change_details(field, value):
    def change(db_session, organization, listed):
        setattr(organization, field, value)
        return value

    change.__name__ = f"_change_{field}"
    return change


def _add_member(db_session, organization, listed):
    OrganizationRoleFactory.create(organization=organization, role_name=OrganizationRoleType.Member)
    return "Members 2"


@pytest.mark.parametrize(
    "change",
    [
        _add_project,
        _remove_project,
        _swap_project,
        _rename_project,
        _describe_project,
        _change_details("display_name", "Acme Tools and Dies"),
        _change_details("description", "Tools for some."),
        _change_details("link_url", "https://tools.acme.example.com/"),
        _add_member,
    ],
    ids=lambda change: change.__name__.lstrip("_"),
)
def test_each_change_to_what_the_page_shows_changes_its_etag(
    webtest_app, db_session, organization, listed, change
):
    etag = webtest_app.get("/org/Acme-Tools/", status=200).headers["ETag"]
    webtest_app.get("/org/Acme-Tools/", headers={"If-None-Match": etag}, status=304)

    shown = change(db_session, organization, listed)
    db_session.flush()

    fresh = webtest_app.get("/org/Acme-Tools/", headers={"If-None-Match": etag}, status=200)
    assert shown in main_text(fresh)
    assert fresh.headers["ETag"] != etag
    webtest_app.get(
        "/org/Acme-Tools/", headers={"If-None-Match": fresh.headers["ETag"]}, status=304
    )


def test_a_project_swapped_on_a_later_page_changes_that_page_only(
    webtest_app, db_session, organization
):
    links = [_link(db_session, organization, f"acme-project-{n:02}") for n in range(30)]
    first = webtest_app.get("/org/Acme-Tools/", status=200).headers["ETag"]
    second = webtest_app.get("/org/Acme-Tools/?page=2", status=200).headers["ETag"]
    _take_out(db_session, *links[29])
    _link(db_session, organization, "acme-project-99")
    webtest_app.get("/org/Acme-Tools/", headers={"If-None-Match": first}, status=304)
    page = webtest_app.get("/org/Acme-Tools/?page=2", headers={"If-None-Match": second}, status=200)
    assert "acme-project-99" in main_text(page)
    assert "acme-project-29" not in main_text(page)


def test_each_signed_in_visitor_has_a_tag_of_their_own(webtest_app, db_session, organization):
    anonymous = webtest_app.get("/org/Acme-Tools/", status=200).headers["ETag"]
    log_in(webtest_app, UserFactory.create(username="first-visitor"))
    mine = webtest_app.get("/org/Acme-Tools/", headers={"If-None-Match": anonymous}, status=200)
    assert "first-visitor" in mine.text
    webtest_app.get("/org/Acme-Tools/", headers={"If-None-Match": mine.headers["ETag"]}, status=304)

    webtest_app.reset()
    log_in(webtest_app, UserFactory.create(username="second-visitor"))
    theirs = webtest_app.get(
        "/org/Acme-Tools/", headers={"If-None-Match": mine.headers["ETag"]}, status=200
    )
    assert "second-visitor" in theirs.text


def test_a_message_waiting_to_be_shown_is_never_answered_with_304(
    webtest_app, db_session, organization
):
    log_in(webtest_app, UserFactory.create())
    etag = webtest_app.get("/org/Acme-Tools/", status=200).headers["ETag"]
    # Leaves a message in the session; the redirect that would show it is not followed.
    webtest_app.get("/manage/account/totp-provision/", status=303)
    page = webtest_app.get("/org/Acme-Tools/", headers={"If-None-Match": etag}, status=200)
    assert "Two-factor authentication is already on." in main_text(page)
    webtest_app.get("/org/Acme-Tools/", headers={"If-None-Match": etag}, status=304)


def test_another_case_answers_308_to_the_canonical_url(webtest_app, organization):
    response = webtest_app.get("/org/acme_tools/", status=308)
    assert response.location.endswith("/org/Acme-Tools/")


def test_an_old_name_answers_308_after_a_rename(webtest_app, app_registry, db_session):
    organization = OrganizationFactory.create(name="old-name")
    request = service_request(app_registry, db_session, UserFactory.create())
    DatabaseOrganizationService(request).rename(organization, "new-name")
    db_session.flush()
    response = webtest_app.get("/org/old-name/", status=308)
    assert response.location.endswith("/org/new-name/")
    webtest_app.get("/org/new-name/", status=200)


def test_missing_and_inactive_organizations_are_not_found(webtest_app, db_session):
    webtest_app.get("/org/nobody-here/", status=404)
    OrganizationFactory.create(name="sleepy", is_active=False)
    webtest_app.get("/org/sleepy/", status=404)


def test_the_statement_count_does_not_grow_with_members_or_projects(
    webtest_app, db_session, organization
):
    _add_members_and_projects(db_session, organization, 1)
    small = webtest_app.get("/org/Acme-Tools/", status=200).sql_statements
    _add_members_and_projects(db_session, organization, 19, start=1)
    large = webtest_app.get("/org/Acme-Tools/", status=200)
    # The organization, its counts and the page's projects come in the statement that finds
    # it; the footer's sponsors are already in this process's cache.
    assert len(large.sql_statements) == len(small) == 1
    assert "Members 21" in main_text(large)
    etag = large.headers["ETag"]
    revalidated = webtest_app.get("/org/Acme-Tools/", headers={"If-None-Match": etag}, status=304)
    assert len(revalidated.sql_statements) == 1


def test_projects_are_paginated(webtest_app, db_session, organization):
    _add_members_and_projects(db_session, organization, 30)
    second = webtest_app.get("/org/Acme-Tools/?page=2", status=200)
    assert "acme-project-29" in main_text(second)
    assert "acme-project-00" not in main_text(second)
    webtest_app.get("/org/Acme-Tools/?page=0", status=400)


def test_the_home_page_links_the_newest_active_organizations(webtest_app, db_session):
    OrganizationFactory.create(name="shown-org", display_name="Shown Org")
    OrganizationFactory.create(name="hidden-org", display_name="Hidden Org", is_active=False)
    home = webtest_app.get("/", status=200)
    assert "Shown Org" in main_text(home)
    assert "Hidden Org" not in main_text(home)
    home.click("Shown Org").maybe_follow()


def test_a_member_leaving_changes_the_tag(webtest_app, db_session, organization):
    member = OrganizationRoleFactory.create(
        organization=organization, role_name=OrganizationRoleType.Member
    )
    db_session.flush()
    page = webtest_app.get("/org/Acme-Tools/", status=200)
    assert "Members 2" in main_text(page)
    db_session.delete(member)
    db_session.flush()
    fresh = webtest_app.get(
        "/org/Acme-Tools/", headers={"If-None-Match": page.headers["ETag"]}, status=200
    )
    assert "Members 1" in main_text(fresh)
    assert fresh.headers["ETag"] != page.headers["ETag"]


def test_a_visitor_who_joins_gets_a_new_tag_and_the_manage_link(
    webtest_app, db_session, organization
):
    visitor = UserFactory.create()
    log_in(webtest_app, visitor)
    before = webtest_app.get("/org/Acme-Tools/", status=200)
    assert "Manage Acme-Tools" not in main_text(before)
    OrganizationRoleFactory.create(
        organization=organization, user=visitor, role_name=OrganizationRoleType.Member
    )
    db_session.flush()
    after = webtest_app.get(
        "/org/Acme-Tools/", headers={"If-None-Match": before.headers["ETag"]}, status=200
    )
    assert "Manage Acme-Tools" in main_text(after)
    assert after.headers["ETag"] != before.headers["ETag"]
