"""Succession's contract (issue 13): finding organizations whose Owners have all gone quiet,
and staff's handover of such an organization to one of its members.

A handover takes effect ``HANDOVER_DELAY`` after staff start it, unless an Owner objects
first. Starting, objecting, cancelling and completing each take the organization's lock, so an
objection and the completion arriving together end with exactly one of them applied.
"""

import dataclasses
import datetime
import uuid
from typing import TYPE_CHECKING

from zope.interface import Interface

from warehouse_orgs.organizations.interfaces import OrganizationError

if TYPE_CHECKING:
    from warehouse_orgs.accounts.models import User
    from warehouse_orgs.organizations.models import Organization, OrganizationRole
    from warehouse_orgs.organizations.succession_models import OrganizationHandover


class HandoverRefused(OrganizationError):
    """The handover cannot be started, objected to or cancelled; the message says why."""


class CandidateRefused(HandoverRefused):
    """The username given cannot become Owner by a handover (not a member, or already Owner):
    a mistake in what was typed, told beside the field."""


@dataclasses.dataclass(frozen=True)
class RiskSweep:
    """What one run of the detector changed: organizations newly at risk, and those no longer."""

    found: list[str]
    cleared: list[str]


@dataclasses.dataclass(frozen=True)
class HandoverOutcome:
    """A due handover as the periodic task left it: completed, or cancelled because the
    member it named had left."""

    handover: "OrganizationHandover"
    completed: bool


class ISuccessionService(Interface):
    def inactive_days() -> int:
        """How long every Owner must have been away before an organization is at risk."""

    def find_ownerless_risk(*, now: datetime.datetime | None = None) -> RiskSweep:
        """Mark the active organizations whose every Owner is inactive or disabled, clear the
        ones that are no longer, with an event for each change."""

    def is_at_risk(organization: "Organization") -> bool:
        """Whether the detector last found the organization at risk."""

    def pending_handover(organization: "Organization") -> "OrganizationHandover | None":
        """The organization's pending handover, if any."""

    def latest_handover(organization: "Organization") -> "OrganizationHandover | None":
        """The organization's most recent handover, whatever its status."""

    def members_after(
        organization: "Organization", after: uuid.UUID | None, limit: int
    ) -> list["OrganizationRole"]:
        """Up to ``limit`` of the organization's roles, with their users and addresses, in role
        id order after role ``after`` (from the first when None): its members a batch at a
        time, for the handover's emails."""

    def start_handover(
        organization: "Organization",
        candidate_username: str,
        reason: str,
        *,
        now: datetime.datetime | None = None,
    ) -> "OrganizationHandover":
        """Staff propose making a member an Owner; HandoverRefused says why not."""

    def object_to_handover(
        organization: "Organization", owner: "User", objection: str
    ) -> "OrganizationHandover":
        """An Owner declines the pending handover; HandoverRefused if none is pending."""

    def cancel_handover(organization: "Organization", why: str) -> "OrganizationHandover":
        """Staff withdraw the pending handover; HandoverRefused if none is pending."""

    def complete_due_handovers(*, now: datetime.datetime | None = None) -> list[HandoverOutcome]:
        """Apply every pending handover whose time has come, each under its organization's
        lock, judged again as committed now."""
