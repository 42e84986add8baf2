"""Hostile input is a 400 with the site's error page, never a 500, and changes nothing.

Input that is not text (NUL, control characters, bytes that are not UTF-8) is refused before any
view runs (request_validation.py); a form posted without one of its fields, or with one twice,
is refused beside the field; and ``next=`` sends the browser only to a path on this site.
"""

import logging
from urllib.parse import urlsplit

import pytest
import webob
from sqlalchemy import text

from tests.common.db.accounts import PASSWORD, UserFactory, totp_code
from tests.common.db.organizations import (
    OrganizationApplicationFactory,
    OrganizationFactory,
    OrganizationRoleFactory,
)
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from warehouse_orgs.forms import MISSING_MESSAGE, REPEATED_MESSAGE
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.request_logging import REQUEST_ID_HEADER
from warehouse_orgs.request_validation import MAX_BODY_BYTES

PATH_NOT_UTF8 = "The address has bytes that are not UTF-8 text."
PATH_NUL = "The address contains a NUL character."
PATH_CONTROL = "The address contains a control character."
QUERY_NOT_UTF8 = "The part of the address after “?” has bytes that are not UTF-8 text."
QUERY_NUL = "The part of the address after “?” contains a NUL character."
QUERY_CONTROL = "The part of the address after “?” contains a control character."
FORM_NOT_UTF8 = "The form sent bytes that are not UTF-8 text."
FORM_NUL = "A field of the form contains a NUL character."
FORM_CONTROL = "A field of the form contains a control character."
FORM_NOT_READABLE = "The form could not be read."
FORM_NOT_UTF8_CHARSET = "The form was not sent as UTF-8 text."
FORM_FILE = "This form does not take files."


@pytest.fixture
def staff(db_session):
    return UserFactory.create(username="staff-member", is_superuser=True)


@pytest.fixture
def member(db_session):
    return UserFactory.create(username="member", name="Ada Lovelace")


def _assert_refused(response, sentence):
    """The site's own 400 page, in the base layout, saying what was wrong."""
    assert response.status_code == 400
    assert main_text(response).startswith("Error 400 Bad request")
    assert sentence in main_text(response)
    assert response.html.find("title").get_text().startswith("Bad request")
    # The outer tweens still ran: the request id and the security headers are there.
    assert response.headers[REQUEST_ID_HEADER]
    assert f"Request {response.headers[REQUEST_ID_HEADER]}" in response.text
    policy = response.headers["Content-Security-Policy"]
    assert {"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"} <= set(
        policy.split("; ")
    )
    assert response.headers["Cache-Control"] == "no-store"


def _csrf_token(app):
    page = app.get("/manage/account/")
    return page.html.find("input", attrs={"name": "csrf_token"})["value"]


def _count(db_session, table):
    return db_session.scalar(text(f"SELECT count(*) FROM {table}"))


# Addresses


PUBLIC_ADDRESSES = [
    ("/org/a%00b/", PATH_NUL),
    ("/project/a%00b/", PATH_NUL),
    ("/org/a%0Ab/", PATH_CONTROL),
    ("/org/a%7Fb/", PATH_CONTROL),
    ("/org/a%FFb/", PATH_NOT_UTF8),
    ("/project/%C3%28/", PATH_NOT_UTF8),
    ("/org/acme/?page=%FF", QUERY_NOT_UTF8),
    ("/org/acme/?page=%00", QUERY_NUL),
    ("/?%FF%FE=1", QUERY_NOT_UTF8),
    ("/?a=%01", QUERY_CONTROL),
    ("/account/login/?next=%FF", QUERY_NOT_UTF8),
    ("/account/login/?next=/%0Aa", QUERY_CONTROL),
    ("/account/login/?next=/%09/evil.example", QUERY_CONTROL),
]
STAFF_ADDRESSES = [
    ("/admin/organizations/?q=%00", QUERY_NUL),
    ("/admin/organizations/?q=%FF%FE", QUERY_NOT_UTF8),
    ("/admin/organizations/?%FF%FE=x", QUERY_NOT_UTF8),
    ("/admin/users/?q=%FF", QUERY_NOT_UTF8),
    ("/admin/users/?q=a%00", QUERY_NUL),
    ("/admin/organization_applications/?q=%FF", QUERY_NOT_UTF8),
    ("/admin/organization_applications/?status=%FF", QUERY_NOT_UTF8),
    ("/admin/organization_applications/?type=%FF", QUERY_NOT_UTF8),
    ("/admin/organization_applications/?age=%FF", QUERY_NOT_UTF8),
    ("/admin/organization_applications/?status=%00", QUERY_NUL),
]


