"""Faults from outside: the database going away and coming back, a statement cut off by the
timeout, a mail server refusing mail. Each is real: a TCP link to PostgreSQL that the test cuts,
PostgreSQL's own statement timeout, an SMTP server that answers 451, a real Celery worker.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import webtest
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from pyramid.config import Configurator
from sqlalchemy import Connection, Engine, text

from tests.common.database_link import DatabaseLink
from tests.common.network import free_port
from tests.common.pages import main_text
from tests.conftest import make_test_config
from warehouse_orgs.request_logging import REQUEST_ID_HEADER, RequestIdFilter
from warehouse_orgs.sessions import SESSION_COOKIE_NAME
from warehouse_orgs.sponsors.footer import FOOTER_CACHE_KEY
from warehouse_orgs.views import DATABASE_UNAVAILABLE_MESSAGE

# Nothing here may hang a test run: every wait has a deadline.
WAIT_SECONDS = 15.0


@pytest.fixture
def database_link(database_url: str) -> Iterator[DatabaseLink]:
    link = DatabaseLink(database_url)
    link.restore()
    yield link
    link.cut()


@pytest.fixture
def make_real_app(tmp_path: Path) -> Iterator[Callable[..., webtest.TestApp]]:
    """An app with its own engine and pool, as in production (not the test's connection)."""
    configs: list[Configurator] = []

    def make(database_url: str, **settings: Any) -> webtest.TestApp:
        config = make_test_config(database_url, **{"mail.path": str(tmp_path), **settings})
        config.commit()
        configs.append(config)
        return webtest.TestApp(config.make_wsgi_app())

    yield make
    for config in configs:
        config.registry[FOOTER_CACHE_KEY].close()
        config.registry["sqlalchemy.engine"].dispose()


def assert_database_unavailable_page(response: Any) -> None:
    """The site's own 503 page: in the layout, saying what happened, with the request id."""
    assert response.status_int == 503
    assert response.headers["Retry-After"] == "30"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.html.find("header", class_="site-header") is not None
    assert response.html.find("h1").text == "Service unavailable"
    assert DATABASE_UNAVAILABLE_MESSAGE in main_text(response)
    footer = response.html.find("footer").get_text(" ")
    assert f"Request {response.headers[REQUEST_ID_HEADER]}" in " ".join(footer.split())


def test_database_gone_between_requests_answers_503_then_recovers(database_link, make_real_app):
    app = make_real_app(database_link.url)
    app.get("/", status=200)  # the pool now holds a connection through the link

    database_link.cut()
    down = app.get("/", headers={REQUEST_ID_HEADER: "outage-between-1"}, status=503)
    assert_database_unavailable_page(down)
    assert down.headers[REQUEST_ID_HEADER] == "outage-between-1"
    assert app.get("/_health/", status=503).text == "Database unavailable\n"

    database_link.restore()
    # No restart: the next request finds the database again.
    assert "Organizations on the Python Package Index" in app.get("/", status=200).text
    app.get("/_health/", status=200)


def test_database_gone_for_a_signed_in_visitor_still_shows_the_page(database_link, make_real_app):
    """With a session cookie the session and user are looked up first; those fail too."""
    app = make_real_app(database_link.url)
    app.set_cookie(SESSION_COOKIE_NAME, "a-session-key-the-database-would-know")
    database_link.cut()
    assert_database_unavailable_page(app.get("/", status=503))
    database_link.restore()
    app.get("/", status=200)


def test_database_gone_in_the_middle_of_a_request(database_link, make_real_app, engine: Engine):
    app = make_real_app(database_link.url)
    answers: list[Any] = []

    def ask() -> None:
        try:
            answers.append(app.get("/_probe/sleep/5000/", expect_errors=True))
        except Exception as exc:  # reported by the assertion below
            answers.append(exc)

    request = threading.Thread(target=ask, daemon=True)
    request.start()
    # Wait until PostgreSQL is running the request's statement, then take the database away.
    deadline = time.monotonic() + WAIT_SECONDS
    with engine.connect() as observer:
        while time.monotonic() < deadline:
            running = observer.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                    " AND query LIKE 'SELECT pg_sleep%' AND pid <> pg_backend_pid()"
                )
            ).scalar()
            if running or answers:
                break
            # pg_stat_activity is read once per transaction; a new one sees it anew.
            observer.rollback()
            time.sleep(0.05)
    assert not answers, f"the request ended before the database went away: {answers}"
    assert running, "the request never reached the database"
    database_link.cut()
    request.join(WAIT_SECONDS)
    assert not request.is_alive(), "the request hung after the database went away"
    (answer,) = answers
    assert_database_unavailable_page(answer)

    database_link.restore()
    assert app.get("/_probe/sleep/1/", status=200).text == "slept 1ms"


