"""Succession: organizations whose every Owner has gone quiet, and staff's handovers to a
member when that happens (issue 13).

The detector keeps one row per organization at risk, so staff's filter is an indexed look-up
rather than a scan of every organization's Owners on each page. A handover names a member who
becomes Owner seven days after staff start it, unless an Owner objects first; at most one
handover per organization is pending, enforced by the database.
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

HANDOVER_REASON_MAX_LENGTH = 1000
HANDOVER_DELAY = datetime.timedelta(days=7)
# The database's name for the one-pending rule, so a race's loser gets the rule's own words.
ONE_PENDING_HANDOVER = "organization_handovers_one_pending"


class HandoverStatus(LabelledEnum):
    Pending = ("pending", "Pending")
    Objected = ("objected", "Objected to")
    Completed = ("completed", "Took effect")
    Cancelled = ("cancelled", "Cancelled")


class OrganizationSuccessionRisk(Model):
    """An active organization none of whose Owners has logged in lately (or whose Owners'
    accounts are disabled), as the daily detector last found it."""

    __tablename__ = "organization_succession_risks"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    since: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class OrganizationHandover(Model):
    """Staff's proposal to make a member an Owner of an organization whose Owners are gone."""

    __tablename__ = "organization_handovers"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(repr(str(s.value)) for s in HandoverStatus) + ")",
            name="valid_status",
        ),
        CheckConstraint(
            f"length(reason) BETWEEN 1 AND {HANDOVER_REASON_MAX_LENGTH}", name="valid_reason"
        ),
        Index(
            ONE_PENDING_HANDOVER,
            "organization_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        # The periodic task's due handovers, without reading decided ones.
        Index(
            "ix_organization_handovers_due",
            "takes_effect_at",
            postgresql_where=text("status = 'pending'"),
        ),
        # An organization's latest handover, on its staff page.
        Index(
            "ix_organization_handovers_organization_id_started_at", "organization_id", "started_at"
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    # The member's role; NULL once they leave (the handover then cannot take effect).
    candidate_role_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organization_roles.id", ondelete="SET NULL"), index=True
    )
    # Copied in, so the handover still reads right after the member leaves.
    candidate_username: Mapped[str] = mapped_column(String(50))
    reason: Mapped[str] = mapped_column(String(HANDOVER_REASON_MAX_LENGTH))
    status: Mapped[str] = mapped_column(String(20), server_default=HandoverStatus.Pending.value)
    started_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    takes_effect_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True))
    # Why it was objected to or cancelled (optional for an objection).
    decision_reason: Mapped[str] = mapped_column(
        String(HANDOVER_REASON_MAX_LENGTH), server_default=""
    )

    organization: Mapped["Organization"] = relationship("Organization")

    @property
    def is_pending(self) -> bool:
        return self.status == HandoverStatus.Pending
