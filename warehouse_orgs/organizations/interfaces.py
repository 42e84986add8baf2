"""The organizations feature's contract: three services, one per aggregate, and the refusals
they raise. Views, tasks and other features depend on these, never on the classes behind them.

- ``IOrganizationService``: the organization itself (names, lookups, details, rename, delete).
- ``IOrganizationApplicationService``: applying for an organization and the staff review.
- ``IOrganizationMembershipService``: members, their roles, and invitations.
- ``ITeamService``: teams, their members, and their roles on the organization's projects.

Every method that changes an aggregate first takes that aggregate's lock (see the services), so
two requests changing the same organization's members, or the same application, run one after
the other and the second sees the first's result.
"""

import dataclasses
import datetime
import enum
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

from zope.interface import Interface

from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.ownership import LastOwnerRefused

if TYPE_CHECKING:
    from warehouse_orgs.accounts.models import User
    from warehouse_orgs.organizations.models import (
        ApplicationMessageKind,
        Organization,
        OrganizationApplication,
        OrganizationApplicationMessage,
        OrganizationHandover,
        OrganizationInvitation,
        OrganizationRole,
        Team,
        TeamProjectRole,
        TeamProjectRoleType,
        TeamRole,
    )
    from warehouse_orgs.organizations.permissions import OrganizationRoleType
    from warehouse_orgs.packaging.models import Project
    from warehouse_orgs.pagination import Page

__all__ = [
    "MEMBERSHIP_REFUSALS",
    "ApplicationRefused",
    "ApplicationReview",
    "Authority",
    "IOrganizationApplicationService",
    "IOrganizationMembershipService",
    "IOrganizationService",
    "IOrganizationStanding",
    "ITeamService",
    "InvitationRefused",
    "LastOwnerRefused",
    "MembershipRefused",
    "NameUnavailable",
    "OrganizationError",
    "OrganizationHasProjects",
    "OrganizationRecord",
    "ProjectAccess",
    "SecondOwnerNeeded",
    "Standing",
    "TeamGrantRefused",
    "TeamMembershipRefused",
    "TeamNameUnavailable",
    "TeamRefused",
    "TeamSummary",
    "TooManyApplications",
    "TwoOwnersNeeded",
    "YourOrganizations",
]


class OrganizationError(Exception):
    """A request the rules refuse; the message is for the person who asked."""


class NameUnavailable(OrganizationError):
    """The name is reserved, taken, or was used by an organization before."""


class OrganizationHasProjects(OrganizationError):
    """An organization that still owns projects cannot be deleted: they are removed or
    transferred first, so none is left without someone to administer it."""


class TooManyApplications(OrganizationError):
    """The applicant already has the most undecided applications allowed."""


class ApplicationRefused(OrganizationError):
    """The application is not in a state that allows this (decided, withdrawn, ...)."""


class MembershipRefused(OrganizationError):
    """A change to the members the rules do not allow (already a member, wrong role, ...)."""


class InvitationRefused(OrganizationError):
    """The invitation cannot be sent, answered, revoked or resent as asked."""


class Authority(enum.Enum):
    """Who stands behind a change to who owns an organization, for the rule an organization
    may turn on: owner changes need a second Owner's approval (issue 13)."""

    # One Owner acting alone: under the rule, the change waits for a second Owner.
    OneOwner = "one_owner"
    # A member changing only their own membership (leaving): never waits, but under the rule
    # may not leave fewer than two Owners.
    OwnSelf = "own_self"
    # Approved by a second Owner: applied, still keeping two Owners under the rule.
    TwoOwners = "two_owners"
    # PyPI staff (or staff's handover): the rule does not apply; an organization left with
    # fewer than two Owners stops requiring the second one, with an event saying so.
    Staff = "staff"


class SecondOwnerNeeded(OrganizationError):
    """The organization requires a second Owner's approval for this change: it can only be
    proposed (see IOwnerApprovalService)."""


class TwoOwnersNeeded(MembershipRefused):
    """While owner changes need a second Owner's approval, the organization keeps at least
    two Owners: this change would leave one."""