@pytest.mark.parametrize(("address", "sentence"), PUBLIC_ADDRESSES + STAFF_ADDRESSES)
def test_an_address_that_is_not_text_is_refused_for_anonymous(webtest_app, address, sentence):
    OrganizationFactory.create(name="acme")
    _assert_refused(webtest_app.get(address, status=400), sentence)


@pytest.mark.parametrize(("address", "sentence"), PUBLIC_ADDRESSES + STAFF_ADDRESSES)
def test_an_address_that_is_not_text_is_refused_for_staff(webtest_app, staff, address, sentence):
    OrganizationFactory.create(name="acme")
    log_in(webtest_app, staff)
    if "%FF" in urlsplit(address).path or "%C3%28" in address:
        # WebTest's own cookie jar cannot read such a path, so this one goes in by hand.
        response = _send_with_session(webtest_app, address)
        assert response.status_code == 400
        assert sentence in response.text
        assert "staff-member" in response.text
        return
    response = webtest_app.get(address, status=400)
    _assert_refused(response, sentence)
    # Still logged in: the page is the site's page for this person.
    assert response.html.find(string="staff-member")


def _send_with_session(app, address):
    request = webob.Request.blank(address, environ={"REMOTE_ADDR": "192.0.2.10"})
    request.headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in app.cookiejar)
    return request.get_response(app.app)


def test_a_refused_address_is_still_in_the_access_log(webtest_app, caplog):
    with caplog.at_level(logging.INFO, logger="warehouse_orgs.access"):
        response = webtest_app.get("/org/a%FFb/", status=400)
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [f"GET /org/a%EF%BF%BDb/ 400 {lines[0].rsplit(' ', 1)[1]}"]
    assert response.headers[REQUEST_ID_HEADER]


def test_text_beyond_ascii_in_the_address_is_welcome(webtest_app, staff):
    log_in(webtest_app, staff)
    page = webtest_app.get("/admin/users/", {"q": "Zoë"}, status=200)
    assert "Accounts matching “Zoë”" in main_text(page)


def test_a_page_number_in_other_digits_is_a_400_not_a_500(webtest_app):
    OrganizationFactory.create(name="acme")
    response = webtest_app.get("/org/acme/?page=%C2%B2", status=400)
    assert "The page number must be a whole number" in main_text(response)


# Form bodies


def _post(app, body, content_type="application/x-www-form-urlencoded", address="/manage/projects/"):
    return app.request(
        address, method="POST", body=body, content_type=content_type, expect_errors=True
    )


def _multipart(*parts):
    body = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value + b"\r\n"
        for name, value in parts
    )
    return body + b"--B--\r\n"


URLENCODED_BODIES = [
    (b"name=fine-name&%FF%FE=1", FORM_NOT_UTF8),
    (b"name=bad%FFname", FORM_NOT_UTF8),
    (b"name=bad\xffname", FORM_NOT_UTF8),
    (b"name=a%00b", FORM_NUL),
    (b"name=fine-name&%00=1", FORM_NUL),
    (b"name=a%01b", FORM_CONTROL),
    (b"name=a%1Bb", FORM_CONTROL),
]


@pytest.mark.parametrize(("body", "sentence"), URLENCODED_BODIES)
def test_a_form_field_that_is_not_text_is_refused_and_changes_nothing(
    webtest_app, db_session, member, body, sentence
):
    log_in(webtest_app, member)
    token = _csrf_token(webtest_app).encode()
    response = _post(webtest_app, b"csrf_token=" + token + b"&" + body)
    _assert_refused(response, sentence)
    assert _count(db_session, "projects") == 0


@pytest.mark.parametrize(
    ("parts", "sentence"),
    [
        ([(b"\xff\xfe", b"1")], FORM_NOT_UTF8),
        ([(b"name", b"bad\xffname")], FORM_NOT_UTF8),
        ([(b"name", b"a\x00b")], FORM_NUL),
        ([(b"na\x00me", b"fine-name")], FORM_NUL),
        ([(b"name", b"a\x07b")], FORM_CONTROL),
    ],
)
def test_a_multipart_field_that_is_not_text_is_refused_and_changes_nothing(
    webtest_app, db_session, member, parts, sentence
):
    log_in(webtest_app, member)
    token = _csrf_token(webtest_app).encode()
    body = _multipart((b"csrf_token", token), (b"name", b"fine-name"), *parts)
    response = _post(webtest_app, body, "multipart/form-data; boundary=B")
    _assert_refused(response, sentence)
    assert _count(db_session, "projects") == 0


