"""The footer's sponsors stay true across processes: PostgreSQL tells each process's listener of
every committed change (LISTEN/NOTIFY, from a trigger on ``sponsors``), and a process that
cannot hear loads the list for every page instead of trusting what it holds.

All real: a database of its own per test where another connection commits for real, a TCP link
to PostgreSQL cut under the listener, gunicorn's forked workers. Every wait is on a condition,
with a deadline.
"""

import concurrent.futures
import contextlib
import itertools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import transaction
import webtest
from bs4 import BeautifulSoup
from sqlalchemy import Engine, event, text

from tests.common.database_link import DatabaseLink
from tests.common.db.sponsors import SponsorFactory
from tests.common.network import free_port
from tests.conftest import RecordingTestApp, make_test_config
from warehouse_orgs.cli.bench import gunicorn_command
from warehouse_orgs.paths import PROJECT_ROOT
from warehouse_orgs.sponsors.change_listener import APPLICATION_NAME, listener_connection
from warehouse_orgs.sponsors.footer import (
    FOOTER_CACHE_KEY,
    FooterSponsorCache,
    forget_footer_after_transaction,
)
from warehouse_orgs.sponsors.interfaces import FooterSponsor

# A change is heard in milliseconds; this only keeps a broken build from hanging the run.
WAIT_SECONDS = 15.0
_names = itertools.count()


def _sponsor(name: str) -> FooterSponsor:
    return FooterSponsor(name, f"https://{name}.example.com/", f"/{name}-white.png", "PSF sponsor")


def commit_footer_sponsor(engine: Engine, name: str) -> None:
    """A footer sponsor added by a connection of its own, committed: as psql would."""
    slug = f"{name.lower()}-{next(_names)}"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sponsors (name, slug, link_url, color_logo_url, white_logo_url, "
                "footer) VALUES (:name, :slug, 'https://example.com/', '/c.png', '/w.png', true)"
            ),
            {"name": name, "slug": slug},
        )


def footer_names(html: str) -> list[str]:
    page = BeautifulSoup(html, "html.parser")
    return [img["alt"] for img in page.select("footer .sponsor-band__item img")]


def sponsor_statements(response: Any) -> int:
    return sum("FROM sponsors" in statement for statement in response.sql_statements)


def listener_connections(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": APPLICATION_NAME},
        ).scalar_one()


def wait_for_listener_connections(engine: Engine, count: int, poke: Callable[[], Any]) -> None:
    """Until ``count`` listeners are connected to the database, calling ``poke`` meanwhile."""
    deadline = time.monotonic() + WAIT_SECONDS
    while listener_connections(engine) != count:
        assert time.monotonic() < deadline, f"never {count} listener connection(s)"
        poke()


class Loads:
    """A load that counts its calls and answers ``sponsors``."""

    def __init__(self, *sponsors: FooterSponsor) -> None:
        self.sponsors = list(sponsors)
        self.count = 0

    def __call__(self) -> list[FooterSponsor]:
        self.count += 1
        return self.sponsors


@pytest.fixture
def committed_url(committed_database: Engine) -> str:
    return committed_database.url.render_as_string(hide_password=False)


@pytest.fixture
def make_cache(committed_database: Engine, committed_url: str) -> Iterator[Callable[..., Any]]:
    """Caches listening to the test's own database (or through a link to it), quick to retry;
    closed at the end, and then no listener is left connected."""
    made: list[FooterSponsorCache] = []

    def make(url: str = committed_url) -> FooterSponsorCache:
        cache = FooterSponsorCache(
            listener_connection(url), first_retry_seconds=0.05, max_retry_seconds=0.2
        )
        made.append(cache)
        return cache

    yield make
    for cache in made:
        cache.close()
    # A backend leaves pg_stat_activity a moment after its client has closed the connection.
    wait_for_listener_connections(committed_database, 0, poke=lambda: time.sleep(0.02))


@pytest.fixture
def link_to_committed_database(committed_url: str) -> Iterator[DatabaseLink]:
    link = DatabaseLink(committed_url)
    link.restore()
    yield link
    link.cut()


