"""The local Stripe for a laptop: ``dev/localstripe_ext.py`` (localstripe plus our additions) in
a process of its own, on a free loopback port.

Used by ``make serve`` (``warehouse-orgs dev serve``) and by the test session
(``tests/common/localstripe.py``). localstripe is a development dependency under the GPL-3.0;
it runs as a separate program and the application only ever talks to it over HTTP, with the
``stripe`` SDK, as it talks to Stripe. Its state is one file, under ``.state/localstripe/`` for
``make serve`` and in a temporary directory for the tests; the server stops with the process
that started it.
"""

import contextlib
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warehouse_orgs.cli.processes import stop_process
from warehouse_orgs.paths import PROJECT_ROOT

PROGRAM = PROJECT_ROOT / "dev" / "localstripe_ext.py"
BACKEND_CLASS = "warehouse_orgs.subscriptions.billing.StripeBillingService"
# Development-only keys: localstripe accepts any key that starts with sk_test_.
DEVELOPMENT_SECRET_KEY = "sk_test_warehouse_orgs_local"  # noqa: S105 (not a secret)
DEVELOPMENT_PUBLISHABLE_KEY = "pk_test_warehouse_orgs_local"
DEVELOPMENT_WEBHOOK_SECRET = "whsec_warehouse_orgs_local"  # noqa: S105 (not a secret)
STARTUP_SECONDS = 20
STOP_SECONDS = 10
PORT_ATTEMPTS = 3


class LocalStripeError(RuntimeError):
    """The local Stripe did not start; the message ends with its log."""


@dataclass
class LocalStripe:
    """A running local Stripe."""

    process: subprocess.Popen
    port: int
    state_path: Path
    log_path: Path
    webhook_secret: str
    secret_key: str = DEVELOPMENT_SECRET_KEY
    publishable_key: str = DEVELOPMENT_PUBLISHABLE_KEY

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def backend_setting(self, domain: str) -> str:
        """The value of BILLING_BACKEND that points the application at this server."""
        return shlex.join(
            [
                BACKEND_CLASS,
                f"api_base={self.api_base}",
                f"secret_key={self.secret_key}",
                f"publishable_key={self.publishable_key}",
                f"webhook_secret={self.webhook_secret}",
                f"domain={domain}",
            ]
        )

    def stop(self) -> int:
        """SIGTERM (it finishes the request at hand), then SIGKILL if it hangs."""
        return stop_process(self.process, STOP_SECONDS)


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        url = f"http://127.0.0.1:{port}/_dev/health"
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _log_tail(log_path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_local_stripe(
    state_dir: Path,
    webhook_url: str | None = None,
    webhook_secret: str = DEVELOPMENT_WEBHOOK_SECRET,
) -> LocalStripe:
    """Start the server, its state in ``state_dir/state.pickle`` and its output in
    ``state_dir/localstripe.log``, and wait until it answers. A port taken between choosing it
    and binding it means trying another one.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    state_path = state_dir / "state.pickle"
    log_path = state_dir / "localstripe.log"
    for _attempt in range(PORT_ATTEMPTS):
        port = free_port()
        command = [
            sys.executable, str(PROGRAM),
            "--port", str(port),
            "--state", str(state_path),
            "--webhook-url", webhook_url or "",
            "--webhook-secret", webhook_secret,
            "--exit-with-parent",
        ]  # fmt: skip
        with log_path.open("a") as output:
            process = subprocess.Popen(  # noqa: S603 (our own program, fixed arguments)
                command, stdout=output, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            if _answers(port):
                return LocalStripe(process, port, state_path, log_path, webhook_secret)
            time.sleep(0.1)
        if process.poll() is None:
            process.kill()
            process.wait()
            break
    raise LocalStripeError(
        f"The local Stripe ({PROGRAM}) did not start. Its log ({log_path}):\n" + _log_tail(log_path)
    )


@contextlib.contextmanager
def running_local_stripe(
    state_dir: Path,
    webhook_url: str | None = None,
    webhook_secret: str = DEVELOPMENT_WEBHOOK_SECRET,
) -> Iterator[LocalStripe]:
    server = start_local_stripe(state_dir, webhook_url, webhook_secret)
    try:
        yield server
    finally:
        server.stop()
