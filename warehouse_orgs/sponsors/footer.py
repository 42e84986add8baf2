"""The footer's sponsors, on every page, kept per process for a minute.

Every page shows them, so a query per page would be the most-run statement of the site; they
change a few times a year. The list is loaded by one statement when this process has none or
its copy is older than ``sponsors.footer_cache_seconds`` (60), and forgotten at once when a
change to the sponsors commits in this process; other processes see it within the minute.
An error page never loads it (the database may be why it is an error page): it shows what this
process already has, or nothing.
"""

import hashlib
import threading
import time
from collections.abc import Callable

from pyramid.request import Request

from warehouse_orgs.sponsors.interfaces import FooterSponsor, ISponsorService

FOOTER_CACHE_KEY = "sponsors.footer_cache"
DEFAULT_FOOTER_CACHE_SECONDS = 60.0


class FooterSponsorCache:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._sponsors: tuple[FooterSponsor, ...] | None = None
        self._loaded_at = 0.0

    def get(self, load: Callable[[], list[FooterSponsor]]) -> tuple[FooterSponsor, ...]:
        with self._lock:
            fresh = self._sponsors is not None and self.clock() - self._loaded_at < self.seconds
            if fresh:
                return self._sponsors  # type: ignore[return-value]
        sponsors = tuple(load())
        with self._lock:
            self._sponsors, self._loaded_at = sponsors, self.clock()
        return sponsors

    def peek(self) -> tuple[FooterSponsor, ...]:
        """What this process has, without loading."""
        return self._sponsors or ()

    def prime(self, sponsors: list[FooterSponsor]) -> None:
        with self._lock:
            self._sponsors, self._loaded_at = tuple(sponsors), self.clock()

    def forget(self) -> None:
        with self._lock:
            self._sponsors = None


def footer_sponsors(request: Request) -> tuple[FooterSponsor, ...]:
    cache: FooterSponsorCache = request.registry[FOOTER_CACHE_KEY]
    if getattr(request, "exception", None) is not None:
        return cache.peek()
    return cache.get(lambda: request.find_service(ISponsorService).footer_sponsors())


def footer_digest(request: Request) -> str:
    """Changes whenever the footer would: for the ETag of a page that has one."""
    text = "\x00".join(
        f"{s.name}\x01{s.link_url}\x01{s.white_logo_url}\x01{s.caption}"
        for s in request.footer_sponsors
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def forget_footer_after_commit(request: Request) -> None:
    """A change to the sponsors: once it commits, this process loads the footer again."""
    cache: FooterSponsorCache = request.registry[FOOTER_CACHE_KEY]
    request.tm.get().addAfterCommitHook(lambda committed: committed and cache.forget())
