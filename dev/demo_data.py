"""The demo data ``make serve`` builds the first time it runs.

``build_demo_data(request)`` runs inside one transaction and is idempotent: it adds what is
missing and leaves what is there. It returns the lines to print.

Every demo account has the password ``password`` and two-factor authentication whose secret is
derived from the username, so ``make totp U=<username>`` can print a current code.
"""

import contextlib
import datetime
import hashlib
from collections.abc import Iterator

from pyramid.request import Request
from sqlalchemy import select

from warehouse_orgs.accounts.interfaces import IUserService
from warehouse_orgs.accounts.models import User
from warehouse_orgs.accounts.services import hash_secret
from warehouse_orgs.domains.interfaces import IDomainVerificationService
from warehouse_orgs.domains.models import DomainCheck
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
from warehouse_orgs.organizations.owner_approval_interfaces import (
    IOwnerApprovalService,
    OwnerChangeProposal,
)
from warehouse_orgs.organizations.owner_approval_models import OwnerChangeKind
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.organizations.project_interfaces import IOrganizationProjectService
from warehouse_orgs.organizations.succession_interfaces import ISuccessionService
from warehouse_orgs.packaging.interfaces import IProjectService
from warehouse_orgs.packaging.models import ProjectRoleName
from warehouse_orgs.sponsors.interfaces import (
    InquiryValues,
    ISponsorLogoStorage,
    ISponsorService,
    LevelValues,
    SponsorValues,
)
from warehouse_orgs.sponsors.logos import check_logo
from warehouse_orgs.sponsors.models import Sponsor, SponsorInquiry
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
    project_lines += build_demo_domain(request)
    project_lines += build_demo_handover(request)
    project_lines += build_demo_owner_approval(request)
    project_lines += build_demo_sponsors(request)
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
        organization = _create_demo_organization(request, name, display_name, orgtype, members)
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


def _create_demo_organization(
    request: Request,
    name: str,
    display_name: str,
    orgtype: str,
    members: dict[str, OrganizationRoleType],
) -> Organization:
    """An active organization, as staff's approval makes one, with ``members`` in their roles."""
    users = request.find_service(IUserService)
    membership = request.find_service(IOrganizationMembershipService)
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
    return organization


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


# A domain demo-community proved it owns: its badge shows on /org/demo-community/ and in the
# directory. The demo publishes no DNS record, so the domain is added as an Owner adds it and
# then marked verified as a successful look-up marks it; `warehouse-orgs domains recheck` would
# find no record and take the badge away (`make resetdb` brings it back).
DEMO_VERIFIED_DOMAIN = ("demo-community", "demo-community.example.com")


def build_demo_domain(request: Request) -> list[str]:
    organization_name, name = DEMO_VERIFIED_DOMAIN
    organization = request.find_service(IOrganizationService).get_organization_by_name(
        organization_name
    )
    domains = request.find_service(IDomainVerificationService)
    if any(domain.domain == name for domain in domains.domains(organization)):
        return []
    domain = domains.add_domain(organization, name)
    domain.verified_at = domain.last_checked_at = datetime.datetime.now(datetime.UTC)
    domain.last_check_result = DomainCheck.verified
    organization.record_event(
        EventTag.OrganizationDomainVerify, request, {"domain": name, "result": "verified"}
    )
    return [f"Demo verified domain: {name} of {organization_name}"]


# An organization whose only Owner is carol, which PyPI staff (support) are handing over to its
# member bob unless an Owner objects: as carol, /manage/organization/legacy-tools/handover/ has
# a handover to object to.
DEMO_HANDOVER_ORGANIZATION = "legacy-tools"
DEMO_HANDOVER_MEMBERS = {"carol": OrganizationRoleType.Owner, "bob": OrganizationRoleType.Member}
DEMO_HANDOVER_REASON = (
    "No Owner has answered our emails for over a year; bob, a member, asked to look after the "
    "organization's projects."
)


@contextlib.contextmanager
def _acting_as(request: Request, user: User, *, staff: bool = False) -> Iterator[None]:
    """What ``user`` does through the pages; with ``staff``, through the staff pages, so the
    history says PyPI staff did it."""
    saved = {
        key: request.__dict__[key] for key in ("user", "acting_as_staff") if key in request.__dict__
    }
    request.user, request.acting_as_staff = user, staff
    try:
        yield
    finally:
        for key in ("user", "acting_as_staff"):
            request.__dict__.pop(key, None)
        request.__dict__.update(saved)


