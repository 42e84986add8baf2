"""Finding your way: from /manage/organizations/ each person reaches, by following links only,
the organization pages their role may open, and is shown no link to a page that refuses them."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationRoleFactory,
    TeamFactory,
)
from tests.common.sessions import log_in
from warehouse_orgs.organizations.models import OrganizationRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType

START = "/manage/organizations/"
PREFIX = "/manage/organization/acme/"
TEAM_PAGES = {
    f"{PREFIX}team/core/{page}/" for page in ("members", "projects", "settings", "history")
}
ALL_TABS = {f"{PREFIX}settings/", f"{PREFIX}people/", f"{PREFIX}teams/", f"{PREFIX}history/"}
ALL_TABS.add(f"{PREFIX}projects/")
ALL_TABS |= TEAM_PAGES


@pytest.fixture
def organization(db_session):
    organization = OrganizationFactory.create(name="acme", display_name="Acme Tools")
    TeamFactory.create(organization=organization, name="core")
    return organization


def _member(organization, role_name, username):
    user = UserFactory.create(username=username)
    OrganizationRoleFactory.create(organization=organization, user=user, role_name=role_name)
    return user


def _links(page) -> set[str]:
    found = set()
    for anchor in page.html.find_all("a", href=True):
        parts = urlsplit(anchor["href"])
        if not parts.netloc and parts.path.startswith("/"):
            found.add(parts.path)
    return found


def _walk(app) -> dict[str, int]:
    """Every organization page reachable by links from START, with the status each answered."""
    seen: dict[str, int] = {}
    queue = [START]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        response = app.get(path, expect_errors=True)
        seen[path] = response.status_int
        if response.status_int == 200 and response.content_type == "text/html":
            queue.extend(
                link for link in _links(response) if link.startswith(PREFIX) or link == "/org/acme/"
            )
    return seen


# Managers may remove themselves and invite nobody: they read, as Members do, but see no history.
@pytest.mark.parametrize(
    ("role_name", "reachable"),
    [
        (OrganizationRoleType.Owner, ALL_TABS),
        (OrganizationRoleType.Manager, ALL_TABS - {f"{PREFIX}history/"}),
        (OrganizationRoleType.Member, ALL_TABS - {f"{PREFIX}history/"}),
    ],
)
def test_each_role_reaches_by_links_exactly_the_pages_it_may_open(
    webtest_app, organization, role_name, reachable
):
    log_in(webtest_app, _member(organization, role_name, "walker"))
    seen = _walk(webtest_app)
    organization_pages = {path for path in seen if path.startswith(PREFIX)}
    assert organization_pages == reachable
    # Every link shown led somewhere that answered: nothing offered refuses the person.
    assert {path: status for path, status in seen.items() if status != 200} == {}
    assert seen["/org/acme/"] == 200


def test_the_list_names_manage_and_view_for_each_organization(webtest_app, organization):
    log_in(webtest_app, _member(organization, OrganizationRoleType.Owner, "owner"))
    row = webtest_app.get(START).html.find(id="organizations-table").find("tbody").find("tr")
    links = {a.get_text(" ", strip=True): a["href"] for a in row.find_all("a")}
    assert links == {
        "Manage acme": f"{PREFIX}settings/",
        "View the public page of acme": "/org/acme/",
    }


def test_an_inactive_organization_is_managed_but_has_no_public_page_link(
    webtest_app, db_session, organization
):
    log_in(webtest_app, _member(organization, OrganizationRoleType.Owner, "owner"))
    organization.is_active = False
    db_session.flush()
    row = webtest_app.get(START).html.find(id="organizations-table").find("tbody").find("tr")
    assert [a["href"] for a in row.find_all("a")] == [f"{PREFIX}settings/"]
    settings = webtest_app.get(f"{PREFIX}settings/")
    assert "/org/acme/" not in _links(settings)


def test_the_public_page_leads_members_back_to_their_management_pages(webtest_app, organization):
    manage_link = f"{PREFIX}settings/"
    assert manage_link not in _links(webtest_app.get("/org/acme/"))

    outsider = UserFactory.create(username="outsider")
    log_in(webtest_app, outsider)
    assert manage_link not in _links(webtest_app.get("/org/acme/"))

    member = _member(organization, OrganizationRoleType.Member, "member")
    webtest_app.reset()
    log_in(webtest_app, member, step_offset=1)
    page = webtest_app.get("/org/acme/")
    assert manage_link in _links(page)
    assert page.html.find("a", href=manage_link).get_text(strip=True) == "Manage acme"


def test_becoming_a_member_changes_the_public_page_tag(webtest_app, db_session, organization):
    """The Manage link is part of what the page shows, so it is part of its ETag: here the
    member count stays the same and only the visitor's membership changes."""
    other = _member(organization, OrganizationRoleType.Member, "other")
    user = UserFactory.create(username="joiner")
    log_in(webtest_app, user)
    before = webtest_app.get("/org/acme/").etag
    db_session.execute(delete(OrganizationRole).where(OrganizationRole.user_id == other.id))
    OrganizationRoleFactory.create(
        organization=organization, user=user, role_name=OrganizationRoleType.Member
    )
    db_session.flush()
    db_session.expire_all()
    page = webtest_app.get("/org/acme/")
    assert page.etag != before
    assert f"{PREFIX}settings/" in _links(page)
