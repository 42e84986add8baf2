"""Running two requests against each other on two real connections, both committing for real.

The first request does its work and holds its transaction open; the second starts in a thread.
Once the second waits on a lock (or has finished, when nothing made it wait: that is how a
missing lock shows), the first commits, then the second finishes and commits if it was not
refused. Each outcome is handed back; the test then judges the committed end state.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from tests.common.concurrency import in_thread, wait_until_blocked

# Long enough for a slow machine, short enough that a lock nobody releases fails the test
# instead of hanging it.
LOCK_TIMEOUT = "10s"
JOIN_TIMEOUT = 15.0


@dataclasses.dataclass
class Outcome:
    # Not in the repr: the result may hold rows of a session that has closed.
    result: Any = dataclasses.field(default=None, repr=False)
    error: Exception | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


def bounded_session(engine: Engine) -> Session:
    """A session that gives up waiting for a lock after LOCK_TIMEOUT."""
    session = Session(engine)
    session.execute(text(f"SET lock_timeout = '{LOCK_TIMEOUT}'"))
    return session


def race(
    engine: Engine,
    first: Callable[[Session], Any],
    second: Callable[[Session], Any],
) -> tuple[Outcome, Outcome]:
    """Run ``first`` and hold its transaction; run ``second`` against it; commit both."""
    with bounded_session(engine) as first_session, bounded_session(engine) as second_session:
        first_outcome = _attempt(first_session, first)
        if not first_outcome.succeeded:
            raise AssertionError(f"the first request was refused: {first_outcome.error!r}")

        def run_second() -> Outcome:
            outcome = _attempt(second_session, second)
            if outcome.succeeded:
                second_session.commit()
            return outcome

        thread, handed_back = in_thread(run_second)
        wait_until_blocked(engine, thread)
        first_session.commit()
        thread.join(timeout=JOIN_TIMEOUT)
        if thread.is_alive():
            raise AssertionError("the second request did not finish")
        if "error" in handed_back:
            # Not a refusal: the commit itself failed.
            return first_outcome, Outcome(error=handed_back["error"])
        return first_outcome, handed_back["result"]


def assert_first_won(first: Outcome, second: Outcome) -> None:
    """Exactly one request had its way: the first, which the second waited for."""
    outcomes = [first.succeeded, second.succeeded]
    assert outcomes != [True, True], "both requests committed: the lock did not hold"
    assert outcomes == [True, False], (first, second)


def _attempt(session: Session, work: Callable[[Session], Any]) -> Outcome:
    try:
        return Outcome(result=work(session))
    except Exception as error:
        session.rollback()
        return Outcome(error=error)
