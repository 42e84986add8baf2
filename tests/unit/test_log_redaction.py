"""No token reaches a log line: not in the access log, not inside next=, not in a traceback,
not in gunicorn's own access log."""

import http.client
import io
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.common.network import free_port
from warehouse_orgs.paths import PROJECT_ROOT
from warehouse_orgs.request_logging import (
    REDACTED,
    REQUEST_ID_HEADER,
    configure_logging,
    redact_tokens,
)

TOKEN = "InvitationToken_s3cr3t-Value.42"
# Generous: on a loaded 2-core CI machine importing the app alone can take many seconds.
STARTUP_SECONDS = 90


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            f"GET /account/verify-email/?token={TOKEN} 200 3.1ms",
            f"GET /account/verify-email/?token={REDACTED} 200 3.1ms",
        ),
        (
            f"GET /x/?page=2&token={TOKEN}&sort=name#top",
            f"GET /x/?page=2&token={REDACTED}&sort=name#top",
        ),
        # The link carried in next=, percent-encoded once...
        (
            f"GET /account/login/?next=%2Faccount%2Fverify%2F%3Ftoken%3D{TOKEN}%26a%3D1",
            f"GET /account/login/?next=%2Faccount%2Fverify%2F%3Ftoken%3D{REDACTED}%26a%3D1",
        ),
        # ...and twice, when that login page's own address is carried in another next=.
        (
            f"next=%2Faccount%2Flogin%2F%3Fnext%3D%252Fverify%252F%253Ftoken%253D{TOKEN}%2526b%253D2",
            f"next=%2Faccount%2Flogin%2F%3Fnext%3D%252Fverify%252F%253Ftoken%253D{REDACTED}%2526b%253D2",
        ),
        (f"?TOKEN%3d{TOKEN}", f"?TOKEN%3d{REDACTED}"),
        (
            f"?reset_token={TOKEN} and csrf_token={TOKEN}",
            f"?reset_token={REDACTED} and csrf_token={REDACTED}",
        ),
        (f"'/verify/?token={TOKEN}'", f"'/verify/?token={REDACTED}'"),
        # Nothing else is touched.
        (
            "GET /admin/organizations/?q=token&page=3 200",
            "GET /admin/organizations/?q=token&page=3 200",
        ),
        ("?token=&next=/", "?token=&next=/"),
    ],
)
def test_redact_tokens(line, expected):
    assert redact_tokens(line) == expected
    assert TOKEN not in redact_tokens(line)


