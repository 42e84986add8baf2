"""Build the Pyramid application from the environment.

Every setting comes from an environment variable (see README.md), may be overridden by the
``settings`` passed in, and is checked here once, so the rest of the code reads
``request.registry.settings`` and never ``os.environ``.
"""

import os
import shlex
from collections.abc import Callable, Mapping
from typing import Any

from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from warehouse_orgs.environment import Environment, is_development

# Feature packages, in include order. migrations/env.py imports each one's models from here too,
# so a new feature is added in exactly one place.
FEATURES: tuple[str, ...] = (
    "sessions",
    "rate_limiting",
    "accounts",
    "packaging",
    "organizations",
    "domains",
    "subscriptions",
    "sponsors",
)

# Development secrets start with this prefix, so production can recognise and refuse them.
INSECURE_SECRET_PREFIX = "insecure-"  # noqa: S105 (a marker, not a secret)
MINIMUM_SECRET_LENGTH = 32
SECRET_SETTINGS = {"sessions.secret": "SESSION_SECRET", "token.secret": "TOKEN_SECRET"}


def maybe_set(
    settings: dict[str, Any],
    name: str,
    envvar: str,
    coercer: Callable[[str], Any] | None = None,
    default: Any = None,
    environ: Mapping[str, str] = os.environ,
) -> None:
    """Set ``settings[name]`` from ``envvar`` unless the caller already set it."""
    if name in settings:
        return
    if envvar in environ:
        value = environ[envvar]
        settings[name] = coercer(value) if coercer is not None else value
    elif default is not None:
        settings[name] = default


def maybe_set_compound(
    settings: dict[str, Any],
    base: str,
    name: str,
    envvar: str,
    environ: Mapping[str, str] = os.environ,
    options_under: str | None = None,
) -> None:
    """Read a backend setting: a dotted class name followed by ``key=value`` options.

    ``MAIL_BACKEND="warehouse_orgs.email.services.SMTPEmailSender host=smtp port=25"`` becomes
    ``mail.backend`` plus ``mail.host`` and ``mail.port``; with ``options_under="x"``, the
    options are ``x.host`` and ``x.port``.
    """
    if f"{base}.{name}" in settings or envvar not in environ:
        return
    words = shlex.split(environ[envvar])
    if not words:
        # Set but empty (``BILLING_BACKEND=``): the same as unset, as the shell's ${X:-} reads it.
        return
    dotted, *options = words
    settings[f"{base}.{name}"] = dotted
    for option in options:
        key, sep, value = option.partition("=")
        if not sep:
            raise ConfigurationError(f"{envvar}: option {option!r} is not key=value")
        settings[f"{options_under or base}.{key}"] = value


def read_settings(
    settings: Mapping[str, Any] | None = None, environ: Mapping[str, str] = os.environ
) -> dict[str, Any]:
    """Merge explicit settings over the environment, then check them."""
    result = dict(settings or {})

    def from_env(name: str, envvar: str, **kwargs: Any) -> None:
        maybe_set(result, name, envvar, environ=environ, **kwargs)

    from_env("warehouse_orgs.env", "WAREHOUSE_ORGS_ENV", coercer=Environment, default="production")
    result["warehouse_orgs.env"] = Environment(result["warehouse_orgs.env"])
    from_env("site.url", "SITE_URL", default="http://127.0.0.1:8000")
    from_env("database.url", "DATABASE_URL")
    from_env("database.statement_timeout_ms", "DATABASE_STATEMENT_TIMEOUT_MS", coercer=int)
    from_env("sessions.secret", "SESSION_SECRET")
    from_env("token.secret", "TOKEN_SECRET")
    from_env("proxy.secret", "PROXY_SECRET")
    from_env("redis.url", "REDIS_URL")
    from_env("mail.sender", "MAIL_SENDER")
    maybe_set_compound(result, "mail", "backend", "MAIL_BACKEND", environ=environ)
    maybe_set_compound(result, "billing", "backend", "BILLING_BACKEND", environ=environ)
    maybe_set_compound(
        result,
        "sponsors",
        "logo_storage",
        "SPONSOR_LOGO_STORAGE",
        environ=environ,
        options_under="sponsors.logo_storage",
    )
    maybe_set_compound(result, "origin_cache", "backend", "ORIGIN_CACHE", environ=environ)
    from_env("sponsors.feed_url", "SPONSOR_FEED_URL")
    from_env("sponsors.feed_token", "SPONSOR_FEED_TOKEN")
    # host or host:port of the DNS server verified domains are looked up on; unset: the
    # system's resolver.
    from_env("domains.resolver", "DOMAINS_RESOLVER")
    from_env("domains.resolver_timeout", "DOMAINS_RESOLVER_TIMEOUT", coercer=float)
    from_env("succession.inactive_days", "SUCCESSION_INACTIVE_DAYS", coercer=int)

    result.setdefault("database.statement_timeout_ms", 10_000)
    result.setdefault("mail.sender", "PyPI Organizations <noreply@pypi.invalid>")
    if "mail.backend" not in result:
        result["mail.backend"] = "warehouse_orgs.email.services.CapturedEmailSender"
    check_settings(result)
    return result