class TeamRefused(OrganizationError):
    """A change to a team the rules do not allow (the team is gone, the name is not valid...)."""


class TeamNameUnavailable(TeamRefused):
    """Another team of the organization has this name (compared normalized)."""


class TeamMembershipRefused(TeamRefused):
    """The person cannot be put on, or taken off, the team (not a member of the organization,
    a Billing Manager, already on it, no longer on it)."""


class TeamGrantRefused(TeamRefused):
    """The team cannot be given, or lose, this role on this project (the project is not the
    organization's, the team already has a role, a member would demote their own team's
    Owner role)."""


class ProjectAccess(NamedTuple):
    """One person's access to a project through its organization: as an Owner of the
    organization (``team`` is None; they administer it) or as a member of ``team`` with the
    team's role."""

    user_id: uuid.UUID
    role_name: str
    team: str | None


@dataclasses.dataclass(frozen=True)
class TeamSummary:
    """A row of an organization's teams list."""

    team: "Team"
    member_count: int
    project_count: int


@dataclasses.dataclass(frozen=True)
class ApplicationReview:
    """What staff weigh when they decide on an application: whether its name is taken (an
    organization has or had it; asked only while it is undecided), the undecided applications
    for the same name that approving it declines (all of them, oldest first; none once it is
    decided), the applicant's other applications (newest first), organizations and other
    applications with similar names (the closest ten of each, with their similarity, closest
    first), and a page of its history (newest first). Applications come with their
    applicants."""

    name_taken: bool
    competing: list["OrganizationApplication"]
    other_applications: list["OrganizationApplication"]
    similar_organizations: list[tuple["Organization", float]]
    similar_applications: list[tuple["OrganizationApplication", float]]
    events: "Page[Any]"
    # What other features add (organizations.review_facts), by the name they registered.
    extra_facts: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class OrganizationRecord:
    """What staff read of an organization on its admin page: the organization, how many
    Owners it has, and a page of each of its lists: members (users loaded, by username),
    pending and expired invitations (invitees loaded, newest first), its projects' names (by
    name), the applications linked to it (applicants loaded, oldest first), its history
    (newest first) and its latest handover to a member (issue 13's succession), if any."""

    organization: "Organization"
    owner_count: int
    members: "Page[OrganizationRole]"
    invitations: "Page[OrganizationInvitation]"
    project_names: "Page[str]"
    applications: "Page[OrganizationApplication]"
    events: "Page[Any]"
    latest_handover: "OrganizationHandover | None" = None


@dataclasses.dataclass(frozen=True)
class People:
    """What the people page shows: a page of the members (users loaded, by username), how many
    Owners there are, and a page of the invitations (None when not asked for)."""

    members: "Page[OrganizationRole]"
    owner_count: int
    invitations: "Page[OrganizationInvitation] | None"


@dataclasses.dataclass(frozen=True)
class YourOrganizations:
    """What a person's organizations page shows, a page of each list: the organizations they
    belong to with their role (by name), the invitations waiting for their answer (organization
    and inviter loaded, newest first), their applications (newest first), and how many of
    those applications wait for a decision (applying is refused past a limit), and the
    handovers staff started of organizations they own, which they may object to (issue 13's
    succession; each {"organization", "candidate", "takes_effect_at"}, soonest first)."""

    memberships: "Page[tuple[Organization, str]]"
    invitations: "Page[OrganizationInvitation]"
    applications: "Page[OrganizationApplication]"
    undecided_applications: int
    handovers: list[dict[str, str]] = dataclasses.field(default_factory=list)


# What a change to an organization's members can be refused with.
MEMBERSHIP_REFUSALS = (OrganizationError, LastOwnerRefused)