def build_demo_handover(request: Request) -> list[str]:
    if (
        request.find_service(IOrganizationService).get_organization_by_name(
            DEMO_HANDOVER_ORGANIZATION
        )
        is not None
    ):
        return []
    organization = _create_demo_organization(
        request, DEMO_HANDOVER_ORGANIZATION, "Legacy Tools", "Community", DEMO_HANDOVER_MEMBERS
    )
    support = request.find_service(IUserService).get_user_by_username("support")
    with _acting_as(request, support, staff=True):
        handover = request.find_service(ISuccessionService).start_handover(
            organization, "bob", DEMO_HANDOVER_REASON
        )
    return [
        f"Demo handover: {DEMO_HANDOVER_ORGANIZATION} (carol Owner, bob Member) goes to bob on "
        f"{handover.takes_effect_at:%Y-%m-%d} unless carol objects"
    ]


# An organization whose owner changes need a second Owner's approval (issue 13), with alice and
# bob its Owners and bob's proposal to invite newbie as an Owner waiting: as alice,
# /manage/organization/two-key-tools/owner-changes/ offers approving or rejecting it; as bob,
# withdrawing it.
DEMO_GUARDED_ORGANIZATION = "two-key-tools"
DEMO_GUARDED_MEMBERS = {"alice": OrganizationRoleType.Owner, "bob": OrganizationRoleType.Owner}


def build_demo_owner_approval(request: Request) -> list[str]:
    if (
        request.find_service(IOrganizationService).get_organization_by_name(
            DEMO_GUARDED_ORGANIZATION
        )
        is not None
    ):
        return []
    organization = _create_demo_organization(
        request, DEMO_GUARDED_ORGANIZATION, "Two-Key Tools", "Community", DEMO_GUARDED_MEMBERS
    )
    users = request.find_service(IUserService)
    approvals = request.find_service(IOwnerApprovalService)
    with _acting_as(request, users.get_user_by_username("alice")):
        approvals.require_second_owner(organization)
    with _acting_as(request, users.get_user_by_username("bob")):
        approvals.propose(
            organization, OwnerChangeProposal(OwnerChangeKind.InviteOwner, invitee="newbie")
        )
    return [
        f"Demo second Owner's approval: {DEMO_GUARDED_ORGANIZATION} (alice and bob Owners) "
        "requires it; bob's proposal to invite newbie as Owner waits for alice"
    ]


# The prospectus: (name, dollars a year, benefits). The amounts follow the PSF's tiers.
DEMO_SPONSOR_LEVELS: list[tuple[str, int, tuple[str, ...]]] = [
    (
        "Visionary",
        150_000,
        (
            "Your logo at the top of /sponsors/ and in the footer of every page",
            "A named thank-you in the PSF's annual report and at PyCon US",
            "A yearly call with the PyPI team about the index's roadmap",
        ),
    ),
    (
        "Sustainability",
        90_000,
        (
            "Your logo on /sponsors/ and in the footer of every page",
            "A thank-you in the PSF's annual report",
        ),
    ),
    (
        "Maintaining",
        60_000,
        ("Your logo on /sponsors/ and in the footer", "A thank-you on the PSF blog"),
    ),
    ("Contributing", 30_000, ("Your logo on /sponsors/", "A thank-you on the PSF blog")),
    ("Supporting", 15_000, ("Your logo on /sponsors/",)),
    ("Partner", 7_500, ("Your name and logo on /sponsors/",)),
]

# slug: (name, level or kind, brand colour, service or activity)
DEMO_SPONSORS: dict[str, tuple[str, str, str, str]] = {
    "northwind-cloud": (
        "Northwind Cloud",
        "Visionary",
        "#1f5fbf",
        "Northwind Cloud funds a full-time **PyPI security engineer** and the organization "
        "account programme.",
    ),
    "larkspur-data": (
        "Larkspur Data",
        "Sustainability",
        "#7a3fb8",
        "Larkspur Data pays for the support team that answers "
        "[PyPI support requests](https://github.com/pypi/support).",
    ),
    "harbor-analytics": (
        "Harbor Analytics",
        "Maintaining",
        "#0f7a6b",
        "Harbor Analytics sponsors packaging documentation sprints.",
    ),
    "quill-systems": ("Quill Systems", "Contributing", "#b3431f", ""),
    "tidewater-labs": ("Tidewater Labs", "Contributing", "#2f6f8f", ""),
    "ember-software": ("Ember Software", "Supporting", "#c2410c", ""),
    "juniper-works": ("Juniper Works", "Partner", "#4d7c0f", ""),
    "swiftedge-cdn": ("SwiftEdge CDN", "infra", "#e0115f", "Content delivery network"),
    "stratus-storage": (
        "Stratus Storage",
        "infra",
        "#334155",
        "Object storage and download analytics",
    ),
    "beacon-monitoring": ("Beacon Monitoring", "infra", "#9333ea", "Monitoring and alerting"),
    "postbox-mail": ("Postbox Mail", "infra", "#0369a1", "Email delivery"),
    "acorn-foundation": ("Acorn Foundation", "one_time", "#854d0e", ""),
    "meridian-group": ("Meridian Group", "one_time", "#be123c", ""),
}