def test_a_sponsor_committed_by_another_connection_is_in_the_next_footer(
    committed_database, committed_url, tmp_path
):
    config = make_test_config(committed_url, **{"mail.path": str(tmp_path)})
    config.commit()
    cache: FooterSponsorCache = config.registry[FOOTER_CACHE_KEY]
    engine: Engine = config.registry["sqlalchemy.engine"]
    loads: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM sponsors" in statement:
            loads.append(statement)

    app = webtest.TestApp(config.make_wsgi_app())
    try:
        assert footer_names(app.get("/").text) == []  # the first page starts the listener
        assert cache.wait_until(lambda c: c.listening, WAIT_SECONDS)
        app.get("/")  # loads, and keeps, the list
        held = len(loads)
        assert footer_names(app.get("/").text) == []
        assert len(loads) == held

        heard = cache.generation
        commit_footer_sponsor(committed_database, "Newcomer")
        assert cache.wait_until(lambda c: c.generation > heard, WAIT_SECONDS)

        assert footer_names(app.get("/").text) == ["Newcomer"]
        assert len(loads) == held + 1
        assert footer_names(app.get("/").text) == ["Newcomer"]
        assert len(loads) == held + 1
    finally:
        cache.close()
        engine.dispose()
    wait_for_listener_connections(committed_database, 0, poke=lambda: time.sleep(0.02))


def test_a_rolled_back_change_is_not_heard(make_cache, committed_database):
    cache = make_cache()
    cache.prime([_sponsor("held")])
    start = cache.generation
    with committed_database.connect() as connection:
        with connection.begin() as rolled_back:
            connection.execute(text("DELETE FROM sponsors"))
            rolled_back.rollback()
        # Then a change that commits, on the same connection: PostgreSQL delivers one
        # connection's notifications in commit order, so one from the rollback would come first.
        with connection.begin():
            connection.execute(text("UPDATE sponsors SET name = name"))
    assert cache.wait_until(lambda c: c.generation > start, WAIT_SECONDS)
    assert not cache.wait_until(lambda c: c.generation > start + 1, 0.5)


def test_while_the_listener_cannot_connect_every_page_loads_the_footer(
    make_app_config, query_recorder, db_session, database_url
):
    link = DatabaseLink(database_url)  # not restored yet: nothing answers on its port
    config = make_app_config(**{"database.url": link.url})
    cache: FooterSponsorCache = config.registry[FOOTER_CACHE_KEY]
    app = RecordingTestApp(
        config.make_wsgi_app(), query_recorder, extra_environ={"REMOTE_ADDR": "192.0.2.10"}
    )
    SponsorFactory.create(name="Acme", footer=True, with_white_logo=True)
    try:
        for _ in range(3):
            page = app.get("/", status=200)
            assert (footer_names(page.text), sponsor_statements(page)) == (["Acme"], 1)
        assert not cache.listening

        link.restore()
        assert cache.wait_until(lambda c: c.listening, WAIT_SECONDS)
        first, second = app.get("/", status=200), app.get("/", status=200)
        assert (sponsor_statements(first), sponsor_statements(second)) == (1, 0)
        assert len(first.sql_statements) == len(second.sql_statements) + 1
        assert footer_names(second.text) == ["Acme"]

        # Lost: the list it held is no longer trusted, until the listener is back.
        link.cut()
        assert cache.wait_until(lambda c: not c.listening, WAIT_SECONDS)
        for _ in range(2):
            page = app.get("/", status=200)
            assert (footer_names(page.text), sponsor_statements(page)) == (["Acme"], 1)

        link.restore()
        assert cache.wait_until(lambda c: c.listening, WAIT_SECONDS)
        first, second = app.get("/", status=200), app.get("/", status=200)
        assert (sponsor_statements(first), sponsor_statements(second)) == (1, 0)
    finally:
        link.cut()


def test_reconnecting_forgets_even_a_load_that_began_before(make_cache, link_to_committed_database):
    link = link_to_committed_database
    cache = make_cache(link.url)
    cache.prime([_sponsor("held")])

    link.cut()
    assert cache.wait_until(lambda c: not c.listening, WAIT_SECONDS)
    unheard = Loads(_sponsor("read-while-deaf"))
    assert cache.get(unheard) == cache.get(unheard) == (_sponsor("read-while-deaf"),)
    assert unheard.count == 2

    def load_across_the_reconnection() -> list[FooterSponsor]:
        link.restore()
        assert cache.wait_until(lambda c: c.listening, WAIT_SECONDS)
        return [_sponsor("read-before-reconnecting")]

    # This page shows what it read; the cache does not keep it: a change the listener missed
    # while it was away may have come after the read.
    assert cache.get(load_across_the_reconnection) == (_sponsor("read-before-reconnecting"),)
    after = Loads(_sponsor("after"))
    assert cache.get(after) == cache.get(after) == (_sponsor("after"),)
    assert after.count == 1


