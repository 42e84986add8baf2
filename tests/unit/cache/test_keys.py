"""Which surrogate keys each change purges, after its transaction commits and never when it
fails.

Each change runs in a request of the real app (its own session and transaction, as a view's
or a task's), through the services the views call where there is one. The purge goes to the
development cache, LoggingOriginCache, whose log line is read back: the keys listed are exactly
those the shared cache would be told to drop.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from pyramid.request import Request
from sqlalchemy import select

from tests.common.db.accounts import UserFactory
from tests.common.db.organizations import (
    OrganizationFactory,
    OrganizationProjectFactory,
    OrganizationRoleFactory,
    TeamFactory,
    TeamProjectRoleFactory,
    TeamRoleFactory,
)
from tests.common.db.packaging import ProjectFactory, RoleFactory
from tests.common.db.sponsors import SponsorFactory
from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.accounts.models import User
from warehouse_orgs.organizations.interfaces import (
    IOrganizationMembershipService,
    IOrganizationService,
    ITeamService,
)
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationProject,
    OrganizationRole,
    Team,
    TeamProjectRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.project_interfaces import IOrganizationProjectService
from warehouse_orgs.packaging.interfaces import IProjectService
from warehouse_orgs.packaging.models import Project, ProjectRoleName
from warehouse_orgs.sponsors.interfaces import ISponsorService
from warehouse_orgs.sponsors.models import Sponsor
from warehouse_orgs.tasks import run_task

PURGE_LOG_PREFIX = "origin cache: would purge "
DIRECTORY = "organizations-directory"


class Refused(Exception):
    pass


@pytest.fixture
def commit(app_registry: Any, caplog: pytest.LogCaptureFixture) -> Callable[..., list[set[str]]]:
    """Run ``change(request)`` in a request of its own as ``actor`` and commit it; returns the
    purges that followed, one set of keys each."""

    def run(change: Callable[[Request], Any], actor: User | None = None) -> list[set[str]]:
        def as_actor(request: Request) -> None:
            request.user = request.db.get(User, actor.id) if actor else None
            request.remote_addr = "192.0.2.1"
            change(request)

        caplog.clear()
        with caplog.at_level(logging.INFO, logger="warehouse_orgs.cache.services"):
            run_task(app_registry, as_actor, (), {})
        return [
            set(record.getMessage().removeprefix(PURGE_LOG_PREFIX).split())
            for record in caplog.records
            if record.getMessage().startswith(PURGE_LOG_PREFIX)
        ]

    return run


def purged(purges: list[set[str]]) -> set[str]:
    return set().union(*purges)


@pytest.fixture
def owner(db_session):
    return UserFactory.create(username="olive")


@pytest.fixture
def acme(owner):
    organization = OrganizationFactory.create(name="Acme", display_name="Acme")
    OrganizationRoleFactory.create(
        organization=organization, user=owner, role_name=OrganizationRoleType.Owner
    )
    return organization


@pytest.fixture
def dana(db_session):
    return UserFactory.create(username="dana", public_team_projects=True)


@pytest.fixture
def dana_role(acme, dana):
    return OrganizationRoleFactory.create(
        organization=acme, user=dana, role_name=OrganizationRoleType.Member
    )


@pytest.fixture
def widget(acme, dana_role):
    """A project of Acme's, that the team Docs maintains, with Dana on the team and named."""
    project = ProjectFactory.create(name="Widget", description="Makes widgets.")
    OrganizationProjectFactory.create(organization=acme, project=project)
    team = TeamFactory.create(organization=acme, name="Docs")
    TeamProjectRoleFactory.create(team=team, project=project)
    TeamRoleFactory.create(team=team, organization_role=dana_role)
    return project


def _get(request: Request, model: type, row: Any) -> Any:
    return request.db.get(model, row.id)


# Organizations


def test_new_details_purge_the_organization_page_alone(commit, acme, widget, owner):
    def change(request):
        request.find_service(IOrganizationService).update_details(
            _get(request, Organization, acme), description="Now with more widgets."
        )

    assert commit(change, owner) == [{"org-acme"}]


def test_a_new_display_name_purges_the_project_pages_that_show_it(commit, acme, widget, owner):
    def change(request):
        request.find_service(IOrganizationService).update_details(
            _get(request, Organization, acme), display_name="Acme Corporation"
        )

    assert purged(commit(change, owner)) == {"org-acme", "project-widget", DIRECTORY}


