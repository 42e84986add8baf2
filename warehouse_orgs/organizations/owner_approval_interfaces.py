"""A second Owner's approval of owner changes: the contract (issue 13).

An organization with two Owners or more may require that changes to who owns it wait for a
different Owner's approval: inviting, making, demoting or removing an Owner, deleting the
organization, and turning the requirement off. The membership and organization services refuse
such a change from one Owner alone (``SecondOwnerNeeded``, see ``owner_rule.py``); the view
then proposes it here. A proposal waits 72 hours and then lapses.

Every method that changes a proposal takes the organization's lock, so two Owners approving
the same proposal at once apply it once: the second finds it decided.

A refusal from ``approve`` or ``reject`` may have recorded why (a lapsed proposal is marked
lapsed, one that can no longer be applied is marked void): the caller keeps the transaction.
"""

import dataclasses
import datetime
from typing import TYPE_CHECKING

from zope.interface import Interface

from warehouse_orgs.organizations.interfaces import OrganizationError
from warehouse_orgs.organizations.owner_approval_models import OwnerChangeKind

if TYPE_CHECKING:
    from warehouse_orgs.accounts.models import User
    from warehouse_orgs.organizations.models import (
        Organization,
        OrganizationInvitation,
        OrganizationRole,
    )
    from warehouse_orgs.organizations.owner_approval_models import OrganizationOwnerChange
    from warehouse_orgs.organizations.permissions import OrganizationRoleType
    from warehouse_orgs.pagination import Page


class OwnerChangeRefused(OrganizationError):
    """The proposal cannot be made, approved, rejected or withdrawn; the message says why.
    ``decided``: the refusal itself decided the proposal (it lapsed, or became void), which
    the Owners are told of."""

    def __init__(self, message: str, *, decided: bool = False) -> None:
        super().__init__(message)
        self.decided = decided


@dataclasses.dataclass(frozen=True)
class OwnerChangeProposal:
    """What one Owner asks for: ``role`` for a change to a member, ``new_role`` for a role
    change, ``invitee`` (a username or an address) for an invitation."""

    kind: OwnerChangeKind
    role: "OrganizationRole | None" = None
    new_role: "OrganizationRoleType | None" = None
    invitee: str | None = None


@dataclasses.dataclass(frozen=True)
class ApprovedChange:
    """An approved proposal as applied: the invitation it sent and its one-time token, or the
    member whose role changed or who was removed (their role before is the proposal's)."""

    change: "OrganizationOwnerChange"
    invitation: "OrganizationInvitation | None" = None
    token: str | None = None
    member: "User | None" = None


class IOwnerApprovalService(Interface):
    def require_second_owner(organization: "Organization") -> bool:
        """Turn the requirement on, by the Owner asking; False when it already was on.
        OwnerChangeRefused with fewer than two Owners."""

    def propose(
        organization: "Organization", proposal: OwnerChangeProposal
    ) -> "OrganizationOwnerChange":
        """Record the asking Owner's proposal, waiting for another Owner. OwnerChangeRefused
        when one about the same member, invitee or the organization already waits, or too
        many wait."""

    def waiting(organization: "Organization") -> list["OrganizationOwnerChange"]:
        """The proposals waiting for approval, oldest first (at most MAX_WAITING_CHANGES)."""

    def decided(organization: "Organization", page: int) -> "Page[OrganizationOwnerChange]":
        """A page of the decided proposals, newest first."""

    def get_change(
        organization: "Organization", change_id: object
    ) -> "OrganizationOwnerChange | None":
        """The organization's proposal with this id, or None (also for an id not a UUID)."""

    def approve(change: "OrganizationOwnerChange") -> ApprovedChange:
        """Apply the proposal as approved by the asking Owner, who must not have proposed it.
        OwnerChangeRefused when it is decided, lapsed, or can no longer be applied."""

    def reject(change: "OrganizationOwnerChange") -> "OrganizationOwnerChange":
        """Another Owner says no; nothing changes."""

    def withdraw(change: "OrganizationOwnerChange") -> "OrganizationOwnerChange":
        """Its proposer takes it back."""

    def lapse_overdue(*, now: datetime.datetime | None = None) -> list["OrganizationOwnerChange"]:
        """Mark lapsed every proposal whose 72 hours have passed, with an event for each."""
