"""Counts the SQL statements a piece of work sends, so tests can hold a page to a budget."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, event

# Savepoint bookkeeping comes from the test harness's transaction-per-test, not from the page.
_HARNESS_STATEMENTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@dataclass
class QueryRecorder:
    connection: Connection
    statements: list[str] = field(default_factory=list)
    _recording: bool = False

    def __post_init__(self) -> None:
        event.listen(self.connection, "before_cursor_execute", self._record)

    def close(self) -> None:
        event.remove(self.connection, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if self._recording and not statement.lstrip().upper().startswith(_HARNESS_STATEMENTS):
            self.statements.append(statement)

    def start(self) -> None:
        self.statements = []
        self._recording = True

    def stop(self) -> list[str]:
        self._recording = False
        return self.statements

    def __enter__(self) -> "QueryRecorder":
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def count(self) -> int:
        return len(self.statements)
