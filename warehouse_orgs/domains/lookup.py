"""Looking a TXT record up, through the resolver the settings name.

``domains.resolver`` (``DOMAINS_RESOLVER``) is ``host`` or ``host:port`` (``[::1]:5353`` for
IPv6) of the one DNS server to ask; unset, the system's resolver (/etc/resolv.conf) is used.
``domains.resolver_timeout`` (``DOMAINS_RESOLVER_TIMEOUT``) is how many seconds a look-up may take
in all, 3 by default: a page waits for it.

The answer is one of ``DomainCheck``'s: only NXDOMAIN or an answer without TXT records is a
definite "missing"; a timeout, a server failure or a refusal is "unavailable", which says
nothing about the record.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from warehouse_orgs.domains.models import DomainCheck

DEFAULT_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class ResolverAddress:
    host: str
    port: int = 53


def parse_resolver_address(text: str) -> ResolverAddress:
    """``127.0.0.1``, ``127.0.0.1:5353``, ``::1``, ``[::1]:5353``."""
    value = text.strip()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return ResolverAddress(host, int(rest.removeprefix(":")) if rest else 53)
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return ResolverAddress(host, int(port))
    return ResolverAddress(value)


class TxtLookup:
    def __init__(self, address: ResolverAddress | None, timeout: float) -> None:
        self.address = address
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> "TxtLookup":
        configured = settings.get("domains.resolver")
        timeout = float(settings.get("domains.resolver_timeout") or DEFAULT_TIMEOUT_SECONDS)
        return cls(parse_resolver_address(configured) if configured else None, timeout)

    def _resolver(self) -> dns.resolver.Resolver:
        if self.address is None:
            resolver = dns.resolver.Resolver(configure=True)
        else:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [self.address.host]
            resolver.port = self.address.port
        resolver.timeout = self.timeout
        resolver.lifetime = self.timeout
        resolver.cache = None
        return resolver

    def check(self, name: str, expected: str) -> DomainCheck:
        """Whether ``name`` holds a TXT record whose value is exactly ``expected``."""
        try:
            answer = self._resolver().resolve(
                dns.name.from_text(name), dns.rdatatype.TXT, search=False
            )
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return DomainCheck.missing
        except (dns.exception.DNSException, OSError):
            # Timeout, SERVFAIL or REFUSED from every server (NoNameservers), no resolver
            # configuration, a network error: nothing is known about the record.
            return DomainCheck.unavailable
        for record in answer:
            # A TXT record's value may come in several strings of at most 255 bytes each.
            value = b"".join(record.strings).decode("utf-8", errors="replace")
            if value == expected:
                return DomainCheck.verified
        return DomainCheck.wrong
