"""Forms for one organization's settings, people and the invitation answer page."""

from typing import Any

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.accounts.models import EMAIL_MAX_LENGTH, USERNAME_MAX_LENGTH
from warehouse_orgs.confirmation import confirmation_field
from warehouse_orgs.forms import Form, bounded, strip
from warehouse_orgs.organizations.forms import OrganizationDetailsFields, role_choices
from warehouse_orgs.organizations.models import (
    NAME_MAX_LENGTH,
    OrganizationType,
)

# A UUID's text form.
ID_LENGTH = 36
DECLINE_MESSAGE_MAX_LENGTH = 400
# The empty first choice of a role picker: no role is chosen for anyone until they choose one.
NO_ROLE_CHOICE = SelectChoice("", "Choose a role")


def _id_field(message: str) -> wtforms.StringField:
    return wtforms.StringField(
        validators=[validators.InputRequired(message=message), bounded(ID_LENGTH)],
        filters=[strip],
    )


class OrganizationDetailsForm(OrganizationDetailsFields):
    """Owners' form: a Company organization cannot turn back into a Community one."""

    def __init__(self, formdata: Any = None, *, current_orgtype: str, **kwargs: Any) -> None:
        super().__init__(formdata, current_orgtype=current_orgtype, **kwargs)
        if current_orgtype == OrganizationType.Company:
            self.orgtype.choices = [OrganizationType.Company.value]
            # validate_orgtype says why; "Not a valid choice" would not.
            self.orgtype.validate_choice = False

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
        filters=[strip],
    )


class InviteMemberForm(Form):
    """A username, or an email address (anything with an @, which no username has)."""

    username = wtforms.StringField(
        "Username or email address",
        validators=[
            validators.InputRequired(message="Enter a username or an email address."),
            validators.DataRequired(message="Enter a username or an email address."),
            bounded(EMAIL_MAX_LENGTH),
        ],
        filters=[strip],
    )
    role_name = wtforms.SelectField(
        "Role",
        validators=[validators.InputRequired(message="Choose a role.")],
        validate_choice=True,
    )

    def __init__(self, formdata: Any = None, *, orgtype: str, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        # InputRequired refuses the empty choice with "Choose a role." beside the picker.
        self.role_name.choices = [NO_ROLE_CHOICE, *role_choices(orgtype)]

    @property
    def address(self) -> str | None:
        """The email address typed, or None when it is a username."""
        value = self.username.data or ""
        return value if "@" in value else None

    def validate_username(self, field: wtforms.Field) -> None:
        if self.address is not None:
            validators.Email(message="Enter a valid email address, like name@example.com.")(
                self, field
            )
        elif len(field.data) > USERNAME_MAX_LENGTH:
            raise validators.ValidationError(
                f"A username has at most {USERNAME_MAX_LENGTH} characters."
            )


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
    """Removing someone asks for their username; leaving asks for the organization's name.
    Which one applies is known only once the role is found, so the view checks it."""

    role_id = _id_field("Choose a member.")
    confirm_username = confirmation_field("Their username", USERNAME_MAX_LENGTH)
    confirm_name = confirmation_field("Organization name", NAME_MAX_LENGTH)


class InvitationForm(Form):
    invitation_id = _id_field("Choose an invitation.")


class RevokeInvitationForm(InvitationForm):
    # An invitation made by address asks for the address, as its row shows it.
    confirm_username = confirmation_field("Their username", USERNAME_MAX_LENGTH)
    confirm_address = confirmation_field("Their email address", EMAIL_MAX_LENGTH)


class DeclineInvitationForm(Form):
    message = wtforms.TextAreaField(
        "Message to the owners (optional)",
        validators=[validators.Optional(), bounded(DECLINE_MESSAGE_MAX_LENGTH)],
        filters=[strip],
    )


class OwnerChangeForm(Form):
    """Approve, reject or withdraw one proposal waiting for a second Owner."""

    change_id = _id_field("Choose a proposal.")


class OwnerApprovalForm(Form):
    """Turn on the second Owner's approval ("on"), or propose turning it off ("off"): the
    settings page's one button sends whichever applies."""

    requirement = wtforms.StringField(
        "Owner changes",
        validators=[
            validators.InputRequired(message="Say whether to require it: on or off."),
            validators.AnyOf(["on", "off"], message="Say whether to require it: on or off."),
            bounded(3),
        ],
        filters=[strip],
    )
