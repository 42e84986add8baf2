"""Forms for one organization's settings, people and the invitation answer page."""

import re
from typing import Any

import wtforms
from wtforms import validators

from warehouse_orgs.accounts.models import USERNAME_MAX_LENGTH
from warehouse_orgs.forms import Form, bounded
from warehouse_orgs.organizations.models import (
    DESCRIPTION_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    LINK_URL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    OrganizationType,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType

# A UUID's text form.
ID_LENGTH = 36
DECLINE_MESSAGE_MAX_LENGTH = 400


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def role_choices(orgtype: str) -> list[str]:
    """Billing Manager exists only in Company organizations."""
    return [
        role.value
        for role in OrganizationRoleType
        if role != OrganizationRoleType.BillingManager or orgtype == OrganizationType.Company
    ]


def _id_field(message: str) -> wtforms.StringField:
    return wtforms.StringField(
        validators=[validators.InputRequired(message=message), bounded(ID_LENGTH)],
        filters=[_strip],
    )


class OrganizationDetailsForm(Form):
    display_name = wtforms.StringField(
        "Display name",
        validators=[
            validators.InputRequired(message="Enter a display name."),
            bounded(DISPLAY_NAME_MAX_LENGTH),
        ],
        filters=[_strip],
    )
    link_url = wtforms.URLField(
        "Website",
        validators=[
            validators.InputRequired(message="Enter the organization's website."),
            bounded(LINK_URL_MAX_LENGTH),
        ],
        filters=[_strip],
    )
    description = wtforms.TextAreaField(
        "Description",
        validators=[
            validators.InputRequired(message="Describe the organization."),
            bounded(DESCRIPTION_MAX_LENGTH),
        ],
        filters=[_strip],
    )
    orgtype = wtforms.SelectField(
        "Type",
        choices=[t.value for t in OrganizationType],
        validators=[validators.InputRequired(message="Choose a type.")],
        validate_choice=True,
    )

    def __init__(self, formdata: Any = None, *, current_orgtype: str, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.current_orgtype = current_orgtype
        if current_orgtype == OrganizationType.Company:
            self.orgtype.choices = [OrganizationType.Company.value]
            # validate_orgtype says why; "Not a valid choice" would not.
            self.orgtype.validate_choice = False

    def validate_link_url(self, field: wtforms.Field) -> None:
        if not re.match(r"^https?://[^\s/]+", field.data or "", flags=re.IGNORECASE):
            raise validators.ValidationError("Use an address starting with http:// or https://.")

    def validate_orgtype(self, field: wtforms.Field) -> None:
        if (
            self.current_orgtype == OrganizationType.Company
            and field.data != OrganizationType.Company
        ):
            raise validators.ValidationError(
                "A Company organization cannot become a Community one."
            )


class DeleteOrganizationForm(Form):
    confirm_organization_name = wtforms.StringField(
        "Organization name",
        validators=[
            validators.InputRequired(message="Type the organization's name to confirm."),
            bounded(NAME_MAX_LENGTH),
        ],
        filters=[_strip],
    )


class InviteMemberForm(Form):
    username = wtforms.StringField(
        "Username",
        validators=[
            validators.InputRequired(message="Enter a username."),
            bounded(USERNAME_MAX_LENGTH),
        ],
        filters=[_strip],
    )
    role_name = wtforms.SelectField(
        "Role",
        validators=[validators.InputRequired(message="Choose a role.")],
        validate_choice=True,
    )

    def __init__(self, formdata: Any = None, *, orgtype: str, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.role_name.choices = role_choices(orgtype)


class ChangeMemberRoleForm(Form):
    role_id = _id_field("Choose a member.")
    role_name = wtforms.SelectField(
        "Role",
        validators=[validators.InputRequired(message="Choose a role.")],
        validate_choice=True,
    )

    def __init__(self, formdata: Any = None, *, orgtype: str, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.role_name.choices = role_choices(orgtype)


class RemoveMemberForm(Form):
    role_id = _id_field("Choose a member.")


class InvitationForm(Form):
    invitation_id = _id_field("Choose an invitation.")


class DeclineInvitationForm(Form):
    message = wtforms.TextAreaField(
        "Message to the owners (optional)",
        validators=[validators.Optional(), bounded(DECLINE_MESSAGE_MAX_LENGTH)],
        filters=[_strip],
    )
