"""Two real connections committing for real, on a database of their own, to test races."""

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import alembic.command
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.common.databases import scratch_database_url
from warehouse_orgs.cli.local_postgres import create_database_if_missing, drop_database
from warehouse_orgs.db import alembic_config, normalize_database_url
from warehouse_orgs.tasks import make_task_request


def service_request(registry: Any, db: Any, actor: Any = None) -> Any:
    """A request whose database session is ``db`` and whose user is ``actor``."""
    request = make_task_request(registry)
    request.db = db
    request.user = actor
    request.remote_addr = "192.0.2.1"
    return request


@pytest.fixture(scope="session")
def migrated_template(server_url: str) -> Iterator[str]:
    """A database migrated to head once per worker, copied for each race test: copying a
    template takes a fraction of running every migration again."""
    url = scratch_database_url(server_url, "race_template")
    drop_database(url)
    create_database_if_missing(url)
    alembic.command.upgrade(alembic_config(url), "head")
    # Nobody may stay connected to a template while it is copied.
    create_engine(normalize_database_url(url)).dispose()
    yield make_url(url).database
    drop_database(url)


@pytest.fixture
def committed_database(server_url: str, migrated_template: str) -> Iterator[Engine]:
    url = scratch_database_url(server_url, "race")
    drop_database(url)
    maintenance = create_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with maintenance.connect() as connection:
        connection.execute(
            text(f'CREATE DATABASE "{make_url(url).database}" TEMPLATE "{migrated_template}"')
        )
    maintenance.dispose()
    engine = create_engine(normalize_database_url(url), isolation_level="READ COMMITTED")
    yield engine
    engine.dispose()
    drop_database(url)


def wait_until_blocked(
    engine: Engine, thread: threading.Thread | None = None, timeout: float = 10.0
) -> bool:
    """Until some other connection waits on a lock (True), or ``thread`` has ended without
    having waited (False: a missing lock shows this way). Fails the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    with engine.connect() as probe:
        while time.monotonic() < deadline:
            waiting = probe.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
            if waiting:
                return True
            if thread is not None and not thread.is_alive():
                return False
            # pg_stat_activity is read once per transaction; a new one sees it anew.
            probe.rollback()
            time.sleep(0.02)
    raise AssertionError("the second request never waited for the first")


def in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except Exception as error:  # handed back to the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome
