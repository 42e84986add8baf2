"""Reading back the history a test's requests wrote."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session


def events_of(db_session: Session, row: Any) -> list[Any]:
    """``row``'s events, oldest first, as the app committed them."""
    db_session.expire_all()
    event = type(row).Event
    return list(
        db_session.scalars(select(event).where(event.source_id == row.id).order_by(event.time))
    )


def event_tags(db_session: Session, row: Any) -> list[str]:
    return [event.tag for event in events_of(db_session, row)]
