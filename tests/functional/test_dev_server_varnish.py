"""`make serve VARNISH=1` (`warehouse-orgs dev serve --varnish-port`), run for real in a
subprocess: Varnish answers in front of the app, serves a public page from its cache the
second time, and Ctrl-C stops it with everything else, within a bounded time."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.common.network import free_port
from warehouse_orgs.cli.local_varnish import VARNISHD

# As tests/functional/test_dev_server.py: generous for a loaded 2-core CI machine.
STARTUP_SECONDS = 120
STOP_SECONDS = 60


def _answering(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def test_dev_serve_puts_varnish_in_front_and_stops_it_on_ctrl_c(scratch_database, tmp_path: Path):
    if not Path(VARNISHD).exists():
        pytest.fail(f"Varnish is not at {VARNISHD}: run `make varnish`")
    port, varnish_port = free_port(), free_port()
    env = {
        **os.environ,
        "WAREHOUSE_ORGS_ENV": "development",
        "WAREHOUSE_ORGS_STATE_DIR": str(tmp_path / "state"),
        "DATABASE_URL": scratch_database("serve_varnish"),
        "SESSION_SECRET": "insecure-serve",
        "TOKEN_SECRET": "insecure-serve",
        "MAIL_BACKEND": f"warehouse_orgs.email.services.CapturedEmailSender path={tmp_path}",
        "REDIS_URL": "",
        "ORIGIN_CACHE": "",
        "PORT": str(port),
        "PYTHONFAULTHANDLER": "1",
    }
    log_path = tmp_path / "serve.log"
    command = [
        sys.executable, "-m", "warehouse_orgs.cli", "dev", "serve",
        "--varnish-port", str(varnish_port),
    ]  # fmt: skip
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    site = f"http://127.0.0.1:{varnish_port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and server.poll() is None:
            if _answering(site + "/_health/"):
                break
            time.sleep(0.2)
        assert _answering(site + "/_health/"), log_path.read_text()
        first = requests.get(site + "/sponsors/", timeout=10)
        second = requests.get(site + "/sponsors/", timeout=10)
        assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
        assert second.text == first.text
    finally:
        # Ctrl-C in a terminal reaches the whole group: the command, gunicorn and varnishd.
        os.killpg(server.pid, signal.SIGINT)
        try:
            exit_code = server.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            server.send_signal(signal.SIGABRT)
            time.sleep(2)
            os.killpg(server.pid, signal.SIGKILL)
            raise AssertionError(f"no exit after Ctrl-C:\n{log_path.read_text()}") from None
    output = log_path.read_text()
    assert f"Varnish on {site}/ in front of the app" in output
    assert exit_code in (0, -signal.SIGINT, 130)
    # Nothing of it is left answering.
    with pytest.raises(requests.ConnectionError):
        requests.get(site + "/_health/", timeout=2)
