"""The demo data ``make serve`` builds the first time it runs.

``build_demo_data(request)`` runs inside one transaction and is idempotent: it adds what is
missing and leaves what is there. It returns the lines to print.

Every demo account has the password ``password`` and two-factor authentication whose secret is
derived from the username, so ``make totp U=<username>`` can print a current code.
"""

import datetime
import hashlib

from pyramid.request import Request
from sqlalchemy import select

from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.accounts.models import User
from warehouse_orgs.accounts.services import hash_secret
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.interfaces import (
    IOrganizationMembershipService,
    IOrganizationService,
    ITeamService,
    TeamMembershipRefused,
)
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationApplication,
    OrganizationInvitationStatus,
    OrganizationNameCatalog,
    TeamProjectRoleType,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.project_interfaces import IOrganizationProjectService
from warehouse_orgs.packaging.interfaces import IProjectService
from warehouse_orgs.packaging.models import ProjectRoleName
from warehouse_orgs.subscriptions.interfaces import ISubscriptionService

DEMO_PASSWORD = "password"  # noqa: S105 (the published demo password)

# username: (full name, staff flags, has two-factor)
DEMO_USERS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "admin": ("Ada Admin", ("is_superuser",), True),
    "support": ("Sam Support", ("is_support",), True),
    "moderator": ("Mo Moderator", ("is_moderator",), True),
    "psf": ("Pat PSF", ("is_psf_staff",), True),
    "alice": ("Alice Maintainer", (), True),
    "bob": ("Bob Maintainer", (), True),
    "carol": ("Carol Contributor", (), True),
    "newbie": ("Nia Newbie", (), False),
}


# project name: (owner, description, other collaborators and their roles)
DEMO_PROJECTS: dict[str, tuple[str, str, dict[str, ProjectRoleName]]] = {
    "sampleproject": ("alice", "A sample Python project.", {"bob": ProjectRoleName.Maintainer}),
    "requests-toolbelt-demo": (
        "alice",
        "Helpers for requests, for trying out shared maintenance.",
        {"bob": ProjectRoleName.Maintainer},
    ),
    "carol-utils": ("carol", "Small utilities Carol keeps to herself.", {}),
    "community-cookbook": ("alice", "Recipes the Demo Community writes together.", {}),
    "company-sdk": ("bob", "The client library of Demo Company Inc.", {}),
}


def demo_totp_secret(username: str) -> bytes:
    return hashlib.sha1(f"warehouse-orgs demo {username}".encode()).digest()  # noqa: S324


def build_demo_data(request: Request) -> list[str]:
    users = request.find_service(IUserService)
    created = []
    password_hash = hash_secret(DEMO_PASSWORD)
    for username, (name, flags, two_factor) in DEMO_USERS.items():
        if users.get_user_by_username(username) is not None:
            continue
        user = users.create_user(username, name, DEMO_PASSWORD, f"{username}@example.com")
        user.password = password_hash
        users.verify_email(user.primary_email)
        for flag in flags:
            users.set_staff_flag(user, flag, True)
        if two_factor:
            user.totp_secret = demo_totp_secret(username)
        created.append(user)
    project_lines = build_demo_projects(request)
    project_lines += build_demo_applications(request)
    project_lines += build_demo_organizations(request)
    project_lines += build_demo_organization_projects(request)
    project_lines += build_demo_teams(request)
    if not created:
        return project_lines or ["Demo data is already there."]
    request.db.flush()
    accounts = f"Demo accounts (password '{DEMO_PASSWORD}'): " + ", ".join(
        _describe(user) for user in created
    )
    return [accounts, *project_lines]


def build_demo_projects(request: Request) -> list[str]:
    """The demo projects that are missing, with their collaborators."""
    users = request.find_service(IUserService)
    projects = request.find_service(IProjectService)
    created = []
    for name, (owner, description, collaborators) in DEMO_PROJECTS.items():
        if projects.get_project_by_name(name) is not None:
            continue
        project = projects.create_project(name, users.get_user_by_username(owner))
        project.description = description
        for username, role_name in collaborators.items():
            projects.add_role(project, users.get_user_by_username(username), role_name)
        people = ", ".join(f"{role.user.username} ({role.role_name})" for role in project.roles)
        created.append(f"{name}: {people}")
    if not created:
        return []
    return ["Demo projects: " + "; ".join(created)]