class IOrganizationService(Interface):
    """The organization itself: its names, lookups, details, renaming and deletion."""

    def normalize(name: str) -> str:
        """The PEP 503 normal form of ``name``, as the database computes it."""

    def name_unavailable_reason(
        name: str, *, ignore_application: "OrganizationApplication | None" = None
    ) -> str | None:
        """Why ``name`` cannot be used for a new organization (reserved, taken, once used,
        already applied for by the current user), or None when it is free."""

    def get_organization(organization_id: uuid.UUID | str) -> "Organization | None":
        """The organization with this id, or None (also for an id that is not a UUID)."""

    def get_organization_by_name(name: str) -> "Organization | None":
        """The organization with this current or former name, roles loaded, or None."""

    def record_for_staff(
        organization_id: uuid.UUID | str,
        *,
        members_page: int = 1,
        invitations_page: int = 1,
        projects_page: int = 1,
        applications_page: int = 1,
        events_page: int = 1,
    ) -> OrganizationRecord | None:
        """The organization with this id and the asked page of each of its lists, or None
        (also for an id that is not a UUID): five statements however large it is, the
        organization, its counts and its page of project names being one."""

    def staff_members_page_of(organization: "Organization", role_id: Any) -> int:
        """The page of ``record_for_staff``'s members on which this role is listed."""

    def update_details(organization: "Organization", **details: Any) -> list[str]:
        """Change display name, type, link and description; returns the fields changed.
        A Company organization never becomes a Community one."""

    def rename(organization: "Organization", new_name: str) -> None:
        """Give the organization a new name; the old one keeps redirecting and stays burned."""

    def delete(organization: "Organization", *, authority: Authority = Authority.OneOwner) -> None:
        """Delete the organization; each member's history records it; names stay burned.
        Raises OrganizationHasProjects, judged under the organization's lock, while it still
        owns a project, and SecondOwnerNeeded when the organization requires a second Owner
        and ``authority`` is one Owner alone."""


class IOrganizationApplicationService(Interface):
    """Applying for an organization, and the staff review that decides."""

    def get_application(application_id: uuid.UUID | str) -> "OrganizationApplication | None":
        """The application with this id, or None (also for an id that is not a UUID)."""

    def get_application_with_applicant(
        application_id: uuid.UUID | str,
    ) -> "OrganizationApplication | None":
        """``get_application``, with its applicant and the applicant's email addresses loaded
        in the same statement."""

    def name_taken(application: "OrganizationApplication") -> bool:
        """Whether an organization has, or once had, the application's name: approving it
        would be refused."""

    def review(application: "OrganizationApplication", events_page: int) -> ApplicationReview:
        """Everything ``ApplicationReview`` holds, in four statements however many
        applications, organizations and events there are."""

    def undecided_application_count(user: "User") -> int:
        """How many of ``user``'s applications wait for a decision."""

    def queue_position(application: "OrganizationApplication") -> int | None:
        """How many undecided applications are ahead of this one; None once decided."""

    def submit_application(submitter: "User", **details: Any) -> "OrganizationApplication":
        """Apply; refuses a name that is unavailable and a fourth undecided application."""

    def edit_application(application: "OrganizationApplication", **details: Any) -> None:
        """Change an application still waiting for review."""

    def withdraw_application(application: "OrganizationApplication") -> None:
        """The applicant takes back an undecided application."""

    def add_message(
        application: "OrganizationApplication", kind: "ApplicationMessageKind", body: str
    ) -> "OrganizationApplicationMessage":
        """A staff question (asks for more information), an answer (back to review), or an
        internal note."""

    def messages(
        application: "OrganizationApplication", *, include_notes: bool
    ) -> list["OrganizationApplicationMessage"]:
        """The conversation, oldest first; internal notes only for staff."""

    def defer_application(application: "OrganizationApplication") -> None:
        """Staff put an undecided application aside for later."""

    def decline_application(application: "OrganizationApplication") -> None:
        """Staff decline an undecided application."""

    def approve_application(
        application: "OrganizationApplication",
    ) -> tuple["Organization", list["OrganizationApplication"]]:
        """Create the organization with the applicant as Owner and decline the other undecided
        applications for the same name; returns the organization and those declined."""


