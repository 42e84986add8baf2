"""The PSF's sponsor feed: fetch it, check all of it, copy its logos into our storage, then
hand the sponsors to ``ISponsorService.apply_feed``, all or nothing.

The feed is the PSF sponsorship system's logo-placement list: a JSON array of objects with
``name``, ``slug``, ``sponsor_url``, ``logo``, ``level_name``, ``level_order`` and optionally
``description`` (what the sponsor gives, for infrastructure sponsors). It is asked with
``Authorization: Token <SPONSOR_FEED_TOKEN>`` and a deadline for the whole answer. A feed that
does not answer, answers with an error, is cut short, is not JSON, lists a sponsor we cannot
read, lists no sponsor at all, or points at a logo that is not a logo changes nothing; the run
is recorded with the reason, which the command prints and the staff sponsor list shows.
"""

import dataclasses
import json
import logging
import re
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from pyramid.request import Request
from sqlalchemy import select

from warehouse_orgs.sponsors.interfaces import (
    FeedSponsor,
    ISponsorLogoStorage,
    ISponsorService,
    SyncOutcome,
)
from warehouse_orgs.sponsors.logos import MAX_LOGO_BYTES, CheckedLogo, LogoRefused, check_logo
from warehouse_orgs.sponsors.models import (
    NAME_MAX_LENGTH,
    SERVICE_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    URL_MAX_LENGTH,
    Sponsor,
)
from warehouse_orgs.sponsors.storage import StorageError

logger = logging.getLogger(__name__)

# The whole answer must arrive within this many seconds, whatever the server's pace.
DEFAULT_TIMEOUT_SECONDS = 10.0
# The feed is a few dozen sponsors: 1 MiB is far more than it needs.
MAX_FEED_BYTES = 1024 * 1024
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# NUL and other control characters, and lone surrogates (which JSON's \u escapes can make and
# PostgreSQL cannot store), are not a name.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_SPACE = re.compile(r"[\s\x00-\x1f\x7f]")
NOT_CONFIGURED = "no feed is configured (SPONSOR_FEED_URL and SPONSOR_FEED_TOKEN)."


class FeedRefused(Exception):
    """The feed cannot be used; the message says why, for staff."""


@dataclasses.dataclass(frozen=True)
class FeedItem:
    slug: str
    name: str
    link_url: str
    logo_url: str
    service: str | None
    level_name: str | None
    level_order: int


def _download(url: str, *, headers: dict[str, str], max_bytes: int, deadline: float) -> bytes:
    """The body at ``url``, refused if it is an error, larger than ``max_bytes``, cut short or
    not all there by ``deadline`` (a monotonic time).

    A socket timeout bounds each read, not the whole answer: a server that sends a byte every
    few seconds never trips it. So the download runs in a thread of its own, which also stops
    itself at the deadline, and the caller waits for it only until then.
    """
    outcome: dict[str, Any] = {}
    finished = threading.Event()

    def fetch() -> None:
        try:
            outcome["body"] = _fetch(url, headers=headers, max_bytes=max_bytes, deadline=deadline)
        except Exception as error:  # handed back to the caller's thread
            outcome["error"] = error
        finally:
            finished.set()

    threading.Thread(target=fetch, name="sponsor-feed-download", daemon=True).start()
    if not finished.wait(max(deadline - time.monotonic(), 0)):
        raise FeedRefused(f"{url} did not answer in time.")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["body"]


def _fetch(url: str, *, headers: dict[str, str], max_bytes: int, deadline: float) -> bytes:
    late = FeedRefused(f"{url} did not answer in time.")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise late
    try:
        with requests.get(url, headers=headers, timeout=remaining, stream=True) as answer:
            if answer.status_code != 200:
                raise FeedRefused(f"{url} answered {answer.status_code}.")
            declared = answer.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise FeedRefused(f"{url} is larger than {max_bytes // 1024:,} KiB.")
            body = bytearray()
            # read1 returns what has arrived, so the deadline is checked as bytes trickle in.
            while chunk := answer.raw.read1(16384, decode_content=True):
                body += chunk
                if len(body) > max_bytes:
                    raise FeedRefused(f"{url} is larger than {max_bytes // 1024:,} KiB.")
                if time.monotonic() > deadline:
                    raise late
            if declared is not None and declared.isdigit() and len(body) < int(declared):
                raise FeedRefused(f"{url} was cut short ({len(body)} of {declared} bytes).")
            return bytes(body)
    except (requests.Timeout, urllib3.exceptions.TimeoutError):
        raise late from None
    except urllib3.exceptions.ProtocolError:
        # The server closed the connection before sending all it announced.
        raise FeedRefused(f"{url} was cut short (the connection closed early).") from None
    except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
        raise FeedRefused(f"{url} could not be read ({type(error).__name__}).") from None


def _text(item: dict[str, Any], key: str, limit: int, *, where: str, required: bool) -> str | None:
    value = item.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise FeedRefused(f"{where} has no {key}.")
        return None
    if not isinstance(value, str) or _NOT_TEXT.search(value):
        raise FeedRefused(f"{where}: {key} is not text.")
    value = value.strip()
    if len(value) > limit:
        raise FeedRefused(f"{where}: {key} is longer than {limit} characters.")
    return value


