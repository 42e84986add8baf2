"""/_dev/mail/: the messages the capturing email sender wrote, newest first."""

import errno

from pyramid.httpexceptions import HTTPNotFound
from pyramid.request import Request
from pyramid.response import Response

from warehouse_orgs.email.interfaces import IEmailSender
from warehouse_orgs.email.services import CapturedEmailSender, CapturedMessage

PAGE_SIZE = 50
# The HTML part came from our own templates, but it is shown as a document of its own with no
# scripts, no forms and no network, in case a template ever echoes something it should not.
CAPTURED_HTML_POLICY = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _captured_sender(request: Request) -> CapturedEmailSender | None:
    sender = request.find_service(IEmailSender)
    return sender if isinstance(sender, CapturedEmailSender) else None


def _message_or_404(request: Request) -> CapturedMessage:
    sender = _captured_sender(request)
    try:
        message = sender.message(request.matchdict["message_id"]) if sender else None
    except OSError as error:
        # A name longer than the filesystem allows was never written by the sender.
        if error.errno != errno.ENAMETOOLONG:
            raise
        message = None
    if message is None:
        raise HTTPNotFound()
    return message


def message_list(request: Request) -> dict:
    sender = _captured_sender(request)
    return {
        "capturing": sender is not None,
        "messages": sender.messages(limit=PAGE_SIZE) if sender else [],
        "page_size": PAGE_SIZE,
    }


def message_detail(request: Request) -> dict:
    return {"message": _message_or_404(request)}


def message_html(request: Request) -> Response:
    html = _message_or_404(request).body("html")
    if html is None:
        raise HTTPNotFound()
    response = Response(html, content_type="text/html")
    response.headers["Content-Security-Policy"] = CAPTURED_HTML_POLICY
    return response
