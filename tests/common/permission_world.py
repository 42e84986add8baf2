"""The people of the permission matrix (tests/functional/test_permission_matrix.py) and the
organizations, projects, applications and invitations they are asked about.

Everything is built once per test in a handful of batched INSERTs (factories' ``build``, one
flush), because a test asks sixteen kinds of person the same question; each of them then works
inside a savepoint that is rolled back, so each finds the same untouched rows.
"""

import functools
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from tests.common.db.accounts import EmailFactory, UserFactory
from tests.common.db.organizations import (
    OrganizationApplicationFactory,
    OrganizationFactory,
    OrganizationInvitationFactory,
    OrganizationRoleFactory,
    TeamFactory,
)
from tests.common.db.packaging import ProjectFactory, RoleFactory
from tests.common.db.sponsors import SponsorFactory, SponsorInquiryFactory, SponsorLevelFactory
from tests.common.db.subscriptions import ManualActivationFactory
from warehouse_orgs.accounts.models import RecoveryCode, User
from warehouse_orgs.accounts.services import hash_secret
from warehouse_orgs.organizations.models import (
    Organization,
    OrganizationNameCatalog,
    OrganizationProject,
    OrganizationRole,
    OrganizationType,
    Team,
    TeamRole,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.packaging.models import Project, ProjectRoleName

Org = OrganizationRoleType
COMMUNITY, COMPANY = OrganizationType.Community, OrganizationType.Company
RECOVERY_CODE = "0123456789abcdef"


@dataclass(frozen=True)
class Principal:
    label: str
    signed_in: bool = True
    two_factor: bool = True
    verified_email: bool = True
    staff_flags: tuple[str, ...] = ()
    # The kind of organization this person has a role in, and the role.
    organization: tuple[OrganizationType, OrganizationRoleType] | None = None
    project_role: ProjectRoleName | None = None
    # Submitted the organization application the application routes are asked about.
    applicant: bool = False

    def __str__(self) -> str:
        return self.label

    @property
    def organization_type(self) -> OrganizationType:
        """The kind of organization (and of its project) this person is asked about: their own
        kind, or a Company (where every role exists) for people with no role."""
        return self.organization[0] if self.organization else COMPANY


PRINCIPALS = [
    Principal("anonymous", signed_in=False),
    # Holds every right there is but lacks two-factor authentication: the account pages are
    # all the contract leaves them, whatever their roles.
    Principal(
        "no-2fa",
        two_factor=False,
        staff_flags=("is_superuser",),
        organization=(COMPANY, Org.Owner),
        project_role=ProjectRoleName.Owner,
        applicant=True,
    ),
    # The same, with two-factor authentication but no verified email address.
    Principal(
        "unverified-email",
        verified_email=False,
        staff_flags=("is_superuser",),
        organization=(COMPANY, Org.Owner),
        project_role=ProjectRoleName.Owner,
        applicant=True,
    ),
    # Verified email and two-factor, no role anywhere; has applied for an organization.
    Principal("non-member", applicant=True),
    Principal("community-owner", organization=(COMMUNITY, Org.Owner)),
    Principal("community-manager", organization=(COMMUNITY, Org.Manager)),
    Principal("community-member", organization=(COMMUNITY, Org.Member)),
    Principal("company-owner", organization=(COMPANY, Org.Owner)),
    Principal("company-billing-manager", organization=(COMPANY, Org.BillingManager)),
    Principal("company-manager", organization=(COMPANY, Org.Manager)),
    Principal("company-member", organization=(COMPANY, Org.Member)),
    Principal("project-owner", project_role=ProjectRoleName.Owner),
    Principal("project-maintainer", project_role=ProjectRoleName.Maintainer),
    Principal("admins", staff_flags=("is_superuser",)),
    Principal("moderators", staff_flags=("is_moderator",)),
    Principal("support", staff_flags=("is_support",)),
    Principal("psf_staff", staff_flags=("is_psf_staff",)),
]
PRINCIPALS_BY_LABEL = {principal.label: principal for principal in PRINCIPALS}

_fresh = itertools.count()


def fresh(prefix: str) -> str:
    """A name no other row of this process has."""
    return f"{prefix}{next(_fresh)}"


@functools.cache
def recovery_code_hash() -> str:
    # argon2 is slow on purpose: hash the one test code once per process.
    return hash_secret(RECOVERY_CODE)


def _user(prefix: str = "matrix-", **kwargs: Any) -> User:
    username = fresh(prefix)
    # A plain name: Faker's would cost more than everything else the world builds.
    return UserFactory.build(username=username, name=username.title(), **kwargs)


def _normalized(name: str) -> str:
    # The factories' names are lower case already; PEP 503 folds runs of - _ . into one -.
    return re.sub(r"[-_.]+", "-", name).lower()


class World:
    """Every principal's account, and for each kind of organization: the organization (a
    co-owner, the principals' roles, someone else's Member role, a pending invitation) and a
    project it owns (the co-owner, the principals' project roles, a Maintainer); each
    applicant's application; an invitation for every signed-in principal to an organization
    they are not in; and spare accounts the forms name."""

    def __init__(self, db: Session, settings: dict[str, Any]) -> None:
        self.db = db
        self.settings = settings
        self.users = {
            p.label: _user(
                p.label.replace("_", "-") + "-",
                without_two_factor=not p.two_factor,
                primary_email__verified=p.verified_email,
                **dict.fromkeys(p.staff_flags, True),
            )
            for p in PRINCIPALS
            if p.signed_in
        }
        self.co_owner = _user()
        self.spare = _user()  # has no role anywhere: the one to invite or add
        self.other_user = _user()  # the account the admin user pages are about
        self.password_only = _user(without_two_factor=True)  # logs in with a password alone
        self.half_logged_in = _user()  # finishes a login with a TOTP or a recovery code
        self.unverified_email = EmailFactory.build(user=_user(), primary=False, verified=False)
        rows: list[Any] = [
            *self.users.values(),
            self.co_owner,
            self.spare,
            self.other_user,
            self.password_only,
            self.half_logged_in,
            self.unverified_email.user,
            RecoveryCode(user=self.half_logged_in, code_hash=recovery_code_hash()),
        ]
        self.organizations: dict[OrganizationType, Organization] = {}
        self.members: dict[OrganizationType, OrganizationRole] = {}
        self.invitations: dict[OrganizationType, Any] = {}
        self.projects: dict[OrganizationType, Project] = {}
        self.collaborators: dict[OrganizationType, Any] = {}
        self.own_roles: dict[str, OrganizationRole] = {}
        self.teams: dict[OrganizationType, Team] = {}
        self.team_members: dict[OrganizationType, TeamRole] = {}
        self.own_team_roles: dict[str, TeamRole] = {}
        for kind in (COMMUNITY, COMPANY):
            rows.extend(self._organization_and_project(kind))
        self.applications = {
            p.label: OrganizationApplicationFactory.build(submitted_by=self.users[p.label])
            for p in PRINCIPALS
            if p.applicant
        }
        rows.extend(self.applications.values())
        # The sponsor pages' rows: a sponsor, a level of the prospectus, an inquiry.
        self.sponsor = SponsorFactory.build(slug=fresh("matrix-sponsor-"))
        self.sponsor_level = SponsorLevelFactory.build(name=fresh("Matrix level "))
        self.sponsor_inquiry = SponsorInquiryFactory.build()
        rows.extend([self.sponsor, self.sponsor_level, self.sponsor_inquiry])
        inviting = self._organization()
        rows.append(inviting)
        self.invitation_tokens = {}
        for label, user in self.users.items():
            token = self.invitation_tokens[label] = fresh("matrix-invitation-")
            OrganizationInvitationFactory.build(
                organization=inviting, user=user, invited_by=self.co_owner, token=token
            )
        db.add_all(rows)
        db.flush()
        # Rows that name the others only by id.
        db.add_all(
            [
                *(
                    OrganizationNameCatalog(
                        normalized_name=_normalized(organization.name),
                        organization_id=organization.id,
                    )
                    for organization in [*self.organizations.values(), inviting]
                ),
                *(
                    OrganizationProject(
                        organization_id=self.organizations[kind].id, project_id=p.id
                    )
                    for kind, p in self.projects.items()
                ),
                # The Company organization is in good standing, so the requests the matrix
                # allows (invite, create a team, add a project) change something; the gate
                # itself is tests/functional/manage/test_good_standing_gate.py's.
                ManualActivationFactory.build(organization=self.organizations[COMPANY]),
            ]
        )
        # Each organization's team: the other Member and every principal whose role may be on
        # a team (not Billing Managers), so that principals can leave it.
        for kind, team in self.teams.items():
            self.team_members[kind] = self._team_role(team, self.members[kind])
            db.add(self.team_members[kind])
            for label, role in self.own_roles.items():
                if role.organization is team.organization and role.role_name != Org.BillingManager:
                    self.own_team_roles[label] = self._team_role(team, role)
                    db.add(self.own_team_roles[label])
        db.flush()

    @staticmethod
    def _team_role(team: Team, role: OrganizationRole) -> TeamRole:
        return TeamRole(
            team_id=team.id,
            organization_id=team.organization_id,
            organization_role_id=role.id,
            organization_role_name=role.role_name,
        )

    def _organization(self, **kwargs: Any) -> Organization:
        organization = OrganizationFactory.build(**kwargs)
        OrganizationRoleFactory.build(
            organization=organization, user=self.co_owner, role_name=Org.Owner
        )
        return organization

    def _organization_and_project(self, kind: OrganizationType) -> list[Any]:
        organization = self.organizations[kind] = self._organization(orgtype=kind.value)
        project = self.projects[kind] = ProjectFactory.build()
        RoleFactory.build(project=project, user=self.co_owner, role_name=ProjectRoleName.Owner)
        for p in PRINCIPALS:
            if p.signed_in and p.organization_type == kind and p.organization:
                self.own_roles[p.label] = OrganizationRoleFactory.build(
                    organization=organization, user=self.users[p.label], role_name=p.organization[1]
                )
            if p.signed_in and p.organization_type == kind and p.project_role:
                RoleFactory.build(
                    project=project, user=self.users[p.label], role_name=p.project_role
                )
        self.members[kind] = OrganizationRoleFactory.build(
            organization=organization, user=_user(), role_name=Org.Member
        )
        self.invitations[kind] = OrganizationInvitationFactory.build(
            organization=organization, user=_user(), invited_by=self.co_owner
        )
        self.collaborators[kind] = RoleFactory.build(
            project=project, user=_user(), role_name=ProjectRoleName.Maintainer
        )
        self.teams[kind] = TeamFactory.build(organization=organization, name=fresh("Team "))
        return [organization, project, self.teams[kind]]

    @contextmanager
    def seat(self, principal: Principal) -> Iterator["Seat"]:
        """``principal``'s view of the world, inside a savepoint rolled back afterwards."""
        savepoint = self.db.begin_nested()
        try:
            yield Seat(self, principal)
        finally:
            savepoint.rollback()


class Seat:
    """The rows a case names, as seen from one principal: their own organization and project
    (or a Company's, if they have none), their own application (or the non-member's)."""

    def __init__(self, world: World, principal: Principal) -> None:
        kind = principal.organization_type
        self.world = world
        self.db = world.db
        self.principal = principal
        self.user: User | None = world.users.get(principal.label)
        self.organization = world.organizations[kind]
        self.own_role = world.own_roles.get(principal.label)
        self.member = world.members[kind]
        self.invitation = world.invitations[kind]
        self.project = world.projects[kind]
        self.collaborator = world.collaborators[kind]
        self.team = world.teams[kind]
        self.team_member = world.team_members[kind]
        self.own_team_role = world.own_team_roles.get(principal.label)
        self.application = world.applications.get(principal.label, world.applications["non-member"])
        self.own_invitation_token = world.invitation_tokens.get(principal.label, "no-invitation")

    def placeholder(self, name: str) -> str:
        """The value for ``{name}`` in a route's pattern."""
        values = {
            "organization_name": lambda: self.organization.name,
            "organization_id": lambda: self.organization.id,
            "role_id": lambda: self.member.id,
            "project_name": lambda: self.project.name,
            "application_id": lambda: self.application.id,
            "user_id": lambda: self.world.other_user.id,
            "team_name": lambda: self.team.name,
            "sponsor_id": lambda: self.world.sponsor.id,
            "level_id": lambda: self.world.sponsor_level.id,
            "inquiry_id": lambda: self.world.sponsor_inquiry.id,
        }
        return str(values[name]())
