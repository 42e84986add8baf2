"""/_dev/mail/: what a developer sees of the mail the app sent."""

import webtest

from warehouse_orgs.devtools.mail import CAPTURED_HTML_POLICY


def _send_probe_mail(webtest_app, probe_table):
    form = webtest_app.get("/_probe/form/").forms[0]
    form["note"] = "mail me"
    form.submit(status=303)


def test_mail_list_is_empty_at_first(webtest_app):
    response = webtest_app.get("/_dev/mail/", status=200)
    assert "No messages yet" in response.text


def test_sent_mail_is_listed_and_readable(webtest_app, probe_table, outbox):
    _send_probe_mail(webtest_app, probe_table)
    listing = webtest_app.get("/_dev/mail/", status=200)
    rows = listing.html.select("tbody tr")
    assert len(rows) == 1
    assert "probe@example.com" in rows[0].text

    detail = listing.click("Mail check from PyPI Organizations")
    assert detail.html.find("h1").text == "Mail check from PyPI Organizations"
    assert "can deliver email" in detail.html.find("pre", class_="mail-body").text

    html = detail.click("Open the HTML version")
    assert html.content_type == "text/html"
    assert html.headers["Content-Security-Policy"] == CAPTURED_HTML_POLICY
    assert "<code>warehouse-orgs mail check</code>" in html.text


def test_unknown_or_crafted_message_ids_are_not_found(webtest_app, probe_table):
    _send_probe_mail(webtest_app, probe_table)
    webtest_app.get("/_dev/mail/nope/", status=404)
    webtest_app.get("/_dev/mail/..%2f..%2fetc%2fpasswd/", status=404)
    webtest_app.get("/_dev/mail/nope/html", status=404)
    # Longer than any file name the filesystem allows.
    webtest_app.get("/_dev/mail/" + "x" * 300 + "/", status=404)
    webtest_app.get("/_dev/mail/" + "x" * 300 + "/html", status=404)


def test_mail_page_explains_when_mail_is_really_sent(make_app_config):
    config = make_app_config(**{"mail.backend": "warehouse_orgs.email.services.SMTPEmailSender"})
    response = webtest.TestApp(config.make_wsgi_app()).get("/_dev/mail/", status=200)
    assert "sends mail for real" in response.text