# Pending applications: (applicant, name, display name, type, days since submitted). Two
# applicants want the same name, so approving one shows the other being declined.
DEMO_APPLICATIONS: tuple[tuple[str, str, str, str, int], ...] = (
    ("alice", "sample-collective", "Sample Collective", "Community", 21),
    ("bob", "toolbelt-maintainers", "Toolbelt Maintainers", "Community", 14),
    ("carol", "carol-consulting", "Carol Consulting Ltd", "Company", 10),
    ("newbie", "sample_collective", "Sample Collective (fan club)", "Community", 8),
    ("alice", "acme-data", "ACME Data Inc.", "Company", 5),
    ("bob", "python-teachers", "Python Teachers", "Community", 3),
    ("carol", "carol-labs", "Carol Labs", "Company", 2),
    ("newbie", "first-steps", "First Steps", "Community", 0),
)


def build_demo_applications(request: Request) -> list[str]:
    """The demo applications that are missing, waiting for review, oldest first."""
    users = request.find_service(IUserService)
    now = datetime.datetime.now(datetime.UTC)
    created = []
    for username, name, display_name, orgtype, days in DEMO_APPLICATIONS:
        applicant = users.get_user_by_username(username)
        exists = request.db.scalar(
            select(OrganizationApplication.id).where(
                OrganizationApplication.submitted_by_id == applicant.id,
                OrganizationApplication.name == name,
            )
        )
        if exists is not None:
            continue
        application = OrganizationApplication(
            submitted_by=applicant,
            name=name,
            display_name=display_name,
            orgtype=orgtype,
            link_url=f"https://{name.replace('_', '-')}.example.com/",
            description=f"{display_name}, a demo applicant.",
            usage=f"{display_name} wants one place for the packages its people maintain.",
            membership_size="2-5",
            submitted=now - datetime.timedelta(days=days, hours=1),
        )
        request.db.add(application)
        request.db.flush()
        application.record_event(
            EventTag.OrganizationApplicationSubmit,
            request,
            {"organization": name, "orgtype": orgtype, "actor": username},
        )
        created.append(f"{name} ({username}, {orgtype})")
    if not created:
        return []
    return ["Demo applications waiting for review: " + ", ".join(created)]


def _describe(user: User) -> str:
    roles = ", ".join(user.staff_roles)
    extra = [roles] if roles else []
    if not user.has_two_factor:
        extra.append("no two-factor yet")
    return user.username + (f" ({'; '.join(extra)})" if extra else "")


# name: (display name, type, {username: role}, the role carol accepted an invitation to);
# newbie is invited to each (one invitation pending, an older one expired). alice is a Manager,
# not an Owner, of demo-company, so that a team is her only way to its projects.
DEMO_ORGANIZATIONS: dict[
    str, tuple[str, str, dict[str, OrganizationRoleType], OrganizationRoleType]
] = {
    "demo-community": (
        "Demo Community",
        "Community",
        {"alice": OrganizationRoleType.Owner, "bob": OrganizationRoleType.Manager},
        OrganizationRoleType.Member,
    ),
    "demo-company": (
        "Demo Company Inc.",
        "Company",
        {"bob": OrganizationRoleType.Owner, "alice": OrganizationRoleType.Manager},
        OrganizationRoleType.BillingManager,
    ),
}


def build_demo_organizations(request: Request) -> list[str]:
    """The demo organizations that are missing, with members in every role and invitations
    pending, expired and accepted."""
    users = request.find_service(IUserService)
    organizations = request.find_service(IOrganizationService)
    membership = request.find_service(IOrganizationMembershipService)
    created, activated = [], []
    for name, (display_name, orgtype, members, carols_role) in DEMO_ORGANIZATIONS.items():
        if organizations.get_organization_by_name(name) is not None:
            continue
        organization = Organization(
            name=name,
            display_name=display_name,
            orgtype=orgtype,
            link_url=f"https://{name}.example.com/",
            description=f"{display_name}, a demo organization.",
        )
        request.db.add(organization)
        request.db.flush()
        request.db.refresh(organization, ["normalized_name"])
        request.db.add(
            OrganizationNameCatalog(
                normalized_name=organization.normalized_name, organization_id=organization.id
            )
        )
        organization.record_event(
            EventTag.OrganizationCreate, request, {"submitted_by": next(iter(members))}
        )
        for username, role_name in members.items():
            membership.add_role(organization, users.get_user_by_username(username), role_name)
        if orgtype == "Company":
            # A Company organization grows only in good standing (invariant 8): staff's manual
            # activation lets the demo one invite like the Community one. The demo Company
            # applications, once approved, show the gate and the payment loop.
            until = datetime.date.today() + datetime.timedelta(days=365)
            request.find_service(ISubscriptionService).set_manual_activation(
                organization, 25, until
            )
            activated.append(
                f"{name} is in good standing through a manual activation until {until}."
            )
        carol, newbie = users.get_user_by_username("carol"), users.get_user_by_username("newbie")
        accepted, _ = membership.invite(organization, carol, carols_role)
        membership.accept_invitation(accepted)
        expired, _ = membership.invite(organization, newbie, OrganizationRoleType.Manager)
        expired.status = OrganizationInvitationStatus.Expired
        expired.expires_at = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=2)
        request.db.flush()
        membership.invite(organization, newbie, OrganizationRoleType.Member)
        created.append(f"{name} ({orgtype})")
    if not created:
        return []
    return [
        "Demo organizations: " + ", ".join(created) + "; newbie has a pending invitation to each.",
        *activated,
    ]


