"""The SQL each account page costs, held to a fixed number."""

import pytest

from tests.common.db.accounts import PASSWORD, UserFactory
from tests.common.sessions import log_in


def test_two_factor_page_costs_a_fixed_number_of_statements(webtest_app, db_session):
    user = UserFactory.create()
    form = webtest_app.get("/account/login/").forms["login-form"]
    form["username"] = user.username
    form["password"] = PASSWORD
    form.submit(status=303)
    statements = webtest_app.get("/account/two-factor/").sql_statements
    # The session, and the half-logged-in user with their emails.
    assert len(statements) == 2


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # The session, the user with their emails.
        ("/account/logout/", 2),
        ("/account/reauthenticate/", 2),
        # ...and the new secret saved into the session until it is confirmed.
        ("/manage/account/totp-provision/", 3),
    ],
)
def test_signed_in_small_pages_cost_a_fixed_number(webtest_app, db_session, path, expected):
    log_in(webtest_app, UserFactory.create(without_two_factor=True))
    assert len(webtest_app.get(path).sql_statements) == expected
