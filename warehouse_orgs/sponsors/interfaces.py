"""The contracts of the sponsorship program.

- ``ISponsorService`` keeps the sponsors, the prospectus's levels, the inquiries and the record
  of feed syncs, in the request's transaction. Every change takes the one lock of the sponsor
  list (``locks.lock_sponsor_list``) and records an event with who made it.
- ``ISponsorLogoStorage`` keeps logo files and answers the address a browser loads them from:
  a local directory served under ``/static/sponsorlogos/`` in development, object storage in
  production (``SPONSOR_LOGO_STORAGE`` names the class and its options).
"""

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any

from zope.interface import Interface

if TYPE_CHECKING:
    from sqlalchemy import Select

    from warehouse_orgs.sponsors.models import (
        Sponsor,
        SponsorFeedSync,
        SponsorInquiry,
        SponsorLevel,
    )

__all__ = [
    "FeedSponsor",
    "FooterSponsor",
    "ISponsorLogoStorage",
    "ISponsorService",
    "InquiryValues",
    "LevelValues",
    "PublicSponsors",
    "SponsorError",
    "SponsorValues",
    "SyncOutcome",
]


class SponsorError(Exception):
    """A change the rules refuse (a slug already taken, say); the message is for staff, and
    ``field`` names the form field it belongs beside, if one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclasses.dataclass(frozen=True)
class SponsorValues:
    """Everything staff set on a sponsor; logos are addresses already in logo storage."""

    name: str
    slug: str
    link_url: str
    color_logo_url: str
    white_logo_url: str | None = None
    service: str | None = None
    activity_markdown: str | None = None
    level_name: str | None = None
    level_order: int = 0
    is_active: bool = True
    footer: bool = False
    psf_sponsor: bool = False
    infra_sponsor: bool = False
    one_time: bool = False


@dataclasses.dataclass(frozen=True)
class LevelValues:
    name: str
    yearly_amount: int
    benefits: str = ""
    position: int = 0
    is_open: bool = True


@dataclasses.dataclass(frozen=True)
class InquiryValues:
    company: str
    contact_name: str
    contact_email: str
    message: str
    level_id: uuid.UUID | None = None


@dataclasses.dataclass(frozen=True)
class FooterSponsor:
    """What the footer shows of a sponsor: plain values, safe to keep between requests."""

    name: str
    link_url: str
    white_logo_url: str
    caption: str


@dataclasses.dataclass(frozen=True)
class PublicSponsors:
    """/sponsors/'s sections: PSF sponsors grouped by level (in level order, then name),
    infrastructure sponsors and one-time sponsors (by name)."""

    psf_by_level: list[tuple[str, list["Sponsor"]]]
    infrastructure: list["Sponsor"]
    one_time: list["Sponsor"]


@dataclasses.dataclass(frozen=True)
class FeedSponsor:
    """One sponsor as the PSF feed lists it, already checked, its logo already stored."""

    slug: str
    name: str
    link_url: str
    color_logo_url: str
    logo_source_url: str
    service: str | None
    level_name: str | None
    level_order: int


@dataclasses.dataclass(frozen=True)
class SyncOutcome:
    succeeded: bool
    message: str
    added: int = 0
    updated: int = 0
    unlisted: int = 0


class ISponsorService(Interface):
    def create_service(context: Any, request: Any) -> "ISponsorService":
        """The factory registered for the interface."""

    # Public pages

    def public_sponsors() -> PublicSponsors:
        """The active sponsors in /sponsors/'s sections, in one statement."""

    def footer_sponsors() -> list[FooterSponsor]:
        """Active sponsors with a white logo that are footer or infrastructure sponsors, by
        name, in one statement. The caller caches it (``sponsors.footer``)."""

    def open_levels() -> list["SponsorLevel"]:
        """The levels the prospectus offers, in position order."""

    # Sponsors (staff)

    def sponsor_query(q: str, kind: str | None, active: bool | None) -> "Select[Any]":
        """Sponsors whose name or slug contains ``q``, of one kind ("psf", "infra",
        "one_time", "footer") and activity if given, by name: for a paginated list."""

    def get_sponsor(sponsor_id: uuid.UUID) -> "Sponsor | None":
        """The sponsor, or None."""

    def create_sponsor(values: SponsorValues) -> "Sponsor":
        """Add a hand-curated sponsor; raises SponsorError for a slug already taken."""

    def update_sponsor(sponsor: "Sponsor", values: SponsorValues) -> list[str]:
        """Change the sponsor; returns the names of the fields that changed (none: no event)."""

    def delete_sponsor(sponsor: "Sponsor") -> None:
        """Delete the sponsor and its history; the deletion is recorded on the staff member's
        account."""

    # Levels (staff)

    def levels() -> list["SponsorLevel"]:
        """Every level, open or not, in position order."""

    def get_level(level_id: uuid.UUID) -> "SponsorLevel | None":
        """The level, or None."""

    def create_level(values: LevelValues) -> "SponsorLevel":
        """Add a level; raises SponsorError for a name already used."""

    def update_level(level: "SponsorLevel", values: LevelValues) -> list[str]:
        """Change the level; returns the names of the fields that changed."""

    def delete_level(level: "SponsorLevel") -> None:
        """Delete the level; inquiries keep the level's name."""

    # Inquiries

    def submit_inquiry(values: InquiryValues) -> "SponsorInquiry":
        """Store a visitor's inquiry (status new) with an event; raises SponsorError when the
        level is not one the prospectus offers."""

    def inquiry_query(status: str | None) -> "Select[Any]":
        """Inquiries, newest first, of one status if given: for a paginated list."""

    def get_inquiry(inquiry_id: uuid.UUID) -> "SponsorInquiry | None":
        """The inquiry, or None."""

    def update_inquiry(inquiry: "SponsorInquiry", status: str, notes: str) -> list[str]:
        """Set the follow-up status and notes; returns what changed."""

    # The PSF feed

    def apply_feed(items: list[FeedSponsor]) -> SyncOutcome:
        """Upsert the feed's sponsors by slug, leave hand-curated rows alone, take
        ``psf_sponsor`` from feed rows the feed no longer lists; records the run."""

    def record_refused_sync(reason: str) -> SyncOutcome:
        """Record a run that changed nothing, and why."""

    def recent_syncs(limit: int) -> list["SponsorFeedSync"]:
        """The latest runs, newest first."""


class ISponsorLogoStorage(Interface):
    def create_service(context: Any, request: Any) -> "ISponsorLogoStorage":
        """The factory registered for the interface (options from ``sponsors.logo_*``)."""

    def store(name: str, content: bytes, content_type: str) -> str:
        """Keep the file under ``name`` (a safe name the caller made) and return the address a
        browser loads it from. Storing the same name and content again is harmless."""
