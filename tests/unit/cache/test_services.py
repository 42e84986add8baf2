"""The origin cache implementations, each talking to a real HTTP server, and how the app picks
one and lives with a failing one.

Fastly cannot run here, so ``FastlyOriginCache`` is tested against a local HTTP server that
records each request (method, path, headers) and answers as Fastly's purge API documents: the
one stand-in in these tests. Varnish can, so ``tests/functional/test_varnish_cache.py`` tests
``VarnishOriginCache`` against a real varnishd; here the recording server shows what it sends
to several of them and how it reports one that fails.
"""

import dataclasses
import http.server
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from zope.interface.verify import verifyClass

from tests.common.db.organizations import OrganizationFactory
from tests.common.network import free_port
from tests.unit.test_service_interfaces import undeclared_public_methods
from warehouse_orgs.cache.interfaces import IOriginCache, PurgeFailed
from warehouse_orgs.cache.services import (
    FastlyOriginCache,
    LoggingOriginCache,
    VarnishOriginCache,
)
from warehouse_orgs.config import read_settings
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.tasks import make_task_request, run_task


@dataclasses.dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]


class RecordingServer:
    """Answers every request with ``status`` (and a JSON body), and keeps what it received."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[Received] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                server.received.append(Received(self.command, self.path, dict(self.headers)))
                body = json.dumps({"status": "ok"}).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_PURGE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def recording_server() -> Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.stop()


def _nothing_listens() -> str:
    return f"http://127.0.0.1:{free_port()}"


# Fastly


def test_fastly_purges_the_keys_in_one_batch_with_the_token(recording_server):
    cache = FastlyOriginCache("SU1Z0isxPaozGVKXdv0eY", "fastly-token", recording_server.url)
    cache.purge(["org-acme", "project-widget", "org-acme"])
    (request,) = recording_server.received
    assert request.method == "POST"
    assert request.path == "/service/SU1Z0isxPaozGVKXdv0eY/purge"
    assert request.headers["Fastly-Key"] == "fastly-token"
    assert request.headers["Surrogate-Key"] == "org-acme project-widget"


def test_fastly_takes_at_most_256_keys_a_request(recording_server):
    keys = [f"project-{n:03}" for n in range(300)]
    FastlyOriginCache("svc", "token", recording_server.url).purge(keys)
    batches = [request.headers["Surrogate-Key"].split() for request in recording_server.received]
    assert [len(batch) for batch in batches] == [256, 44]
    assert sorted(key for batch in batches for key in batch) == keys


def test_fastly_refusing_the_purge_is_a_failure(recording_server):
    recording_server.status = 401
    with pytest.raises(PurgeFailed, match="401"):
        FastlyOriginCache("svc", "wrong-token", recording_server.url).purge(["org-acme"])


def test_fastly_not_answering_is_a_failure():
    with pytest.raises(PurgeFailed, match="did not answer"):
        FastlyOriginCache("svc", "token", _nothing_listens(), timeout=1).purge(["org-acme"])


# Varnish


def test_varnish_is_sent_a_purge_naming_the_keys(recording_server):
    VarnishOriginCache([recording_server.url]).purge(["project-widget", "org-acme"])
    (request,) = recording_server.received
    assert (request.method, request.path) == ("PURGE", "/")
    assert request.headers["xkey-purge"] == "org-acme project-widget"


def test_every_varnish_is_asked_even_when_one_fails(recording_server):
    down = _nothing_listens()
    cache = VarnishOriginCache([down, recording_server.url], timeout=1)
    with pytest.raises(PurgeFailed, match=down):
        cache.purge(["org-acme"])
    assert [request.headers["xkey-purge"] for request in recording_server.received] == ["org-acme"]


def test_varnish_refusing_the_purge_is_a_failure(recording_server):
    recording_server.status = 403
    with pytest.raises(PurgeFailed, match="403"):
        VarnishOriginCache([recording_server.url]).purge(["org-acme"])


# Logging


def test_the_development_cache_logs_what_it_would_purge(caplog):
    with caplog.at_level(logging.INFO, logger="warehouse_orgs.cache.services"):
        LoggingOriginCache().purge(["project-widget", "org-acme"])
    assert caplog.messages == ["origin cache: would purge org-acme project-widget"]


# Choosing one


@pytest.mark.parametrize(
    "implementation", [LoggingOriginCache, FastlyOriginCache, VarnishOriginCache]
)
def test_each_cache_keeps_the_contract_and_offers_nothing_more(implementation):
    # The app's own registration is checked by test_service_interfaces; it registers one.
    assert verifyClass(IOriginCache, implementation)
    assert undeclared_public_methods(implementation) == []


def test_origin_cache_names_the_class_and_its_options():
    settings = read_settings(
        environ={
            "DATABASE_URL": "postgresql://db/x",
            "SESSION_SECRET": "insecure-x",
            "TOKEN_SECRET": "insecure-x",
            "WAREHOUSE_ORGS_ENV": "development",
            "ORIGIN_CACHE": "warehouse_orgs.cache.services.VarnishOriginCache "
            "url=http://127.0.0.1:6081,http://127.0.0.1:6082 timeout=1.5",
        }
    )
    assert settings["origin_cache.backend"] == "warehouse_orgs.cache.services.VarnishOriginCache"
    assert settings["origin_cache.url"] == "http://127.0.0.1:6081,http://127.0.0.1:6082"
    assert settings["origin_cache.timeout"] == "1.5"


def test_the_app_uses_the_configured_cache(make_app_config, recording_server):
    config = make_app_config(
        **{
            "origin_cache.backend": "warehouse_orgs.cache.services.FastlyOriginCache",
            "origin_cache.service_id": "svc",
            "origin_cache.api_token": "token",
            "origin_cache.api_base": recording_server.url,
        }
    )
    cache = make_task_request(config.registry).find_service(IOriginCache)
    assert isinstance(cache, FastlyOriginCache)
    assert (cache.service_id, cache.api_base) == ("svc", recording_server.url)


def test_without_a_setting_the_app_only_logs(app_registry):
    assert isinstance(
        make_task_request(app_registry).find_service(IOriginCache), LoggingOriginCache
    )


def test_a_cache_that_does_not_answer_leaves_the_change_committed_and_logged(
    make_app_config, db_session, caplog
):
    organization = OrganizationFactory.create(name="acme")
    config = make_app_config(
        **{
            "origin_cache.backend": "warehouse_orgs.cache.services.VarnishOriginCache",
            "origin_cache.url": _nothing_listens(),
            "origin_cache.timeout": "1",
        }
    )

    def change(request):
        request.db.get(Organization, organization.id).description = "Saved all the same."

    with caplog.at_level(logging.ERROR, logger="warehouse_orgs.tasks"):
        run_task(config.registry, change, (), {})
    db_session.expire_all()
    assert db_session.get(Organization, organization.id).description == "Saved all the same."
    (failure,) = [r for r in caplog.records if r.name == "warehouse_orgs.tasks"]
    assert "purge_origin_cache failed" in failure.getMessage()
    assert "did not answer" in str(failure.exc_info[1])
