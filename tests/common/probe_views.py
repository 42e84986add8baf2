"""Routes that exist only in the test app, to exercise the cross-cutting machinery (CSRF, error
pages, retries, after-commit work) before real features use it. Nothing here ships."""

import zope.sqlalchemy
from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPForbidden, HTTPSeeOther, exception_response
from pyramid.request import Request
from pyramid.response import Response
from sqlalchemy import text

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.email import send_email

PROBE_TABLE = "probe_writes"


def form(request: Request) -> Response:
    token = request.session.get_csrf_token()
    return Response(
        f'<form method="post"><input type="hidden" name="csrf_token" value="{token}">'
        '<input name="note"></form>'
    )


def write(request: Request) -> Response:
    """Records a row, sends a mail, then fails if asked: the failure must undo both."""
    note = request.POST.get("note", "")
    request.db.execute(text(f"INSERT INTO {PROBE_TABLE} (note) VALUES (:note)"), {"note": note})
    # Raw SQL is invisible to zope.sqlalchemy, which would otherwise roll back an unchanged session.
    zope.sqlalchemy.mark_changed(request.db)
    send_email(request, "mail-check", "probe@example.com")
    if request.POST.get("fail"):
        raise RuntimeError("the view failed after writing")
    request.session.flash(f"Saved {note}", queue="success")
    return HTTPSeeOther(request.route_path("index"))


def boom(request: Request) -> Response:
    raise RuntimeError("boom")


def forbidden(request: Request) -> Response:
    raise HTTPForbidden()


def retry(request: Request) -> Response:
    """Fails with a real serialization failure (SQLSTATE 40001) on the first attempt only."""
    attempt = request.environ["retry.attempt"]
    request.registry.setdefault("probe.retry_attempts", []).append(attempt)
    if attempt == 0:
        request.db.execute(
            text("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")
        )
    return Response(f"attempt {attempt}")


def raise_status(request: Request) -> Response:
    code = int(request.matchdict["code"])
    if 300 <= code < 400:
        raise exception_response(code, location=request.route_path("index"))
    raise exception_response(code)


def needs_secure_account(request: Request) -> Response:
    return Response("you may")


def sleep(request: Request) -> Response:
    """Holds a database connection busy, for statement timeouts and the database going away."""
    milliseconds = int(request.matchdict["milliseconds"])
    request.db.execute(text("SELECT pg_sleep(:seconds)"), {"seconds": milliseconds / 1000})
    return Response(f"slept {milliseconds}ms")


def bad_sql(request: Request) -> Response:
    """A bug that reaches the database: it must stay a 500, not pass for an outage."""
    request.db.execute(text("SELECT * FROM no_such_table"))
    return Response("unreachable")


def includeme(config: Configurator) -> None:
    config.add_route("probe.form", "/_probe/form/")
    config.add_route("probe.boom", "/_probe/boom/")
    config.add_route("probe.forbidden", "/_probe/forbidden/")
    config.add_route("probe.retry", "/_probe/retry/")
    config.add_route("probe.raise", "/_probe/raise/{code:\\d{3}}/")
    config.add_view(form, route_name="probe.form", request_method="GET")
    config.add_view(write, route_name="probe.form", request_method="POST")
    config.add_view(boom, route_name="probe.boom")
    config.add_view(forbidden, route_name="probe.forbidden")
    config.add_view(retry, route_name="probe.retry")
    config.add_view(raise_status, route_name="probe.raise")
    config.add_route("probe.sleep", "/_probe/sleep/{milliseconds:\\d{1,5}}/")
    config.add_view(sleep, route_name="probe.sleep", request_method="GET")
    config.add_route("probe.bad_sql", "/_probe/bad-sql/")
    config.add_view(bad_sql, route_name="probe.bad_sql", request_method="GET")
    # Any permission but account self-care needs a verified email and two-factor auth.
    config.add_route("probe.secure", "/_probe/needs-secure-account/")
    config.add_view(
        needs_secure_account, route_name="probe.secure", permission=Permissions.ProjectsCreate
    )
