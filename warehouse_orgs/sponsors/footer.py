"""The footer's sponsors, on every page: kept in each process, forgotten whenever a change to
the sponsors commits anywhere.

Every page shows them, so a query per page would be the most-run statement of the site; they
change a few times a year. Each process keeps the list it last loaded, and a thread of its own
(``change_listener``, started on first use: gunicorn forks its workers, so one per process id)
LISTENs for the notification that a trigger on ``sponsors`` sends when a statement writing
sponsors commits, whoever writes (the admin, the feed sync, psql). Each notification forgets
the list and the next page loads it again: one statement per change and process, none per page
in the steady state, and no page shows a list older than the last committed change for longer
than the notification takes to arrive (milliseconds).

The list is served only while the listener listens. Before it has connected, while it is lost
and while it reconnects, every page loads the list (correct, one statement); connecting again
forgets, since notifications sent meanwhile were missed. Each forget advances a generation, and
a load stores its result only if the generation has not moved while it ran: a load that began
before a change cannot put its older list back after the change was heard.

There is no maximum age. A change the listener could miss is one it would also miss while it
is connected, and a timer would only give that bug a delay instead of a cure; the listener
refuses to say it listens when the trigger is missing or disabled, and a lost connection is
noticed by the socket closing or, when the network silently drops, by TCP keepalives.

An error page never loads the list (the database may be why it is an error page): it shows
what this process has, or nothing.
"""

import hashlib
import os
import threading
import weakref
from collections.abc import Callable, Iterable

from pyramid.request import Request

from warehouse_orgs.sponsors.change_listener import Connect, SponsorChangeListener
from warehouse_orgs.sponsors.interfaces import FooterSponsor, ISponsorService

FOOTER_CACHE_KEY = "sponsors.footer_cache"
# How long ``prime`` waits for the listener: a local connection takes milliseconds.
PRIME_TIMEOUT_SECONDS = 15.0


class FooterSponsorCache:
    def __init__(self, connect: Connect, **listener_options: float) -> None:
        self._connect = connect
        self._listener_options = listener_options
        self._new_lock()
        self._sponsors: tuple[FooterSponsor, ...] | None = None
        self._generation = 0
        self._listening = False
        self._listener: SponsorChangeListener | None = None
        self._listener_pid: int | None = None
        self._closed = False
        # A parent's listener thread may hold the lock when the process forks, and would never
        # release it in the child. The child's listener starts on its first use (its pid).
        this = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (cache := this()) and cache._new_lock())

    def _new_lock(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    # What pages use

    def get(self, load: Callable[[], Iterable[FooterSponsor]]) -> tuple[FooterSponsor, ...]:
        """The list, loaded by ``load`` unless this process holds it and hears every change."""
        with self._lock:
            self._listen_in_this_process()
            if self._listening and self._sponsors is not None:
                return self._sponsors
            generation = self._generation
        sponsors = tuple(load())
        with self._lock:
            if self._listening and self._generation == generation:
                self._sponsors = sponsors
        return sponsors

    def peek(self) -> tuple[FooterSponsor, ...]:
        """What this process holds, without loading (for an error page)."""
        with self._lock:
            if self._listener_pid != os.getpid() or not self._listening:
                return ()
            return self._sponsors or ()

    def forget(self) -> None:
        """The sponsors changed: the next page loads them again."""
        with self._lock:
            self._forget()

    # What the listener reports, from its thread

    def _forget(self) -> None:
        self._sponsors = None
        self._generation += 1
        self._changed.notify_all()

    def _heard_from(self, listener: SponsorChangeListener, *, listening: bool | None) -> None:
        with self._lock:
            # A listener this cache has since replaced or closed speaks for nothing.
            if listener is not self._listener or self._listener_pid != os.getpid():
                return
            if listening is not None:
                self._listening = listening and not self._closed
            self._forget()

    def _listen_in_this_process(self) -> None:
        """Start this process's listener if it has none (called with the lock held)."""
        pid = os.getpid()
        if self._listener_pid == pid or self._closed:
            return
        # A new process (or the first use): what a parent held is not this process's to trust.
        self._listening = False
        self._forget()
        listener: SponsorChangeListener

        def heard(listening: bool | None) -> Callable[[], None]:
            return lambda: self._heard_from(listener, listening=listening)

        listener = SponsorChangeListener(
            self._connect,
            on_listening=heard(True),
            on_change=heard(None),
            on_lost=heard(False),
            **self._listener_options,
        )
        self._listener, self._listener_pid = listener, pid
        listener.start()

    # For tests, and for shutting an app down

    @property
    def listening(self) -> bool:
        return self._listening

    @property
    def generation(self) -> int:
        """Advanced by every forget: a change heard, the listener connecting or lost."""
        return self._generation

    def wait_until(self, condition: Callable[["FooterSponsorCache"], bool], timeout: float) -> bool:
        """Whether ``condition(self)`` came true within ``timeout`` seconds; it is checked
        whenever the cache forgets or the listener connects or is lost."""
        with self._lock:
            return self._changed.wait_for(lambda: condition(self), timeout)

    def prime(self, sponsors: list[FooterSponsor], timeout: float = PRIME_TIMEOUT_SECONDS) -> None:
        """Hold ``sponsors`` until the next change, once the listener listens: each test starts
        from a footer it knows (none) that costs no statement."""
        with self._lock:
            self._listen_in_this_process()
            if not self._changed.wait_for(lambda: self._listening, timeout):
                raise RuntimeError(f"the sponsors listener did not connect within {timeout} s")
            self._sponsors = tuple(sponsors)

    def close(self, timeout: float = 10.0) -> None:
        """Stop this process's listener and close its connection, for good: every footer is
        loaded from then on."""
        with self._lock:
            self._closed = True
            self._listening = False
            self._forget()
            listener, self._listener = self._listener, None
            ours = self._listener_pid == os.getpid()
        # A parent's listener is not ours to stop: its thread is not in this process.
        if listener is not None and ours and not listener.stop(timeout):
            raise RuntimeError(f"the sponsors listener did not stop within {timeout} s")


def footer_sponsors(request: Request) -> tuple[FooterSponsor, ...]:
    cache: FooterSponsorCache = request.registry[FOOTER_CACHE_KEY]
    if getattr(request, "exception", None) is not None:
        return cache.peek()
    return cache.get(lambda: request.find_service(ISponsorService).footer_sponsors())


def footer_digest(request: Request) -> str:
    """Changes whenever the footer would: for the ETag of a page that has one."""
    text = "\x00".join(
        f"{s.name}\x01{s.link_url}\x01{s.white_logo_url}\x01{s.caption}"
        for s in request.footer_sponsors
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def forget_footer_after_transaction(request: Request) -> None:
    """A change to the sponsors: this process forgets the footer as soon as the transaction
    ends. Other processes hear of it from PostgreSQL once it commits; this one need not wait,
    so the page its writer sees next shows the change. It forgets after a rollback too: a
    footer loaded in this transaction after the change saw rows that never committed."""
    cache: FooterSponsorCache = request.registry[FOOTER_CACHE_KEY]
    transaction = request.tm.get()
    transaction.addAfterCommitHook(lambda _committed: cache.forget())
    transaction.addAfterAbortHook(cache.forget)
