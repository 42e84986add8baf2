"""Security headers on every response, errors included."""

from collections.abc import Callable

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

from warehouse_orgs.environment import is_production

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains; preload"


def apply_security_headers(response: Response, *, production: bool) -> None:
    """Set the headers a view has not set itself.

    The tween calls this for every response it sees; the 500 page calls it too, because an error
    raised while committing is rendered outside the tweens.
    """
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if production:
        headers.setdefault("Strict-Transport-Security", HSTS)


def security_headers_tween_factory(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    production = is_production(registry)

    def security_headers_tween(request: Request) -> Response:
        response = handler(request)
        apply_security_headers(response, production=production)
        return response

    return security_headers_tween


def includeme(config: Configurator) -> None:
    config.add_tween(
        "warehouse_orgs.security_headers.security_headers_tween_factory",
        under="warehouse_orgs.request_logging.request_logging_tween_factory",
    )
