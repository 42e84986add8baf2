"""Form base class and the field rules every form shares.

Every field is bounded; a form that fails validation is re-rendered with status 400 and the
errors next to their fields. CSRF is not a form concern here: Pyramid checks it for every
unsafe request before a view runs.
"""

from typing import Any

import wtforms
from wtforms import validators

PASSWORD_MIN_LENGTH = 8
# Long enough for any passphrase, short enough that hashing it cannot be used to load the server.
PASSWORD_MAX_LENGTH = 1024


def bounded(maximum: int) -> validators.Length:
    """Every text field has an upper bound, with a message a person understands."""
    return validators.Length(max=maximum, message=f"Use at most {maximum} characters.")


class Form(wtforms.Form):
    def __init__(self, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)

    @property
    def first_error(self) -> str | None:
        for errors in self.errors.values():
            if errors:
                return errors[0]
        return None


def password_field(label: str = "Password") -> wtforms.PasswordField:
    return wtforms.PasswordField(
        label,
        validators=[
            validators.InputRequired(message="Enter your password."),
            bounded(PASSWORD_MAX_LENGTH),
        ],
    )


def new_password_field(label: str = "New password") -> wtforms.PasswordField:
    return wtforms.PasswordField(
        label,
        validators=[
            validators.InputRequired(message="Choose a password."),
            validators.Length(
                min=PASSWORD_MIN_LENGTH,
                message=f"Use at least {PASSWORD_MIN_LENGTH} characters.",
            ),
            bounded(PASSWORD_MAX_LENGTH),
        ],
    )


def password_confirm_field() -> wtforms.PasswordField:
    return wtforms.PasswordField(
        "Confirm password",
        validators=[
            validators.InputRequired(message="Type the password again."),
            validators.EqualTo("new_password", message="The two passwords do not match."),
        ],
    )
