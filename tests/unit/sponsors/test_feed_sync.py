"""The hourly sync from the PSF's sponsor feed, against a real HTTP server on 127.0.0.1 that
serves the feed and the logos it points at, and answers badly when a test says so.

A good feed adds and updates PSF sponsors, copies their logos into our storage and records
what it did; a feed that cannot be used in any way (an error, a broken or partial answer, an
item we cannot read, a logo that is not a logo, a server too slow) changes nothing and
records why.
"""

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.common.db.sponsors import SponsorFactory
from tests.conftest import SPONSOR_LOGO_DIRECTORY
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.sponsors.feed import NOT_CONFIGURED, sync_from_feed
from warehouse_orgs.sponsors.models import Sponsor, SponsorFeedSync, SponsorOrigin
from warehouse_orgs.tasks import run_task

LOGOS = Path(__file__).parents[2] / "fixtures" / "logos"
PNG = (LOGOS / "logo.png").read_bytes()
SVG = (LOGOS / "logo.svg").read_bytes()
FEED_PATH = "/api/v2/sponsors/logo-placement/"
TOKEN = "insecure-feed-token-for-tests"
# The deadline of the tests of slow servers; the others have one a busy machine always meets.
TIMEOUT_SECONDS = 1.0
GENEROUS_TIMEOUT_SECONDS = 20.0
# How much later than the deadline a refused slow feed may come back on a busy test machine.
SLACK_SECONDS = 1.5


class Feed:
    """The PSF feed as this test publishes it, and the sync run against it."""

    def __init__(self, server: Any, registry: Any, db: Any) -> None:
        self.server = server
        self.registry = registry
        self.db = db

    def item(self, slug: str, **changes: Any) -> dict[str, Any]:
        """A sponsor as the feed lists it, its PNG logo served (unless ``logo`` is given)."""
        if "logo" not in changes:
            changes["logo"] = self.server.serve(f"/logos/{slug}.png", PNG, content_type="image/png")
        return {
            "name": slug.replace("-", " ").title(),
            "slug": slug,
            "sponsor_url": f"https://{slug}.example.com/",
            "level_name": "Visionary",
            "level_order": 1,
            **changes,
        }

    def publish(self, feed: list[dict[str, Any]] | bytes, **answer: Any) -> None:
        body = feed if isinstance(feed, bytes) else json.dumps(feed).encode()
        self.server.serve(FEED_PATH, body, **answer)

    def sync(self) -> Any:
        """One run, as the hourly task runs it, in a transaction of its own."""
        outcome = run_task(self.registry, sync_from_feed, (), {})
        self.db.expire_all()
        return outcome

    def sponsor(self, slug: str) -> Sponsor:
        return self.db.scalars(select(Sponsor).where(Sponsor.slug == slug)).one()

    def events(self, slug: str) -> list[tuple[str, dict[str, Any]]]:
        sponsor = self.sponsor(slug)
        rows = self.db.scalars(
            select(Sponsor.Event)
            .where(Sponsor.Event.source_id == sponsor.id)
            .order_by(Sponsor.Event.time, Sponsor.Event.id)
        )
        return [(event.tag, event.additional) for event in rows]

    def last_run(self) -> SponsorFeedSync:
        return self.db.scalars(
            select(SponsorFeedSync).order_by(SponsorFeedSync.started.desc()).limit(1)
        ).one()

    def state(self) -> dict[str, Any]:
        """Every sponsor's columns and the number of sponsor events: what a sync may change."""
        sponsors = {
            sponsor.slug: {
                column: getattr(sponsor, column)
                for column in Sponsor.__table__.columns.keys()  # noqa: SIM118 (a ColumnCollection)
            }
            for sponsor in self.db.scalars(select(Sponsor))
        }
        events = self.db.scalar(select(func.count()).select_from(Sponsor.Event))
        return {"sponsors": sponsors, "events": events}

    def logo_requests(self, slug: str) -> int:
        return len(self.server.requests_for(f"/logos/{slug}.png"))


@pytest.fixture
def feed(app_registry, feed_server, db_session, monkeypatch) -> Feed:
    """The app's sync pointed at this test's feed server, with a deadline a busy machine meets
    (``short_deadline`` gives the tests of slow servers a short one)."""
    settings = app_registry.settings
    monkeypatch.setitem(settings, "sponsors.feed_url", feed_server.url(FEED_PATH))
    monkeypatch.setitem(settings, "sponsors.feed_token", TOKEN)
    monkeypatch.setitem(settings, "sponsors.feed_timeout_seconds", str(GENEROUS_TIMEOUT_SECONDS))
    return Feed(feed_server, app_registry, db_session)


