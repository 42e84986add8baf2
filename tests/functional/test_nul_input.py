"""A NUL character anywhere in a request is a clear 400, never a 500, and changes nothing.

PostgreSQL cannot store NUL in text, so input holding one would fail at the database. The
request guard (request_validation.py) refuses it in the path, the query string and form bodies
before any view runs; the base Form refuses it too, beside the field, for forms fed otherwise
(tests/unit/test_forms.py)."""

import pytest
from sqlalchemy import func, select

from tests.common.db.accounts import UserFactory
from tests.common.pages import main_text
from tests.common.sessions import log_in
from warehouse_orgs.accounts.models import User

FORM_NUL = "A field of the form contains a NUL character. Remove it and try again."


def test_account_name_with_nul_is_refused(webtest_app, db_session):
    user = UserFactory.create()
    log_in(webtest_app, user)
    form = webtest_app.get("/manage/account/").forms["save-account-form"]
    form["name"] = "bad\x00name"
    response = form.submit(status=400)
    assert FORM_NUL in main_text(response)
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
    assert FORM_NUL in main_text(response)
    assert db_session.scalar(select(func.count()).select_from(User)) == 0


def test_login_with_nul_is_refused(webtest_app):
    form = webtest_app.get("/account/login/").forms["login-form"]
    form["username"] = "a\x00b"
    form["password"] = "whatever"
    assert FORM_NUL in main_text(form.submit(status=400))


@pytest.mark.parametrize(
    "address",
    ["/org/a%00b/", "/project/a%00b/", "/organizations/?q=%00", "/account/login/?next=/%00"],
)
def test_nul_in_an_address_is_refused(webtest_app, address):
    response = webtest_app.get(address, status=400)
    assert "contains a NUL character" in main_text(response)


def test_nul_in_a_staff_search_is_refused(webtest_app, db_session):
    log_in(webtest_app, UserFactory.create(is_superuser=True))
    response = webtest_app.get("/admin/organizations/", {"q": "\x00"}, status=400)
    assert "contains a NUL character" in main_text(response)
