"""Where sessions live: PostgreSQL, so a laptop needs nothing more than the app's database."""

import datetime
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any, Self

from pyramid.request import Request
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from zope.interface import implementer
from zope.sqlalchemy import mark_changed

from warehouse_orgs.sessions.interfaces import ISessionStore
from warehouse_orgs.sessions.models import BrowserSession


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class StoredSession:
    data: dict[str, Any]
    created: datetime.datetime
    expires: datetime.datetime


@implementer(ISessionStore)
class DatabaseSessionStore:
    def __init__(self, request: Request) -> None:
        self.request = request

    @classmethod
    def create_service(cls, context: Any, request: Request) -> Self:
        return cls(request)

    def load(self, key: str) -> StoredSession | None:
        row = self.request.db.execute(
            select(BrowserSession.data, BrowserSession.created, BrowserSession.expires).where(
                BrowserSession.key_hash == hash_key(key), BrowserSession.expires > func.now()
            )
        ).one_or_none()
        return StoredSession(row.data, row.created, row.expires) if row else None

    def _write(self, statement: Any) -> None:
        # Sessions are saved as the response leaves, after the request's own transaction has
        # committed, so they use a short transaction of their own.
        with self.request.registry["sqlalchemy.sessionmaker"]() as db, db.begin():
            db.execute(statement)

    def save(
        self,
        key: str,
        data: dict[str, Any],
        user_id: uuid.UUID | None,
        expires: datetime.datetime,
    ) -> None:
        values = {"key_hash": hash_key(key), "data": data, "user_id": user_id, "expires": expires}
        statement = insert(BrowserSession).values(**values)
        self._write(
            statement.on_conflict_do_update(
                index_elements=[BrowserSession.key_hash],
                set_={"data": data, "user_id": user_id, "expires": expires},
            )
        )

    def delete(self, key: str) -> None:
        self._write(delete(BrowserSession).where(BrowserSession.key_hash == hash_key(key)))

    def delete_for_user(self, user_id: uuid.UUID, keep_key: str | None = None) -> int:
        statement = delete(BrowserSession).where(BrowserSession.user_id == user_id)
        if keep_key is not None:
            statement = statement.where(BrowserSession.key_hash != hash_key(keep_key))
        return self._write_in_request(statement)

    def purge_expired(self) -> int:
        return self._write_in_request(
            delete(BrowserSession).where(BrowserSession.expires <= func.now())
        )

    def _write_in_request(self, statement: Any) -> int:
        count = self.request.db.execute(statement).rowcount
        mark_changed(self.request.db)
        return count