@pytest.mark.parametrize(
    ("content_type", "sentence"),
    [
        ("multipart/form-data", FORM_NOT_READABLE),
        ("application/x-www-form-urlencoded; charset=latin-1", FORM_NOT_UTF8_CHARSET),
    ],
)
def test_a_form_that_cannot_be_read_is_refused(
    webtest_app, db_session, member, content_type, sentence
):
    log_in(webtest_app, member)
    token = _csrf_token(webtest_app).encode()
    response = _post(webtest_app, b"csrf_token=" + token + b"&name=fine-name", content_type)
    _assert_refused(response, sentence)
    assert _count(db_session, "projects") == 0


def test_an_anonymous_post_that_is_not_text_is_refused_before_the_csrf_check(webtest_app):
    response = _post(webtest_app, b"username=a%00&password=x", address="/account/login/")
    _assert_refused(response, FORM_NUL)


def test_tabs_and_line_breaks_in_form_text_are_welcome(webtest_app, db_session, member):
    log_in(webtest_app, member)
    token = _csrf_token(webtest_app).encode()
    body = b"csrf_token=" + token + b"&name=Ada%09King%0D%0ALovelace"
    response = _post(webtest_app, body, address="/manage/account/")
    assert response.status_code == 303
    db_session.refresh(member)
    assert member.name == "Ada\tKing\r\nLovelace"


# Missing and repeated fields


def test_a_form_posted_with_only_its_csrf_token_is_refused_beside_the_field(
    webtest_app, db_session, member
):
    log_in(webtest_app, member)
    response = webtest_app.post(
        "/manage/account/", {"csrf_token": _csrf_token(webtest_app)}, status=400
    )
    assert field_error(response, "name") == MISSING_MESSAGE
    db_session.refresh(member)
    assert member.name == "Ada Lovelace"


def test_a_field_sent_twice_is_refused_beside_the_field(webtest_app, db_session, member):
    log_in(webtest_app, member)
    token = _csrf_token(webtest_app)
    response = webtest_app.post(
        "/manage/account/",
        [("csrf_token", token), ("name", "First"), ("name", "Second")],
        status=400,
    )
    assert field_error(response, "name") == REPEATED_MESSAGE
    db_session.refresh(member)
    assert member.name == "Ada Lovelace"


@pytest.mark.parametrize(
    ("address", "table"),
    [
        ("/manage/account/", "users"),
        ("/manage/account/password/", "users"),
        ("/manage/account/emails/add/", "user_emails"),
        ("/manage/account/delete/", "users"),
        ("/manage/projects/", "projects"),
        ("/manage/organizations/", "organization_applications"),
    ],
)
def test_every_account_form_posted_empty_is_a_400_that_changes_nothing(
    webtest_app, db_session, member, address, table
):
    log_in(webtest_app, member)
    before = _count(db_session, table)
    response = webtest_app.post(address, {"csrf_token": _csrf_token(webtest_app)}, status=400)
    assert MISSING_MESSAGE in response.text
    assert _count(db_session, table) == before


MESSAGES = "organization_application_messages"
STAFF_FORMS = [
    ("/admin/organizations/{organization}/", "organizations"),
    ("/admin/organizations/{organization}/rename/", "organization_name_catalog"),
    ("/admin/organizations/{organization}/add_role/", "organization_roles"),
    ("/admin/organizations/{organization}/update_role/{role}/", "organization_roles"),
    ("/admin/organizations/{organization}/delete_role/{role}/", "organization_roles"),
    ("/admin/organization_applications/{application}/decide/", MESSAGES),
]


@pytest.mark.parametrize(("address", "table"), STAFF_FORMS)
def test_every_staff_form_posted_empty_is_a_400_that_changes_nothing(
    webtest_app, db_session, staff, address, table
):
    role = OrganizationRoleFactory.create(organization__name="acme")
    application = OrganizationApplicationFactory.create()
    log_in(webtest_app, staff)
    before = _count(db_session, table)
    url = address.format(
        organization=role.organization.id, role=role.id, application=application.id
    )
    response = webtest_app.post(url, {"csrf_token": _csrf_token(webtest_app)}, status=400)
    assert MISSING_MESSAGE in response.text
    assert _count(db_session, table) == before
    db_session.expire_all()
    assert role.organization.name == "acme"
    assert role.role_name == OrganizationRoleType.Owner