# organization: the demo projects it holds. Organization Owners administer an organization's
# projects, so their own Owner roles on these go, as when an Owner adds a project of theirs.
DEMO_ORGANIZATION_PROJECTS: dict[str, tuple[str, ...]] = {
    "demo-community": ("community-cookbook", "requests-toolbelt-demo"),
    "demo-company": ("company-sdk",),
}


def build_demo_organization_projects(request: Request) -> list[str]:
    """Puts the demo projects that are in no organization yet into theirs, the way an Owner of
    both does it on the organization's Projects page: through the service, so the events are
    recorded and the Owner's own role goes."""
    organizations = request.find_service(IOrganizationService)
    projects = request.find_service(IProjectService)
    organization_projects = request.find_service(IOrganizationProjectService)
    added = []
    for name, project_names in DEMO_ORGANIZATION_PROJECTS.items():
        organization = organizations.get_organization_by_name(name)
        for project_name in project_names:
            project = projects.get_project_by_name(project_name)
            if organization_projects.current_organization(project) is not None:
                continue
            owner = next(r.user for r in project.roles if r.role_name == ProjectRoleName.Owner)
            organization_projects.add_project(organization, project, owner)
            added.append(f"{project.name} in {name}")
    if not added:
        return []
    return ["Demo organization projects: " + ", ".join(added)]


# organization: {team: (members, {project: the team's role})}. Each of alice, bob and carol
# reaches a project through a team alone: alice company-sdk, bob community-cookbook, carol
# community-cookbook and requests-toolbelt-demo.
DEMO_TEAMS: dict[str, dict[str, tuple[tuple[str, ...], dict[str, TeamProjectRoleType]]]] = {
    "demo-community": {
        "Documentation": (
            ("bob", "carol"),
            {
                "community-cookbook": TeamProjectRoleType.Owner,
                "requests-toolbelt-demo": TeamProjectRoleType.Maintainer,
            },
        ),
    },
    "demo-company": {
        "Platform": (("alice",), {"company-sdk": TeamProjectRoleType.Maintainer}),
    },
}


def build_demo_teams(request: Request) -> list[str]:
    """The demo teams, memberships and team roles on projects that are missing."""
    users = request.find_service(IUserService)
    organizations = request.find_service(IOrganizationService)
    projects = request.find_service(IProjectService)
    teams = request.find_service(ITeamService)
    changed, refused = [], []
    for name, organization_teams in DEMO_TEAMS.items():
        organization = organizations.get_organization_by_name(name)
        for team_name, (members, grants) in organization_teams.items():
            team = teams.get_team(organization, team_name)
            news = []
            if team is None:
                team = teams.create_team(organization, team_name)
                news.append("created")
            for username in members:
                user = users.get_user_by_username(username)
                if teams.team_role_of(team, user) is not None:
                    continue
                try:
                    teams.add_member(team, user)
                except TeamMembershipRefused as refusal:
                    # A database built before the teams may hold older demo roles (alice was
                    # demo-company's Billing Manager); `make resetdb` builds the current ones.
                    refused.append(str(refusal))
                    continue
                news.append(username)
            for project_name, role_name in grants.items():
                project = projects.get_project_by_name(project_name)
                if teams.get_grant(team, project) is not None:
                    continue
                teams.grant_project(team, project, role_name)
                news.append(f"{role_name} of {project_name}")
            if news:
                changed.append(f"{team_name} in {name} ({', '.join(news)})")
    lines = ["Demo teams: " + "; ".join(changed)] if changed else []
    if refused:
        lines.append("Left out (run `make resetdb` for the current demo): " + " ".join(refused))
    return lines
