"""A TCP link to PostgreSQL that a test cuts and restores, to take the database away from an
app (or from one of its connections) and give it back, for real."""

import contextlib
import selectors
import socket
import threading
import time
from typing import Any

from sqlalchemy.engine import make_url

from tests.common.network import free_port

# Nothing here may hang a test run: the link stops by itself, and every wait has a deadline.
LINK_LIFETIME_SECONDS = 120.0
WAIT_SECONDS = 15.0


class DatabaseLink:
    """A TCP relay on 127.0.0.1 between an app and PostgreSQL, which a test cuts and restores.

    Cutting closes the listening socket and every relayed connection, as when the server goes
    away: connections in use see their peer vanish, new ones are refused. The relay stops itself
    after ``LINK_LIFETIME_SECONDS`` whatever the test does.
    """

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        socket_dir = url.query.get("host")
        if isinstance(socket_dir, str) and socket_dir.startswith("/"):
            self.target: Any = f"{socket_dir}/.s.PGSQL.{url.port or 5432}"
            self.family = socket.AF_UNIX
        else:
            self.target = (url.host or "127.0.0.1", url.port or 5432)
            self.family = socket.AF_INET
        self.port = free_port()
        self.url = url.set(host="127.0.0.1", port=self.port, query={}).render_as_string(
            hide_password=False
        )
        self.deadline = time.monotonic() + LINK_LIFETIME_SECONDS
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self._acceptor: threading.Thread | None = None
        self._relayed: set[socket.socket] = set()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.settimeout(0.05)
        self._listening.set()
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()

    def cut(self) -> None:
        self._listening.clear()
        # The acceptor closes the listening socket itself; once it has, the port is free again.
        if self._acceptor is not None and self._acceptor is not threading.current_thread():
            self._acceptor.join(WAIT_SECONDS)
        with self._lock:
            relayed, self._relayed = self._relayed, set()
        for sock in relayed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while self._listening.is_set() and time.monotonic() < self.deadline:
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                if not self._listening.is_set():
                    client.close()
                    break
                upstream = socket.socket(self.family, socket.SOCK_STREAM)
                try:
                    upstream.settimeout(5)
                    upstream.connect(self.target)
                    upstream.settimeout(None)
                except OSError:
                    client.close()
                    upstream.close()
                    continue
                with self._lock:
                    self._relayed |= {client, upstream}
                threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()
        if time.monotonic() >= self.deadline:
            self.cut()

    def _relay(self, one: socket.socket, other: socket.socket) -> None:
        peers = {one: other, other: one}
        with selectors.DefaultSelector() as selector:
            try:
                for sock in peers:
                    selector.register(sock, selectors.EVENT_READ)
                while time.monotonic() < self.deadline:
                    for key, _ in selector.select(0.1):
                        data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                        if not data:
                            return
                        peers[key.fileobj].sendall(data)  # type: ignore[index]
            except (OSError, ValueError):
                return  # cut while relaying
            finally:
                for sock in peers:
                    sock.close()
