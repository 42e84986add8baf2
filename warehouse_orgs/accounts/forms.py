import re
from typing import Any

import wtforms
from wtforms import validators

from warehouse_orgs.accounts.interfaces import EMAIL_TAKEN, USERNAME_TAKEN, IUserService
from warehouse_orgs.accounts.models import (
    EMAIL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
    USERNAME_PATTERN,
)
from warehouse_orgs.forms import (
    Form,
    bounded,
    new_password_field,
    password_confirm_field,
    password_field,
)

TOTP_MESSAGE = "Enter the 6-digit code from your authenticator app."


def username_field(label: str = "Username") -> wtforms.StringField:
    return wtforms.StringField(
        label,
        validators=[
            validators.InputRequired(message="Enter a username."),
            bounded(USERNAME_MAX_LENGTH),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


def email_field(label: str = "Email address") -> wtforms.EmailField:
    return wtforms.EmailField(
        label,
        validators=[
            validators.InputRequired(message="Enter an email address."),
            bounded(EMAIL_MAX_LENGTH),
            validators.Email(message="Enter a valid email address, like name@example.com."),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


def totp_field() -> wtforms.StringField:
    return wtforms.StringField(
        "Authentication code",
        validators=[
            validators.InputRequired(message=TOTP_MESSAGE),
            validators.Regexp(r"^ *([0-9] *){6}$", message=TOTP_MESSAGE),
        ],
    )


class UserServiceForm(Form):
    """A form whose validators look up accounts."""

    def __init__(self, formdata: Any = None, *, user_service: IUserService, **kwargs: Any):
        super().__init__(formdata, **kwargs)
        self.user_service = user_service

    def refuse_taken_email(self, field: wtforms.Field) -> None:
        if self.user_service.get_user_by_email(field.data) is not None:
            raise validators.ValidationError(EMAIL_TAKEN)


class RegistrationForm(UserServiceForm):
    username = username_field()
    full_name = wtforms.StringField("Full name (optional)", validators=[bounded(NAME_MAX_LENGTH)])
    email = email_field()
    new_password = new_password_field("Password")
    password_confirm = password_confirm_field()

    def validate_username(self, field: wtforms.Field) -> None:
        if not re.match(USERNAME_PATTERN, field.data, flags=re.IGNORECASE):
            raise validators.ValidationError(
                "Use letters, numbers, and . _ - between them; start and end with a letter or "
                "number."
            )
        if self.user_service.get_user_by_username(field.data) is not None:
            raise validators.ValidationError(USERNAME_TAKEN)

    validate_email = UserServiceForm.refuse_taken_email


class LoginForm(Form):
    username = username_field()
    password = password_field()


class TwoFactorForm(Form):
    totp_value = totp_field()


class RecoveryCodeForm(Form):
    recovery_code_value = wtforms.StringField(
        "Recovery code",
        validators=[
            validators.InputRequired(message="Enter one of your recovery codes."),
            bounded(64),
        ],
    )


class RequestPasswordResetForm(Form):
    # A username or any address on the account; an address is the longer of the two.
    username_or_email = wtforms.StringField(
        "Username or email address",
        validators=[
            validators.InputRequired(message="Enter your username or email address."),
            bounded(max(USERNAME_MAX_LENGTH, EMAIL_MAX_LENGTH)),
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


class ResetPasswordForm(Form):
    new_password = new_password_field()
    password_confirm = password_confirm_field()


class ReauthenticateForm(Form):
    password = password_field()


class SaveAccountForm(Form):
    name = wtforms.StringField("Full name", validators=[bounded(NAME_MAX_LENGTH)])


class PublicTeamProjectsForm(Form):
    public_team_projects = wtforms.BooleanField(
        "List me on the public page of each project I maintain through a team"
    )


class ChangePasswordForm(Form):
    password = password_field("Current password")
    new_password = new_password_field()
    password_confirm = password_confirm_field()


class AddEmailForm(UserServiceForm):
    email = email_field()

    validate_email = UserServiceForm.refuse_taken_email


class EmailChoiceForm(Form):
    email_id = wtforms.StringField(validators=[validators.InputRequired(), bounded(36)])


class PasswordConfirmationForm(Form):
    password = password_field()


class DeleteAccountForm(Form):
    confirm_username = wtforms.StringField(
        "Your username",
        validators=[
            validators.InputRequired(message="Type your username to confirm."),
            bounded(USERNAME_MAX_LENGTH),
        ],
    )
    password = password_field()
