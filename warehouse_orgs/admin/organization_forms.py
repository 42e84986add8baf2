"""Forms of the staff pages for one organization: details, rename, and roles."""

import re
from typing import Any

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.accounts.models import USERNAME_MAX_LENGTH
from warehouse_orgs.forms import Form, bounded, strip
from warehouse_orgs.organizations.forms import OrganizationDetailsFields, role_choices
from warehouse_orgs.organizations.models import (
    NAME_MAX_LENGTH,
    NAME_PATTERN,
    NAME_RULE,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType

ROLE_PLACEHOLDER = SelectChoice("", "Choose a role")


def role_choices_for(orgtype: str, *, placeholder: bool) -> list[SelectChoice]:
    """The roles an organization of this type can have; with ``placeholder`` first an empty
    choice, so that nobody is made Owner because they did not look at the picker."""
    roles = [SelectChoice(role) for role in role_choices(orgtype)]
    return [ROLE_PLACEHOLDER, *roles] if placeholder else roles


def _role_field(*, placeholder: bool = False) -> wtforms.SelectField:
    roles = [SelectChoice(role.value) for role in OrganizationRoleType]
    return wtforms.SelectField(
        "Role",
        choices=[ROLE_PLACEHOLDER, *roles] if placeholder else roles,
        default="",
        validators=[validators.DataRequired(message="Choose a role.")],
        validate_choice=True,
    )


def _username_field(label: str, message: str) -> wtforms.StringField:
    return wtforms.StringField(
        label,
        validators=[validators.DataRequired(message=message), bounded(USERNAME_MAX_LENGTH)],
        filters=[strip],
    )


class AdminOrganizationDetailsForm(OrganizationDetailsFields):
    """Staff edit the same details; the service refuses Company to Community with a 409.
    Community to Company starts billing the organization, so it needs a tick as well."""


class RenameOrganizationForm(Form):
    new_organization_name = wtforms.StringField(
        "New name",
        validators=[
            validators.DataRequired(message="Enter the new name."),
            bounded(NAME_MAX_LENGTH),
            validators.Regexp(
                NAME_PATTERN,
                flags=re.IGNORECASE,
                message=NAME_RULE,
            ),
        ],
        filters=[strip],
    )
    confirm_organization_name = wtforms.StringField(
        "Current name, to confirm",
        validators=[
            validators.DataRequired(message="Type the current name to confirm."),
            bounded(NAME_MAX_LENGTH),
        ],
        filters=[strip],
    )

    def __init__(self, formdata: Any = None, *, current_name: str, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.current_name = current_name

    def validate_confirm_organization_name(self, field: wtforms.Field) -> None:
        if field.data != self.current_name:
            raise validators.ValidationError(f"Type {self.current_name} exactly to confirm.")


class AddRoleForm(Form):
    username = _username_field("Username", "Enter a username.")
    role_name = _role_field(placeholder=True)


class UpdateRoleForm(Form):
    role_name = _role_field()


class DeleteRoleForm(Form):
    username = _username_field("Username, to confirm", "Type the member's username to confirm.")

    def __init__(self, formdata: Any = None, *, expected_username: str, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.expected_username = expected_username

    def validate_username(self, field: wtforms.Field) -> None:
        if field.data != self.expected_username:
            raise validators.ValidationError(f"Type {self.expected_username} exactly to confirm.")
