from email.message import EmailMessage
from email.utils import formatdate

from pyramid.request import Request

from warehouse_orgs.email.interfaces import IEmailSender


def deliver_email(
    request: Request,
    *,
    sender: str,
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str | None,
    message_id: str,
) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = formatdate(usegmt=True)
    message.set_content(body_text)
    if body_html is not None:
        message.add_alternative(body_html, subtype="html")
    request.find_service(IEmailSender).send(message)
