"""A real S3-compatible server for the test session: moto's standalone server, its own process
on 127.0.0.1, one per xdist worker, started by the first test that asks for ``s3_server`` and
stopped at the end of the session.

The application reaches it with boto3 over HTTP, as it reaches object storage in production;
the credentials come from the usual AWS environment variables (moto takes any), set here for
the session.
"""

import dataclasses
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.common.network import free_port

REGION = "us-east-1"
STARTUP_SECONDS = 30.0
# Nothing from the machine's own AWS setup may reach the tests.
AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


@dataclasses.dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def client(self) -> Any:
        """boto3's S3 client on this server."""
        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION)

    def new_bucket(self) -> str:
        """A bucket of the calling test's own."""
        name = f"logos-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name


def _wait_until_listening(port: int, process: subprocess.Popen, log: Any) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto's server ended at once: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto's server did not listen within {STARTUP_SECONDS:.0f} s")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with pytest.MonkeyPatch.context() as environment:
        for name, value in AWS_ENVIRONMENT.items():
            environment.setenv(name, value)
        environment.delenv("AWS_PROFILE", raising=False)
        environment.delenv("AWS_SESSION_TOKEN", raising=False)
        port = free_port()
        log = tmp_path_factory.mktemp("moto") / "server.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_listening(port, process, log)
            yield S3Server(f"http://127.0.0.1:{port}")
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
