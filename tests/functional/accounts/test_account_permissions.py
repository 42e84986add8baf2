"""Who may open each account page: anonymous visitors, ordinary users and every staff group.

Account pages are the one place a user without a verified email or two-factor authentication
may act: that is how they get both.
"""

import pytest

from tests.common.db.accounts import UserFactory
from tests.common.sessions import log_in

ACCOUNT_PAGES = [
    "/manage/account/",
    "/manage/account/totp-provision/",
    "/account/reauthenticate/",
    "/account/logout/",
]
KINDS = {
    "ordinary": {},
    "no-two-factor": {"without_two_factor": True},
    "admin": {"is_superuser": True},
    "support": {"is_support": True},
    "moderator": {"is_moderator": True},
    "psf-staff": {"is_psf_staff": True},
}


@pytest.mark.parametrize("path", ACCOUNT_PAGES[:3])
def test_anonymous_visitors_are_sent_to_log_in(webtest_app, path):
    response = webtest_app.get(path, status=303)
    assert response.location.startswith("http://localhost/account/login/?next=")


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("path", ACCOUNT_PAGES)
def test_every_signed_in_user_may_look_after_their_account(webtest_app, db_session, kind, path):
    user = UserFactory.create(**KINDS[kind])
    log_in(webtest_app, user)
    response = webtest_app.get(path)
    if path == "/manage/account/totp-provision/" and user.has_two_factor:
        # Already on: sent back to the account page, which says so.
        assert response.status_int == 303
        assert response.location == "http://localhost/manage/account/"
    else:
        assert response.status_int == 200


@pytest.mark.parametrize(
    "path",
    [
        "/manage/account/",
        "/manage/account/password/",
        "/manage/account/emails/add/",
        "/manage/account/emails/primary/",
        "/manage/account/emails/delete/",
        "/manage/account/totp-remove/",
        "/manage/account/recovery-codes/",
        "/manage/account/delete/",
        "/manage/account/totp-provision/",
        "/account/reauthenticate/",
    ],
)
def test_anonymous_posts_are_refused(webtest_app, path):
    response = webtest_app.post(path, {"csrf_token": "x"}, status=403)
    assert "Log in to do this." in response.text


@pytest.mark.parametrize(
    "path",
    ["/", "/account/login/", "/account/register/", "/manage/account/", "/account/two-factor/"],
)
def test_security_headers_on_account_pages(webtest_app, db_session, path):
    if path == "/manage/account/":
        log_in(webtest_app, UserFactory.create())
    response = webtest_app.get(path, expect_errors=True)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
