"""CSRF, one transaction per request, retries, and mail that leaves only after commit.

The probe views (tests/common/probe_views.py) write a row and send a mail in one request.
"""

import pytest
from sqlalchemy import text

from warehouse_orgs.csrf import CSRF_HEADER_NAME


def _rows(db_session, table):
    return db_session.execute(text(f"SELECT note FROM {table} ORDER BY id")).scalars().all()


def _token(webtest_app):
    form = webtest_app.get("/_probe/form/").forms[0]
    return form["csrf_token"].value


def test_post_without_csrf_token_is_refused_and_changes_nothing(
    webtest_app, probe_table, db_session, outbox
):
    webtest_app.get("/_probe/form/")  # a session exists, but the token is not sent
    response = webtest_app.post("/_probe/form/", {"note": "sneaky"}, status=400)
    assert "security token was missing or has expired" in response.text
    assert response.html.find("h1").text == "Bad request"
    assert _rows(db_session, probe_table) == []
    assert outbox.messages() == []


def test_post_with_a_wrong_csrf_token_is_refused(webtest_app, probe_table, db_session):
    _token(webtest_app)
    webtest_app.post("/_probe/form/", {"note": "x", "csrf_token": "forged"}, status=400)
    assert _rows(db_session, probe_table) == []


def test_post_with_csrf_token_commits_then_sends_mail(webtest_app, probe_table, db_session, outbox):
    form = webtest_app.get("/_probe/form/").forms[0]
    form["note"] = "hello"
    response = form.submit(status=303)
    assert _rows(db_session, probe_table) == ["hello"]
    (message,) = outbox.messages()
    assert message.recipient == "probe@example.com"
    assert message.subject == "Mail check from PyPI Organizations"
    assert "can deliver email" in message.body("plain")
    assert "<code>warehouse-orgs mail check</code>" in message.body("html")

    # The flash message survives the redirect and is shown once.
    page = response.follow()
    assert page.html.find("div", class_="alert--success").text == "Saved hello"
    assert "Saved hello" not in webtest_app.get("/").text


def test_csrf_token_is_accepted_from_the_header(webtest_app, probe_table, db_session):
    token = _token(webtest_app)
    webtest_app.post("/_probe/form/", {"note": "ajax"}, headers={CSRF_HEADER_NAME: token})
    assert _rows(db_session, probe_table) == ["ajax"]


def test_failing_request_writes_nothing_and_sends_nothing(
    webtest_app, probe_table, db_session, outbox
):
    token = _token(webtest_app)
    webtest_app.post(
        "/_probe/form/", {"note": "doomed", "fail": "1", "csrf_token": token}, status=500
    )
    assert _rows(db_session, probe_table) == []
    assert outbox.messages() == []


def test_serialization_failure_is_retried(webtest_app, app_registry):
    app_registry["probe.retry_attempts"] = []
    response = webtest_app.get("/_probe/retry/", status=200)
    assert response.text == "attempt 1"
    assert app_registry["probe.retry_attempts"] == [0, 1]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_every_unsafe_method_needs_the_token(webtest_app, method):
    _token(webtest_app)
    response = getattr(webtest_app, method)("/_probe/boom/", status=400)
    assert "security token" in response.text