@pytest.fixture
def short_deadline(feed, monkeypatch) -> None:
    monkeypatch.setitem(feed.registry.settings, "sponsors.feed_timeout_seconds", TIMEOUT_SECONDS)


@pytest.fixture
def synced(feed) -> dict[str, Any]:
    """A first good sync of two sponsors has run; the state it left."""
    feed.publish([feed.item("already-here"), feed.item("also-here", level_name="Partner")])
    assert feed.sync().succeeded
    return feed.state()


def stored_file(url: str) -> Path:
    assert url.startswith("/static/sponsorlogos/"), url
    return SPONSOR_LOGO_DIRECTORY / url.rsplit("/", 1)[1]


# A good feed


def test_a_good_feed_adds_its_sponsors_with_their_logos_copied_here(feed, feed_server):
    feed.publish(
        [
            feed.item("acme-cloud", level_name="Visionary", level_order=1),
            feed.item(
                "drawn-logo",
                level_name="Sustainability",
                level_order=2,
                description="Hosting for the documentation",
                logo=feed_server.serve("/logos/drawn.svg", SVG, content_type="image/svg+xml"),
            ),
        ]
    )

    outcome = feed.sync()

    message = "The feed listed 2 sponsors: 2 added, 0 updated, 0 no longer PSF sponsors."
    assert (outcome.succeeded, outcome.message) == (True, message)
    acme, drawn = feed.sponsor("acme-cloud"), feed.sponsor("drawn-logo")
    assert (acme.name, acme.link_url, acme.level_name, acme.level_order, acme.service) == (
        "Acme Cloud",
        "https://acme-cloud.example.com/",
        "Visionary",
        1,
        None,
    )
    assert (drawn.level_name, drawn.level_order, drawn.service) == (
        "Sustainability",
        2,
        "Hosting for the documentation",
    )
    for sponsor in (acme, drawn):
        assert (sponsor.psf_sponsor, sponsor.is_active, sponsor.origin) == (True, True, "feed")
        assert (sponsor.infra_sponsor, sponsor.one_time, sponsor.footer) == (False, False, False)
    # The logos are ours now: the pages never load them from the feed's host.
    assert stored_file(acme.color_logo_url).read_bytes() == PNG
    assert stored_file(drawn.color_logo_url).read_bytes() == SVG
    assert drawn.color_logo_url.endswith(".svg")
    assert acme.logo_source_url == feed_server.url("/logos/acme-cloud.png")
    assert feed.events("acme-cloud") == [
        (EventTag.SponsorFeedAdd, {"name": "Acme Cloud", "slug": "acme-cloud"})
    ]
    assert feed.events("drawn-logo") == [
        (EventTag.SponsorFeedAdd, {"name": "Drawn Logo", "slug": "drawn-logo"})
    ]
    run = feed.last_run()
    assert (run.succeeded, run.message, run.added, run.updated, run.unlisted) == (
        True,
        message,
        2,
        0,
        0,
    )


def test_the_feed_is_asked_with_the_token_and_the_logos_without_it(feed, feed_server):
    feed.publish([feed.item("acme-cloud")])

    feed.sync()

    [asked] = feed_server.requests_for(FEED_PATH)
    assert asked.headers["Authorization"] == f"Token {TOKEN}"
    [logo] = feed_server.requests_for("/logos/acme-cloud.png")
    assert "Authorization" not in logo.headers


def test_running_again_on_the_same_feed_changes_nothing_and_fetches_no_logo(feed, synced):
    outcome = feed.sync()

    assert outcome.message == (
        "The feed listed 2 sponsors: 0 added, 0 updated, 0 no longer PSF sponsors."
    )
    assert feed.state() == synced
    assert (feed.logo_requests("already-here"), feed.logo_requests("also-here")) == (1, 1)
    assert feed.last_run().succeeded


