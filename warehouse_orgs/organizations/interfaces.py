"""The organizations feature's contract: three services, one per aggregate, and the refusals
they raise. Views, tasks and other features depend on these, never on the classes behind them.

- ``IOrganizationService``: the organization itself (names, lookups, details, rename, delete).
- ``IOrganizationApplicationService``: applying for an organization and the staff review.
- ``IOrganizationMembershipService``: members, their roles, and invitations.

Every method that changes an aggregate first takes that aggregate's lock (see the services), so
two requests changing the same organization's members, or the same application, run one after
the other and the second sees the first's result.
"""

import datetime
import uuid
from typing import TYPE_CHECKING, Any

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
        OrganizationInvitation,
        OrganizationRole,
    )
    from warehouse_orgs.organizations.permissions import OrganizationRoleType

__all__ = [
    "MEMBERSHIP_REFUSALS",
    "ApplicationRefused",
    "IOrganizationApplicationService",
    "IOrganizationMembershipService",
    "IOrganizationService",
    "InvitationRefused",
    "LastOwnerRefused",
    "MembershipRefused",
    "NameUnavailable",
    "OrganizationError",
    "TooManyApplications",
]


class OrganizationError(Exception):
    """A request the rules refuse; the message is for the person who asked."""


class NameUnavailable(OrganizationError):
    """The name is reserved, taken, or was used by an organization before."""


class TooManyApplications(OrganizationError):
    """The applicant already has the most undecided applications allowed."""


class ApplicationRefused(OrganizationError):
    """The application is not in a state that allows this (decided, withdrawn, ...)."""


class MembershipRefused(OrganizationError):
    """A change to the members the rules do not allow (already a member, wrong role, ...)."""


class InvitationRefused(OrganizationError):
    """The invitation cannot be sent, answered, revoked or resent as asked."""


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

    def update_details(organization: "Organization", **details: Any) -> list[str]:
        """Change display name, type, link and description; returns the fields changed.
        A Company organization never becomes a Community one."""

    def rename(organization: "Organization", new_name: str) -> None:
        """Give the organization a new name; the old one keeps redirecting and stays burned."""

    def delete(organization: "Organization") -> None:
        """Delete the organization; each member's history records it; names stay burned."""


class IOrganizationApplicationService(Interface):
    """Applying for an organization, and the staff review that decides."""

    def get_application(application_id: uuid.UUID | str) -> "OrganizationApplication | None":
        """The application with this id, or None (also for an id that is not a UUID)."""

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

    def owners(organization: "Organization") -> list["User"]:
        """The organization's Owners, emails loaded, by username."""

    def owner_ids_of_project_organization(project_id: uuid.UUID) -> list[uuid.UUID]:
        """The Owners of the organization that owns this project (none if no organization
        does): they administer the project."""

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
    ) -> "OrganizationRole":
        """Make ``user`` a member directly (staff); refuses a current member."""

    def change_role(
        role: "OrganizationRole",
        role_name: "OrganizationRoleType",
        *,
        tag: EventTag = EventTag.OrganizationRoleChange,
    ) -> str | None:
        """Change a member's role; returns the old role, or None when nothing changed. Never
        leaves the organization without an Owner."""

    def remove_role(
        role: "OrganizationRole", *, tag: EventTag = EventTag.OrganizationRoleRemove
    ) -> None:
        """Remove a member (or let them leave); never leaves the organization without an
        Owner."""

    def record_account_deletion(user: "User") -> None:
        """Before ``user``'s account goes: each organization's history records that they
        left, and that their pending invitations ended."""

    def sole_owned_organizations(user: "User", *, lock: bool = False) -> list[str]:
        """Active organizations whose only Owner is ``user``. With ``lock``, the memberships
        stay locked until the transaction ends, for a deletion that follows."""

    def invite(
        organization: "Organization", user: "User", role_name: "OrganizationRoleType"
    ) -> tuple["OrganizationInvitation", str]:
        """Invite a verified non-member; returns the invitation and the one-time token to
        mail (only its hash is stored)."""

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

    def accept_invitation(invitation: "OrganizationInvitation") -> "OrganizationRole":
        """Join with the invited role; the invitation is used up."""

    def decline_invitation(invitation: "OrganizationInvitation", message: str = "") -> None:
        """Say no; the invitation is used up."""

    def revoke_invitation(invitation: "OrganizationInvitation") -> None:
        """Withdraw a pending invitation; its token stops working."""

    def resend_invitation(invitation: "OrganizationInvitation") -> str:
        """A new token and a new lifetime for a pending or expired invitation; returns the
        token. The old token stops working."""

    def expire_invitations(organization: "Organization | None" = None) -> int:
        """Mark overdue pending invitations expired, with an event each; returns how many."""
