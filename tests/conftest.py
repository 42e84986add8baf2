"""The test harness: a real PostgreSQL, a database per xdist worker migrated with Alembic,
and each test inside a transaction that is rolled back at its end.

The application under test is the real one (``configure()``), with its session factory pointed
at the test's connection. Its requests commit as usual, and the commits become savepoints, so
after-commit work (tasks, emails) runs just as in production and is still undone afterwards.
"""

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import alembic.command
import pytest
import webtest
from pyramid.config import Configurator
from pyramid.router import Router
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker

from tests.common.databases import scratch_database_url
from tests.common.db import Session as FactorySession
from tests.common.probe_views import PROBE_TABLE
from tests.common.query_recorder import QueryRecorder
from warehouse_orgs.cli.local_postgres import (
    create_database_if_missing,
    drop_database,
    local_server_url,
)
from warehouse_orgs.config import configure
from warehouse_orgs.db import alembic_config, create_database_engine, normalize_database_url
from warehouse_orgs.email.services import CapturedEmailSender
from warehouse_orgs.sponsors.change_listener import THREAD_NAME as LISTENER_THREAD_NAME
from warehouse_orgs.sponsors.footer import FOOTER_CACHE_KEY

# Fixtures shared from modules of their own.
pytest_plugins = [
    "tests.common.concurrency",
    "tests.common.dns_server",
    "tests.common.feed_server",
    "tests.common.localstripe",
    "tests.common.s3_server",
]

SPONSOR_LOGO_DIRECTORY = Path(tempfile.mkdtemp(prefix="warehouse-orgs-sponsorlogos-"))

TEST_SETTINGS: dict[str, Any] = {
    "warehouse_orgs.env": "development",
    "site.url": "http://localhost",
    "sessions.secret": "insecure-test-session-secret",
    "token.secret": "insecure-test-token-secret",
    "mail.backend": "warehouse_orgs.email.services.CapturedEmailSender",
    "mail.sender": "PyPI Organizations <noreply@example.com>",
    "redis.url": None,
    # The payment provider. Nothing listens on port 9 (discard), so a test that reaches billing
    # without asking for the local Stripe (``app_on_local_stripe``) gets BillingUnavailable at
    # once, never the real Stripe.
    "billing.backend": "warehouse_orgs.subscriptions.billing.StripeBillingService",
    "billing.api_base": "http://127.0.0.1:9",
    "billing.secret_key": "sk_test_insecure_webhook_tests",
    "billing.webhook_secret": "whsec_insecure_test_webhook_secret",
    "billing.domain": "localhost",
    "billing.max_network_retries": "0",
    # Verified domains: nothing answers DNS on port 9, so a look-up a test did not point at the
    # local DNS server (``app_on_local_dns``) finds no answer quickly, never the real DNS.
    "domains.resolver": "127.0.0.1:9",
    "domains.resolver_timeout": "0.2",
}


def _server_url() -> str:
    """TEST_DATABASE_URL or DATABASE_URL when set; otherwise the project's own local server."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    return normalize_database_url(url) if url else local_server_url()


@pytest.fixture(scope="session")
def server_url() -> str:
    return _server_url()


@pytest.fixture
def scratch_database(server_url: str) -> Iterator[Callable[[str], str]]:
    """Makes empty databases beside the test database (for migrations, CLI, dev server), and
    drops them after the test."""
    made: list[str] = []

    def make(label: str) -> str:
        url = scratch_database_url(server_url, label)
        drop_database(url)
        create_database_if_missing(url)
        made.append(url)
        return url

    yield make
    for url in made:
        drop_database(url)


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    url = scratch_database_url(server_url, "main")
    drop_database(url)
    create_database_if_missing(url)
    alembic.command.upgrade(alembic_config(url), "head")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_database_engine(database_url, statement_timeout_ms=30_000)
    yield engine
    engine.dispose()


@pytest.fixture
def db_connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            if transaction.is_active:
                transaction.rollback()


@pytest.fixture
def db_session(db_connection: Connection) -> Iterator[Session]:
    """The session tests and factories use; ``expire_all()`` it to see what a request wrote."""
    session = FactorySession(bind=db_connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        FactorySession.remove()


def make_test_config(database_url: str, **overrides: Any) -> Configurator:
    settings = {
        **TEST_SETTINGS,
        "database.url": database_url,
        # Logos uploaded by this process's tests, out of the checkout.
        "sponsors.logo_storage.path": str(SPONSOR_LOGO_DIRECTORY),
        **overrides,
    }
    config = configure(settings, environ={})
    config.include("tests.common.probe_views")
    return config


@pytest.fixture
def make_app_config(
    database_url: str, db_connection: Connection
) -> Iterator[Callable[..., Configurator]]:
    """Builds another app with different settings (production, a broker...) for one test, on
    the test's connection so that what it writes is rolled back too."""
    made: list[Configurator] = []

    def make(**overrides: Any) -> Configurator:
        config = make_test_config(database_url, **overrides)
        config.commit()
        config.registry["sqlalchemy.sessionmaker"] = sessionmaker(
            bind=db_connection, join_transaction_mode="create_savepoint"
        )
        made.append(config)
        return config

    yield make
    for config in made:
        config.registry[FOOTER_CACHE_KEY].close()
        config.registry["sqlalchemy.engine"].dispose()