def test_a_rename_purges_the_old_name_the_new_name_and_the_projects(commit, acme, widget, owner):
    def change(request):
        request.find_service(IOrganizationService).rename(
            _get(request, Organization, acme), "Acme_Tools"
        )

    assert purged(commit(change, owner)) == {
        "org-acme",
        "org-acme-tools",
        "project-widget",
        DIRECTORY,
    }


def test_closing_an_organization_purges_its_page_and_its_projects(commit, acme, widget):
    def change(request):
        _get(request, Organization, acme).is_active = False

    assert purged(commit(change)) == {"org-acme", "project-widget", DIRECTORY}


def test_deleting_an_organization_purges_its_page(commit, acme, owner):
    def change(request):
        request.find_service(IOrganizationService).delete(_get(request, Organization, acme))

    assert purged(commit(change, owner)) == {"org-acme", DIRECTORY}


def test_a_change_no_page_shows_purges_nothing(commit, acme):
    def change(request):
        organization = _get(request, Organization, acme)
        organization.upload_limit = 10_000
        # The same value again is no change at all.
        organization.description = organization.description

    assert commit(change) == []


def test_a_new_organization_purges_the_directory(commit, owner):
    def change(request):
        request.db.add(
            Organization(
                name="Newcomer",
                display_name="Newcomer",
                orgtype="Community",
                link_url="https://newcomer.example.com/",
                description="Just approved.",
            )
        )

    assert purged(commit(change)) == {"org-newcomer", DIRECTORY}


def test_reopening_or_a_new_type_purges_the_directory(commit, db_session, acme):
    acme.is_active = False
    db_session.flush()

    def change(request):
        organization = _get(request, Organization, acme)
        organization.is_active = True
        organization.orgtype = "Company"

    assert purged(commit(change)) == {"org-acme", DIRECTORY}


def test_a_new_description_is_not_in_the_directory(commit, acme, owner):
    def change(request):
        request.find_service(IOrganizationService).update_details(
            _get(request, Organization, acme), description="Shown on its own page only."
        )

    assert DIRECTORY not in purged(commit(change, owner))


def test_a_project_deleted_outside_any_organization_leaves_the_directory(commit):
    solo = ProjectFactory.create(name="Solo")

    def change(request):
        request.find_service(IProjectService).delete_project(_get(request, Project, solo))

    assert purged(commit(change)) == {"project-solo"}


# Members


def test_a_new_member_changes_the_member_count(commit, acme, owner):
    newcomer = UserFactory.create()

    def change(request):
        request.find_service(IOrganizationMembershipService).add_role(
            _get(request, Organization, acme),
            _get(request, User, newcomer),
            OrganizationRoleType.Member,
        )

    assert purged(commit(change, owner)) == {"org-acme"}


def test_a_member_who_leaves_leaves_the_count_and_the_pages_naming_them(
    commit, widget, dana_role, owner
):
    def change(request):
        request.find_service(IOrganizationMembershipService).remove_role(
            _get(request, OrganizationRole, dana_role)
        )

    assert purged(commit(change, owner)) == {"org-acme", "project-widget"}


def test_a_new_role_for_a_member_shows_nowhere_public(commit, acme, owner):
    member = OrganizationRoleFactory.create(
        organization=acme, role_name=OrganizationRoleType.Member
    )

    def change(request):
        request.find_service(IOrganizationMembershipService).change_role(
            _get(request, OrganizationRole, member), OrganizationRoleType.Manager
        )

    assert commit(change, owner) == []


# Projects


def test_a_project_joining_purges_the_organization_and_the_project(commit, acme):
    gadget = ProjectFactory.create(name="Gadget")

    def change(request):
        request.db.add(OrganizationProject(organization_id=acme.id, project_id=gadget.id))

    assert purged(commit(change)) == {"org-acme", "project-gadget", DIRECTORY}


def test_a_project_moved_purges_both_organizations_and_the_project(commit, acme, widget, owner):
    beta = OrganizationFactory.create(name="Beta")
    OrganizationRoleFactory.create(organization=beta, user=owner)

    def change(request):
        request.find_service(IOrganizationProjectService).transfer_project(
            _get(request, Project, widget), "Beta", request.user
        )

    assert purged(commit(change, owner)) == {"org-acme", "org-beta", "project-widget", DIRECTORY}