def test_a_changed_feed_updates_the_sponsor_that_changed(feed, synced):
    feed.publish(
        [
            feed.item("already-here", name="Already Here Inc.", level_name="Maintaining"),
            feed.item("also-here", level_name="Partner"),
        ]
    )

    outcome = feed.sync()

    assert outcome.message == (
        "The feed listed 2 sponsors: 0 added, 1 updated, 0 no longer PSF sponsors."
    )
    sponsor = feed.sponsor("already-here")
    assert (sponsor.name, sponsor.level_name) == ("Already Here Inc.", "Maintaining")
    assert feed.events("already-here")[-1] == (
        EventTag.SponsorFeedUpdate,
        {"name": "Already Here Inc.", "fields": ["level_name", "name"]},
    )
    assert feed.state()["sponsors"]["also-here"] == synced["sponsors"]["also-here"]
    assert len(feed.events("also-here")) == 1
    assert feed.last_run().updated == 1


def test_a_new_logo_address_is_copied_again(feed, feed_server, synced):
    new_logo = feed_server.serve("/logos/new-look.svg", SVG, content_type="image/svg+xml")
    feed.publish(
        [feed.item("already-here", logo=new_logo), feed.item("also-here", level_name="Partner")]
    )
    feed.sync()

    sponsor = feed.sponsor("already-here")
    assert sponsor.logo_source_url == new_logo
    assert stored_file(sponsor.color_logo_url).read_bytes() == SVG
    assert feed.events("already-here")[-1] == (
        EventTag.SponsorFeedUpdate,
        {"name": "Already Here", "fields": ["color_logo_url", "logo_source_url"]},
    )
    assert len(feed_server.requests_for("/logos/new-look.svg")) == 1
    assert feed.logo_requests("also-here") == 1


def test_a_sponsor_the_feed_no_longer_lists_stops_being_a_psf_sponsor_but_stays(feed, synced):
    feed.publish([feed.item("also-here", level_name="Partner")])

    outcome = feed.sync()

    assert outcome.message == (
        "The feed listed 1 sponsor: 0 added, 0 updated, 1 no longer a PSF sponsor."
    )
    gone = feed.sponsor("already-here")
    assert (gone.psf_sponsor, gone.is_active, gone.origin) == (False, True, SponsorOrigin.Feed)
    assert feed.events("already-here")[-1] == (
        EventTag.SponsorFeedUnlist,
        {"name": "Already Here"},
    )
    assert feed.last_run().unlisted == 1

    # Listed again later, it is a PSF sponsor again.
    feed.publish([feed.item("already-here"), feed.item("also-here", level_name="Partner")])
    assert feed.sync().updated == 1
    assert feed.sponsor("already-here").psf_sponsor


@pytest.mark.parametrize(
    "curated",
    [
        {"origin": SponsorOrigin.Manual.value, "psf_sponsor": True},
        {"origin": SponsorOrigin.Feed.value, "infra_sponsor": True, "with_white_logo": True},
        {"origin": SponsorOrigin.Feed.value, "one_time": True},
    ],
    ids=["added by staff", "infrastructure", "one-time"],
)
def test_hand_curated_sponsors_are_left_alone(feed, curated):
    SponsorFactory(slug="curated", name="Kept By Staff", level_name="Own level", **curated)
    # One the feed does not list keeps psf_sponsor too.
    SponsorFactory(slug="curated-unlisted", name="Also Kept", **{**curated, "psf_sponsor": True})
    before = feed.state()["sponsors"]
    feed.publish([feed.item("curated", name="Feed Name", level_name="Visionary")])

    outcome = feed.sync()

    assert outcome.message == (
        "The feed listed 1 sponsor: 0 added, 0 updated, 0 no longer PSF sponsors."
    )
    after = feed.state()["sponsors"]
    assert after == before
    assert feed.events("curated") == []
    # Its logo is its own: the feed's is not even fetched.
    assert feed.logo_requests("curated") == 0


# A feed that cannot be used


def assert_refused(feed: Feed, outcome: Any, before: dict[str, Any], reason: str) -> None:
    """Nothing changed; the run was recorded, saying why."""
    assert not outcome.succeeded
    assert outcome.message.startswith("Nothing was changed: ")
    assert reason in outcome.message, outcome.message
    assert feed.state() == before
    run = feed.last_run()
    assert (run.succeeded, run.message, run.added, run.updated, run.unlisted) == (
        False,
        outcome.message,
        0,
        0,
        0,
    )


