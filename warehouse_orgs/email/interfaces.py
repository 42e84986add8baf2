from typing import TYPE_CHECKING, Any

from zope.interface import Interface

if TYPE_CHECKING:
    from email.message import EmailMessage


class IEmailSender(Interface):
    def create_service(context: Any, request: Any) -> "IEmailSender":
        """Build the sender from the request's settings (``mail.*``)."""

    def send(message: "EmailMessage") -> None:
        """Deliver one fully built message, or raise."""
