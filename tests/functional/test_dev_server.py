"""`warehouse-orgs dev serve`, the command behind `make serve`, run for real in a subprocess."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.common.network import free_port

# Generous: on a loaded 2-core CI machine the first start (migrations, demo data) is slow.
STARTUP_SECONDS = 120
STOP_SECONDS = 60


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_dev_serve_migrates_serves_and_stops_on_ctrl_c(scratch_database, tmp_path: Path):
    port = free_port()
    env = {
        **os.environ,
        "WAREHOUSE_ORGS_ENV": "development",
        "DATABASE_URL": scratch_database("serve"),
        "SESSION_SECRET": "insecure-serve",
        "TOKEN_SECRET": "insecure-serve",
        "MAIL_BACKEND": f"warehouse_orgs.email.services.CapturedEmailSender path={tmp_path}",
        "REDIS_URL": "",
        "PORT": str(port),
        # A hang at Ctrl-C is shown, not guessed: SIGABRT prints every thread's stack.
        "PYTHONFAULTHANDLER": "1",
    }
    log_path = tmp_path / "serve.log"
    command = [sys.executable, "-m", "warehouse_orgs.cli", "dev", "serve"]
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # Started with SIGINT ignored, as a background job or a test runner's worker may
            # start it (an ignored signal is inherited): Ctrl-C must still stop it.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_SECONDS
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, _ = _get(base + "/_health/")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200, log_path.read_text()
        status, body = _get(base + "/")
        assert status == 200
        assert "Organizations on the Python Package Index" in body
        status, body = _get(base + "/_dev/mail/")
        assert status == 200
        assert "No messages yet" in body
    finally:
        server.send_signal(signal.SIGINT)
        try:
            exit_code = server.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            server.send_signal(signal.SIGABRT)
            time.sleep(2)
            os.killpg(server.pid, signal.SIGKILL)  # leave no server behind, then fail
            raise AssertionError(f"no exit after Ctrl-C:\n{log_path.read_text()}") from None
    output = log_path.read_text()
    assert "Demo accounts (password 'password')" in output
    assert "GET /_health/ 200" in output
    assert exit_code in (0, -signal.SIGINT, 130)