def check_settings(settings: Mapping[str, Any]) -> None:
    """Refuse settings that cannot work, naming each problem, before anything starts."""
    problems = []
    if not settings.get("database.url"):
        problems.append("DATABASE_URL is not set")
    production = settings["warehouse_orgs.env"] == Environment.production
    for name, envvar in SECRET_SETTINGS.items():
        secret = settings.get(name)
        if not secret:
            problems.append(f"{envvar} is not set")
        elif production and secret.startswith(INSECURE_SECRET_PREFIX):
            problems.append(f"{envvar} is a development secret; production needs its own")
        elif production and len(secret) < MINIMUM_SECRET_LENGTH:
            problems.append(f"{envvar} is shorter than {MINIMUM_SECRET_LENGTH} characters")
    proxy_secret = settings.get("proxy.secret")
    if production and proxy_secret and len(proxy_secret) < MINIMUM_SECRET_LENGTH:
        # Whoever guesses it can claim any address: pass every per-address limit, forge events.
        problems.append(f"PROXY_SECRET is shorter than {MINIMUM_SECRET_LENGTH} characters")
    elif production and proxy_secret and proxy_secret.startswith(INSECURE_SECRET_PREFIX):
        problems.append("PROXY_SECRET is a development secret; production needs its own")
    if production and settings["mail.backend"].endswith(".CapturedEmailSender"):
        problems.append("MAIL_BACKEND captures mail to disk; production must send it")
    problems += _billing_problems(settings, production)
    if problems:
        raise ConfigurationError("Refusing to start: " + "; ".join(problems) + ".")


# Stripe's test-mode keys, and our own development secrets: never in production.
TEST_BILLING_SECRET_PREFIXES = (INSECURE_SECRET_PREFIX, "sk_test_", "rk_test_")


def _billing_problems(settings: Mapping[str, Any], production: bool) -> list[str]:
    if not settings.get("billing.backend"):
        # Without a provider Company organizations cannot pay, so none could be in good standing.
        return ["BILLING_BACKEND is not set"] if production else []
    problems = []
    for option in ("secret_key", "webhook_secret"):
        secret = settings.get(f"billing.{option}")
        if not secret:
            problems.append(f"BILLING_BACKEND has no {option}=")
        elif production and secret.startswith(TEST_BILLING_SECRET_PREFIXES):
            problems.append(
                f"BILLING_BACKEND's {option} is a test secret; production needs its own"
            )
    return problems


def configure(
    settings: Mapping[str, Any] | None = None, environ: Mapping[str, str] = os.environ
) -> Configurator:
    """Return the application's Configurator, with every feature included."""
    config = Configurator(
        settings=read_settings(settings, environ), root_factory="warehouse_orgs.root.RootFactory"
    )

    # Transactions: one per request, retried on serialization failures and deadlocks.
    config.add_settings(
        {
            "tm.manager_hook": "pyramid_tm.explicit_manager",
            "retry.attempts": 3,
            "jinja2.directories": [],
            "jinja2.undefined": "strict",
            "jinja2.extensions": "jinja2.ext.do",
            "jinja2.trim_blocks": "true",
            "jinja2.lstrip_blocks": "true",
            # A template edit shows on the next request in development.
            "pyramid.reload_templates": is_development(config.registry),
        }
    )
    config.include("pyramid_services")
    config.include("pyramid_retry")
    config.include("pyramid_tm")
    config.include(".db")

    config.include("pyramid_jinja2")
    config.include(".templating")
    config.include(".csrf")
    config.include(".security_headers")
    config.include(".request_logging")
    config.include(".request_validation")
    config.include(".forwarded")
    config.include(".tasks")
    config.include(".email")
    config.include(".events")
    # Before the features: they name the keys their changes purge.
    config.include(".cache")

    for feature in FEATURES:
        config.include(f".{feature}")

    config.include(".routes")
    config.include(".devtools")
    config.add_static_view(
        "static",
        "warehouse_orgs:static",
        cache_max_age=0 if is_development(config.registry) else 3600,
    )
    config.scan(
        ignore=[
            "warehouse_orgs.cli",
            "warehouse_orgs.devtools",
            "warehouse_orgs.wsgi",
            "warehouse_orgs.worker",
        ]
    )
    return config