def test_a_statement_cut_off_by_the_timeout_answers_503(database_url, make_real_app):
    app = make_real_app(database_url, **{"database.statement_timeout_ms": 200})
    started = time.monotonic()
    answer = app.get("/_probe/sleep/3000/", status=503)
    assert time.monotonic() - started < 2.5
    assert_database_unavailable_page(answer)
    # The same app, and its pooled connection, carry on.
    app.get("/", status=200)


def test_a_bug_in_sql_stays_a_500(webtest_app):
    response = webtest_app.get("/_probe/bad-sql/", status=500)
    assert response.html.find("h1").text == "Internal server error"
    assert "Retry-After" not in response.headers
    assert "no_such_table" not in response.text


class RefusingSMTPHandler:
    """An SMTP server that refuses the first ``refusals`` messages with a temporary error."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.attempts = 0
        self.delivered: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.attempts <= self.refusals:
            return "451 4.3.0 Mail server busy, try again later"
        self.delivered.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def refusing_smtp() -> Iterator[Callable[[int], tuple[RefusingSMTPHandler, dict[str, str]]]]:
    controllers: list[Controller] = []

    def start(refusals: int) -> tuple[RefusingSMTPHandler, dict[str, str]]:
        handler = RefusingSMTPHandler(refusals)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        controllers.append(controller)
        settings = {
            "mail.backend": "warehouse_orgs.email.services.SMTPEmailSender",
            "mail.host": "127.0.0.1",
            "mail.port": str(controller.port),
            "mail.timeout": "5",
        }
        return handler, settings

    yield start
    for controller in controllers:
        controller.stop()


def _save_a_note(app: webtest.TestApp, note: str, request_id: str) -> Any:
    """The probe form: writes a row, then sends a mail after the commit."""
    form = app.get("/_probe/form/").forms[0]
    form["note"] = note
    return form.submit(headers={REQUEST_ID_HEADER: request_id}, status=303)


def _notes(db_connection: Connection, probe_table: str) -> list[str]:
    return list(db_connection.execute(text(f"SELECT note FROM {probe_table}")).scalars())


def test_smtp_refusing_mail_keeps_the_change_and_logs_the_request_id(
    make_app_config, probe_table, db_connection, refusing_smtp, caplog
):
    smtp, mail_settings = refusing_smtp(refusals=1)
    app = webtest.TestApp(make_app_config(**mail_settings).make_wsgi_app())
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())

    response = _save_a_note(app, "kept despite the mail", "smtp-refused-0001")

    # The visitor's change committed and they were sent on as usual.
    assert _notes(db_connection, probe_table) == ["kept despite the mail"]
    assert response.headers[REQUEST_ID_HEADER] == "smtp-refused-0001"
    # The server was asked, refused, and the operator can find which request it was.
    assert (smtp.attempts, smtp.delivered) == (1, [])
    (failure,) = [r for r in caplog.records if r.name == "warehouse_orgs.tasks"]
    assert failure.getMessage() == "task warehouse_orgs.email.tasks.deliver_email failed"
    assert failure.request_id == "smtp-refused-0001"
    assert "451" in str(failure.exc_info[1])


def test_celery_retries_mail_the_smtp_server_refused(
    make_app_config, probe_table, db_connection, refusing_smtp, caplog
):
    smtp, mail_settings = refusing_smtp(refusals=2)
    config = make_app_config(
        **mail_settings, **{"celery.broker_url": "memory://", "tasks.retry_delay_seconds": 0.1}
    )
    app = webtest.TestApp(config.make_wsgi_app())
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())

    _save_a_note(app, "mail follows later", "smtp-retried-0001")
    assert _notes(db_connection, probe_table) == ["mail follows later"]
    assert smtp.attempts == 0  # queued for the worker, not sent by the web request

    celery_app = config.registry["celery.app"]
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deadline = time.monotonic() + WAIT_SECONDS
        while not smtp.delivered and time.monotonic() < deadline:
            time.sleep(0.05)

    (envelope,) = smtp.delivered
    assert envelope.rcpt_tos == ["probe@example.com"]
    assert smtp.attempts == 3
    retries = [r for r in caplog.records if r.name == "warehouse_orgs.tasks"]
    assert [r.getMessage().rsplit("; ", 1)[1] for r in retries] == [
        "retry 1 of 5 in 0.1s",
        "retry 2 of 5 in 0.2s",
    ]
    assert {r.request_id for r in retries} == {"smtp-retried-0001"}
    assert all("451" in r.getMessage() for r in retries)