@pytest.mark.parametrize(
    ("body", "answer", "reason"),
    [
        (b"<html>Gateway trouble</html>", {}, "the feed is not valid JSON"),
        (b'[{"slug": "x"}]', {"status": 500}, f"{FEED_PATH} answered 500."),
        (b'[{"slug": "x"}]', {"status": 401}, f"{FEED_PATH} answered 401."),
        (b'{"sponsors": []}', {}, "the feed is not a list of sponsors."),
        (b"[]", {}, "the feed lists no sponsors"),
        (b"[" * 100_000, {}, "the feed is not valid JSON"),
        (b'["\xff\xfe"]', {}, "the feed is not valid JSON"),
        (b'["just a name"]', {}, "sponsor 1 of the feed is not an object."),
    ],
    ids=["not json", "500", "401", "an object", "empty", "nested deep", "not utf-8", "strings"],
)
def test_a_broken_feed_changes_nothing_and_says_why(feed, synced, body, answer, reason):
    feed.publish(body, **answer)

    assert_refused(feed, feed.sync(), synced, reason)


def test_a_feed_cut_short_by_the_server_changes_nothing(feed, synced):
    whole = json.dumps([feed.item("already-here"), feed.item("newcomer")]).encode()
    feed.publish(whole[: len(whole) // 2], announced_length=len(whole))

    assert_refused(feed, feed.sync(), synced, "was cut short")


def test_a_json_array_cut_off_midway_changes_nothing(feed, synced):
    whole = json.dumps([feed.item("already-here"), feed.item("newcomer")]).encode()
    feed.publish(whole[: len(whole) - 20])

    assert_refused(feed, feed.sync(), synced, "not valid JSON (it may have been cut short)")


def test_a_feed_larger_than_the_limit_is_refused(feed, synced):
    feed.publish(b"[" + b" " * (1024 * 1024) + b"]")

    assert_refused(feed, feed.sync(), synced, "is larger than 1,024 KiB")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"slug": None}, "sponsor 2 of the feed has no slug."),
        ({"slug": "Not A Slug"}, "the slug 'Not A Slug' is not lowercase words and hyphens"),
        ({"name": ""}, "sponsor 'newcomer' of the feed has no name."),
        ({"sponsor_url": "javascript:alert(1)"}, "sponsor_url is not a web address."),
        ({"sponsor_url": "https://exa mple.com/"}, "sponsor_url is not a web address."),
        ({"logo": "ftp://newcomer.example.com/logo.png"}, "logo is not a web address."),
        ({"slug": "already-here"}, "sponsor 'already-here' of the feed is listed twice."),
        ({"name": "Nul\x00Corp"}, "name is not text."),
        ({"name": "Half \ud800 a character"}, "name is not text."),
        ({"name": ["a", "list"]}, "name is not text."),
        ({"name": "N" * 101}, "name is longer than 100 characters."),
        ({"description": "D" * 257}, "description is longer than 256 characters."),
        ({"sponsor_url": "https://example.com/" + "a" * 1000}, "longer than 1000 characters."),
        ({"level_order": "1"}, "level_order is not a whole number."),
        ({"level_order": True}, "level_order is not a whole number."),
        ({"level_order": 10**12}, "level_order is out of range."),
    ],
    ids=[
        "missing slug",
        "bad slug",
        "empty name",
        "script url",
        "space in url",
        "ftp logo",
        "slug twice",
        "nul in name",
        "lone surrogate",
        "name not text",
        "oversized name",
        "oversized description",
        "oversized url",
        "order as text",
        "order as boolean",
        "order too large",
    ],
)
def test_a_feed_with_an_invalid_sponsor_changes_nothing(feed, synced, change, reason):
    newcomer = {**feed.item("newcomer"), **change}
    if change.get("slug", "") is None:
        del newcomer["slug"]
    feed.publish([feed.item("already-here", name="Renamed"), newcomer])

    assert_refused(feed, feed.sync(), synced, reason)
    assert feed.logo_requests("newcomer") == 0


@pytest.mark.parametrize(
    ("logo", "content_type", "reason"),
    [
        (b"Acme: the logo people", "image/png", "This file is not a PNG, JPEG, WebP or SVG"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif", "This file is not a PNG, JPEG, WebP or SVG"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
            "This SVG has a <script> element",
        ),
    ],
    ids=["text", "gif", "svg with a script"],
)
def test_a_logo_that_is_not_a_logo_changes_nothing(
    feed, feed_server, synced, logo, content_type, reason
):
    bad = feed_server.serve("/logos/bad", logo, content_type=content_type)
    feed.publish([feed.item("newcomer"), feed.item("already-here", logo=bad)])
    files_before = set(SPONSOR_LOGO_DIRECTORY.iterdir())

    outcome = feed.sync()

    assert_refused(feed, outcome, synced, f"the logo of 'already-here': {reason}")
    # The good logo fetched in the same run was not stored either.
    assert set(SPONSOR_LOGO_DIRECTORY.iterdir()) == files_before


