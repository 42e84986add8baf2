"""Email senders: SMTP for production, a capturing sender for development and tests."""

import email.policy
import email.utils
import os
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Self

from pyramid.request import Request
from zope.interface import implementer

from warehouse_orgs.email.interfaces import ICapturedMail, IEmailSender
from warehouse_orgs.paths import PROJECT_ROOT, state_dir

TRUE_VALUES = {"1", "true", "yes", "on"}


@implementer(IEmailSender)
class SMTPEmailSender:
    def __init__(
        self,
        host: str,
        port: int = 25,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    @classmethod
    def create_service(cls, context: Any, request: Request) -> Self:
        settings = request.registry.settings
        return cls(
            host=settings.get("mail.host", "localhost"),
            port=int(settings.get("mail.port", 25)),
            username=settings.get("mail.username"),
            password=settings.get("mail.password"),
            starttls=str(settings.get("mail.starttls", "")).lower() in TRUE_VALUES,
            timeout=float(settings.get("mail.timeout", 10)),
        )

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


@dataclass(frozen=True)
class CapturedMessage:
    id: str
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def recipient(self) -> str:
        return str(self.message["To"])

    @property
    def sent(self) -> datetime:
        return email.utils.parsedate_to_datetime(self.message["Date"])

    def body(self, subtype: str) -> str | None:
        part = self.message.get_body(preferencelist=(subtype,))
        if part is None or part.get_content_subtype() != subtype:
            return None
        return part.get_content()


@implementer(ICapturedMail)
class CapturedEmailSender:
    """Writes each message as an ``.eml`` file instead of sending it.

    ``make serve`` shows them at /_dev/mail/; the tests read them as their outbox.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create_service(cls, context: Any, request: Request) -> Self:
        configured = request.registry.settings.get("mail.path")
        path = Path(configured) if configured else state_dir() / "mail"
        return cls(path if path.is_absolute() else PROJECT_ROOT / path)

    def send(self, message: EmailMessage) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        # Named by time so a directory listing is already in sending order.
        message_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
        partial = self.path / f".{message_id}.partial"
        partial.write_bytes(message.as_bytes(policy=email.policy.SMTP))
        os.replace(partial, self.path / f"{message_id}.eml")

    def messages(self, *, limit: int | None = None) -> list[CapturedMessage]:
        """Captured messages, newest first."""
        if not self.path.is_dir():
            return []
        files = sorted(self.path.glob("*.eml"), reverse=True)
        return [self._read(file) for file in files[:limit]]

    def message(self, message_id: str) -> CapturedMessage | None:
        file = self.path / f"{message_id}.eml"
        # Only names this sender made: no path separators, no way out of the directory.
        if "/" in message_id or message_id.startswith(".") or not file.is_file():
            return None
        return self._read(file)

    def _read(self, file: Path) -> CapturedMessage:
        with file.open("rb") as handle:
            parsed = BytesParser(policy=email.policy.default).parse(handle)
        return CapturedMessage(id=file.stem, message=parsed)  # type: ignore[arg-type]
