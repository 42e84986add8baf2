"""DatabaseSponsorService: the feed sync against a staff edit on two real connections, and the
public lists, each in one statement whatever the number of sponsors."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.common.concurrency import service_request
from tests.common.db.sponsors import SponsorFactory
from tests.common.races import race
from warehouse_orgs.sponsors.interfaces import FeedSponsor, FooterSponsor, SponsorValues
from warehouse_orgs.sponsors.models import Sponsor, SponsorOrigin
from warehouse_orgs.sponsors.services import DatabaseSponsorService

# What staff set when they make the feed's sponsor an infrastructure sponsor.
STAFF_VALUES = SponsorValues(
    name="Raced Cloud (infrastructure)",
    slug="raced",
    link_url="https://raced.example.com/",
    color_logo_url="/static/sponsorlogos/raced-color-staff.png",
    white_logo_url="/static/sponsorlogos/raced-white-staff.png",
    service="Object storage",
    level_name="Visionary",
    level_order=1,
    psf_sponsor=True,
    infra_sponsor=True,
)
# What the feed says of the same sponsor at the same moment.
FEED_VALUES = FeedSponsor(
    slug="raced",
    name="Raced Cloud from the feed",
    link_url="https://feed.example.com/raced/",
    color_logo_url="/static/sponsorlogos/raced-color-feed.png",
    logo_source_url="https://psf.example/logos/raced-new.png",
    service=None,
    level_name="Maintaining",
    level_order=2,
)


def service(registry: Any, session: Session) -> DatabaseSponsorService:
    request = service_request(registry, session)
    # The service forgets the footer after its transaction commits, so it needs one.
    request.tm.begin()
    return DatabaseSponsorService(request)


def feed_row(engine: Any) -> None:
    with Session(engine) as setup:
        setup.add(
            Sponsor(
                slug="raced",
                name="Raced Cloud",
                link_url="https://raced.example.com/",
                color_logo_url="/static/sponsorlogos/raced-color-old.png",
                logo_source_url="https://psf.example/logos/raced.png",
                level_name="Visionary",
                level_order=1,
                psf_sponsor=True,
                origin=SponsorOrigin.Feed.value,
            )
        )
        setup.commit()


def staff_edit(registry: Any) -> Any:
    def edit(session: Session) -> list[str]:
        sponsor = session.scalars(select(Sponsor).where(Sponsor.slug == "raced")).one()
        return service(registry, session).update_sponsor(sponsor, STAFF_VALUES)

    return edit


def sync(registry: Any) -> Any:
    return lambda session: service(registry, session).apply_feed([FEED_VALUES])


def committed_row(engine: Any) -> tuple[Sponsor, list[str]]:
    with Session(engine) as check:
        sponsor = check.scalars(select(Sponsor).where(Sponsor.slug == "raced")).one()
        events = check.scalars(
            select(Sponsor.Event.tag)
            .where(Sponsor.Event.source_id == sponsor.id)
            .order_by(Sponsor.Event.time)
        ).all()
        check.expunge(sponsor)
        return sponsor, list(events)


def assert_staff_values_kept(sponsor: Sponsor) -> None:
    assert sponsor.is_hand_curated
    assert (sponsor.origin, sponsor.infra_sponsor) == ("manual", True)
    for field in ("name", "link_url", "color_logo_url", "white_logo_url", "service"):
        assert getattr(sponsor, field) == getattr(STAFF_VALUES, field), field
    assert (sponsor.level_name, sponsor.level_order) == ("Visionary", 1)


def test_a_sync_waits_for_staff_making_the_sponsor_theirs_and_then_leaves_it(
    app_registry, committed_database
):
    feed_row(committed_database)

    edited, synced = race(committed_database, staff_edit(app_registry), sync(app_registry))

    assert edited.succeeded
    assert synced.succeeded
    assert (synced.result.added, synced.result.updated, synced.result.unlisted) == (0, 0, 0)
    sponsor, events = committed_row(committed_database)
    assert_staff_values_kept(sponsor)
    assert events == ["sponsor:update"]


def test_staff_making_the_sponsor_theirs_during_a_sync_have_the_last_word(
    app_registry, committed_database
):
    feed_row(committed_database)

    synced, edited = race(committed_database, sync(app_registry), staff_edit(app_registry))

    assert synced.succeeded
    assert synced.result.updated == 1
    assert edited.succeeded
    sponsor, events = committed_row(committed_database)
    assert_staff_values_kept(sponsor)
    assert events == ["sponsor:feed:update", "sponsor:update"]


# The public lists


def sponsors_of_every_kind(copies: int) -> None:
    for n in range(copies):
        SponsorFactory(name=f"Zeta {n}", psf_sponsor=True, level_name="Partner", level_order=3)
        SponsorFactory(name=f"Alpha {n}", psf_sponsor=True, level_name="Visionary", level_order=1)
        SponsorFactory(
            name=f"Infra {n}",
            infra_sponsor=True,
            service="Mirrors" if n % 2 else None,
            with_white_logo=True,
        )
        SponsorFactory(name=f"Once {n}", one_time=True)
        SponsorFactory(
            name=f"Footer {n}",
            psf_sponsor=True,
            level_name="Visionary",
            level_order=1,
            footer=True,
            with_white_logo=True,
        )
        SponsorFactory(
            name=f"Gone {n}", psf_sponsor=True, footer=True, with_white_logo=True, is_active=False
        )
        SponsorFactory(name=f"Unlisted {n}", with_white_logo=True)


@pytest.mark.parametrize("copies", [1, 6])
def test_public_sponsors_are_read_in_one_statement(
    app_registry, db_session, query_recorder, copies
):
    sponsors_of_every_kind(copies)
    db_session.expire_all()
    sponsor_service = service(app_registry, db_session)

    with query_recorder:
        public = sponsor_service.public_sponsors()
        shown = {
            "psf": [(level, [s.name for s in rows]) for level, rows in public.psf_by_level],
            "infrastructure": [(s.name, s.service) for s in public.infrastructure],
            "one_time": [s.name for s in public.one_time],
        }

    assert query_recorder.count == 1
    numbers = range(copies)
    assert shown == {
        "psf": [
            ("Visionary", [f"Alpha {n}" for n in numbers] + [f"Footer {n}" for n in numbers]),
            ("Partner", [f"Zeta {n}" for n in numbers]),
        ],
        "infrastructure": [(f"Infra {n}", "Mirrors" if n % 2 else None) for n in numbers],
        "one_time": [f"Once {n}" for n in numbers],
    }


@pytest.mark.parametrize("copies", [1, 6])
def test_footer_sponsors_are_read_in_one_statement(
    app_registry, db_session, query_recorder, copies
):
    sponsors_of_every_kind(copies)
    sponsor_service = service(app_registry, db_session)

    with query_recorder:
        footer = sponsor_service.footer_sponsors()

    assert query_recorder.count == 1
    expected = [
        FooterSponsor(
            name=f"Footer {n}",
            link_url=f"https://{slug}.example.com/",
            white_logo_url=f"/static/sponsorlogos/{slug}-white.png",
            caption="PSF sponsor",
        )
        for n, slug in _slugs(db_session, "Footer")
    ] + [
        FooterSponsor(
            name=f"Infra {n}",
            link_url=f"https://{slug}.example.com/",
            white_logo_url=f"/static/sponsorlogos/{slug}-white.png",
            caption="Mirrors" if n % 2 else "Infrastructure sponsor",
        )
        for n, slug in _slugs(db_session, "Infra")
    ]
    assert footer == expected


def _slugs(db: Session, prefix: str) -> list[tuple[int, str]]:
    rows = db.execute(
        select(Sponsor.name, Sponsor.slug).where(Sponsor.name.startswith(f"{prefix} "))
    ).all()
    return sorted((int(name.split()[-1]), slug) for name, slug in rows)


def test_psf_sponsors_without_a_level_come_after_every_level(app_registry, db_session):
    SponsorFactory(name="Levelless", psf_sponsor=True, level_name=None, level_order=0)
    SponsorFactory(name="Top", psf_sponsor=True, level_name="Visionary", level_order=1)
    SponsorFactory(name="Small", psf_sponsor=True, level_name="Partner", level_order=6)
    db_session.flush()

    public = service(app_registry, db_session).public_sponsors()

    assert [level for level, _ in public.psf_by_level] == ["Visionary", "Partner", "Sponsors"]
