"""Teams in a real Chromium: an Owner makes a team, puts a member on it and gives it a role on
a project; the member then finds the project under Your projects and opens it. Taken off the
team, the member loses the project again. axe-core checks each team page on the way."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.browser.test_accessibility import Finding, check_page, failure_text
from tests.common.db.accounts import PASSWORD, UserFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationProjectFactory,
    OrganizationRoleFactory,
)
from tests.common.db.packaging import ProjectFactory
from tests.common.sessions import log_in_browser, make_authentication_stale
from warehouse_orgs.organizations.models import Team, TeamProjectRole, TeamRole
from warehouse_orgs.organizations.permissions import OrganizationRoleType

pytestmark = pytest.mark.browser

TEAM = "Release Crew"
THROUGH_THE_TEAM = f"Maintainer through the team {TEAM} of team-works"


def _new_page(browser: Browser) -> Page:
    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    return page


def _main_nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def _open_team(page: Page, tab: str) -> None:
    """From anywhere, by the links a person follows: Organizations, Manage, Teams, the team,
    then one of the team's tabs."""
    _main_nav(page, "Organizations")
    page.get_by_role("link", name="Manage team-works").click()
    page.get_by_role("navigation", name="This organization").get_by_role(
        "link", name="Teams"
    ).click()
    page.locator("#teams").get_by_role("link", name=TEAM).click()
    page.get_by_role("navigation", name="This team").get_by_role("link", name=tab).click()
    expect(page.get_by_role("heading", level=2)).to_have_text(f"Team {TEAM}")


def _projects_listed(page: Page) -> list[str]:
    _main_nav(page, "Your projects")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your projects")
    return page.locator("main table tbody tr").all_inner_texts()