class IOrganizationMembershipService(Interface):
    """Who belongs to an organization, in which role, and the invitations to join it."""

    def roles(organization: "Organization") -> list["OrganizationRole"]:
        """Every member's role, users loaded, by username."""

    def people(
        organization: "Organization",
        members_page: int,
        invitations_page: int | None,
        *,
        now: datetime.datetime | None = None,
    ) -> People:
        """One page of the members and, unless ``invitations_page`` is None, one page of the
        invitations ``invitations`` lists, in three statements however many there are."""

    def organizations_of(
        user: "User", memberships_page: int, invitations_page: int, applications_page: int
    ) -> YourOrganizations:
        """A page of each of ``user``'s memberships, pending invitations and applications,
        all counted in one statement: four statements however many there are."""

    def owners(organization: "Organization") -> list["User"]:
        """The organization's Owners, emails loaded, by username."""

    def owner_count(organization: "Organization") -> int:
        """How many Owners the organization has."""

    def get_role(organization: "Organization", role_id: Any) -> "OrganizationRole | None":
        """The role with this id in this organization, or None."""

    def role_of(organization: "Organization", user: "User") -> "OrganizationRole | None":
        """``user``'s role in the organization, or None."""

    def add_role(
        organization: "Organization",
        user: "User",
        role_name: "OrganizationRoleType",
        *,
        tag: EventTag = EventTag.OrganizationRoleAdd,
        authority: Authority = Authority.OneOwner,
    ) -> "OrganizationRole":
        """Make ``user`` a member directly (staff); refuses a current member."""

    def change_role(
        role: "OrganizationRole",
        role_name: "OrganizationRoleType",
        *,
        tag: EventTag = EventTag.OrganizationRoleChange,
        authority: Authority = Authority.OneOwner,
    ) -> str | None:
        """Change a member's role; returns the old role, or None when nothing changed. Never
        leaves the organization without an Owner. Under the second-Owner rule, making or
        unmaking an Owner raises SecondOwnerNeeded for one Owner alone, and TwoOwnersNeeded
        for a change that would leave one Owner (see ``Authority``)."""

    def remove_role(
        role: "OrganizationRole",
        *,
        tag: EventTag = EventTag.OrganizationRoleRemove,
        authority: Authority = Authority.OneOwner,
    ) -> None:
        """Remove a member (or let them leave, with ``Authority.OwnSelf``); never leaves the
        organization without an Owner, nor, under the second-Owner rule, with one."""

    def record_account_deletion(user: "User") -> None:
        """Before ``user``'s account goes: each organization's history records that they
        left, and that their pending invitations ended."""

    def organizations_needing_owner(user: "User", *, lock: bool = False) -> list[tuple[str, int]]:
        """Active organizations that cannot lose ``user`` as an Owner (an account deletion), by
        name, each with the fewest Owners it keeps: 1 where ``user`` is the only Owner, 2 where
        they are one of two and owner changes need a second Owner's approval. With ``lock``,
        every organization ``user`` owns stays locked until the transaction ends."""

    def invite(
        organization: "Organization",
        user: "User",
        role_name: "OrganizationRoleType",
        *,
        authority: Authority = Authority.OneOwner,
    ) -> tuple["OrganizationInvitation", str]:
        """Invite a verified non-member; returns the invitation and the one-time token to
        mail (only its hash is stored). Inviting an Owner is an owner change (SecondOwnerNeeded
        under the second-Owner rule for one Owner alone)."""

    def invite_address(
        organization: "Organization",
        address: str,
        role_name: "OrganizationRoleType",
        *,
        authority: Authority = Authority.OneOwner,
    ) -> tuple["OrganizationInvitation", str, "User | None"]:
        """Invite whoever has ``address``: the account that verified it when it can be
        invited, else an invitation bound to the address. Returns the invitation, its token
        and that account (None for an address invitation); refuses only what it would refuse
        whether or not an account exists."""

    def invitations(
        organization: "Organization", *, now: datetime.datetime | None = None
    ) -> list["OrganizationInvitation"]:
        """Pending invitations, and those that expired in the last week, newest first."""

    def get_invitation(
        organization: "Organization", invitation_id: Any
    ) -> "OrganizationInvitation | None":
        """The invitation with this id to this organization, or None."""

    def invitation_for_token(token: str, user: "User") -> "OrganizationInvitation":
        """The live invitation this token stands for, for ``user``; InvitationRefused says
        why not."""

    def invitation_for_invitee(invitation_id: Any, user: "User") -> "OrganizationInvitation":
        """The same for a signed-in invitee answering from their own invitations list."""

    def accept_invitation(
        invitation: "OrganizationInvitation", by: "User | None" = None
    ) -> "OrganizationRole":
        """Join with the invited role, as ``by`` (default: the invited account; required for
        an address invitation); the invitation is used up."""

    def decline_invitation(
        invitation: "OrganizationInvitation", message: str = "", by: "User | None" = None
    ) -> None:
        """Say no, as ``by`` (as for accepting); the invitation is used up."""

    def revoke_invitation(invitation: "OrganizationInvitation") -> None:
        """Withdraw a pending invitation; its token stops working."""

    def resend_invitation(invitation: "OrganizationInvitation") -> str:
        """A new token and a new lifetime for a pending or expired invitation; returns the
        token. The old token stops working."""

    def expire_invitations(organization: "Organization | None" = None) -> int:
        """Mark overdue pending invitations expired, with an event each; returns how many."""


