"""A NUL character in any field is a clear 400 beside the field, never a 500.

PostgreSQL cannot store NUL in text, so a form that let one through would fail at the
database; the base Form refuses it before any other check (including ones that query)."""

import pytest
from sqlalchemy import func, select

from tests.common.db.accounts import UserFactory
from tests.common.pages import field_error
from tests.common.sessions import log_in
from warehouse_orgs.accounts.models import User
from warehouse_orgs.forms import NUL_MESSAGE


def test_account_name_with_nul_is_refused(webtest_app, db_session):
    user = UserFactory.create()
    log_in(webtest_app, user)
    form = webtest_app.get("/manage/account/").forms["save-account-form"]
    form["name"] = "bad\x00name"
    response = form.submit(status=400)
    assert field_error(response, "name") == NUL_MESSAGE
    db_session.refresh(user)
    assert "\x00" not in user.name


@pytest.mark.parametrize("field", ["username", "email", "full_name"])
def test_registration_with_nul_is_refused_before_any_lookup(webtest_app, db_session, field):
    form = webtest_app.get("/account/register/").forms["register-form"]
    values = {
        "username": "someone",
        "full_name": "Some One",
        "email": "someone@example.com",
        "new_password": "long enough password",
        "password_confirm": "long enough password",
    }
    values[field] = values[field][:3] + "\x00" + values[field][3:]
    for name, value in values.items():
        form[name] = value
    response = form.submit(status=400)
    assert field_error(response, field) == NUL_MESSAGE
    assert db_session.scalar(select(func.count()).select_from(User)) == 0


def test_login_with_nul_is_refused(webtest_app):
    form = webtest_app.get("/account/login/").forms["login-form"]
    form["username"] = "a\x00b"
    form["password"] = "whatever"
    assert field_error(form.submit(status=400), "username") == NUL_MESSAGE
