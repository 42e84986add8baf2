"""Sliding-window rate limits, counted in PostgreSQL or, with REDIS_URL, in Redis."""

import datetime
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import redis
from pyramid.request import Request
from sqlalchemy import delete, func, select
from zope.interface import implementer
from zope.sqlalchemy import mark_changed

from warehouse_orgs.rate_limiting.interfaces import IRateLimiter
from warehouse_orgs.rate_limiting.models import RateLimitHit

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_LIMIT = re.compile(r"^\s*(\d+)\s+per\s+(\d+)?\s*(second|minute|hour|day)s?\s*$")


@dataclass(frozen=True)
class Limit:
    count: int
    window: datetime.timedelta

    @classmethod
    def parse(cls, text: str) -> "Limit":
        """``"10 per 5 minutes"`` or ``"100 per hour"``."""
        match = _LIMIT.match(text)
        if not match:
            raise ValueError(f"not a rate limit: {text!r} (try '10 per 5 minutes')")
        count, multiple, unit = match.groups()
        seconds = int(multiple or 1) * _UNITS[unit]
        return cls(int(count), datetime.timedelta(seconds=seconds))


@implementer(IRateLimiter)
class DatabaseRateLimiter:
    """Hits are rows in the request's transaction: a failed attempt is counted when the
    request that saw it commits."""

    def __init__(self, request: Request, scope: str, limit: Limit) -> None:
        self.db = request.db
        self.scope = scope
        self.limit = limit

    def _recent(self, identifier: str) -> Any:
        return (
            RateLimitHit.scope == self.scope,
            RateLimitHit.identifier == identifier,
            RateLimitHit.time > func.now() - self.limit.window,
        )

    def test(self, identifier: str) -> bool:
        count = self.db.scalar(select(func.count()).where(*self._recent(identifier)))
        return count < self.limit.count

    def hit(self, identifier: str) -> None:
        # Old hits of this identifier are no longer needed once outside the window.
        self.db.execute(
            delete(RateLimitHit).where(
                RateLimitHit.scope == self.scope,
                RateLimitHit.identifier == identifier,
                RateLimitHit.time <= func.now() - self.limit.window,
            )
        )
        self.db.add(RateLimitHit(scope=self.scope, identifier=identifier))
        self.db.flush()
        mark_changed(self.db)

    def resets_in(self, identifier: str) -> datetime.timedelta | None:
        if self.test(identifier):
            return None
        # The window frees a slot when the oldest hit that still counts falls out of it.
        times = self.db.scalars(
            select(RateLimitHit.time)
            .where(*self._recent(identifier))
            .order_by(RateLimitHit.time.desc())
            .limit(self.limit.count)
        ).all()
        oldest_counted = times[-1]
        now = self.db.scalar(select(func.now()))
        return max(oldest_counted + self.limit.window - now, datetime.timedelta(0))

    def clear(self, identifier: str) -> None:
        self.db.execute(
            delete(RateLimitHit).where(
                RateLimitHit.scope == self.scope, RateLimitHit.identifier == identifier
            )
        )
        mark_changed(self.db)


@implementer(IRateLimiter)
class RedisRateLimiter:
    """A sorted set per identifier, scored by time; counts survive a failed request."""

    def __init__(self, client: redis.Redis, scope: str, limit: Limit) -> None:
        self.client = client
        self.scope = scope
        self.limit = limit

    def _key(self, identifier: str) -> str:
        return f"rate_limit:{self.scope}:{identifier}"

    def _live(self, identifier: str) -> list[tuple[bytes, float]]:
        key = self._key(identifier)
        now = time.time()
        self.client.zremrangebyscore(key, 0, now - self.limit.window.total_seconds())
        return self.client.zrange(key, 0, -1, withscores=True)

    def test(self, identifier: str) -> bool:
        return len(self._live(identifier)) < self.limit.count

    def hit(self, identifier: str) -> None:
        key = self._key(identifier)
        with self.client.pipeline() as pipe:
            pipe.zadd(key, {uuid.uuid4().hex: time.time()})
            pipe.expire(key, int(self.limit.window.total_seconds()) + 1)
            pipe.execute()

    def resets_in(self, identifier: str) -> datetime.timedelta | None:
        live = self._live(identifier)
        if len(live) < self.limit.count:
            return None
        oldest_counted = live[-self.limit.count][1]
        seconds = oldest_counted + self.limit.window.total_seconds() - time.time()
        return datetime.timedelta(seconds=max(seconds, 0))

    def clear(self, identifier: str) -> None:
        self.client.delete(self._key(identifier))
