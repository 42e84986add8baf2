"""The pages every visitor can reach: home, health, errors, and the headers on all of them."""

import logging

import pytest
from sqlalchemy.orm import sessionmaker

from tests.common.db.accounts import UserFactory
from tests.common.sessions import log_in
from warehouse_orgs.db import create_database_engine
from warehouse_orgs.request_logging import REQUEST_ID_HEADER
from warehouse_orgs.security_headers import registry_policy
from warehouse_orgs.sessions import SESSION_COOKIE_NAME


def test_home_page_explains_organizations_with_one_query(webtest_app):
    response = webtest_app.get("/", status=200)
    assert "Organizations on the Python Package Index" in response.text
    assert response.html.find("h1").text == "Organizations on the Python Package Index"
    # The newest organizations, and nothing else.
    assert len(response.sql_statements) == 1


def test_anonymous_pages_set_no_session_cookie(webtest_app):
    response = webtest_app.get("/", status=200)
    assert SESSION_COOKIE_NAME not in response.headers.get("Set-Cookie", "")


def test_health_answers_ok_with_one_query(webtest_app):
    response = webtest_app.get("/_health/", status=200)
    assert response.text == "OK\n"
    assert response.headers["Cache-Control"] == "no-store"
    assert len(response.sql_statements) == 1


def test_health_answers_503_when_the_database_does_not(webtest_app, app_registry, database_url):
    unreachable = create_database_engine(database_url.replace("/wo_test_", "/no_such_database_"))
    app_registry["sqlalchemy.sessionmaker"] = sessionmaker(bind=unreachable)
    try:
        response = webtest_app.get("/_health/", status=503)
    finally:
        unreachable.dispose()
    assert "Database unavailable" in response.text


@pytest.mark.parametrize("path", ["/", "/_health/", "/no-such-page/", "/_probe/boom/"])
def test_security_headers_are_on_every_response(webtest_app, app_registry, path):
    response = webtest_app.get(path, expect_errors=True)
    assert response.headers["Content-Security-Policy"] == registry_policy(app_registry)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "origin-when-cross-origin"
    # HSTS is for production only: a developer's http://127.0.0.1 must not be pinned to https.
    assert "Strict-Transport-Security" not in response.headers


def test_forms_may_send_the_browser_on_only_here_and_to_the_payment_providers_pages(
    webtest_app, app_registry
):
    """Activating billing redirects to the provider's hosted checkout, which browsers check
    against form-action; nothing else is allowed."""
    settings = app_registry.settings
    directives = webtest_app.get("/").headers["Content-Security-Policy"].split("; ")
    assert "form-action 'self' http://127.0.0.1:9" in directives  # the tests' billing.api_base
    api_base = settings.pop("billing.api_base")
    try:
        directives = webtest_app.get("/").headers["Content-Security-Policy"].split("; ")
    finally:
        settings["billing.api_base"] = api_base
    assert "form-action 'self' https://checkout.stripe.com https://billing.stripe.com" in directives


def test_production_sends_hsts_and_secure_session_cookies(make_app_config):
    import webtest

    config = make_app_config(
        **{
            "warehouse_orgs.env": "production",
            "sessions.secret": "p" * 40,
            "token.secret": "t" * 40,
            "mail.backend": "warehouse_orgs.email.services.SMTPEmailSender",
            "billing.secret_key": "sk_live_example",
        },
    )
    app = webtest.TestApp(config.make_wsgi_app())
    response = app.get("/_probe/form/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert "; secure" in cookie.lower()
    assert "; HttpOnly" in cookie
    assert "; SameSite=Lax" in cookie
    # The development-only mail viewer does not exist in production.
    app.get("/_dev/mail/", status=404)


def test_not_found_page_is_inside_the_layout(webtest_app):
    response = webtest_app.get("/no-such-page/", status=404)
    assert response.html.find("h1").text == "Page not found"
    assert response.html.find("header", class_="site-header") is not None
    assert response.headers["Cache-Control"] == "no-store"


def test_missing_trailing_slash_redirects(webtest_app):
    response = webtest_app.get("/_health", status=307)
    assert response.headers["Location"].endswith("/_health/")


def test_anonymous_visitors_are_sent_to_log_in_when_forbidden(webtest_app):
    response = webtest_app.get("/_probe/forbidden/?x=1", status=303)
    assert (
        response.location == "http://localhost/account/login/?next=%2F_probe%2Fforbidden%2F%3Fx%3D1"
    )


def test_forbidden_page_is_inside_the_layout(webtest_app, db_session):
    log_in(webtest_app, UserFactory.create())
    response = webtest_app.get("/_probe/forbidden/", status=403)
    assert response.html.find("h1").text == "Forbidden"
    assert "You do not have permission" in response.text


def test_unhandled_error_gives_a_500_page_and_logs_the_request_id(webtest_app, caplog):
    caplog.set_level(logging.INFO)
    response = webtest_app.get(
        "/_probe/boom/", headers={REQUEST_ID_HEADER: "trace-abc-123"}, status=500
    )
    assert response.html.find("h1").text == "Internal server error"
    assert "RuntimeError: boom" not in response.text
    assert response.headers[REQUEST_ID_HEADER] == "trace-abc-123"
    errors = [r for r in caplog.records if r.name == "warehouse_orgs.views"]
    assert errors
    assert errors[0].exc_info[0] is RuntimeError


def test_unrouted_method_is_not_found(webtest_app):
    response = webtest_app.delete("/", status=404, expect_errors=True)
    assert response.html.find("h1").text == "Page not found"


def test_request_id_is_made_when_missing_or_unsafe(webtest_app):
    made = webtest_app.get("/").headers[REQUEST_ID_HEADER]
    assert len(made) == 32
    unsafe = webtest_app.get("/", headers={REQUEST_ID_HEADER: "bad id\nwith newline"})
    assert unsafe.headers[REQUEST_ID_HEADER] != "bad id\nwith newline"
    assert len(unsafe.headers[REQUEST_ID_HEADER]) == 32


def test_access_log_line_carries_the_request_id(webtest_app, caplog):
    from warehouse_orgs.request_logging import RequestIdFilter

    caplog.set_level(logging.INFO, logger="warehouse_orgs.access")
    caplog.handler.addFilter(RequestIdFilter())
    response = webtest_app.get("/", headers={REQUEST_ID_HEADER: "follow-me-42"})
    (line,) = [r for r in caplog.records if r.name == "warehouse_orgs.access"]
    assert line.getMessage().startswith("GET / 200 ")
    assert response.headers[REQUEST_ID_HEADER] == "follow-me-42"


def test_stylesheet_is_served(webtest_app):
    response = webtest_app.get("/static/css/site.css", status=200)
    assert response.content_type == "text/css"
    assert ":focus-visible" in response.text


def test_redirects_raised_by_views_pass_through(webtest_app):
    response = webtest_app.get("/_probe/raise/303/", status=303)
    assert response.headers["Location"].endswith("/")


def test_other_http_errors_render_in_the_layout_with_their_explanation(webtest_app):
    response = webtest_app.get("/_probe/raise/410/", status=410)
    assert response.html.find("p", class_="error-page__status").text == "Error 410"
    assert "no longer available" in response.text
    assert response.html.find("header", class_="site-header") is not None
