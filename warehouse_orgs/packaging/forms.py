"""Forms for creating and deleting projects and for their collaborators."""

import re

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.accounts.forms import username_field
from warehouse_orgs.accounts.models import USERNAME_MAX_LENGTH
from warehouse_orgs.confirmation import confirmation_field
from warehouse_orgs.forms import Form, bounded
from warehouse_orgs.packaging.models import (
    PROJECT_NAME_MAX_LENGTH,
    PROJECT_NAME_PATTERN,
    ProjectRoleName,
)

ROLE_CHOICES = [role.value for role in ProjectRoleName]
# A UUID's text form.
ROLE_ID_LENGTH = 36


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def role_name_field(*, chosen_by_default: bool = True) -> wtforms.SelectField:
    """A new collaborator's picker starts empty (``chosen_by_default=False``), so nobody becomes
    an Owner because the first option was left as it was."""
    choices: list[str | SelectChoice] = list(ROLE_CHOICES)
    if not chosen_by_default:
        choices.insert(0, SelectChoice("", "Choose a role"))
    return wtforms.SelectField(
        "Role",
        choices=choices,
        validators=[validators.InputRequired(message="Choose a role.")],
        validate_choice=True,
    )


def role_id_field() -> wtforms.StringField:
    return wtforms.StringField(
        validators=[
            validators.InputRequired(message="Choose a collaborator."),
            bounded(ROLE_ID_LENGTH),
        ]
    )


class CreateProjectForm(Form):
    name = wtforms.StringField(
        "Project name",
        validators=[
            validators.InputRequired(message="Enter a project name."),
            bounded(PROJECT_NAME_MAX_LENGTH),
        ],
        filters=[_strip],
    )

    def validate_name(self, field: wtforms.Field) -> None:
        if not re.match(PROJECT_NAME_PATTERN, field.data, flags=re.IGNORECASE):
            raise validators.ValidationError(
                "Use letters, numbers, and . _ - between them; start and end with a letter or "
                "number."
            )


class DeleteProjectForm(Form):
    confirm_project_name = wtforms.StringField(
        "Project name",
        validators=[
            validators.InputRequired(message="Type the project's name to confirm."),
            bounded(PROJECT_NAME_MAX_LENGTH),
        ],
        filters=[_strip],
    )


class AddRoleForm(Form):
    username = username_field()
    role_name = role_name_field(chosen_by_default=False)


class ChangeRoleForm(Form):
    role_id = role_id_field()
    role_name = role_name_field()


class RemoveRoleForm(Form):
    role_id = role_id_field()
    confirm_username = confirmation_field("Their username", USERNAME_MAX_LENGTH)
