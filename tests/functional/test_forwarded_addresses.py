"""Behind a proxy: the real client's address, scheme and host, only when the proxy proves itself.

The app here sits behind a proxy at 10.0.0.1: every connection comes from that address, and
the proxy appends the address it saw to X-Forwarded-For. A client can send an X-Forwarded-For
of its own, which the proxy keeps on the left.
"""

from typing import Any

import pytest
import webtest
from pyramid.exceptions import ConfigurationError

from tests.common.db.accounts import UserFactory
from tests.common.events import events_of
from tests.common.pages import main_text
from warehouse_orgs.config import read_settings
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.forwarded import PROXY_SECRET_HEADER, apply_forwarded_headers

PROXY_ADDRESS = "10.0.0.1"
SECRET = "a-secret-shared-with-the-cdn-0123456789"
CLIENT = "203.0.113.7"
OTHER_CLIENT = "203.0.113.8"


def _proxied(client: str, *, secret: str | None = SECRET, **extra: str) -> dict[str, str]:
    """The headers the proxy sends for ``client``; the client itself claimed 198.51.100.1."""
    headers = {"X-Forwarded-For": f"198.51.100.1, {client}", **extra}
    if secret is not None:
        headers[PROXY_SECRET_HEADER] = secret
    return headers


@pytest.fixture
def behind_proxy(make_app_config, tmp_path) -> Any:
    def make(**settings: Any) -> webtest.TestApp:
        config = make_app_config(**{"proxy.secret": SECRET, "mail.path": str(tmp_path), **settings})
        return webtest.TestApp(config.make_wsgi_app(), extra_environ={"REMOTE_ADDR": PROXY_ADDRESS})

    return make


def _fail_login(app: webtest.TestApp, username: str, headers: dict[str, str], status: int = 400):
    form = app.get("/account/login/", headers=headers).forms["login-form"]
    form["username"] = username
    form["password"] = "not the password"
    return form.submit(headers=headers, status=status)


def _last_event_address(db_session, user) -> str:
    (event,) = [e for e in events_of(db_session, user) if e.tag == EventTag.AccountLoginFailure]
    return str(event.ip_address)


def test_events_record_the_client_the_trusted_proxy_saw(behind_proxy, db_session):
    user = UserFactory.create()
    _fail_login(behind_proxy(), user.username, _proxied(CLIENT))
    # The right-most entry, which the proxy added; never the one the client wrote.
    assert _last_event_address(db_session, user) == CLIENT


@pytest.mark.parametrize(
    "secret",
    [None, "", "a-secret-shared-with-the-cdn-012345678X", SECRET[:-1], SECRET + "0"],
    ids=["missing", "empty", "wrong", "prefix", "longer"],
)
def test_without_the_secret_forwarded_headers_are_ignored(behind_proxy, db_session, secret):
    user = UserFactory.create()
    _fail_login(behind_proxy(), user.username, _proxied(CLIENT, secret=secret))
    assert _last_event_address(db_session, user) == PROXY_ADDRESS


def test_an_app_without_a_proxy_secret_trusts_no_header(webtest_app, db_session):
    user = UserFactory.create()
    headers = _proxied(CLIENT, secret=SECRET)
    form = webtest_app.get("/account/login/").forms["login-form"]
    form["username"], form["password"] = user.username, "wrong"
    form.submit(headers=headers, status=400)
    assert _last_event_address(db_session, user) == "192.0.2.10"


def test_each_client_behind_the_proxy_has_its_own_login_limit(behind_proxy):
    app = behind_proxy(**{"ratelimit.login.ip": "3 per 5 minutes"})
    for n in range(3):
        _fail_login(app, f"someone{n}", _proxied(CLIENT))
    limited = _fail_login(app, "someone-else", _proxied(CLIENT), status=429)
    assert "Too many failed attempts" in main_text(limited)
    # Writing another address into X-Forwarded-For does not get the client out of its bucket.
    _fail_login(
        app,
        "someone-else",
        _proxied(CLIENT, **{"X-Forwarded-For": f"192.0.2.99, {CLIENT}"}),
        status=429,
    )
    # Someone else behind the same proxy is not locked out by it.
    _fail_login(app, "someone-else", _proxied(OTHER_CLIENT), status=400)


def test_without_the_secret_everyone_behind_the_proxy_shares_one_limit(behind_proxy):
    """What the secret prevents: the proxy's own address is the only bucket there is."""
    app = behind_proxy(**{"ratelimit.login.ip": "3 per 5 minutes"})
    for n in range(3):
        _fail_login(app, f"someone{n}", _proxied(CLIENT, secret=None))
    _fail_login(app, "someone-else", _proxied(OTHER_CLIENT, secret=None), status=429)