def _web_address(value: str, *, where: str, key: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or _SPACE.search(value):
        raise FeedRefused(f"{where}: {key} is not a web address.")
    return value


def read_feed(body: bytes) -> list[FeedItem]:
    """Every sponsor the feed lists, checked; raises FeedRefused for the first problem."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers bytes that are not UTF-8, JSON cut short and a number too long to
        # read; RecursionError, arrays nested thousands deep.
        raise FeedRefused("the feed is not valid JSON (it may have been cut short).") from None
    if not isinstance(payload, list):
        raise FeedRefused("the feed is not a list of sponsors.")
    if not payload:
        raise FeedRefused("the feed lists no sponsors, which is never true; not believing it.")
    items: list[FeedItem] = []
    seen: set[str] = set()
    for number, raw in enumerate(payload, start=1):
        where = f"sponsor {number} of the feed"
        if not isinstance(raw, dict):
            raise FeedRefused(f"{where} is not an object.")
        slug = _text(raw, "slug", SLUG_MAX_LENGTH, where=where, required=True) or ""
        if not SLUG.match(slug):
            raise FeedRefused(f"{where}: the slug {slug!r} is not lowercase words and hyphens.")
        where = f"sponsor {slug!r} of the feed"
        if slug in seen:
            raise FeedRefused(f"{where} is listed twice.")
        seen.add(slug)
        level_order = raw.get("level_order", 0)
        if isinstance(level_order, bool) or not isinstance(level_order, int):
            raise FeedRefused(f"{where}: level_order is not a whole number.")
        if not -1_000_000 <= level_order <= 1_000_000:
            raise FeedRefused(f"{where}: level_order is out of range.")
        link = _text(raw, "sponsor_url", URL_MAX_LENGTH, where=where, required=True) or ""
        logo = _text(raw, "logo", URL_MAX_LENGTH, where=where, required=True) or ""
        items.append(
            FeedItem(
                slug=slug,
                name=_text(raw, "name", NAME_MAX_LENGTH, where=where, required=True) or "",
                link_url=_web_address(link, where=where, key="sponsor_url"),
                logo_url=_web_address(logo, where=where, key="logo"),
                service=_text(raw, "description", SERVICE_MAX_LENGTH, where=where, required=False),
                level_name=_text(raw, "level_name", NAME_MAX_LENGTH, where=where, required=False),
                level_order=level_order,
            )
        )
    return items


def _fetched_logo(item: FeedItem, deadline: float) -> CheckedLogo:
    try:
        content = _download(item.logo_url, headers={}, max_bytes=MAX_LOGO_BYTES, deadline=deadline)
        return check_logo(content)
    except (FeedRefused, LogoRefused) as refusal:
        raise FeedRefused(f"the logo of {item.slug!r}: {refusal}") from None


def _stored_logos(request: Request, items: list[FeedItem], deadline: float) -> list[FeedSponsor]:
    """Each item with its logo in our storage: copied again only when the feed's logo address
    changed since the last sync."""
    known = {sponsor.slug: sponsor for sponsor in request.db.scalars(select(Sponsor))}
    stored = {slug: sponsor.color_logo_url for slug, sponsor in known.items()}
    # Every new logo is fetched and checked before any is stored, so a feed refused for one
    # logo leaves no file of its run behind.
    fetched: dict[str, CheckedLogo] = {}
    for item in items:
        sponsor = known.get(item.slug)
        # A hand-curated row keeps its own logo: the sync will not touch it.
        if sponsor is None or (
            not sponsor.is_hand_curated
            and (sponsor.logo_source_url != item.logo_url or not sponsor.color_logo_url)
        ):
            fetched[item.slug] = _fetched_logo(item, deadline)
    storage = request.find_service(ISponsorLogoStorage) if fetched else None
    for slug, logo in fetched.items():
        try:
            stored[slug] = storage.store(
                logo.file_name(slug, "color"), logo.content, logo.content_type
            )
        except StorageError as error:
            raise FeedRefused(f"the logo of {slug!r}: {error}") from None
    return [
        FeedSponsor(
            slug=item.slug,
            name=item.name,
            link_url=item.link_url,
            color_logo_url=stored[item.slug],
            logo_source_url=item.logo_url,
            service=item.service,
            level_name=item.level_name,
            level_order=item.level_order,
        )
        for item in items
    ]


def sync_from_feed(request: Request) -> SyncOutcome:
    """Run one sync and record it; returns what it did or why it did nothing."""
    settings = request.registry.settings
    sponsors = request.find_service(ISponsorService)
    url, token = settings.get("sponsors.feed_url"), settings.get("sponsors.feed_token")
    if not url or not token:
        return sponsors.record_refused_sync(NOT_CONFIGURED)
    timeout = float(settings.get("sponsors.feed_timeout_seconds", DEFAULT_TIMEOUT_SECONDS))
    deadline = time.monotonic() + timeout
    try:
        body = _download(
            url,
            headers={"Authorization": f"Token {token}"},
            max_bytes=MAX_FEED_BYTES,
            deadline=deadline,
        )
        items = read_feed(body)
        feed_sponsors = _stored_logos(request, items, deadline)
    except FeedRefused as refusal:
        logger.warning("sponsor feed sync refused: %s", refusal)
        return sponsors.record_refused_sync(str(refusal))
    return sponsors.apply_feed(feed_sponsors)


def update_sponsors_from_feed(request: Request) -> str:
    """Hourly, when a feed is configured: the task form of ``sync_from_feed``."""
    outcome = sync_from_feed(request)
    return outcome.message
