from typing import TYPE_CHECKING, Any

from zope.interface import Interface

if TYPE_CHECKING:
    from email.message import EmailMessage


class IEmailSender(Interface):
    def create_service(context: Any, request: Any) -> "IEmailSender":
        """Build the sender from the request's settings (``mail.*``)."""

    def send(message: "EmailMessage") -> None:
        """Deliver one fully built message, or raise."""


class ICapturedMail(IEmailSender):
    """A sender that keeps what it sends instead of delivering it (development and tests)."""

    def messages(*, limit: int | None = None) -> list[Any]:
        """The captured messages, newest first, at most ``limit``."""

    def message(message_id: str) -> Any:
        """One captured message by its id, or None (also for an id it did not make)."""