def test_links_use_the_scheme_and_host_the_visitor_used(behind_proxy):
    app = behind_proxy()
    original = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "orgs.example.org"}
    trusted = app.get("/_probe/forbidden/", headers=_proxied(CLIENT, **original), status=303)
    assert trusted.location.startswith("https://orgs.example.org/account/login/")
    untrusted = app.get(
        "/_probe/forbidden/", headers=_proxied(CLIENT, secret=None, **original), status=303
    )
    assert untrusted.location.startswith("http://localhost/account/login/")


def test_a_bad_value_from_the_proxy_keeps_the_connection_address(behind_proxy, db_session):
    user = UserFactory.create()
    headers = {"X-Forwarded-For": "not-an-address", PROXY_SECRET_HEADER: SECRET}
    _fail_login(behind_proxy(), user.username, headers)
    assert _last_event_address(db_session, user) == PROXY_ADDRESS


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("1.1.1.1,203.0.113.7", "203.0.113.7"),
        ("203.0.113.7:4711", "203.0.113.7"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:DB8::1]:443", "2001:db8::1"),
        ("203.0.113.7, ", PROXY_ADDRESS),
        ("203.0.113.7, evil", PROXY_ADDRESS),
    ],
)
def test_forwarded_for_entries_the_proxy_may_write(forwarded_for, expected):
    environ = {
        "REMOTE_ADDR": PROXY_ADDRESS,
        "HTTP_X_FORWARDED_FOR": forwarded_for,
        "HTTP_X_PROXY_SECRET": SECRET,
    }
    apply_forwarded_headers(environ, SECRET)
    assert environ["REMOTE_ADDR"] == expected


@pytest.mark.parametrize("secret", [SECRET, None])
def test_forwarded_headers_and_the_secret_never_reach_the_app(secret):
    """Whether honoured or not, they are gone, so WebOb's client_addr or a log cannot read a
    value the client made up, and the secret appears in no error report."""
    environ = {
        "REMOTE_ADDR": PROXY_ADDRESS,
        "HTTP_HOST": "localhost",
        "HTTP_X_PROXY_SECRET": SECRET,
        "HTTP_X_FORWARDED_FOR": CLIENT,
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "evil.example, orgs.example.org",
        "HTTP_X_REAL_IP": "198.51.100.1",
        "HTTP_FORWARDED": "for=198.51.100.1",
        "HTTP_X_FORWARDED_PORT": "8443",
    }
    apply_forwarded_headers(environ, secret)
    assert not [
        key
        for key in environ
        if "FORWARDED" in key or key in {"HTTP_X_REAL_IP", "HTTP_X_PROXY_SECRET"}
    ]
    if secret:
        assert (environ["REMOTE_ADDR"], environ["wsgi.url_scheme"], environ["HTTP_HOST"]) == (
            CLIENT,
            "https",
            "orgs.example.org",
        )
    else:
        assert (environ["REMOTE_ADDR"], environ["HTTP_HOST"]) == (PROXY_ADDRESS, "localhost")
        assert "wsgi.url_scheme" not in environ


@pytest.mark.parametrize("host", ["evil.example/path", "a b", "exa mple.org", "x" * 300, "@evil"])
def test_a_host_that_is_not_a_host_name_is_not_used(host):
    environ = {
        "HTTP_HOST": "localhost",
        "HTTP_X_FORWARDED_HOST": host,
        "HTTP_X_PROXY_SECRET": SECRET,
    }
    apply_forwarded_headers(environ, SECRET)
    assert environ["HTTP_HOST"] == "localhost"


def test_proxy_secret_comes_from_the_environment():
    settings = read_settings(
        {"database.url": "postgresql://h/db", "sessions.secret": "s", "token.secret": "t"},
        environ={"WAREHOUSE_ORGS_ENV": "development", "PROXY_SECRET": SECRET},
    )
    assert settings["proxy.secret"] == SECRET


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("short-secret", "PROXY_SECRET is shorter than 32 characters"),
        ("insecure-" + "x" * 40, "PROXY_SECRET is a development secret"),
    ],
)
def test_production_refuses_a_weak_proxy_secret(secret, problem):
    production = {
        "warehouse_orgs.env": "production",
        "database.url": "postgresql://h/db",
        "sessions.secret": "s" * 40,
        "token.secret": "t" * 40,
        "mail.backend": "warehouse_orgs.email.services.SMTPEmailSender",
        "billing.backend": "warehouse_orgs.subscriptions.billing.StripeBillingService",
        "billing.secret_key": "sk_live_example",
        "billing.webhook_secret": "whsec_example",
    }
    with pytest.raises(ConfigurationError, match=problem):
        read_settings({**production, "proxy.secret": secret}, environ={})
    # Without one, production runs: not every deployment has a proxy in front.
    assert "proxy.secret" not in read_settings(production, environ={})