@pytest.fixture
def configured_log() -> Iterator[io.StringIO]:
    """The handler the entry points install (configure_logging), writing to a buffer."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    gunicorn_filters = {
        name: logging.getLogger(name).filters[:] for name in ("gunicorn.access", "gunicorn.error")
    }
    root.handlers = []
    configure_logging()
    (handler,) = root.handlers
    buffer = io.StringIO()
    handler.setStream(buffer)  # type: ignore[attr-defined]
    try:
        yield buffer
    finally:
        root.handlers, root.level = saved
        for name, filters in gunicorn_filters.items():
            logging.getLogger(name).filters = filters


def test_access_lines_of_token_links_carry_no_token(webtest_app, configured_log):
    # Anonymous: the invitation page sends the visitor to log in, carrying the link in next=.
    login = webtest_app.get(f"/account/verify-organization-role/?token={TOKEN}", status=303)
    assert TOKEN in login.location
    webtest_app.get(login.location, status=200)
    webtest_app.get(
        f"/account/verify-email/?token={TOKEN}",
        headers={REQUEST_ID_HEADER: "redact-test-1"},
        status=400,
    )

    written = configured_log.getvalue()
    assert TOKEN not in written
    access = [line for line in written.splitlines() if "warehouse_orgs.access" in line]
    assert len(access) == 3
    assert f"GET /account/verify-organization-role/?token={REDACTED} 303" in access[0]
    next_url = f"%2Faccount%2Fverify-organization-role%2F%3Ftoken%3D{REDACTED}"
    assert f"GET /account/login/?next={next_url} 200" in access[1]
    assert "[redact-test-1]" in access[2]


def test_the_access_record_itself_carries_no_token(webtest_app, caplog):
    """Redacted as it is made, so any handler (an error tracker, a test's) gets it clean."""
    caplog.set_level(logging.INFO, logger="warehouse_orgs.access")
    webtest_app.get(f"/account/verify-email/?token={TOKEN}", status=400)
    (record,) = [r for r in caplog.records if r.name == "warehouse_orgs.access"]
    assert record.getMessage().startswith(f"GET /account/verify-email/?token={REDACTED} 400 ")


def test_messages_arguments_and_tracebacks_are_redacted(configured_log):
    log = logging.getLogger("warehouse_orgs.somewhere")
    log.warning(
        "could not follow %s", f"https://pypi.example/account/reset-password/?token={TOKEN}"
    )
    try:
        raise ValueError(f"bad link /account/verify-email/?token={TOKEN}")
    except ValueError:
        log.exception("while reading %r", {"next": f"/verify/%3Ftoken%3D{TOKEN}"})

    written = configured_log.getvalue()
    assert TOKEN not in written
    assert (
        f"could not follow https://pypi.example/account/reset-password/?token={REDACTED}" in written
    )
    assert f"ValueError: bad link /account/verify-email/?token={REDACTED}" in written


def test_gunicorns_own_loggers_are_redacted_too(configured_log):
    """gunicorn writes its access log through its own handlers, not the root's."""
    access = logging.getLogger("gunicorn.access")
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    access.addHandler(handler)
    try:
        access.info(
            '%(h)s "%(r)s" %(s)s',
            {"h": "192.0.2.1", "r": f"GET /verify/?token={TOKEN} HTTP/1.1", "s": "200"},
        )
    finally:
        access.removeHandler(handler)
    assert buffer.getvalue() == f'192.0.2.1 "GET /verify/?token={REDACTED} HTTP/1.1" 200\n'


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        return connection.getresponse().status
    finally:
        connection.close()


def _wait_for_server(port: int, server: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError("gunicorn exited before it served anything")
        try:
            if _get(port, "/_health/") == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start in time")


def test_gunicorn_with_its_access_log_on_writes_no_token(database_url, tmp_path: Path):
    """Production's server, with an operator's --access-logfile: its lines are redacted too."""
    port = free_port()
    env = {
        **os.environ,
        "WAREHOUSE_ORGS_ENV": "development",
        "DATABASE_URL": database_url,
        "SESSION_SECRET": "insecure-log-test-session-secret",
        "TOKEN_SECRET": "insecure-log-test-token-secret",
        "MAIL_BACKEND": f"warehouse_orgs.email.services.CapturedEmailSender path={tmp_path}",
        "REDIS_URL": "",
    }
    env.pop("GUNICORN_CMD_ARGS", None)
    log_file = tmp_path / "server.log"
    with log_file.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--access-logfile", "-", "warehouse_orgs.wsgi:application"],
            cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_for_server(port, server, time.monotonic() + STARTUP_SECONDS)
            referer = f"http://127.0.0.1:{port}/account/login/?next=%3Ftoken%3D{TOKEN}"
            # A token that is not valid: refused, and still logged.
            status = _get(port, f"/account/verify-email/?token={TOKEN}", {"Referer": referer})
            assert status == 400
        finally:
            server.terminate()
            server.wait(timeout=30)
    written = log_file.read_text()
    assert TOKEN not in written
    # gunicorn's line (the request line and the referer) and ours.
    assert f'"GET /account/verify-email/?token={REDACTED} HTTP/1.1"' in written
    assert f"%3Ftoken%3D{REDACTED}" in written
    assert f"warehouse_orgs.access: GET /account/verify-email/?token={REDACTED}" in written
