"""Hearing of every committed change to the sponsors, from PostgreSQL itself.

A statement-level trigger on ``sponsors`` runs ``pg_notify('sponsors_changed', '')`` (migration
"sponsors notify their changes"). PostgreSQL delivers a notification only when the transaction
that sent it commits, to every connection that LISTENs on the channel, whoever wrote: the admin,
the feed sync, psql. ``SponsorChangeListener`` is a daemon thread with a connection of its own
that listens and says so through three callbacks: it is listening (``on_listening``, called
after LISTEN has taken effect), a change committed (``on_change``), it no longer hears
(``on_lost``: lost, stopped, or never connected in the first place). It reconnects by itself,
waiting longer after each failure, up to a few seconds.
"""

import contextlib
import functools
import logging
import select
import socket
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

from warehouse_orgs.db import CONNECT_TIMEOUT_SECONDS, connection_options, normalize_database_url

logger = logging.getLogger(__name__)

CHANNEL = "sponsors_changed"
TRIGGER = "sponsors_notify_changed"
# Shown in pg_stat_activity, so an operator can tell these connections from the pool's.
APPLICATION_NAME = "warehouse-orgs sponsor listener"
THREAD_NAME = "sponsors-change-listener"

# After a failure: wait this long, doubling each time, up to the maximum. While the listener is
# not connected every page loads the footer, so it comes back quickly rather than politely.
FIRST_RETRY_SECONDS = 0.1
MAX_RETRY_SECONDS = 5.0

# A connection that dies with its server, or is cut by the server, is noticed at once (the
# socket closes). One whose network silently drops is noticed by TCP keepalives, within about a
# minute; until then the list this process holds could miss a change.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}

Connect = Callable[[], psycopg.Connection]


class ListenerNotWired(Exception):
    """The database has no enabled trigger to notify of sponsor changes: listening would hear
    nothing, so the listener must not say it listens."""


def listener_connection(database_url: str, statement_timeout_ms: int | None = None) -> Connect:
    """How the listener connects: the app's database URL and connection options, in
    autocommit (LISTEN takes effect at once, and nothing is ever left in a transaction)."""
    url = make_url(normalize_database_url(database_url))
    given = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
    }
    # The URL's query (a socket directory in ``host``, sslmode...) goes to libpq as it is.
    params = {name: value for name, value in given.items() if value is not None}
    params.update({name: str(value) for name, value in url.query.items()})
    params.update(
        options=connection_options(database_url, statement_timeout_ms),
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        application_name=APPLICATION_NAME,
        **KEEPALIVES,
    )
    return functools.partial(psycopg.connect, autocommit=True, **params)


def check_trigger(connection: psycopg.Connection) -> None:
    """Refuse to listen when nothing would ever notify (the migration not run, the trigger
    disabled): better a statement on every page than a footer that never changes."""
    row = connection.execute(
        "SELECT tgenabled FROM pg_trigger WHERE tgrelid = to_regclass('sponsors') AND tgname = %s",
        (TRIGGER,),
    ).fetchone()
    if row is None or row[0] == "D":
        raise ListenerNotWired(f"no enabled trigger {TRIGGER} on sponsors")


class SponsorChangeListener:
    def __init__(
        self,
        connect: Connect,
        *,
        on_listening: Callable[[], None],
        on_change: Callable[[], None],
        on_lost: Callable[[], None],
        first_retry_seconds: float = FIRST_RETRY_SECONDS,
        max_retry_seconds: float = MAX_RETRY_SECONDS,
    ) -> None:
        self._connect = connect
        self._on_listening = on_listening
        self._on_change = on_change
        self._on_lost = on_lost
        self._first_retry = first_retry_seconds
        self._max_retry = max_retry_seconds
        self._stopping = threading.Event()
        # Written to by stop() to wake the thread from waiting on its connection. Sockets, not
        # a pipe: a write after the thread closed them fails, instead of landing in whatever
        # file took the number.
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop listening and close the connection; whether the thread ended within
        ``timeout`` (it may be in the middle of connecting, up to the connect timeout)."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        delay = self._first_retry
        try:
            while not self._stopping.is_set():
                try:
                    with self._connect() as connection:
                        check_trigger(connection)
                        connection.execute(f"LISTEN {CHANNEL}")
                        delay = self._first_retry
                        self._on_listening()
                        logger.info("Listening for sponsor changes")
                        self._hear(connection)
                except (psycopg.Error, OSError, ListenerNotWired) as exc:
                    if not self._stopping.is_set():
                        logger.warning(
                            "Not hearing sponsor changes (%s): every page loads the footer's "
                            "sponsors until the listener reconnects, in %.1f s",
                            exc,
                            delay,
                        )
                finally:
                    # Also when it never listened: a listener that is starting or reconnecting
                    # must leave the cache not serving.
                    self._on_lost()
                if self._stopping.wait(delay):
                    break
                delay = min(delay * 2, self._max_retry)
        finally:
            self._wake_reader.close()
            self._wake_writer.close()

    def _hear(self, connection: psycopg.Connection) -> None:
        """Until stopped (returns) or the connection fails (raises)."""
        while not self._stopping.is_set():
            # What has arrived, without waiting: on the socket, or already read by psycopg along
            # with an earlier answer. A connection that has gone raises here.
            for _notification in connection.notifies(timeout=0):
                self._on_change()
            ready, _, _ = select.select([connection.fileno(), self._wake_reader], [], [])
            if self._wake_reader in ready:
                return