@pytest.fixture(scope="session")
def app_config(database_url: str) -> Iterator[Configurator]:
    config = make_test_config(database_url)
    config.commit()
    # The footer's listener is the app's for the whole session: started before any test, so no
    # test is charged for it (sponsor_listeners_stopped).
    config.registry[FOOTER_CACHE_KEY].prime([])
    yield config
    config.registry[FOOTER_CACHE_KEY].close()


@pytest.fixture(autouse=True)
def sponsor_listeners_stopped() -> Iterator[None]:
    """An app a test makes for itself has its sponsors listener stopped by the end of the test
    (``registry[FOOTER_CACHE_KEY].close()``): otherwise its thread and connection outlive the
    test, and the database it listens to."""

    def running() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == LISTENER_THREAD_NAME}

    before = running()
    yield
    left = running() - before
    assert not left, f"{len(left)} sponsors listener(s) left running by this test"


@pytest.fixture(scope="session")
def wsgi_app(app_config: Configurator) -> Router:
    return app_config.make_wsgi_app()


@pytest.fixture
def outbox(tmp_path: Path) -> CapturedEmailSender:
    """The mail the app sends during this test, read back from the capturing sender."""
    return CapturedEmailSender(tmp_path / "mail")


@pytest.fixture
def app_registry(
    app_config: Configurator,
    db_connection: Connection,
    db_session: Session,
    outbox: CapturedEmailSender,
):
    """The app's registry, its database and mail pointed at this test's connection and outbox.

    It brings ``db_session`` along, so factories work in any test that uses the app."""
    registry = app_config.registry
    registry["sqlalchemy.sessionmaker"] = sessionmaker(
        bind=db_connection, join_transaction_mode="create_savepoint"
    )
    registry.settings["mail.path"] = str(outbox.path)
    # No sponsor exists when a test starts: the footer shows none and costs no statement until
    # a sponsor change (or the test) makes it load again.
    registry[FOOTER_CACHE_KEY].prime([])
    return registry


# What ``app_on_local_stripe`` points the app's billing at, and puts back afterwards.
LOCAL_STRIPE_SETTINGS = ("billing.api_base", "billing.secret_key", "billing.webhook_secret")


@pytest.fixture
def app_on_local_stripe(app_registry: Any, local_stripe: Any) -> Iterator[Any]:
    """The app's payment provider is the local Stripe for this test (the ``local_stripe``
    session fixture, one process per worker); yields it."""
    settings = app_registry.settings
    saved = {name: settings[name] for name in LOCAL_STRIPE_SETTINGS}
    settings["billing.api_base"] = local_stripe.api_base
    settings["billing.secret_key"] = local_stripe.secret_key
    settings["billing.webhook_secret"] = local_stripe.webhook_secret
    try:
        yield local_stripe
    finally:
        settings.update(saved)


@pytest.fixture
def query_recorder(db_connection: Connection) -> Iterator[QueryRecorder]:
    recorder = QueryRecorder(db_connection)
    yield recorder
    recorder.close()


class RecordingTestApp(webtest.TestApp):
    """A WebTest app that attaches the SQL each request sent to its response."""

    def __init__(self, app: Router, recorder: QueryRecorder, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.recorder = recorder

    def do_request(self, req: Any, status: Any = None, expect_errors: Any = None) -> Any:
        self.recorder.start()
        try:
            response = super().do_request(req, status=status, expect_errors=expect_errors)
        finally:
            statements = self.recorder.stop()
        response.sql_statements = list(statements)
        return response


@pytest.fixture
def webtest_app(wsgi_app: Router, app_registry: Any, query_recorder: QueryRecorder) -> Any:
    return RecordingTestApp(wsgi_app, query_recorder, extra_environ={"REMOTE_ADDR": "192.0.2.10"})


@pytest.fixture
def probe_table(db_connection: Connection) -> str:
    """A table the probe views write to; it exists only inside this test's transaction."""
    db_connection.execute(
        text(f"CREATE TABLE {PROBE_TABLE} (id serial PRIMARY KEY, note text NOT NULL)")
    )
    return PROBE_TABLE


@pytest.fixture(scope="session")
def head_revision(database_url: str) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
