"""``DatabaseSponsorService``: the sponsors, levels, inquiries and feed syncs in PostgreSQL."""

import dataclasses
import uuid
from typing import Any

from sqlalchemy import Select, delete, or_, select
from zope.interface import implementer

from warehouse_orgs.db import RequestDatabaseService
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.search import LIKE_ESCAPE, contains_pattern
from warehouse_orgs.sponsors.footer import forget_footer_after_transaction
from warehouse_orgs.sponsors.interfaces import (
    FeedSponsor,
    FooterSponsor,
    InquiryValues,
    ISponsorService,
    LevelValues,
    PublicSponsors,
    SponsorError,
    SponsorValues,
    SyncOutcome,
)
from warehouse_orgs.sponsors.locks import lock_sponsor_list
from warehouse_orgs.sponsors.models import (
    InquiryStatus,
    Sponsor,
    SponsorFeedSync,
    SponsorInquiry,
    SponsorLevel,
    SponsorOrigin,
)

# The filters of the staff list.
SPONSOR_KINDS = {
    "psf": Sponsor.psf_sponsor,
    "infra": Sponsor.infra_sponsor,
    "one_time": Sponsor.one_time,
    "footer": Sponsor.footer,
}
INFRASTRUCTURE_CAPTION = "Infrastructure sponsor"
PSF_CAPTION = "PSF sponsor"

SLUG_TAKEN = "Another sponsor already has this slug; choose another."
LEVEL_NAME_TAKEN = "Another level already has this name; choose another."
LEVEL_NOT_OFFERED = "Choose one of the levels listed, or none."


def _changes(row: Any, values: Any) -> dict[str, tuple[Any, Any]]:
    """The fields of ``values`` that differ from ``row``'s: name → (old, new)."""
    changed = {}
    for field in dataclasses.fields(values):
        old, new = getattr(row, field.name), getattr(values, field.name)
        if old != new:
            changed[field.name] = (old, new)
    return changed


