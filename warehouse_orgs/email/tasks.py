from email.message import EmailMessage
from email.utils import formatdate

from pyramid.request import Request

from warehouse_orgs.email.interfaces import IEmailSender
from warehouse_orgs.tasks import retry_on


# Every SMTP failure is an OSError (smtplib.SMTPException included), as are refused connections
# and timeouts: a mail server that is down or refusing now may take the message later. The
# Message-ID stays the same on every attempt.
@retry_on(OSError)
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
