"""``HasEvents``: gives a model a ``<name>_events`` table and a ``record_event`` method.

Each event holds a tag (``source:subject:action``), the time, the acting user, the IP address
and JSON details. Details copy the names involved, so the history still reads correctly after
a rename or a deletion; ``actor_id`` is kept only while that user exists.
"""

import datetime
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from pyramid.request import Request
from sqlalchemy import Boolean, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from warehouse_orgs.db import Model
from warehouse_orgs.events.history import HistoryEntry

if TYPE_CHECKING:
    from warehouse_orgs.events.tags import EventTag


class Event:
    """Columns shared by every events table; the concrete classes are made by HasEvents."""

    tag: Mapped[str] = mapped_column(String(100))
    # clock_timestamp(), not now(): events of one transaction keep the order they happened in.
    time: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.clock_timestamp()
    )
    # Indexed: deleting a user sets this to NULL in every events table.
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    ip_address: Mapped[str | None] = mapped_column(INET)
    # Made through the staff pages: readers outside staff see "PyPI staff", not who or where.
    acted_as_staff: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    additional: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

    @property
    def sentence(self) -> str:
        """The event as staff read it."""
        return self.seen_by(staff=True).sentence

    def seen_by(self, *, staff: bool) -> "HistoryEntry":
        """The event as a history page or export shows it to staff, or to anyone else."""
        return HistoryEntry.of(self, staff=staff)


def _events_table_name(source_table: str) -> str:
    """``organizations`` → ``organization_events``, ``sponsor_inquiries`` →
    ``sponsor_inquiry_events``."""
    if source_table.endswith("ies"):
        return f"{source_table.removesuffix('ies')}y_events"
    return f"{source_table.removesuffix('s')}_events"


class HasEvents:
    """Mix into a ``Model`` to give it a history. ``Model.Event`` is its event class."""

    Event: ClassVar[type]
    __tablename__: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        source_table = cls.__dict__.get("__tablename__")
        if source_table is None:
            return
        table = _events_table_name(source_table)
        cls.Event = type(
            f"{cls.__name__}Event",
            (Event, Model),
            {
                "__tablename__": table,
                "__table_args__": (Index(f"ix_{table}_source_id_time", "source_id", "time"),),
                "source_id": mapped_column(
                    ForeignKey(f"{source_table}.id", ondelete="CASCADE"), nullable=False
                ),
                # Named: an events table on users has a second key to users, the actor.
                "source": relationship(
                    cls, back_populates="events", foreign_keys=f"{cls.__name__}Event.source_id"
                ),
            },
        )

    @declared_attr
    def events(cls) -> Mapped[list[Any]]:
        return relationship(
            lambda: cls.Event,
            back_populates="source",
            foreign_keys=lambda: cls.Event.source_id,
            cascade="all, delete-orphan",
            passive_deletes=True,
            lazy="raise",
            order_by=lambda: cls.Event.time.desc(),
        )

    def record_event(
        self, tag: "EventTag", request: Request, additional: dict[str, Any] | None = None
    ) -> Any:
        """Add an event for this row to the request's session and return it.

        The actor is the signed-in user, if any; a task or command has none.
        """
        actor = request.user
        event = self.Event(
            source=self,
            tag=str(tag),
            actor_id=actor.id if actor is not None else None,
            ip_address=request.remote_addr,
            acted_as_staff=bool(getattr(request, "acting_as_staff", False)),
            additional={
                **({"actor": actor.username} if actor is not None else {}),
                **(additional or {}),
            },
        )
        request.db.add(event)
        return event