def test_a_logo_the_server_does_not_have_changes_nothing(feed, feed_server, synced):
    feed.publish([feed.item("newcomer", logo=feed_server.url("/logos/missing.png"))])

    assert_refused(feed, feed.sync(), synced, "the logo of 'newcomer': http://127.0.0.1:")
    assert feed.last_run().message.endswith("/logos/missing.png answered 404.")


# Slow servers: the whole answer has a deadline


@pytest.mark.parametrize(
    "answer",
    [
        {"pause": 4 * TIMEOUT_SECONDS},
        # Each byte comes well within any per-read timeout; only the deadline for the whole
        # answer catches it.
        {"dribble": 0.05},
    ],
    ids=["silent", "dribbling"],
)
def test_a_feed_too_slow_changes_nothing_and_gives_up_at_the_deadline(
    feed, synced, short_deadline, answer
):
    feed.publish([feed.item("already-here", name="Renamed"), feed.item("newcomer")], **answer)

    started = time.monotonic()
    outcome = feed.sync()
    took = time.monotonic() - started

    assert_refused(feed, outcome, synced, f"{FEED_PATH} did not answer in time.")
    assert TIMEOUT_SECONDS <= took < TIMEOUT_SECONDS + SLACK_SECONDS


def test_a_logo_too_slow_changes_nothing(feed, feed_server, synced, short_deadline):
    slow = feed_server.serve("/logos/slow.png", PNG, content_type="image/png", dribble=0.1)
    feed.publish([feed.item("newcomer", logo=slow)])

    started = time.monotonic()
    outcome = feed.sync()

    assert_refused(feed, outcome, synced, "the logo of 'newcomer': ")
    assert outcome.message.endswith("/logos/slow.png did not answer in time.")
    assert time.monotonic() - started < TIMEOUT_SECONDS + SLACK_SECONDS


# No feed


@pytest.mark.parametrize("missing", ["sponsors.feed_url", "sponsors.feed_token"])
def test_without_a_feed_configured_the_run_is_refused_and_says_so(
    feed, feed_server, monkeypatch, missing
):
    feed.publish([feed.item("newcomer")])
    monkeypatch.setitem(feed.registry.settings, missing, "")
    before = feed.state()

    outcome = feed.sync()

    assert_refused(feed, outcome, before, NOT_CONFIGURED)
    assert feed_server.received == []


# Where the logos go


def test_the_feed_s_logos_go_to_object_storage_when_it_is_configured(
    make_app_config, feed_server, s3_server, db_session
):
    bucket = s3_server.new_bucket()
    config = make_app_config(
        **{
            "sponsors.feed_url": feed_server.url(FEED_PATH),
            "sponsors.feed_token": TOKEN,
            "sponsors.logo_storage": "warehouse_orgs.sponsors.storage.S3SponsorLogoStorage",
            "sponsors.logo_storage.bucket": bucket,
            "sponsors.logo_storage.public_url": "https://logos.example",
            "sponsors.logo_storage.endpoint_url": s3_server.endpoint_url,
        }
    )
    feed = Feed(feed_server, config.registry, db_session)
    feed.publish([feed.item("in-a-bucket")])

    assert feed.sync().succeeded

    url = feed.sponsor("in-a-bucket").color_logo_url
    key = url.removeprefix("https://logos.example/")
    assert key.startswith("sponsorlogos/in-a-bucket-color-")
    stored = s3_server.client().get_object(Bucket=bucket, Key=key)
    assert (stored["Body"].read(), stored["ContentType"]) == (PNG, "image/png")


def test_the_sync_is_on_the_hourly_schedule_only_when_a_feed_is_configured(make_app_config):
    task = "warehouse_orgs.sponsors.feed.update_sponsors_from_feed"
    with_feed = make_app_config(
        **{
            "celery.broker_url": "memory://",
            "sponsors.feed_url": "https://psf.example/feed/",
            "sponsors.feed_token": TOKEN,
        }
    )
    without = make_app_config(**{"celery.broker_url": "memory://"})

    assert with_feed.registry["celery.app"].conf.beat_schedule[task]["schedule"] == 3600
    assert task not in without.registry["celery.app"].conf.beat_schedule
    assert task in without.registry["celery.app"].tasks
