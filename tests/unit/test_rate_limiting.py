import datetime
import os
import uuid

import pytest
import redis
from sqlalchemy import text

from warehouse_orgs.rate_limiting.services import (
    DatabaseRateLimiter,
    Limit,
    RedisRateLimiter,
)
from warehouse_orgs.tasks import make_task_request


@pytest.mark.parametrize(
    ("text_", "count", "seconds"),
    [("10 per 5 minutes", 10, 300), ("100 per hour", 100, 3600), ("1 per 2 days", 1, 172800)],
)
def test_limits_are_read_from_plain_words(text_, count, seconds):
    assert Limit.parse(text_) == Limit(count, datetime.timedelta(seconds=seconds))


def test_a_malformed_limit_is_refused():
    with pytest.raises(ValueError, match="not a rate limit: 'ten a minute'"):
        Limit.parse("ten a minute")


@pytest.fixture
def database_limiter(app_registry):
    request = make_task_request(app_registry)
    request.tm.begin()
    yield DatabaseRateLimiter(request, "test", Limit(3, datetime.timedelta(minutes=5)))
    request.tm.abort()


def test_database_limiter_counts_a_sliding_window(database_limiter, db_connection):
    limiter = database_limiter
    assert limiter.test("k")
    assert limiter.resets_in("k") is None
    for _ in range(3):
        limiter.hit("k")
    assert not limiter.test("k")
    assert limiter.test("other")
    wait = limiter.resets_in("k")
    assert datetime.timedelta(minutes=4, seconds=55) < wait <= datetime.timedelta(minutes=5)

    limiter.db.execute(text("UPDATE rate_limit_hits SET time = time - interval '301 seconds'"))
    assert limiter.test("k")
    limiter.hit("k")  # old hits of this key are cleaned up as new ones arrive
    count = limiter.db.execute(
        text("SELECT count(*) FROM rate_limit_hits WHERE identifier = 'k'")
    ).scalar()
    assert count == 1


def test_database_limiter_clear_forgets_a_key(database_limiter):
    for _ in range(3):
        database_limiter.hit("k")
    database_limiter.clear("k")
    assert database_limiter.test("k")


@pytest.fixture
def redis_client():
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        client.close()
        pytest.skip(
            f"No Redis at {url}: the Redis limiter is only used when REDIS_URL is set, and "
            "the database limiter (tested above) serves everyone else."
        )
    yield client
    client.close()


def test_redis_limiter_counts_a_sliding_window(redis_client):
    scope = f"test-{uuid.uuid4().hex}"
    limiter = RedisRateLimiter(redis_client, scope, Limit(2, datetime.timedelta(seconds=60)))
    try:
        assert limiter.test("k")
        limiter.hit("k")
        limiter.hit("k")
        assert not limiter.test("k")
        assert (
            datetime.timedelta(seconds=55)
            < limiter.resets_in("k")
            <= datetime.timedelta(seconds=60)
        )
        # Move the hits back in time by rescoring them, as if a minute passed.
        key = f"rate_limit:{scope}:k"
        for member, score in redis_client.zrange(key, 0, -1, withscores=True):
            redis_client.zadd(key, {member: score - 61})
        assert limiter.test("k")
        assert limiter.resets_in("k") is None
    finally:
        limiter.clear("k")
    assert redis_client.exists(f"rate_limit:{scope}:k") == 0
