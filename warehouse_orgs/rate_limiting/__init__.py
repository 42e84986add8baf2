"""Rate limits, registered as named IRateLimiter services: ``find_service(IRateLimiter,
name="login.user")``. Each limit is a setting (``ratelimit.<name>``) such as "10 per 5 minutes".
"""

from typing import Any

import redis
from pyramid.config import Configurator
from pyramid.request import Request

from warehouse_orgs.rate_limiting.interfaces import IRateLimiter
from warehouse_orgs.rate_limiting.services import (
    DatabaseRateLimiter,
    Limit,
    RedisRateLimiter,
)

DEFAULT_LIMITS = {
    # Failed passwords, per account and per address.
    "login.user": "10 per 5 minutes",
    "login.ip": "30 per 5 minutes",
    # Wrong two-factor and recovery codes, per account and per address.
    "two_factor.user": "5 per 5 minutes",
    "two_factor.ip": "20 per 5 minutes",
    # Confirmation mails a user can ask to have re-sent.
    "email.verify": "5 per hour",
    # Password reset links asked for, per account and per address: each one mails the account.
    "password_reset.user": "3 per hour",
    "password_reset.ip": "10 per hour",
    # Sponsorship inquiries, per address: each one mails the sender and PSF staff.
    "sponsor_inquiry.ip": "5 per hour",
    # Organization invitations sent by email address, each of which mails whoever has the
    # address: per organization and address, so an organization cannot pester one person by
    # inviting, revoking and inviting again (sending again counts too); per inviter, so the
    # form cannot mail strangers in bulk. The same for known and unknown addresses.
    "organization_invite.address": "3 per day",
    "organization_invite.inviter": "30 per day",
}


def _limiter_factory(scope: str, limit: Limit, redis_client: redis.Redis | None) -> Any:
    def factory(context: Any, request: Request) -> IRateLimiter:
        if redis_client is not None:
            return RedisRateLimiter(redis_client, scope, limit)
        return DatabaseRateLimiter(request, scope, limit)

    return factory


def includeme(config: Configurator) -> None:
    settings = config.registry.settings
    redis_url = settings.get("redis.url")
    client = redis.Redis.from_url(redis_url) if redis_url else None
    for scope, default in DEFAULT_LIMITS.items():
        limit = Limit.parse(settings.get(f"ratelimit.{scope}", default))
        config.register_service_factory(
            _limiter_factory(scope, limit, client), IRateLimiter, name=scope
        )
