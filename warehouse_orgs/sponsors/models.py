"""The sponsorship program's data: sponsors (who appears on /sponsors/ and in the footer), the
levels of the prospectus at /sponsor/, the inquiries its form sends, and a record of each sync
from the PSF's sponsor feed.

Sponsors, levels and inquiries each have a history (``HasEvents``): PSF staff change them only
through the staff pages, so every event is a staff action.
"""

import datetime
import enum
import uuid

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from warehouse_orgs.db import Model
from warehouse_orgs.events.models import HasEvents
from warehouse_orgs.labels import LabelledEnum

# Bounds the forms, the feed reader and the database share.
NAME_MAX_LENGTH = 100
SLUG_MAX_LENGTH = 100
SERVICE_MAX_LENGTH = 256
URL_MAX_LENGTH = 1000
ACTIVITY_MAX_LENGTH = 5000
LEVEL_BENEFITS_MAX_LENGTH = 5000
INQUIRY_TEXT_MAX_LENGTH = 200
INQUIRY_MESSAGE_MAX_LENGTH = 5000
INQUIRY_NOTES_MAX_LENGTH = 10000
EMAIL_MAX_LENGTH = 254


def _values_check(column: str, values: type[enum.Enum]) -> str:
    return "{} IN ({})".format(column, ", ".join(f"'{v.value}'" for v in values))


def _length_check(column: str, limit: int) -> str:
    return f"char_length({column}) <= {limit}"


class SponsorOrigin(LabelledEnum):
    """Where a sponsor row came from: staff keep ``manual`` rows; the sync keeps ``feed`` rows."""

    Manual = ("manual", "Added by staff")
    Feed = ("feed", "From the PSF sponsor feed")


class Sponsor(HasEvents, Model):
    __tablename__ = "sponsors"
    __table_args__ = (
        CheckConstraint(_values_check("origin", SponsorOrigin), name="valid_origin"),
        # The footer and the infrastructure list show the white logo on a dark background.
        CheckConstraint(
            "white_logo_url IS NOT NULL OR NOT (footer OR infra_sponsor)",
            name="white_logo_for_footer",
        ),
        CheckConstraint(
            _length_check("activity_markdown", ACTIVITY_MAX_LENGTH), name="activity_length"
        ),
        CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="valid_slug"),
        # The staff list is in name order.
        Index("ix_sponsors_name", "name"),
    )

    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    # What an infrastructure sponsor donates ("Object storage and download analytics").
    service: Mapped[str | None] = mapped_column(String(SERVICE_MAX_LENGTH))
    activity_markdown: Mapped[str | None] = mapped_column(Text)
    link_url: Mapped[str] = mapped_column(String(URL_MAX_LENGTH))
    color_logo_url: Mapped[str] = mapped_column(String(URL_MAX_LENGTH))
    white_logo_url: Mapped[str | None] = mapped_column(String(URL_MAX_LENGTH))
    # The feed's own address for the logo the sync last copied into our storage, so an
    # unchanged logo is not fetched again every hour.
    logo_source_url: Mapped[str | None] = mapped_column(String(URL_MAX_LENGTH))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    footer: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    psf_sponsor: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    infra_sponsor: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    one_time: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    origin: Mapped[str] = mapped_column(String(20), server_default=SponsorOrigin.Manual.value)
    level_name: Mapped[str | None] = mapped_column(String(NAME_MAX_LENGTH))
    level_order: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    @property
    def is_hand_curated(self) -> bool:
        """Rows the feed sync never touches: staff's own, and infrastructure and one-time
        sponsors, whatever their origin."""
        return self.origin == SponsorOrigin.Manual or self.infra_sponsor or self.one_time


class SponsorLevel(HasEvents, Model):
    """A level of the prospectus: its yearly amount and benefits, which staff edit."""

    __tablename__ = "sponsor_levels"
    __table_args__ = (
        CheckConstraint("yearly_amount >= 0", name="yearly_amount_not_negative"),
        CheckConstraint(
            _length_check("benefits", LEVEL_BENEFITS_MAX_LENGTH), name="benefits_length"
        ),
    )

    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), unique=True)
    # In whole US dollars a year.
    yearly_amount: Mapped[int] = mapped_column(Integer)
    # One benefit per line.
    benefits: Mapped[str] = mapped_column(Text, server_default="")
    # Smaller first on the prospectus; the feed's level_order follows the same sense.
    position: Mapped[int] = mapped_column(Integer, server_default=text("0"), index=True)
    # Offered on the prospectus and its inquiry form.
    is_open: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    @property
    def benefit_lines(self) -> list[str]:
        return [line.strip() for line in self.benefits.splitlines() if line.strip()]


class InquiryStatus(LabelledEnum):
    New = ("new", "New")
    Contacted = ("contacted", "Contacted")
    Won = ("won", "Won")
    Lost = ("lost", "Lost")


class SponsorInquiry(HasEvents, Model):
    """A company's message from the prospectus, and how PSF staff followed it up."""

    __tablename__ = "sponsor_inquiries"
    __table_args__ = (
        CheckConstraint(_values_check("status", InquiryStatus), name="valid_status"),
        CheckConstraint(
            _length_check("message", INQUIRY_MESSAGE_MAX_LENGTH), name="message_length"
        ),
        CheckConstraint(_length_check("notes", INQUIRY_NOTES_MAX_LENGTH), name="notes_length"),
        # The admin list: newest first, filtered by status.
        Index("ix_sponsor_inquiries_status_created", "status", "created"),
        Index("ix_sponsor_inquiries_created", "created"),
    )

    company: Mapped[str] = mapped_column(String(INQUIRY_TEXT_MAX_LENGTH))
    contact_name: Mapped[str] = mapped_column(String(INQUIRY_TEXT_MAX_LENGTH))
    contact_email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH))
    level_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sponsor_levels.id", ondelete="SET NULL"), index=True
    )
    # The level's name when the inquiry was sent; the level may be renamed or removed later.
    level_name: Mapped[str | None] = mapped_column(String(NAME_MAX_LENGTH))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), server_default=InquiryStatus.New.value)
    notes: Mapped[str] = mapped_column(Text, server_default="")
    created: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    level: Mapped[SponsorLevel | None] = relationship(lazy="raise")


class SponsorFeedSync(Model):
    """One run of the PSF feed sync: what it changed, or why it changed nothing."""

    __tablename__ = "sponsor_feed_syncs"
    __table_args__ = (Index("ix_sponsor_feed_syncs_started", "started"),)

    started: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
    succeeded: Mapped[bool] = mapped_column(Boolean)
    # One sentence: "3 added, 5 updated, 1 no longer a PSF sponsor", or the reason for refusing.
    message: Mapped[str] = mapped_column(Text)
    added: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    updated: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    unlisted: Mapped[int] = mapped_column(Integer, server_default=text("0"))