class ITeamService(Interface):
    """An organization's teams, who is on them, and their roles on the organization's projects.

    Every change takes the organization's lock first (``locks.lock_organization``), the same
    lock membership changes take, and judges by what is committed then: a person removed from
    the organization while being added to a team is either refused or taken off the team with
    the organization role, never left on the team. Nothing here sends email; the views do,
    after commit, from what these methods return. Every change records events on the
    organization, the team, the member's account and the project, as concerned.

    A team's project role counts only while the project belongs to the team's organization.
    Whatever moves a project out of an organization (a transfer, a removal) must lock that
    organization and delete its teams' roles on the project with ``revoke_project_grants``.
    """

    # Reading

    def get_team(organization: "Organization", name: str) -> "Team | None":
        """The organization's team with this name, compared normalized, or None."""

    def teams(organization: "Organization") -> list[TeamSummary]:
        """Every team of the organization by name, with how many members it has and how many
        of the organization's projects it reaches, in one query."""

    def teams_page(organization: "Organization", page: int) -> "Page[TeamSummary]":
        """One page of ``teams``, in the same order (name, then id), in two queries."""

    def team_members(team: "Team") -> list["TeamRole"]:
        """The team's memberships, each with its organization role and user loaded, by
        username."""

    def team_members_page(team: "Team", page: int) -> "Page[TeamRole]":
        """One page of ``team_members``, in the same order (username, then id)."""

    def candidate_usernames(team: "Team", limit: int) -> list[str]:
        """Who may be added to the team, the first ``limit`` by username: members of its
        organization who may be on a team (not Billing Managers) and are not on this one, in
        one query that loads no account."""

    def get_team_role(team: "Team", team_role_id: Any) -> "TeamRole | None":
        """The team's membership with this id, or None (also for an id that is not a UUID)."""

    def team_role_of(team: "Team", user: "User") -> "TeamRole | None":
        """``user``'s membership of the team, or None."""

    def team_projects(team: "Team") -> list["TeamProjectRole"]:
        """The team's roles on projects the organization owns now, projects loaded, by
        project name."""

    def team_projects_page(team: "Team", page: int) -> "Page[TeamProjectRole]":
        """One page of ``team_projects``, in the same order (project name, then id)."""

    def project_grants(project: "Project") -> list["TeamProjectRole"]:
        """The roles teams of the project's current organization hold on it, teams loaded,
        by team name."""

    def get_grant(team: "Team", project: "Project") -> "TeamProjectRole | None":
        """The team's role on the project, or None."""

    def teams_of_user(user: "User", organization: "Organization | None" = None) -> list["Team"]:
        """The teams ``user`` is on, organizations loaded, by organization then team name;
        only those of ``organization`` when given."""

    def project_access(project_id: uuid.UUID) -> list[ProjectAccess]:
        """Everyone the project's organization gives access to it: the organization's Owners,
        and the members of its teams with a role on the project. A team's role counts only
        while the project belongs to the team's organization, and nothing counts while the
        organization is not active. One statement, however many teams and members: a project's
        ACL loads it on every request."""

    def project_organization(project: "Project") -> "Organization | None":
        """The active organization the project belongs to, or None (also while the
        organization is closed: its teams' roles count for nothing then)."""

    def changeable_grants(actor: "User", grants: list["TeamProjectRole"]) -> set[uuid.UUID]:
        """The ids of those of ``grants`` (all of one organization) that ``may_change_grant``
        lets ``actor`` demote or remove, decided in at most one statement however many."""

    def may_change_grant(actor: "User", grant: "TeamProjectRole") -> bool:
        """Whether ``actor`` may demote or remove this team role: a member of the team who is
        not an Owner of the organization may not demote or remove their own team's Owner
        role (they would cut the branch they sit on, and nobody else may have noticed)."""

    # Changing

    def create_team(organization: "Organization", name: str) -> "Team":
        """A new team; refuses a name that is not valid or is taken in the organization."""

    def rename_team(team: "Team", name: str) -> str | None:
        """Rename the team; returns the old name, or None when the name did not change."""

    def delete_team(team: "Team") -> list["TeamRole"]:
        """Delete the team with its memberships and project roles; returns the memberships
        it had (users loaded), so the view can tell them."""

    def add_member(team: "Team", user: "User") -> "TeamRole":
        """Put an organization member on the team; refuses a non-member, a Billing Manager
        and someone already on it."""

    def add_member_by_username(team: "Team", username: str) -> "TeamRole":
        """``add_member`` for the account with this username (a name typed in a form); a
        username no account has is refused in the same words as a non-member's."""

    def remove_member(team_role: "TeamRole") -> None:
        """Take someone off the team (or let them leave it)."""

    def end_team_memberships(organization_role: "OrganizationRole", reason: str) -> list["Team"]:
        """Take the holder of this organization role off every team of the organization,
        with events saying why (``reason``: "billing_manager"), before the role changes to one
        that may not be on a team. The caller holds the organization's lock. Returns the
        teams they were on."""

    def grant_project(
        team: "Team", project: "Project", role_name: "TeamProjectRoleType"
    ) -> "TeamProjectRole":
        """Give the team Owner or Maintainer on one of the organization's projects; refuses
        another organization's project and a team that already has a role on it."""

    def change_grant(grant: "TeamProjectRole", role_name: "TeamProjectRoleType") -> str | None:
        """Change the team's role; returns the old role, or None when nothing changed.
        Refuses what ``may_change_grant`` refuses the signed-in user."""

    def revoke_grant(grant: "TeamProjectRole") -> None:
        """Take the team's role on the project away. Refuses what ``may_change_grant``
        refuses the signed-in user."""

    def revoke_project_grants(organization: "Organization", project: "Project") -> int:
        """Delete every role the organization's teams hold on the project, with events, as a
        transfer or a removal moves the project out; returns how many. The caller holds the
        organization's lock."""


@dataclasses.dataclass(frozen=True)
class Standing:
    """Whether an organization is in good standing, and if not, why, in words for its
    people ("Demo Company Inc. has no active subscription.")."""

    in_good_standing: bool
    reason: str = ""


class IOrganizationStanding(Interface):
    """The one rule deciding whether an organization may grow: invite people, make teams,
    take in projects (invariant 8). Billing implements it and registers it for this interface;
    organizations only asks, so it never imports billing."""

    def standing(organization: "Organization") -> Standing:
        """An active Community organization is in good standing; a Company one while it has
        an active or trialing subscription or an unexpired manual activation."""