def test_a_load_overtaken_by_a_change_is_not_kept(make_cache, committed_database):
    cache = make_cache()
    cache.prime([])
    cache.forget()

    def load_then_a_change_commits() -> list[FooterSponsor]:
        before = cache.generation
        commit_footer_sponsor(committed_database, "Latecomer")
        assert cache.wait_until(lambda c: c.generation > before, WAIT_SECONDS)
        return [_sponsor("read-before-the-change")]

    assert cache.get(load_then_a_change_commits) == (_sponsor("read-before-the-change"),)
    fresh = Loads(_sponsor("Latecomer"))
    assert cache.get(fresh) == cache.get(fresh) == (_sponsor("Latecomer"),)
    assert fresh.count == 1


def test_without_the_trigger_the_cache_never_serves(make_cache, committed_database, caplog):
    with committed_database.begin() as connection:
        connection.execute(text("ALTER TABLE sponsors DISABLE TRIGGER sponsors_notify_changed"))
    cache = make_cache()
    loads = Loads(_sponsor("loaded"))
    cache.get(loads)  # starts the listener
    started = cache.generation
    # Its first attempt ends refused (the generation moves when it gives up), and again after.
    assert cache.wait_until(lambda c: c.generation > started + 1, WAIT_SECONDS)
    assert not cache.listening
    cache.get(loads)
    cache.get(loads)
    assert loads.count == 3
    assert "no enabled trigger sponsors_notify_changed on sponsors" in caplog.text

    with committed_database.begin() as connection:
        connection.execute(text("ALTER TABLE sponsors ENABLE TRIGGER sponsors_notify_changed"))
    assert cache.wait_until(lambda c: c.listening, WAIT_SECONDS)
    cache.get(loads)
    cache.get(loads)
    assert loads.count == 4


@pytest.mark.parametrize("end", ["commit", "abort"])
def test_the_writing_process_forgets_when_its_transaction_ends(app_registry, end):
    """Without waiting for the notification (its writer's next page shows the change), and
    after a rollback too (a footer read after the change saw rows that never committed)."""
    cache: FooterSponsorCache = app_registry[FOOTER_CACHE_KEY]
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    before = cache.generation
    forget_footer_after_transaction(SimpleNamespace(registry=app_registry, tm=manager))
    assert cache.generation == before
    getattr(manager, end)()
    assert cache.generation == before + 1


# Under gunicorn: the app loaded once, then forked into workers, each with a listener of its own.

STARTUP_SECONDS = 60
STOP_SECONDS = 10


@contextlib.contextmanager
def gunicorn(database_url: str, work: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "WAREHOUSE_ORGS_ENV": "development",
        "DATABASE_URL": database_url,
        "SESSION_SECRET": "insecure-listener-test",
        "TOKEN_SECRET": "insecure-listener-test",
        "MAIL_BACKEND": f"warehouse_orgs.email.services.CapturedEmailSender path={work}",
        "REDIS_URL": "",
    }
    log_path = work / "gunicorn.log"
    command = gunicorn_command(
        port, "warehouse_orgs.wsgi:application", "--workers", "2", "--graceful-timeout", "2"
    )
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command,
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(url):
            assert server.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield url
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _healthy(url: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(url + "/_health/", timeout=2).status_code == 200
    return False


def test_every_gunicorn_worker_shows_a_sponsor_committed_elsewhere(
    committed_database, committed_url, tmp_path
):
    with (
        gunicorn(committed_url, tmp_path) as url,
        concurrent.futures.ThreadPoolExecutor(4) as pool,
    ):

        def footers(count: int) -> list[list[str]]:
            """``count`` home pages, four at a time: both sync workers answer some."""
            pages = pool.map(lambda _: requests.get(url + "/", timeout=10), range(count))
            return [footer_names(page.text) for page in pages]

        # One listener per worker once each has shown a page, none in gunicorn's master.
        wait_for_listener_connections(committed_database, 2, poke=lambda: footers(8))
        assert footers(8) == [[]] * 8

        commit_footer_sponsor(committed_database, "Newcomer")
        deadline = time.monotonic() + WAIT_SECONDS
        while footers(1) != [["Newcomer"]]:
            assert time.monotonic() < deadline, "the change never reached a worker"
        # Heard by both workers at once: no page from either shows the old list again.
        assert footers(40) == [["Newcomer"]] * 40
        assert listener_connections(committed_database) == 2
    wait_for_listener_connections(committed_database, 0, poke=lambda: time.sleep(0.02))
