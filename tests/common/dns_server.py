"""A real DNS server on a loopback UDP port (dnslib), for the verified-domain tests: each test
publishes the TXT records it needs, withdraws them, or makes a name fail the ways a server
goes wrong (SERVFAIL, or no answer at all so the look-up times out).

``local_dns`` is one server per xdist worker; ``app_on_local_dns`` points the app's resolver
at it for one test and forgets the test's records afterwards.
"""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.dns import DNSError
from dnslib.server import BaseResolver, DNSServer

# A look-up of a name the server ignores gives up after this long.
TEST_TIMEOUT_SECONDS = 0.5


class _Quiet:
    """dnslib's logger prints every packet; the tests need none of it."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _key(name: str) -> str:
    return name.lower().rstrip(".")


class LocalDns(BaseResolver):
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self.txt: dict[str, list[str]] = {}
        self.failing: set[str] = set()
        self.silent: set[str] = set()
        self.asked: list[str] = []
        self._server = DNSServer(self, port=0, address="127.0.0.1", logger=_Quiet())

    # What a test says the world looks like.

    def publish(self, name: str, *values: str) -> None:
        with self._guard:
            self.txt[_key(name)] = list(values)

    def withdraw(self, name: str) -> None:
        with self._guard:
            self.txt.pop(_key(name), None)

    def fail(self, name: str) -> None:
        """Answer SERVFAIL for this name."""
        with self._guard:
            self.failing.add(_key(name))

    def ignore(self, name: str) -> None:
        """Never answer for this name: the look-up times out."""
        with self._guard:
            self.silent.add(_key(name))

    def forget(self) -> None:
        with self._guard:
            self.txt.clear()
            self.failing.clear()
            self.silent.clear()
            self.asked.clear()

    # The server.

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._server.server.server_address[1]}"

    def start(self) -> None:
        self._server.start_thread()

    def stop(self) -> None:
        self._server.stop()
        self._server.server.server_close()

    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        question = request.q
        name = _key(str(question.qname))
        with self._guard:
            self.asked.append(name)
            if name in self.silent:
                # dnslib's handler sends nothing for a request whose answer raised DNSError.
                raise DNSError(f"ignoring {name}")
            if name in self.failing:
                reply.header.rcode = RCODE.SERVFAIL
                return reply
            values = self.txt.get(name)
            exists = values is not None or any(other.endswith("." + name) for other in self.txt)
        if values is None:
            if not exists:
                reply.header.rcode = RCODE.NXDOMAIN
            # A name that exists (above a published one) with no TXT of its own: NOERROR,
            # no answer.
            return reply
        if question.qtype in (QTYPE.TXT, QTYPE.ANY):
            for value in values:
                reply.add_answer(RR(question.qname, QTYPE.TXT, rdata=TXT(value), ttl=60))
        return reply


@pytest.fixture(scope="session")
def local_dns() -> Iterator[LocalDns]:
    server = LocalDns()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_on_local_dns(app_registry: Any, local_dns: LocalDns) -> Iterator[LocalDns]:
    """The app looks domains up on ``local_dns`` for this test; yields the server."""
    settings = app_registry.settings
    saved = {name: settings.get(name) for name in ("domains.resolver", "domains.resolver_timeout")}
    settings["domains.resolver"] = local_dns.address
    settings["domains.resolver_timeout"] = TEST_TIMEOUT_SECONDS
    local_dns.forget()
    try:
        yield local_dns
    finally:
        local_dns.forget()
        settings.update(saved)
