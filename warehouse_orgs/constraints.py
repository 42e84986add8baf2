"""Unique constraints as answers: when the database refuses a row because another request
inserted its twin a moment earlier, the person gets the rule's own message, not an error page.

The services check before they insert; the constraint decides only in the race between two
requests, and this turns its refusal into the same exception the check would have raised.
"""

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def constraint_name(error: IntegrityError) -> str | None:
    """The name of the constraint the database reported, if any."""
    return getattr(getattr(error.orig, "diag", None), "constraint_name", None)


def insert_or_refuse(db: Session, row: Any, refusals: dict[str, Exception]) -> None:
    """Insert ``row`` in a savepoint; a violation of a constraint named in ``refusals`` raises
    that refusal instead, and leaves the rest of the transaction usable."""
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError as error:
        refusal = refusals.get(constraint_name(error) or "")
        if refusal is None:
            raise
        raise refusal from error
