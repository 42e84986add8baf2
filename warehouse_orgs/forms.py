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


NUL_MESSAGE = "Remove the NUL character."


def _holds_nul(data: Any) -> bool:
    values = data if isinstance(data, list | tuple) else [data]
    return any(isinstance(value, str) and "\x00" in value for value in values)


class Form(wtforms.Form):
    def __init__(self, formdata: Any = None, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)

    def validate(self, extra_validators: Any = None) -> bool:
        # PostgreSQL cannot store a NUL character in text, and a validator that looks a value up
        # would fail on it; so every form refuses NUL first, before any other check runs.
        with_nul = [field for field in self if _holds_nul(field.data)]
        for field in with_nul:
            field.errors = [NUL_MESSAGE]
        if with_nul:
            return False
        return super().validate(extra_validators)

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
