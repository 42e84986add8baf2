"""The real client behind a trusted proxy: its address, scheme and host.

Behind a CDN or load balancer every connection comes from the proxy. Without this, the
per-address login limit would be one bucket for the whole site and every event would record the
proxy. Anyone can send ``X-Forwarded-For``, so the forwarded headers are believed only when the
request also carries the secret shared with the proxy (``PROXY_SECRET``, sent by the proxy in
``X-Proxy-Secret``). Otherwise they are removed, so nothing further in (WebOb's
``client_addr``, a view, a log line) can read a value the client made up.

A tween at the very top of the chain, so rate limits, events, links and the access log all see
the result, and every app built by ``configure()`` has it, tests included.
"""

import hmac
import ipaddress
import logging
import re
from collections.abc import Callable, MutableMapping
from typing import Any

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from pyramid.tweens import INGRESS

logger = logging.getLogger(__name__)

PROXY_SECRET_HEADER = "X-Proxy-Secret"  # noqa: S105 (a header name, not a secret)
_SECRET_KEY = "HTTP_X_PROXY_SECRET"  # noqa: S105
_FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"
_FORWARDED_PROTO = "HTTP_X_FORWARDED_PROTO"
_FORWARDED_HOST = "HTTP_X_FORWARDED_HOST"
# Every header some proxy uses to describe the original request. Only the first three are ever
# honoured; all of them are removed, so no library further in applies its own idea of trust.
_PROXY_HEADERS = (
    _FORWARDED_FOR,
    _FORWARDED_PROTO,
    _FORWARDED_HOST,
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
    "HTTP_X_FORWARDED_PROTOCOL",
    "HTTP_X_FORWARDED_SCHEME",
    "HTTP_X_FORWARDED_SERVER",
    "HTTP_X_FORWARDED_SSL",
    "HTTP_X_REAL_IP",
    "HTTP_X_URL_SCHEME",
    "HTTP_FRONT_END_HTTPS",
)
# Marks an environ already handled: pyramid_retry replays a request through the tweens with the
# same environ, whose headers are gone by then.
_DONE_KEY = "warehouse_orgs.forwarded"

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"^(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{{1,5}})?$")
_SCHEMES = frozenset({"http", "https"})


def _last_entry(value: str | None) -> str:
    """The right-most entry of a comma-separated header: the one our own proxy added.

    Entries to its left came with the request and could be anything the client wrote.
    """
    if not value:
        return ""
    return value.rsplit(",", 1)[-1].strip()


def _client_address(entry: str) -> str | None:
    """An IP address from an X-Forwarded-For entry, which some proxies write with a port."""
    candidates = [entry]
    if entry.startswith("["):  # [2001:db8::1] or [2001:db8::1]:443
        candidates.append(entry[1:].partition("]")[0])
    elif entry.count(":") == 1:  # 192.0.2.1:443
        candidates.append(entry.partition(":")[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def apply_forwarded_headers(environ: MutableMapping[str, Any], secret: str | None) -> None:
    """Rewrite the WSGI environ to describe the real client, if a trusted proxy says so."""
    if environ.get(_DONE_KEY):
        return
    environ[_DONE_KEY] = True
    offered = environ.pop(_SECRET_KEY, None)
    forwarded = {key: environ.pop(key) for key in _PROXY_HEADERS if key in environ}
    if not secret or offered is None:
        return
    # WSGI header values are the raw bytes decoded as latin-1; compare bytes, in constant time.
    if not hmac.compare_digest(offered.encode("latin-1"), secret.encode()):
        return

    entry = _last_entry(forwarded.get(_FORWARDED_FOR))
    if entry:
        address = _client_address(entry)
        if address is None:
            logger.warning("the trusted proxy sent an X-Forwarded-For that is not an address")
        else:
            environ["REMOTE_ADDR"] = address
    scheme = _last_entry(forwarded.get(_FORWARDED_PROTO)).lower()
    if scheme in _SCHEMES:
        environ["wsgi.url_scheme"] = scheme
    host = _last_entry(forwarded.get(_FORWARDED_HOST))
    if host and _HOST.match(host):
        environ["HTTP_HOST"] = host


def forwarded_tween_factory(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    secret = registry.settings.get("proxy.secret") or None

    def forwarded_tween(request: Request) -> Response:
        apply_forwarded_headers(request.environ, secret)
        return handler(request)

    return forwarded_tween


def includeme(config: Configurator) -> None:
    # Above everything, request logging included, so no code sees the request before it is fixed.
    config.add_tween(
        "warehouse_orgs.forwarded.forwarded_tween_factory",
        under=INGRESS,
        over="warehouse_orgs.request_logging.request_logging_tween_factory",
    )
