"""Where a login ends: where the person was going, else their organizations or account."""

from sqlalchemy import func, update

from tests.common.db.accounts import PASSWORD, UserFactory, totp_code
from tests.common.db.organizations import OrganizationRoleFactory
from tests.common.pages import field_error
from tests.common.permission_world import RECOVERY_CODE
from warehouse_orgs.accounts.models import RecoveryCode
from warehouse_orgs.accounts.services import hash_secret


def password_step(app, user, query=""):
    form = app.get("/account/login/" + query).forms["login-form"]
    form["username"], form["password"] = user.username, PASSWORD
    return form.submit(status=303)


def code_step(app, user, query=""):
    page = password_step(app, user, query).follow()
    form = page.forms["two-factor-form"]
    form["totp_value"] = totp_code(user)
    return form.submit(status=303)


def test_a_member_of_an_organization_lands_on_their_organizations(webtest_app):
    role = OrganizationRoleFactory.create()
    assert code_step(webtest_app, role.user).location == "http://localhost/manage/organizations/"


def test_someone_without_an_organization_lands_on_their_account(webtest_app):
    user = UserFactory.create()
    assert code_step(webtest_app, user).location == "http://localhost/manage/account/"


def test_a_member_without_two_factor_lands_on_the_account_page_that_says_what_to_do(
    webtest_app,
):
    role = OrganizationRoleFactory.create(user=UserFactory.create(without_two_factor=True))
    done = password_step(webtest_app, role.user)
    assert done.location == "http://localhost/manage/account/"
    assert "Set up two-factor authentication" in done.follow().text


def test_next_wins_over_the_landing_through_the_code_step(webtest_app):
    role = OrganizationRoleFactory.create()
    done = code_step(webtest_app, role.user, "?next=/manage/projects/")
    assert done.location == "http://localhost/manage/projects/"


def test_next_is_carried_through_the_recovery_code_step(webtest_app, db_session):
    role = OrganizationRoleFactory.create()
    db_session.add(RecoveryCode(user_id=role.user.id, code_hash=hash_secret(RECOVERY_CODE)))
    db_session.flush()
    page = password_step(webtest_app, role.user, "?next=/manage/projects/").follow()
    recovery = page.click("Use a recovery code")
    assert recovery.request.query_string == "next=%2Fmanage%2Fprojects%2F"
    form = recovery.forms["recovery-code-form"]
    form["recovery_code_value"] = RECOVERY_CODE
    assert form.submit(status=303).location == "http://localhost/manage/projects/"


def test_without_next_no_empty_next_is_carried(webtest_app):
    user = UserFactory.create()
    step = password_step(webtest_app, user)
    assert step.location == "http://localhost/account/two-factor/"
    page = step.follow()
    assert page.forms["two-factor-form"].action == "/account/two-factor/"


def test_an_unsafe_next_falls_back_to_the_landing(webtest_app):
    role = OrganizationRoleFactory.create()
    done = code_step(webtest_app, role.user, "?next=//evil.example/")
    assert done.location == "http://localhost/manage/organizations/"


def test_a_refused_code_is_explained_in_words(webtest_app):
    user = UserFactory.create()
    page = password_step(webtest_app, user).follow()
    form = page.forms["two-factor-form"]
    form["totp_value"] = "000000" if totp_code(user) != "000000" else "111111"
    refused = form.submit(status=400)
    assert field_error(refused, "totp_value") == (
        "That code is not right or has been used. Enter the current 6-digit code from your "
        "authenticator app."
    )
    assert "totp" not in refused.html.find("main").get_text().lower()


def test_no_recovery_codes_left_is_a_warning_with_a_way_to_new_ones(webtest_app, db_session):
    user = UserFactory.create()
    db_session.add(RecoveryCode(user_id=user.id, code_hash=hash_secret(RECOVERY_CODE)))
    db_session.flush()
    done = code_step(webtest_app, user).follow()
    assert done.html.find(id="no-recovery-codes") is None
    assert "You have 1 unused recovery code," in done.text

    db_session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id).values(burned=func.now())
    )
    page = webtest_app.get("/manage/account/")
    warning = page.html.find(id="no-recovery-codes")
    assert "You have no recovery codes left" in warning.get_text()
    link = warning.find("a", string="Generate new recovery codes")
    assert link["href"] == "#recovery-codes-heading"
    assert page.html.find(id="recovery-codes-heading") is not None
    assert "0 unused" not in page.text