@implementer(ISponsorService)
class DatabaseSponsorService(RequestDatabaseService):
    # Public pages

    def public_sponsors(self) -> PublicSponsors:
        rows = self.db.scalars(
            select(Sponsor)
            .where(
                Sponsor.is_active, or_(Sponsor.psf_sponsor, Sponsor.infra_sponsor, Sponsor.one_time)
            )
            # PSF sponsors the feed gave no level come after every level.
            .order_by(
                Sponsor.level_name.is_(None),
                Sponsor.level_order,
                Sponsor.level_name,
                Sponsor.name,
                Sponsor.id,
            )
        ).all()
        by_level: dict[str, list[Sponsor]] = {}
        for sponsor in rows:
            if sponsor.psf_sponsor:
                by_level.setdefault(sponsor.level_name or "Sponsors", []).append(sponsor)

        def by_name(flag: str) -> list[Sponsor]:
            return sorted((s for s in rows if getattr(s, flag)), key=lambda s: s.name.lower())

        return PublicSponsors(
            psf_by_level=list(by_level.items()),
            infrastructure=by_name("infra_sponsor"),
            one_time=by_name("one_time"),
        )

    def footer_sponsors(self) -> list[FooterSponsor]:
        rows = self.db.execute(
            select(
                Sponsor.name,
                Sponsor.link_url,
                Sponsor.white_logo_url,
                Sponsor.infra_sponsor,
                Sponsor.service,
            )
            .where(
                Sponsor.is_active,
                Sponsor.white_logo_url.is_not(None),
                or_(Sponsor.footer, Sponsor.infra_sponsor),
            )
            .order_by(Sponsor.name, Sponsor.id)
        ).all()
        return [
            FooterSponsor(
                name=row.name,
                link_url=row.link_url,
                white_logo_url=row.white_logo_url,
                caption=(row.service or INFRASTRUCTURE_CAPTION)
                if row.infra_sponsor
                else PSF_CAPTION,
            )
            for row in rows
        ]

    def open_levels(self) -> list[SponsorLevel]:
        return list(
            self.db.scalars(
                select(SponsorLevel)
                .where(SponsorLevel.is_open)
                .order_by(SponsorLevel.position, SponsorLevel.name)
            ).all()
        )

    # Sponsors

    def sponsor_query(self, q: str, kind: str | None, active: bool | None) -> Select[Any]:
        query = select(Sponsor)
        if q:
            pattern = contains_pattern(q.lower())
            query = query.where(
                or_(
                    Sponsor.name.ilike(pattern, escape=LIKE_ESCAPE),
                    Sponsor.slug.like(pattern, escape=LIKE_ESCAPE),
                )
            )
        if kind is not None:
            query = query.where(SPONSOR_KINDS[kind])
        if active is not None:
            query = query.where(Sponsor.is_active == active)
        return query.order_by(Sponsor.name, Sponsor.id)

    def get_sponsor(self, sponsor_id: uuid.UUID) -> Sponsor | None:
        return self.db.get(Sponsor, sponsor_id)

    def _slug_taken(self, slug: str, other_than: uuid.UUID | None = None) -> bool:
        query = select(Sponsor.id).where(Sponsor.slug == slug)
        if other_than is not None:
            query = query.where(Sponsor.id != other_than)
        return self.db.scalar(query.exists().select()) or False

    def create_sponsor(self, values: SponsorValues) -> Sponsor:
        lock_sponsor_list(self.db)
        if self._slug_taken(values.slug):
            raise SponsorError(SLUG_TAKEN, field="slug")
        sponsor = Sponsor(**dataclasses.asdict(values), origin=SponsorOrigin.Manual.value)
        self.db.add(sponsor)
        self.db.flush()
        sponsor.record_event(
            EventTag.SponsorCreate, self.request, {"name": sponsor.name, "slug": sponsor.slug}
        )
        forget_footer_after_transaction(self.request)
        return sponsor

    def update_sponsor(self, sponsor: Sponsor, values: SponsorValues) -> list[str]:
        lock_sponsor_list(self.db)
        self.db.refresh(sponsor)
        if values.slug != sponsor.slug and self._slug_taken(values.slug, other_than=sponsor.id):
            raise SponsorError(SLUG_TAKEN, field="slug")
        changed = _changes(sponsor, values)
        if not changed:
            return []
        for name, (_, new) in changed.items():
            setattr(sponsor, name, new)
        if sponsor.origin == SponsorOrigin.Feed.value:
            # Staff edited a feed row: from now on it is theirs, and the sync leaves it alone,
            # even once it is no longer an infrastructure or one-time sponsor.
            sponsor.origin = SponsorOrigin.Manual.value
            changed["origin"] = (SponsorOrigin.Feed.value, SponsorOrigin.Manual.value)
        self.db.flush()
        sponsor.record_event(
            EventTag.SponsorUpdate,
            self.request,
            {"name": sponsor.name, "fields": sorted(changed)},
        )
        forget_footer_after_transaction(self.request)
        return sorted(changed)

    def delete_sponsor(self, sponsor: Sponsor) -> None:
        lock_sponsor_list(self.db)
        name, slug = sponsor.name, sponsor.slug
        self.db.execute(delete(Sponsor).where(Sponsor.id == sponsor.id))
        self.db.expunge(sponsor)
        actor = self.request.user
        if actor is not None:
            # The sponsor's own history goes with it; the deletion stays on the record of the
            # staff member who made it.
            actor.record_event(
                EventTag.AccountSponsorDelete, self.request, {"name": name, "slug": slug}
            )
        forget_footer_after_transaction(self.request)

    # Levels

    def levels(self) -> list[SponsorLevel]:
        return list(
            self.db.scalars(
                select(SponsorLevel).order_by(SponsorLevel.position, SponsorLevel.name)
            ).all()
        )

    def get_level(self, level_id: uuid.UUID) -> SponsorLevel | None:
        return self.db.get(SponsorLevel, level_id)

    def _level_name_taken(self, name: str, other_than: uuid.UUID | None = None) -> bool:
        query = select(SponsorLevel.id).where(SponsorLevel.name == name)
        if other_than is not None:
            query = query.where(SponsorLevel.id != other_than)
        return self.db.scalar(query.exists().select()) or False

    def create_level(self, values: LevelValues) -> SponsorLevel:
        lock_sponsor_list(self.db)
        if self._level_name_taken(values.name):
            raise SponsorError(LEVEL_NAME_TAKEN, field="name")
        level = SponsorLevel(**dataclasses.asdict(values))
        self.db.add(level)
        self.db.flush()
        level.record_event(
            EventTag.SponsorLevelCreate,
            self.request,
            {"name": level.name, "yearly_amount": level.yearly_amount},
        )
        return level

    def update_level(self, level: SponsorLevel, values: LevelValues) -> list[str]:
        lock_sponsor_list(self.db)
        self.db.refresh(level)
        if values.name != level.name and self._level_name_taken(values.name, other_than=level.id):
            raise SponsorError(LEVEL_NAME_TAKEN, field="name")
        changed = _changes(level, values)
        if not changed:
            return []
        for name, (_, new) in changed.items():
            setattr(level, name, new)
        self.db.flush()
        level.record_event(
            EventTag.SponsorLevelUpdate,
            self.request,
            {"name": level.name, "fields": sorted(changed)},
        )
        return sorted(changed)

    def delete_level(self, level: SponsorLevel) -> None:
        lock_sponsor_list(self.db)
        name = level.name
        self.db.execute(delete(SponsorLevel).where(SponsorLevel.id == level.id))
        self.db.expunge(level)
        actor = self.request.user
        if actor is not None:
            actor.record_event(EventTag.AccountSponsorLevelDelete, self.request, {"name": name})

    # Inquiries

    def submit_inquiry(self, values: InquiryValues) -> SponsorInquiry:
        lock_sponsor_list(self.db)
        level = None
        if values.level_id is not None:
            level = self.db.get(SponsorLevel, values.level_id)
            if level is None or not level.is_open:
                raise SponsorError(LEVEL_NOT_OFFERED, field="level")
        inquiry = SponsorInquiry(
            company=values.company,
            contact_name=values.contact_name,
            contact_email=values.contact_email,
            message=values.message,
            level_id=level.id if level is not None else None,
            level_name=level.name if level is not None else None,
            status=InquiryStatus.New.value,
        )
        self.db.add(inquiry)
        self.db.flush()
        inquiry.record_event(
            EventTag.SponsorInquirySubmit,
            self.request,
            {"company": inquiry.company, "level": inquiry.level_name},
        )
        return inquiry

    def inquiry_query(self, status: str | None) -> Select[Any]:
        query = select(SponsorInquiry)
        if status is not None:
            query = query.where(SponsorInquiry.status == status)
        return query.order_by(SponsorInquiry.created.desc(), SponsorInquiry.id)

    def get_inquiry(self, inquiry_id: uuid.UUID) -> SponsorInquiry | None:
        return self.db.get(SponsorInquiry, inquiry_id)

    def update_inquiry(self, inquiry: SponsorInquiry, status: str, notes: str) -> list[str]:
        InquiryStatus(status)
        lock_sponsor_list(self.db)
        self.db.refresh(inquiry)
        changed = []
        details: dict[str, Any] = {"company": inquiry.company}
        if inquiry.status != status:
            details.update(old_status=inquiry.status, status=status)
            inquiry.status = status
            changed.append("status")
        if inquiry.notes != notes:
            inquiry.notes = notes
            changed.append("notes")
        if changed:
            details["fields"] = changed
            self.db.flush()
            inquiry.record_event(EventTag.SponsorInquiryUpdate, self.request, details)
        return changed

    # The PSF feed

    def apply_feed(self, items: list[FeedSponsor]) -> SyncOutcome:
        lock_sponsor_list(self.db)
        listed = {item.slug: item for item in items}
        existing = {
            sponsor.slug: sponsor
            for sponsor in self.db.scalars(
                select(Sponsor).execution_options(populate_existing=True)
            ).all()
        }
        added = updated = unlisted = 0
        for slug, item in listed.items():
            sponsor = existing.get(slug)
            values = {
                "name": item.name,
                "link_url": item.link_url,
                "color_logo_url": item.color_logo_url,
                "logo_source_url": item.logo_source_url,
                "service": item.service,
                "level_name": item.level_name,
                "level_order": item.level_order,
                "psf_sponsor": True,
                "is_active": True,
            }
            if sponsor is None:
                sponsor = Sponsor(slug=slug, origin=SponsorOrigin.Feed.value, **values)
                self.db.add(sponsor)
                self.db.flush()
                sponsor.record_event(
                    EventTag.SponsorFeedAdd, self.request, {"name": item.name, "slug": slug}
                )
                added += 1
                continue
            if sponsor.is_hand_curated:
                continue
            changed = sorted(name for name, new in values.items() if getattr(sponsor, name) != new)
            if changed:
                for name in changed:
                    setattr(sponsor, name, values[name])
                sponsor.record_event(
                    EventTag.SponsorFeedUpdate,
                    self.request,
                    {"name": sponsor.name, "fields": changed},
                )
                updated += 1
        for slug, sponsor in existing.items():
            if slug in listed or sponsor.is_hand_curated or not sponsor.psf_sponsor:
                continue
            sponsor.psf_sponsor = False
            sponsor.record_event(EventTag.SponsorFeedUnlist, self.request, {"name": sponsor.name})
            unlisted += 1
        listed_words = "1 sponsor" if len(listed) == 1 else f"{len(listed)} sponsors"
        unlisted_words = "no longer a PSF sponsor" if unlisted == 1 else "no longer PSF sponsors"
        message = (
            f"The feed listed {listed_words}: {added} added, {updated} updated, "
            f"{unlisted} {unlisted_words}."
        )
        outcome = SyncOutcome(True, message, added=added, updated=updated, unlisted=unlisted)
        self._record(outcome)
        forget_footer_after_transaction(self.request)
        return outcome

    def record_refused_sync(self, reason: str) -> SyncOutcome:
        outcome = SyncOutcome(False, f"Nothing was changed: {reason}")
        self._record(outcome)
        return outcome

    def _record(self, outcome: SyncOutcome) -> None:
        self.db.add(SponsorFeedSync(**dataclasses.asdict(outcome)))
        self.db.flush()

    def recent_syncs(self, limit: int) -> list[SponsorFeedSync]:
        return list(
            self.db.scalars(
                select(SponsorFeedSync)
                .order_by(SponsorFeedSync.started.desc(), SponsorFeedSync.id)
                .limit(limit)
            ).all()
        )