@pytest.mark.parametrize(
    "address", ["/manage/account/emails/primary/", "/manage/account/emails/delete/"]
)
def test_an_address_button_posted_without_its_address_changes_nothing(
    webtest_app, db_session, member, address
):
    # A button with a hidden field has no field to show an error beside: it says so on the
    # account page instead.
    log_in(webtest_app, member)
    before = _count(db_session, "user_emails")
    response = webtest_app.post(address, {"csrf_token": _csrf_token(webtest_app)}, status=303)
    assert response.follow().html.select_one(".alert--error")
    assert _count(db_session, "user_emails") == before


@pytest.mark.parametrize("address", ["/account/login/", "/account/register/"])
def test_anonymous_forms_posted_empty_are_a_400(webtest_app, address):
    token = webtest_app.get(address).html.find("input", attrs={"name": "csrf_token"})["value"]
    response = webtest_app.post(address, {"csrf_token": token}, status=400)
    assert MISSING_MESSAGE in response.text


# Where ``next=`` leads


HOSTILE_NEXT = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\nSet-Cookie: a=b",
    "/%0Aa\n",
    " /manage/account/",
    "/manage/ account/",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "manage/projects/",
    "",
    "/" + "a" * 2000,
]
GOOD_NEXT = [
    ("/manage/projects/?page=2", "/manage/projects/?page=2"),
    ("/org/acme/", "/org/acme/"),
    ("/org/caf\u00e9/", "/org/caf%C3%A9/"),
]


def _log_in_with_next(app, user, next_value):
    """Log in through the real pages with ``next`` in the login form's body; the redirect
    after the second factor."""
    page = app.get("/account/login/")
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    response = app.post(
        "/account/login/",
        {"csrf_token": token, "username": user.username, "password": PASSWORD, "next": next_value},
        status=303,
    )
    two_factor = response.follow().forms["two-factor-form"]
    two_factor["totp_value"] = totp_code(user)
    return two_factor.submit(status=303)


def _location(response):
    parts = urlsplit(response.headers["Location"])
    assert parts.netloc == "localhost"
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize("next_value", HOSTILE_NEXT)
def test_a_hostile_next_after_login_ends_on_the_account_page(webtest_app, member, next_value):
    response = _log_in_with_next(webtest_app, member, next_value)
    assert _location(response) == "/manage/account/"


@pytest.mark.parametrize(("next_value", "expected"), GOOD_NEXT)
def test_a_path_on_this_site_is_followed_after_login(webtest_app, member, next_value, expected):
    response = _log_in_with_next(webtest_app, member, next_value)
    assert _location(response) == expected


@pytest.mark.parametrize("next_value", ["//evil.example", "/\\evil.example", "https://evil"])
def test_a_hostile_next_is_not_followed_when_already_logged_in(webtest_app, member, next_value):
    log_in(webtest_app, member)
    response = webtest_app.get("/account/login/", {"next": next_value}, status=303)
    assert _location(response) == "/manage/account/"


@pytest.mark.parametrize(
    ("next_value", "expected"),
    [
        ("//evil.example", "/manage/account/"),
        ("/\t/evil.example", "/manage/account/"),
        ("/manage/projects/?page=2", "/manage/projects/?page=2"),
    ],
)
def test_reauthentication_follows_only_a_path_on_this_site(
    webtest_app, member, next_value, expected
):
    log_in(webtest_app, member)
    page = webtest_app.get("/account/reauthenticate/")
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    response = webtest_app.post(
        "/account/reauthenticate/",
        {"csrf_token": token, "password": PASSWORD, "next": next_value},
        status=303,
    )
    assert _location(response) == expected


def test_a_body_larger_than_any_form_is_refused_before_it_is_read(webtest_app, db_session):
    response = webtest_app.post(
        "/account/login/",
        {"username": "x" * (MAX_BODY_BYTES + 1), "password": "p"},
        expect_errors=True,
    )
    assert response.status_int == 413
    assert "larger than 1024 KiB" in response.text
    assert "Too much data" in response.text


@pytest.mark.parametrize(
    "address", ["/manage/projects/", "/account/verify-email/", "/account/verify-organization-role/"]
)
def test_a_file_sent_where_a_form_expects_text_is_refused_and_changes_nothing(
    webtest_app, db_session, member, address
):
    log_in(webtest_app, member)
    token = _csrf_token(webtest_app).encode()
    body = (
        b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token + b"\r\n"
        b'--B\r\nContent-Disposition: form-data; name="name"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nfine-name\r\n--B--\r\n"
    )
    response = webtest_app.request(
        address,
        method="POST",
        body=body,
        content_type="multipart/form-data; boundary=B",
        expect_errors=True,
    )
    _assert_refused(response, FORM_FILE)
    assert _count(db_session, "projects") == 0
