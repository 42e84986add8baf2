"""Owner changes waiting for a second Owner (issue 13).

An organization may require that changes to who owns it (adding, removing or demoting an
Owner, deleting the organization, and turning the requirement off) wait until a different
Owner approves them. Each such change is a row here while it waits, and stays afterwards as
the record of who proposed it and who decided. One change per subject may wait at a time (a
partial unique index), so a proposal cannot be queued twice and two different changes to the
same member cannot race each other to approval.
"""

import datetime
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warehouse_orgs.db import Model
from warehouse_orgs.labels import LabelledEnum

if TYPE_CHECKING:
    from warehouse_orgs.organizations.models import Organization

# How long a proposal waits for a second Owner before it lapses.
APPROVAL_WINDOW = datetime.timedelta(hours=72)
# More than this many waiting at once is refused: every proposal emails every Owner.
MAX_WAITING_CHANGES = 20
SUBJECT_MAX_LENGTH = 254
OUTCOME_MAX_LENGTH = 500
# The database's name for the one-waiting-per-subject rule.
ONE_WAITING_PER_SUBJECT = "organization_owner_changes_one_waiting_per_subject"


class OwnerChangeKind(LabelledEnum):
    InviteOwner = ("invite_owner", "Invite as Owner")
    MakeOwner = ("make_owner", "Make Owner")
    DemoteOwner = ("demote_owner", "Change an Owner's role")
    RemoveOwner = ("remove_owner", "Remove an Owner")
    DeleteOrganization = ("delete_organization", "Delete the organization")
    StopRequiringApproval = ("stop_requiring_approval", "Stop requiring a second Owner")


class OwnerChangeStatus(LabelledEnum):
    Waiting = ("waiting", "Waiting for approval")
    Applied = ("applied", "Approved and applied")
    Rejected = ("rejected", "Rejected")
    Withdrawn = ("withdrawn", "Withdrawn")
    Lapsed = ("lapsed", "Lapsed")
    # Approved, but no longer possible (the member left, or it would leave one Owner), or
    # ended because its proposer is no longer an Owner.
    Void = ("void", "Could not be applied")


def _values(enum: type[LabelledEnum]) -> str:
    return ", ".join(repr(str(member.value)) for member in enum)


class OrganizationOwnerChange(Model):
    """One proposed change to who owns an organization, and what became of it."""

    __tablename__ = "organization_owner_changes"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_values(OwnerChangeKind)})", name="valid_kind"),
        CheckConstraint(f"status IN ({_values(OwnerChangeStatus)})", name="valid_status"),
        CheckConstraint(
            f"length(subject) BETWEEN 1 AND {SUBJECT_MAX_LENGTH}", name="valid_subject"
        ),
        Index(
            ONE_WAITING_PER_SUBJECT,
            "organization_id",
            "subject_key",
            unique=True,
            postgresql_where=text("status = 'waiting'"),
        ),
        # The periodic task's lapsed proposals, without reading decided ones.
        Index(
            "ix_organization_owner_changes_waiting_expires_at",
            "expires_at",
            postgresql_where=text("status = 'waiting'"),
        ),
        # An organization's proposals, newest first, on its owner-changes page.
        Index(
            "ix_organization_owner_changes_organization_id_proposed_at",
            "organization_id",
            "proposed_at",
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(30))
    # What the change is about, as people read it: a username, an address, or the
    # organization's name. Copied in, so the record reads right after the member leaves.
    subject: Mapped[str] = mapped_column(String(SUBJECT_MAX_LENGTH))
    # What makes two proposals the same subject: "role:<id>", "invite:<address or name>",
    # or "organization".
    subject_key: Mapped[str] = mapped_column(String(SUBJECT_MAX_LENGTH + 10))
    # The member's role, for changes to a member; NULL once they leave.
    role_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization_roles.id", ondelete="SET NULL"), index=True
    )
    old_role: Mapped[str | None] = mapped_column(String(20))
    new_role: Mapped[str | None] = mapped_column(String(20))
    proposed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    proposed_by_username: Mapped[str] = mapped_column(String(50))
    proposed_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), server_default=OwnerChangeStatus.Waiting.value)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    decided_by_username: Mapped[str | None] = mapped_column(String(50))
    decided_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    # Why it was void, or what the approval did, in a sentence.
    outcome: Mapped[str] = mapped_column(String(OUTCOME_MAX_LENGTH), server_default="")

    organization: Mapped["Organization"] = relationship("Organization")

    @property
    def is_waiting(self) -> bool:
        return self.status == OwnerChangeStatus.Waiting

    def is_lapsed_at(self, moment: datetime.datetime) -> bool:
        return self.is_waiting and self.expires_at <= moment

    @property
    def description(self) -> str:
        """The change in one phrase, e.g. "remove bob (Owner)"."""
        kind = OwnerChangeKind(self.kind)
        if kind == OwnerChangeKind.InviteOwner:
            return f"invite {self.subject} as Owner"
        if kind == OwnerChangeKind.MakeOwner:
            return f"make {self.subject} an Owner (now {self.old_role})"
        if kind == OwnerChangeKind.DemoteOwner:
            return f"change {self.subject} from Owner to {self.new_role}"
        if kind == OwnerChangeKind.RemoveOwner:
            return f"remove {self.subject} (Owner) from the organization"
        if kind == OwnerChangeKind.DeleteOrganization:
            return f"delete the organization {self.subject}"
        return "stop requiring a second Owner's approval for owner changes"
