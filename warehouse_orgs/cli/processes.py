"""Stopping the servers the development commands start (gunicorn, the local Stripe, Varnish)."""

import signal
import subprocess


def stop_process(
    process: subprocess.Popen, seconds: float, first_signal: int = signal.SIGTERM
) -> int:
    """Ask ``process`` to stop with ``first_signal`` (it may finish the request at hand), then
    kill it if it is still there after ``seconds``: stopping always ends in bounded time."""
    if process.poll() is None:
        process.send_signal(first_signal)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
