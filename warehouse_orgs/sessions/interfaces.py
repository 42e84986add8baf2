from typing import TYPE_CHECKING, Any

from zope.interface import Interface

if TYPE_CHECKING:
    import datetime
    import uuid

    from warehouse_orgs.sessions.services import StoredSession


class ISessionStore(Interface):
    def load(key: str) -> "StoredSession | None":
        """The live session for this cookie key, or None if unknown or expired."""

    def save(
        key: str, data: dict[str, Any], user_id: "uuid.UUID | None", expires: "datetime.datetime"
    ) -> None:
        """Create or replace the session stored under this key; commits on its own."""

    def delete(key: str) -> None:
        """Forget this session; commits on its own."""

    def delete_for_user(user_id: "uuid.UUID", keep_key: str | None = None) -> int:
        """End every session of a user but ``keep_key``'s, in the request's transaction."""

    def purge_expired() -> int:
        """Delete expired sessions; returns how many."""