def test_a_project_removed_purges_the_organization_and_the_project(commit, acme, widget, owner):
    def change(request):
        request.find_service(IOrganizationProjectService).remove_project(
            _get(request, Project, widget), request.user, "olive"
        )

    assert purged(commit(change, owner)) == {"org-acme", "project-widget", DIRECTORY}


def test_a_new_description_purges_the_project_and_its_organization(commit, widget):
    def change(request):
        _get(request, Project, widget).description = "Makes better widgets."

    assert purged(commit(change)) == {"project-widget", "org-acme"}


def test_a_project_of_no_organization_purges_its_own_page(commit):
    solo = ProjectFactory.create(name="Solo")

    def change(request):
        _get(request, Project, solo).description = "On its own."

    assert purged(commit(change)) == {"project-solo"}


def test_deleting_a_project_purges_its_page_and_its_organization(commit, widget, owner):
    def change(request):
        request.find_service(IProjectService).delete_project(_get(request, Project, widget))

    assert purged(commit(change, owner)) == {"project-widget", "org-acme", DIRECTORY}


def test_a_collaborator_added_or_removed_purges_the_project_page(commit):
    solo = ProjectFactory.create(name="Solo")
    RoleFactory.create(project=solo)
    guest = UserFactory.create()

    def add(request):
        request.find_service(IProjectService).add_role(
            _get(request, Project, solo), _get(request, User, guest), ProjectRoleName.Maintainer
        )

    assert purged(commit(add)) == {"project-solo"}

    def remove(request):
        project = _get(request, Project, solo)
        role = next(role for role in project.roles if role.user_id == guest.id)
        request.find_service(IProjectService).remove_role(role)

    assert purged(commit(remove)) == {"project-solo"}


# Teams


def test_a_team_renamed_purges_the_pages_naming_it(commit, acme, widget, owner):
    def change(request):
        team = request.db.scalars(select(Team).where(Team.name == "Docs")).one()
        request.find_service(ITeamService).rename_team(team, "Writers")

    assert purged(commit(change, owner)) == {"project-widget"}


def test_a_team_without_projects_purges_nothing(commit, acme, owner):
    team = TeamFactory.create(organization=acme, name="Idle")

    def change(request):
        request.find_service(ITeamService).rename_team(_get(request, Team, team), "Resting")

    assert commit(change, owner) == []


def test_a_team_member_added_purges_the_team_projects(commit, acme, widget, owner):
    def change(request):
        team = request.db.scalars(select(Team).where(Team.name == "Docs")).one()
        request.find_service(ITeamService).add_member(team, request.user)

    assert purged(commit(change, owner)) == {"project-widget"}


def test_a_grant_taken_away_purges_the_project(commit, acme, widget, owner):
    def change(request):
        grant = request.db.scalars(select(TeamProjectRole)).one()
        request.find_service(ITeamService).revoke_grant(grant)

    assert purged(commit(change, owner)) == {"project-widget"}


# People


def test_choosing_to_be_named_purges_the_team_projects(commit, widget):
    def change(request):
        dana = request.db.scalars(select(User).where(User.username == "dana")).one()
        dana.public_team_projects = False

    assert purged(commit(change)) == {"project-widget"}


def test_logging_in_purges_nothing(commit, widget):
    def change(request):
        dana = request.db.scalars(select(User).where(User.username == "dana")).one()
        dana.last_totp_step = 12345

    assert commit(change) == []


def test_a_deleted_account_leaves_its_organizations_and_projects(commit, widget, dana):
    solo = ProjectFactory.create(name="Solo")
    RoleFactory.create(project=solo, user=dana, role_name=ProjectRoleName.Maintainer)
    RoleFactory.create(project=solo, role_name=ProjectRoleName.Owner)

    def change(request):
        request.find_service(IUserService).delete_user(_get(request, User, dana))

    assert purged(commit(change, dana)) == {"org-acme", "project-widget", "project-solo"}


# Sponsors


def test_a_footer_sponsor_change_purges_every_page(commit, db_session):
    sponsor = SponsorFactory.create(footer=True, white_logo_url="/static/sponsorlogos/w.png")

    def change(request):
        _get(request, Sponsor, sponsor).name = "Renamed Sponsor"

    assert purged(commit(change)) == {"sponsors", "sponsors-footer"}


