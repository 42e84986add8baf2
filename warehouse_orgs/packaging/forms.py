"""Forms for creating and deleting projects and for their collaborators."""

import re

import wtforms
from wtforms import validators

from warehouse_orgs.accounts.forms import username_field
from warehouse_orgs.accounts.models import USERNAME_MAX_LENGTH
from warehouse_orgs.confirmation import confirmation_field
from warehouse_orgs.forms import Form, bounded, role_picker, strip
from warehouse_orgs.packaging.models import (
    PROJECT_NAME_MAX_LENGTH,
    PROJECT_NAME_PATTERN,
    ProjectRoleName,
)

ROLE_CHOICES = [role.value for role in ProjectRoleName]
# A UUID's text form.
ROLE_ID_LENGTH = 36


def role_name_field(*, chosen_by_default: bool = True) -> wtforms.SelectField:
    return role_picker(ROLE_CHOICES, chosen_by_default=chosen_by_default)


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
        filters=[strip],
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
        filters=[strip],
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
