"""A local Varnish in front of the app, as a CDN is in production: Debian's varnishd with the
xkey module (``make varnish`` installs both) and ``dev/varnish/origin.vcl``.

Used by ``make serve VARNISH=1`` (``warehouse-orgs dev serve --varnish-port``) and by
``tests/functional/test_varnish_cache.py``. It runs in the foreground of a process of its own,
with its working files (the compiled VCL, its shared memory log) in a directory given to it,
and stops with the process that started it.
"""

import contextlib
import shlex
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from warehouse_orgs.cli.processes import stop_process
from warehouse_orgs.paths import PROJECT_ROOT

VARNISHD = "/usr/sbin/varnishd"
ORIGIN_VCL = PROJECT_ROOT / "dev" / "varnish" / "origin.vcl"
BACKEND_CLASS = "warehouse_orgs.cache.services.VarnishOriginCache"
# Compiling the VCL with the C compiler takes most of it.
STARTUP_SECONDS = 30
STOP_SECONDS = 10


class LocalVarnishError(RuntimeError):
    """varnishd did not start; the message ends with what it said."""


@dataclass
class LocalVarnish:
    process: subprocess.Popen
    port: int
    work_dir: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def origin_cache_setting(self) -> str:
        """The value of ORIGIN_CACHE that has the app purge this Varnish."""
        return shlex.join([BACKEND_CLASS, f"url={self.url}"])

    def stop(self) -> int:
        """SIGTERM (the manager stops its child), then SIGKILL if it hangs."""
        return stop_process(self.process, STOP_SECONDS)


def main_vcl(backend_host: str, backend_port: int) -> str:
    """The VCL varnishd loads: the app as its backend, then our rules."""
    return (
        "vcl 4.1;\n"
        f'backend app {{ .host = "{backend_host}"; .port = "{backend_port}"; '
        ".connect_timeout = 2s; .first_byte_timeout = 30s; }\n"
        f'include "{ORIGIN_VCL}";\n'
    )


def _answers(port: int) -> bool:
    """Whether our VCL is loaded: it answers a PURGE naming no keys with 400 by itself."""
    try:
        response = requests.request("PURGE", f"http://127.0.0.1:{port}/", timeout=1)
    except requests.RequestException:
        return False
    return response.status_code == 400


def start_varnish(
    work_dir: Path, port: int, backend_port: int, backend_host: str = "127.0.0.1"
) -> LocalVarnish:
    """Start varnishd on 127.0.0.1:``port`` in front of the app, and wait until it answers."""
    work_dir.mkdir(parents=True, exist_ok=True)
    vcl_path = work_dir / "main.vcl"
    vcl_path.write_text(main_vcl(backend_host, backend_port))
    log_path = work_dir / "varnishd.log"
    command = [
        VARNISHD,
        "-F",  # in the foreground: this process is its parent and stops it
        "-j", "none",  # no jail: as whoever runs it, root included, without a varnish user
        "-n", str(work_dir / "instance"),
        "-f", str(vcl_path),
        "-a", f"127.0.0.1:{port}",
        "-T", "127.0.0.1:0",
        "-s", "malloc,64m",
    ]  # fmt: skip
    with log_path.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 (fixed program and arguments)
            command, stdout=output, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        if _answers(port):
            return LocalVarnish(process, port, work_dir, log_path)
        time.sleep(0.1)
    running = LocalVarnish(process, port, work_dir, log_path)
    running.stop()
    raise LocalVarnishError(
        f"varnishd did not start on port {port}. What it said ({log_path}):\n"
        + log_path.read_text(errors="replace")[-3000:]
    )


@contextlib.contextmanager
def running_varnish(
    work_dir: Path, port: int, backend_port: int, backend_host: str = "127.0.0.1"
) -> Iterator[LocalVarnish]:
    varnish = start_varnish(work_dir, port, backend_port, backend_host)
    try:
        yield varnish
    finally:
        varnish.stop()