def test_a_sponsor_not_in_the_footer_purges_the_sponsors_page(commit, db_session):
    sponsor = SponsorFactory.create(footer=False, infra_sponsor=False, psf_sponsor=True)

    def change(request):
        _get(request, Sponsor, sponsor).activity_markdown = "Funds the index."

    assert purged(commit(change)) == {"sponsors"}


def test_the_sync_bookkeeping_purges_nothing(commit, db_session):
    sponsor = SponsorFactory.create(footer=True, white_logo_url="/static/sponsorlogos/w.png")

    def change(request):
        _get(request, Sponsor, sponsor).logo_source_url = "https://feed.example/logo.png"

    assert commit(change) == []


def test_a_deleted_footer_sponsor_purges_every_page(commit, db_session):
    sponsor = SponsorFactory.create(footer=True, white_logo_url="/static/sponsorlogos/w.png")
    staff = UserFactory.create(is_psf_staff=True)

    def change(request):
        request.find_service(ISponsorService).delete_sponsor(_get(request, Sponsor, sponsor))

    assert purged(commit(change, staff)) == {"sponsors", "sponsors-footer"}


# When


def test_a_failed_transaction_purges_nothing(commit, acme, widget, owner):
    def change(request):
        request.find_service(IOrganizationService).update_details(
            _get(request, Organization, acme), description="Never saved."
        )
        request.db.flush()
        raise Refused

    with pytest.raises(Refused):
        commit(change, owner)
    assert commit(lambda request: None) == []


def test_each_key_is_purged_once_per_transaction(commit, acme, widget, owner):
    def change(request):
        organization = _get(request, Organization, acme)
        organization.description = "First."
        request.db.flush()
        organization.description = "Second."
        request.db.flush()
        _get(request, Project, widget).description = "Also."

    purges = commit(change, owner)
    # One purge per flush that found keys not purged yet: the organization's only once.
    assert purges == [{"org-acme"}, {"project-widget"}]


# Purged twice


def test_a_real_cache_is_purged_again_after_the_commit(make_app_config, caplog, acme, owner):
    # A visitor's request that read acme before the commit may hand its copy to the cache just
    # after the first purge; the second one drops it.
    registry = make_app_config(**{"origin_cache.repurge_seconds": 0.3}).registry

    def change(request):
        request.user = request.db.get(User, owner.id)
        request.remote_addr = "192.0.2.1"
        request.find_service(IOrganizationService).update_details(
            _get(request, Organization, acme), description="Now with more widgets."
        )

    def purges():
        return [
            record.getMessage().removeprefix(PURGE_LOG_PREFIX)
            for record in caplog.records
            if record.getMessage().startswith(PURGE_LOG_PREFIX)
        ]

    with caplog.at_level(logging.INFO, logger="warehouse_orgs.cache.services"):
        run_task(registry, change, (), {})
        assert purges() == ["org-acme"]
        for _ in range(100):
            if len(purges()) > 1:
                break
            threading.Event().wait(0.05)
    assert purges() == ["org-acme", "org-acme"]


def test_a_change_rolled_back_is_never_purged_later(make_app_config, caplog, acme, owner):
    registry = make_app_config(**{"origin_cache.repurge_seconds": 0.1}).registry

    def change(request):
        request.user = request.db.get(User, owner.id)
        request.remote_addr = "192.0.2.1"
        request.find_service(IOrganizationService).update_details(
            _get(request, Organization, acme), description="Never saved."
        )
        raise Refused

    with caplog.at_level(logging.INFO, logger="warehouse_orgs.cache.services"):
        with pytest.raises(Refused):
            run_task(registry, change, (), {})
        threading.Event().wait(0.5)
    assert not [r for r in caplog.records if r.getMessage().startswith(PURGE_LOG_PREFIX)]


@pytest.mark.parametrize(
    ("backend", "seconds"),
    [
        ("warehouse_orgs.cache.services.LoggingOriginCache", 0),
        ("warehouse_orgs.cache.services.VarnishOriginCache", 15),
    ],
)
def test_only_a_cache_that_keeps_pages_is_purged_twice(make_app_config, backend, seconds):
    registry = make_app_config(
        **{"origin_cache.backend": backend, "origin_cache.url": "http://127.0.0.1:9/"}
    ).registry
    assert registry["origin_cache.keys"].repurge_seconds == seconds
