"""Security headers on every response, errors included.

Forms post only to this site, and may send the browser on only to it (``form-action``, which
browsers also apply to a form's redirect), with one kind of exception: a feature that sends
people to another site after a form (billing, to the payment provider's hosted checkout and
portal) registers ``config.add_form_action_origins(origins)``, a function of the settings that
names those origins; it is asked for every response, so a change of settings (a test pointing
billing at its own local Stripe) is followed.

Images load from this site too, unless a feature registers ``config.add_image_origins(origins)``
the same way (sponsor logos kept in object storage, served from its own address).
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response

from warehouse_orgs.environment import is_production

FORM_ACTION_ORIGINS_KEY = "security_headers.form_action_origins"
IMAGE_ORIGINS_KEY = "security_headers.image_origins"


def content_security_policy(
    form_action_origins: list[str] | tuple[str, ...] = (),
    image_origins: list[str] | tuple[str, ...] = (),
) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            " ".join(["img-src 'self' data:", *image_origins]),
            "font-src 'self'",
            "connect-src 'self'",
            " ".join(["form-action 'self'", *form_action_origins]),
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


# With no origin registered.
CONTENT_SECURITY_POLICY = content_security_policy()
HSTS = "max-age=31536000; includeSubDomains; preload"


# ``origins(settings)``: the origins a feature's forms may send the browser on to, or that its
# images load from.
FormActionOrigins = Callable[[Mapping[str, Any]], Iterable[str]]


def _registered_origins(registry: Registry, key: str) -> tuple[str, ...]:
    origins: list[str] = []
    for source in registry.get(key, ()):
        origins.extend(o for o in source(registry.settings) if o not in origins)
    return tuple(origins)


def registry_policy(registry: Registry) -> str:
    return content_security_policy(
        _registered_origins(registry, FORM_ACTION_ORIGINS_KEY),
        _registered_origins(registry, IMAGE_ORIGINS_KEY),
    )


def apply_security_headers(response: Response, *, production: bool, policy: str) -> None:
    """Set the headers a view has not set itself.

    The tween calls this for every response it sees; the 500 page calls it too, because an error
    raised while committing is rendered outside the tweens.
    """
    headers = response.headers
    headers.setdefault("Content-Security-Policy", policy)
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
        apply_security_headers(response, production=production, policy=registry_policy(registry))
        return response

    return security_headers_tween


def _add_form_action_origins(config: Configurator, origins: FormActionOrigins) -> None:
    config.registry.setdefault(FORM_ACTION_ORIGINS_KEY, []).append(origins)


def _add_image_origins(config: Configurator, origins: FormActionOrigins) -> None:
    config.registry.setdefault(IMAGE_ORIGINS_KEY, []).append(origins)


def includeme(config: Configurator) -> None:
    config.add_directive("add_form_action_origins", _add_form_action_origins)
    config.add_directive("add_image_origins", _add_image_origins)
    config.add_tween(
        "warehouse_orgs.security_headers.security_headers_tween_factory",
        under="warehouse_orgs.request_logging.request_logging_tween_factory",
    )