def test_a_team_gives_its_member_a_project_until_they_leave_it(
    browser: Browser, page: Page, live_server: str, db_session, outbox
):
    olive = UserFactory.create(username="olive-owner")
    max_ = UserFactory.create(username="max-member")
    organization = OrganizationFactory.create(name="team-works")
    OrganizationRoleFactory.create(
        organization=organization, user=olive, role_name=OrganizationRoleType.Owner
    )
    OrganizationRoleFactory.create(
        organization=organization, user=max_, role_name=OrganizationRoleType.Member
    )
    # The project belongs to the organization; max has no role of his own on it.
    project = ProjectFactory.create(name="shared-widget")
    OrganizationProjectFactory.create(organization=organization, project=project)
    settings_url = f"{live_server}/manage/project/shared-widget/settings/"
    findings: list[Finding] = []

    # Before anything, max does not reach the project.
    max_page = _new_page(browser)
    log_in_browser(max_page, live_server, max_)
    assert not any("shared-widget" in row for row in _projects_listed(max_page))

    # 1. olive makes the team from the organization's Teams tab.
    log_in_browser(page, live_server, olive)
    page.goto(live_server + "/manage/organizations/")
    page.get_by_role("link", name="Manage team-works").click()
    page.get_by_role("navigation", name="This organization").get_by_role(
        "link", name="Teams"
    ).click()
    expect(page).to_have_url(live_server + "/manage/organization/team-works/teams/")
    expect(page.locator("main")).to_contain_text("team-works has no teams yet.")
    findings += check_page(page)
    page.get_by_label("Team name").fill(TEAM)
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("status").first).to_contain_text(f"The team {TEAM} is created.")

    # It is listed on the Teams tab; its link opens the team on its Members page.
    page.get_by_role("navigation", name="This organization").get_by_role(
        "link", name="Teams"
    ).click()
    expect(page.locator("#teams").get_by_role("row", name=re.compile(TEAM))).to_have_count(1)
    findings += check_page(page)
    page.locator("#teams").get_by_role("link", name=TEAM).click()
    members_tab = page.get_by_role("navigation", name="This team").get_by_role(
        "link", name="Members"
    )
    expect(members_tab).to_have_attribute("aria-current", "page")
    expect(page.locator("main")).to_contain_text("Nobody is on this team yet.")
    findings += check_page(page)

    # olive stepped away for an hour: adding max asks for her password first.
    make_authentication_stale(db_session)
    page.get_by_label("Member's username").fill("max-member")
    page.get_by_role("button", name="Add to the team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("status").first).to_have_text(f"max-member is on the team {TEAM}.")
    expect(page.locator("#team-members").get_by_role("cell", name="max-member")).to_be_visible()
    findings += check_page(page)

    # The project's collaboration page, from olive's own list of projects: the Teams section.
    _main_nav(page, "Your projects")
    page.get_by_role("link", name="shared-widget").click()
    page.get_by_role("navigation", name="This project").get_by_role(
        "link", name="Collaborators"
    ).click()
    expect(page).to_have_url(live_server + "/manage/project/shared-widget/collaboration/")
    grant_form = page.get_by_role("form", name="Give a team a role")
    grant_form.get_by_label("Team", exact=True).select_option(TEAM)
    grant_form.get_by_label("Role", exact=True).select_option("Maintainer")
    grant_form.get_by_role("button", name="Give the team this role").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"The team {TEAM} is now Maintainer of shared-widget"
    )
    teams_section = page.locator("section", has=page.locator("#teams-heading"))
    expect(teams_section.get_by_role("row", name=re.compile(TEAM))).to_contain_text("Maintainer")
    findings += check_page(page)

    # The team's Projects tab says the same.
    _open_team(page, "Projects")
    expect(page.locator("#team-projects")).to_contain_text("shared-widget")
    expect(page.locator("#team-projects")).to_contain_text("Maintainer")
    findings += check_page(page)

    db_session.expire_all()
    team = db_session.scalars(select(Team).where(Team.name == TEAM)).one()
    grant = db_session.scalars(
        select(TeamProjectRole).where(TeamProjectRole.team_id == team.id)
    ).one()
    assert (grant.project_id, grant.role_name) == (project.id, "Maintainer")

    # 2. max finds the project under Your projects, through the team, and opens it.
    assert any("shared-widget" in row for row in _projects_listed(max_page))
    listed = max_page.get_by_role("row", name=re.compile("shared-widget"))
    expect(listed.get_by_role("cell")).to_have_text(
        ["shared-widget", THROUGH_THE_TEAM, f"{project.created:%Y-%m-%d}"]
    )
    with max_page.expect_response(settings_url) as settings:
        max_page.get_by_role("link", name="shared-widget").click()
    assert settings.value.status == 200
    expect(max_page).to_have_url(settings_url)
    expect(max_page.get_by_role("heading", level=1)).to_have_text("shared-widget")

    # 3. olive takes max off the team: the removal asks for his username.
    _open_team(page, "Members")
    removal = page.locator("details", has_text="max-member comes off the team")
    removal.locator("summary").click()
    findings += check_page(page)
    removal.get_by_label("Their username").fill("max-member")
    removal.get_by_role("button", name="Remove max-member from the team").click()
    expect(page.get_by_role("status").first).to_have_text(f"max-member is off the team {TEAM}.")
    expect(page.locator("main")).to_contain_text("Nobody is on this team yet.")
    findings += check_page(page)
    db_session.expire_all()
    assert db_session.scalars(select(TeamRole).where(TeamRole.team_id == team.id)).all() == []

    # max's list no longer has it, and his bookmark to its settings is refused.
    assert not any("shared-widget" in row for row in _projects_listed(max_page))
    refused = max_page.goto(settings_url)
    assert refused is not None
    assert refused.status == 403

    # max was told by email when he was put on the team and when he was taken off it.
    subjects = [m.subject for m in outbox.messages() if m.recipient == "max-member@example.com"]
    assert f"You are on the team {TEAM} of team-works" in subjects
    assert f"You were taken off the team {TEAM} of team-works" in subjects

    if findings:
        pytest.fail(
            failure_text("olive, on the team and collaboration pages", findings), pytrace=False
        )
