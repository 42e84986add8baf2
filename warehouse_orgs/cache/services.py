"""``IOriginCache`` implementations. ``ORIGIN_CACHE`` names one and its options, as
``MAIL_BACKEND`` does:

- ``warehouse_orgs.cache.services.LoggingOriginCache``: logs the keys it would purge; the
  default, for development and the tests, where nothing caches the pages.
- ``warehouse_orgs.cache.services.FastlyOriginCache service_id=... api_token=...`` (and
  optionally ``api_base=``, ``timeout=``): Fastly's batch purge by surrogate key.
- ``warehouse_orgs.cache.services.VarnishOriginCache url=http://127.0.0.1:6081`` (several
  addresses comma-separated; optionally ``timeout=``): an xkey purge sent to each Varnish, as
  ``dev/varnish/origin.vcl`` accepts it.
"""

import logging
from collections.abc import Collection, Iterator, Mapping
from typing import Any, Self

import requests
from pyramid.request import Request
from zope.interface import implementer

from warehouse_orgs.cache.interfaces import IOriginCache, PurgeFailed

logger = logging.getLogger(__name__)

LOGGING_CACHE = "warehouse_orgs.cache.services.LoggingOriginCache"
FASTLY_API_BASE = "https://api.fastly.com"
# Fastly takes at most 256 keys in one batch purge.
FASTLY_KEYS_PER_PURGE = 256
# Varnish refuses a request header longer than http_req_hdr_len (8 KiB by default); a hundred
# keys stay well inside it.
VARNISH_KEYS_PER_PURGE = 100
# The header our VCL reads the keys to purge from (dev/varnish/origin.vcl).
VARNISH_PURGE_HEADER = "xkey-purge"
# A purge runs after the commit, while the person who made the change waits for the answer
# (without a task broker): a cache that does not answer must not hold them for long.
DEFAULT_TIMEOUT_SECONDS = 2.0


def _batches(keys: Collection[str], size: int) -> Iterator[list[str]]:
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _timeout(settings: Mapping[str, Any]) -> float:
    return float(settings.get("origin_cache.timeout", DEFAULT_TIMEOUT_SECONDS))


@implementer(IOriginCache)
class LoggingOriginCache:
    @classmethod
    def create_service(cls, context: Any, request: Request) -> Self:
        return cls()

    def purge(self, keys: Collection[str]) -> None:
        logger.info("origin cache: would purge %s", " ".join(sorted(keys)))


@implementer(IOriginCache)
class FastlyOriginCache:
    """POST /service/<id>/purge with the keys in ``Surrogate-Key`` (Fastly's batch purge)."""

    def __init__(
        self,
        service_id: str,
        api_token: str,
        api_base: str = FASTLY_API_BASE,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.service_id = service_id
        self.api_token = api_token
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout

    @classmethod
    def create_service(cls, context: Any, request: Request) -> Self:
        settings = request.registry.settings
        return cls(
            service_id=settings["origin_cache.service_id"],
            api_token=settings["origin_cache.api_token"],
            api_base=settings.get("origin_cache.api_base", FASTLY_API_BASE),
            timeout=_timeout(settings),
        )

    def purge(self, keys: Collection[str]) -> None:
        url = f"{self.api_base}/service/{self.service_id}/purge"
        for batch in _batches(keys, FASTLY_KEYS_PER_PURGE):
            headers = {
                "Fastly-Key": self.api_token,
                "Surrogate-Key": " ".join(batch),
                "Accept": "application/json",
            }
            try:
                response = requests.post(url, headers=headers, timeout=self.timeout)
            except requests.RequestException as error:
                raise PurgeFailed(f"Fastly did not answer the purge: {error}") from error
            if response.status_code != 200:
                raise PurgeFailed(
                    f"Fastly refused the purge: {response.status_code} {response.text[:200]}"
                )


@implementer(IOriginCache)
class VarnishOriginCache:
    """A PURGE request naming the keys in ``xkey-purge``, to every Varnish in front."""

    def __init__(self, urls: list[str], timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.urls = urls
        self.timeout = timeout

    @classmethod
    def create_service(cls, context: Any, request: Request) -> Self:
        settings = request.registry.settings
        urls = [url.strip() for url in settings["origin_cache.url"].split(",") if url.strip()]
        return cls(urls=urls, timeout=_timeout(settings))

    def purge(self, keys: Collection[str]) -> None:
        failures = []
        # Every Varnish is asked even when one fails: each holds its own copies.
        for url in self.urls:
            for batch in _batches(keys, VARNISH_KEYS_PER_PURGE):
                try:
                    response = requests.request(
                        "PURGE",
                        f"{url.rstrip('/')}/",
                        headers={VARNISH_PURGE_HEADER: " ".join(batch)},
                        timeout=self.timeout,
                    )
                except requests.RequestException as error:
                    failures.append(f"{url} did not answer ({error})")
                    break
                if response.status_code != 200:
                    failures.append(f"{url} refused it ({response.status_code} {response.reason})")
                    break
        if failures:
            raise PurgeFailed("Varnish purge failed: " + "; ".join(failures))
