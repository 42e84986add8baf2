"""Logging in through the real pages, as a person would."""

from typing import Any

from sqlalchemy import text

from tests.common.db.accounts import PASSWORD, totp_code
from warehouse_orgs.accounts.models import User


def log_in(app: Any, user: User, password: str = PASSWORD, *, step_offset: int = 0) -> Any:
    """Log ``user`` in with their password and, if they have it, a TOTP code.

    Each accepted code's time step is used up, so a second login in the same test passes
    ``step_offset=1`` to use the next code.
    """
    form = app.get("/account/login/").forms["login-form"]
    form["username"] = user.username
    form["password"] = password
    response = form.submit(status=303)
    if user.totp_secret is not None:
        page = response.follow()
        for extra_step in (0, 1):
            two_factor = page.forms["two-factor-form"]
            two_factor["totp_value"] = totp_code(user, step_offset + extra_step)
            response = two_factor.submit(status=[303, 400])
            if response.status_int == 303:
                break
            # A second login in one test was refused once in CI (the code's step judged as
            # already spent, cause not pinned down; a clock resynchronised backwards would do
            # it). The next step is still inside the server's window, so try that once.
            page = response
        assert response.status_int == 303, "the two-factor code was refused twice"
    return response.follow()


def log_in_browser(page: Any, base_url: str, user: User, password: str = PASSWORD) -> None:
    """The same, in a Playwright page: fill the forms and press the buttons."""
    page.goto(base_url + "/account/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if user.totp_secret is not None:
        page.get_by_label("Authentication code").fill(totp_code(user))
        page.get_by_role("button", name="Verify").click()
    # Where a login lands depends on the person (their organizations, or their account):
    # done once the browser has left the login steps.
    page.wait_for_url(
        lambda url: (
            url.startswith(base_url) and not url.removeprefix(base_url).startswith("/account/")
        )
    )


def make_authentication_stale(db_session: Any) -> None:
    """As if every signed-in browser last typed its password an hour ago."""
    db_session.execute(
        text(
            "UPDATE browser_sessions SET data = jsonb_set(data, '{auth.time}', "
            "to_jsonb(extract(epoch FROM now()) - 3600))"
        )
    )
