"""A refused form is noticed: the page's title starts with "Error:", a summary above the content
takes the focus and links to each field that needs fixing, and each link lands on that field."""

import pytest
import wtforms

from tests.common.db.accounts import UserFactory
from tests.common.sessions import log_in
from warehouse_orgs.forms import Form, bounded


@pytest.fixture
def app(webtest_app, db_session):
    log_in(webtest_app, UserFactory.create(username="alice"))
    return webtest_app


def _summary_links(response) -> dict[str, str]:
    summary = response.html.find(id="error-summary")
    return {a["href"]: a.get_text(" ", strip=True) for a in summary.find_all("a")}


def test_a_refused_application_is_summarised_at_the_top_with_links_to_each_field(app):
    form = app.get("/manage/organizations/").forms["apply-form"]
    form["name"] = "-bad-"
    form["link_url"] = "ftp://example.com/"
    response = form.submit(status=400)

    assert response.html.title.get_text().startswith("Error: Your organizations")
    summary = response.html.find(id="error-summary")
    assert summary.has_attr("autofocus")
    assert summary["tabindex"] == "-1"
    assert summary["role"] == "alert"
    # It comes before the page's heading, so it is the first thing seen and heard.
    main = response.html.find("main")
    assert main.find(["div", "h1"], recursive=False)["id"] == "error-summary"

    links = _summary_links(response)
    assert "#name" in links
    assert links["#link_url"].startswith("Organization URL: Use an address")
    assert "#orgtype" in links  # a radio group: the link lands on its fieldset
    assert "#usage" in links
    # Every link lands on an element of the page, and it is the field with that error.
    for href in links:
        target = response.html.find(id=href[1:])
        assert target is not None, href
        assert response.html.find(id=f"{href[1:]}-error") is not None, href
    assert "problems with what you sent; nothing was changed." in summary.get_text(" ")


def test_a_page_without_a_refused_form_has_no_summary(app):
    page = app.get("/manage/organizations/")
    assert page.html.find(id="error-summary") is None
    assert not page.html.title.get_text().startswith("Error")


def test_a_refusal_of_the_whole_form_is_listed_without_a_link(webtest_app, db_session):
    UserFactory.create(username="alice")
    form = webtest_app.get("/account/login/").forms["login-form"]
    form["username"] = "alice"
    form["password"] = "not the password"
    response = form.submit(status=400)
    summary = response.html.find(id="error-summary")
    assert summary is not None
    assert response.html.title.get_text().startswith("Error: ")


class TwoFieldForm(Form):
    password = wtforms.StringField("Password", validators=[bounded(5)])


def test_an_id_prefix_keeps_two_forms_with_one_field_name_apart():
    first = TwoFieldForm(html_id_prefix="remove-totp")
    second = TwoFieldForm()
    assert first.password.id == "remove-totp-password"
    assert 'for="remove-totp-password"' in str(first.password.label)
    assert 'id="remove-totp-password"' in first.password()
    assert 'name="password"' in first.password()
    assert second.password.id == "password"


def test_on_a_page_of_several_password_forms_the_summary_links_to_the_one_refused(app):
    form = app.get("/manage/account/").forms["change-password-form"]
    form["password"] = "not my password"
    form["new_password"] = "a new long password"
    form["password_confirm"] = "a new long password"
    response = form.submit(status=400)
    links = _summary_links(response)
    assert list(links) == ["#change-current-password"]
    assert response.html.find(id="change-current-password")["name"] == "password"
    assert response.html.find(id="change-current-password-error") is not None
