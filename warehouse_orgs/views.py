"""Site-wide pages: home, health check, and the error pages."""

import logging

from pyramid.csrf import BadCSRFOrigin, BadCSRFToken
from pyramid.httpexceptions import (
    HTTPException,
    HTTPForbidden,
    HTTPSeeOther,
    HTTPServiceUnavailable,
)
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import (
    exception_view_config,
    forbidden_view_config,
    notfound_view_config,
    view_config,
)
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from warehouse_orgs.accounts.security_policy import NeedsTwoFactor, NeedsVerifiedEmail
from warehouse_orgs.db import is_database_unavailable
from warehouse_orgs.environment import is_production
from warehouse_orgs.organizations.models import Organization
from warehouse_orgs.security_headers import apply_security_headers, registry_policy

logger = logging.getLogger(__name__)

ERROR_TEMPLATE = "error.html"
ERROR_TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Page not found",
    405: "Method not allowed",
    413: "Too much data",
    500: "Internal server error",
    503: "Service unavailable",
}
# What a 503 for an unreachable or overloaded database tells browsers and crawlers to wait.
DATABASE_RETRY_AFTER_SECONDS = 30
DATABASE_UNAVAILABLE_MESSAGE = (
    "Our database is not answering just now. Please try again in a minute."
)
NEWEST_ORGANIZATIONS = 10
CSRF_FAILURE_MESSAGE = (
    "This form's security token was missing or has expired. Go back, reload the page and "
    "submit the form again."
)


@view_config(route_name="index", renderer="index.html", request_method="GET")
def index(request: Request) -> dict:
    newest = (
        select(Organization)
        .where(Organization.is_active)
        .order_by(Organization.created.desc(), Organization.normalized_name)
        .limit(NEWEST_ORGANIZATIONS)
    )
    return {"organizations": request.db.scalars(newest).all()}


@view_config(route_name="health", request_method="GET", require_csrf=False)
def health(request: Request) -> Response:
    """200 only while the database answers: load balancers take us out of rotation otherwise."""
    try:
        request.db.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.exception("health check: the database did not answer")
        response = HTTPServiceUnavailable(body="Database unavailable\n", content_type="text/plain")
    else:
        response = Response("OK\n", content_type="text/plain")
    response.cache_control.no_store = True
    return response


def _render_error(request: Request, status: int, message: str) -> Response:
    response = render_to_response(
        ERROR_TEMPLATE,
        {"status": status, "title": ERROR_TITLES.get(status, "Error"), "message": message},
        request=request,
    )
    response.status_code = status
    response.cache_control.no_store = True
    return response


@notfound_view_config(append_slash=True)
def not_found(exc: HTTPException, request: Request) -> Response:
    return _render_error(request, 404, "There is nothing at this address.")


@forbidden_view_config()
def forbidden(exc: HTTPForbidden, request: Request) -> Response:
    if request.user is None and request.method == "GET":
        # Not signed in: log in first, then come back here.
        return HTTPSeeOther(request.route_path("accounts.login", _query={"next": request.path_qs}))
    if request.user is None:
        return _render_error(request, 403, "Log in to do this.")
    result = getattr(exc, "result", None)
    if isinstance(result, NeedsVerifiedEmail):
        return _render_secure_account_error(request, "verified_email")
    if isinstance(result, NeedsTwoFactor):
        return _render_secure_account_error(request, "two_factor")
    return _render_error(request, 403, "You do not have permission to see this page.")


def _render_secure_account_error(request: Request, missing: str) -> Response:
    response = render_to_response(
        "accounts/insecure_account.html", {"missing": missing}, request=request
    )
    response.status_code = 403
    response.cache_control.no_store = True
    return response


@exception_view_config(BadCSRFToken)
@exception_view_config(BadCSRFOrigin)
def csrf_failure(exc: HTTPException, request: Request) -> Response:
    return _render_error(request, 400, CSRF_FAILURE_MESSAGE)


@exception_view_config(HTTPException)
def http_error(exc: HTTPException, request: Request) -> Response:
    # Redirects and other non-error answers raised by views pass through untouched.
    if exc.code < 400:
        return exc
    # A detail is our own words for this case ("The page number must be..."); otherwise the
    # status's standard explanation.
    message = exc.detail or exc.explanation or ERROR_TITLES.get(exc.code, "")
    return _render_error(request, exc.code, str(message))


@exception_view_config(DBAPIError)
@exception_view_config(PoolTimeoutError)
def database_unavailable(exc: SQLAlchemyError, request: Request) -> Response:
    """503 while the database is gone, restarting, or cut a statement off; any other database
    error is a bug and stays a 500."""
    if not is_database_unavailable(exc):
        return server_error(exc, request)
    logger.error("the database could not answer", exc_info=exc)
    # The signed-in user, the session and its flash messages all live in the database that just
    # failed: draw the layout as for a visitor rather than fail again inside it.
    request.__dict__["session_user"] = None
    request.__dict__["user"] = None
    request.pop_flash_messages = list
    response = _render_or_plain(request, 503, DATABASE_UNAVAILABLE_MESSAGE)
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def _render_or_plain(request: Request, status: int, message: str) -> Response:
    """The error page; a plain one if the layout itself is what broke."""
    try:
        response = _render_error(request, status, message)
    except Exception:
        logger.exception("the error page could not be rendered")
        response = Response(
            f"{ERROR_TITLES[status]}. {message}\n", status=status, content_type="text/plain"
        )
        response.cache_control.no_store = True
    apply_security_headers(
        response,
        production=is_production(request.registry),
        policy=registry_policy(request.registry),
    )
    return response


@exception_view_config(Exception)
def server_error(exc: Exception, request: Request) -> Response:
    logger.error("unhandled error", exc_info=exc)
    message = "Something went wrong on our side. It has been logged; please try again shortly."
    try:
        response = _render_error(request, 500, message)
    except Exception:
        # The layout itself may be what broke; a plain page still tells the visitor something.
        logger.exception("the error page could not be rendered")
        response = Response(
            f"Internal server error. {message}\n", status=500, content_type="text/plain"
        )
    apply_security_headers(
        response,
        production=is_production(request.registry),
        policy=registry_policy(request.registry),
    )
    return response