def _demo_logo(name: str, colour: str, *, white: bool) -> bytes:
    """A plain SVG logo: the initials in a rounded square, then the name."""
    initials = "".join(word[0] for word in name.split()[:2])
    fill, text = ("none", "#ffffff") if white else ("#ffffff", colour)
    mark = "#ffffff" if white else colour
    mark_text = colour if white else "#ffffff"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="64" viewBox="0 0 240 64">'
        f'<rect width="240" height="64" fill="{fill}"/>'
        f'<rect x="4" y="8" width="48" height="48" rx="10" fill="{mark}"/>'
        f'<text x="28" y="41" font-family="sans-serif" font-size="20" font-weight="700" '
        f'fill="{mark_text}" text-anchor="middle">{initials}</text>'
        f'<text x="62" y="40" font-family="sans-serif" font-size="19" font-weight="600" '
        f'fill="{text}">{name}</text></svg>'
    ).encode()


def _store_demo_logo(request: Request, slug: str, name: str, colour: str, *, white: bool) -> str:
    logo = check_logo(_demo_logo(name, colour, white=white))
    variant = "white" if white else "color"
    storage = request.find_service(ISponsorLogoStorage)
    return storage.store(logo.file_name(slug, variant), logo.content, logo.content_type)


def build_demo_sponsors(request: Request) -> list[str]:
    """The prospectus's levels, a sponsor list across them with infrastructure and one-time
    sponsors, and two inquiries: whatever is missing."""
    sponsors = request.find_service(ISponsorService)
    lines = []
    known_levels = {level.name: level for level in sponsors.levels()}
    new_levels = []
    for position, (name, amount, benefits) in enumerate(DEMO_SPONSOR_LEVELS, start=1):
        if name not in known_levels:
            known_levels[name] = sponsors.create_level(
                LevelValues(name, amount, "\n".join(benefits), position=position)
            )
            new_levels.append(name)
    if new_levels:
        lines.append("Demo sponsor levels: " + ", ".join(new_levels))
    order = {name: position for position, (name, _, _) in enumerate(DEMO_SPONSOR_LEVELS, 1)}
    new_sponsors = []
    for slug, (name, kind, colour, text) in DEMO_SPONSORS.items():
        if request.db.scalar(select(Sponsor.id).where(Sponsor.slug == slug)) is not None:
            continue
        psf = kind in order
        # The higher levels and every infrastructure sponsor are in the footer.
        in_footer = psf and order[kind] <= 3
        white = in_footer or kind == "infra"
        sponsors.create_sponsor(
            SponsorValues(
                name=name,
                slug=slug,
                link_url=f"https://{slug}.example.com/",
                color_logo_url=_store_demo_logo(request, slug, name, colour, white=False),
                white_logo_url=(
                    _store_demo_logo(request, slug, name, colour, white=True) if white else None
                ),
                service=text if kind == "infra" else None,
                activity_markdown=text if psf and text else None,
                level_name=kind if psf else None,
                level_order=order.get(kind, 0),
                footer=in_footer,
                psf_sponsor=psf,
                infra_sponsor=kind == "infra",
                one_time=kind == "one_time",
            )
        )
        new_sponsors.append(name)
    if new_sponsors:
        lines.append("Demo sponsors: " + ", ".join(new_sponsors))
    if request.db.scalar(select(SponsorInquiry.id).limit(1)) is None:
        sponsors.submit_inquiry(
            InquiryValues(
                company="Kestrel Robotics",
                contact_name="Rosa Kestrel",
                contact_email="rosa@kestrel-robotics.example.com",
                message="We build on dozens of PyPI packages and would like to give back. "
                "Could we talk about the Maintaining level this quarter?",
                level_id=known_levels["Maintaining"].id,
            )
        )
        followed_up = sponsors.submit_inquiry(
            InquiryValues(
                company="Pinecone Printing",
                contact_name="Omar Pine",
                contact_email="omar@pinecone-printing.example.com",
                message="A small company, but PyPI matters to us. What would a first year look "
                "like for us?",
            )
        )
        sponsors.update_inquiry(
            followed_up, "contacted", "Sent the prospectus; call booked for next week."
        )
        lines.append("Demo sponsor inquiries: Kestrel Robotics (new), Pinecone Printing")
    return lines
