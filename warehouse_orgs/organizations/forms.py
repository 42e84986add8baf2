"""Forms for applying for an organization and for reviewing applications."""

import re
from typing import Any

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.forms import Form, bounded, strip
from warehouse_orgs.organizations.models import (
    DESCRIPTION_MAX_LENGTH,
    DISPLAY_NAME_MAX_LENGTH,
    LINK_URL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    NAME_PATTERN,
    NAME_RULE,
    USAGE_MAX_LENGTH,
    OrganizationApplicationStatus,
    OrganizationMembershipSize,
    OrganizationType,
)
from warehouse_orgs.organizations.permissions import OrganizationRoleType

USAGE_MIN_LENGTH = 32
SEARCH_MAX_LENGTH = 100
MESSAGE_MAX_LENGTH = USAGE_MAX_LENGTH
# Far beyond any real queue age; keeps the interval arithmetic in range.
MAX_AGE_DAYS = 36_500


def _text(
    label: str,
    maximum: int,
    required: str,
    field_class: type[wtforms.Field] = wtforms.StringField,
    **kwargs: Any,
) -> Any:
    """A required, bounded, stripped text field. InputRequired says it was not sent at all;
    DataRequired catches a value of only spaces, which the strip filter empties."""
    return field_class(
        label,
        validators=[
            validators.InputRequired(message=required),
            validators.DataRequired(message=required),
            bounded(maximum),
        ],
        filters=[strip],
        **kwargs,
    )


def validate_web_address(form: wtforms.Form, field: wtforms.Field) -> None:
    if not re.match(r"^https?://[^\s/]+\S*$", field.data or "", flags=re.IGNORECASE):
        raise validators.ValidationError("Use an address starting with http:// or https://.")


class ApplicationForm(Form):
    """Apply for an organization, or edit an application still waiting for review.

    ``organization_service`` checks the name is free; ``application`` (when editing) is the
    application being edited, so its own name does not count against it.
    """

    name = _text("Organization account name", NAME_MAX_LENGTH, "Enter a name.")
    display_name = _text("Organization name", DISPLAY_NAME_MAX_LENGTH, "Enter a display name.")
    link_url = _text("Organization URL", LINK_URL_MAX_LENGTH, "Enter the organization's URL.")
    description = _text(
        "Organization description", DESCRIPTION_MAX_LENGTH, "Describe the organization."
    )
    orgtype = wtforms.RadioField(
        "Organization type",
        choices=[
            SelectChoice(OrganizationType.Community.value, "Community (free)"),
            SelectChoice(OrganizationType.Company.value, "Company (paid per member)"),
        ],
        validators=[validators.InputRequired(message="Choose Community or Company.")],
    )
    usage = wtforms.TextAreaField(
        "How will you use the organization?",
        validators=[
            validators.InputRequired(message="Tell us how you will use the organization."),
            validators.Length(
                min=USAGE_MIN_LENGTH,
                max=USAGE_MAX_LENGTH,
                message=f"Use {USAGE_MIN_LENGTH} to {USAGE_MAX_LENGTH} characters.",
            ),
        ],
        filters=[strip],
    )
    membership_size = wtforms.SelectField(
        "How many people will be members?",
        choices=[SelectChoice(size.value) for size in OrganizationMembershipSize],
        validators=[validators.InputRequired(message="Choose a size.")],
    )

    def __init__(
        self, formdata: Any = None, *, organization_service: Any, application: Any = None,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        super().__init__(formdata, **kwargs)
        self.organization_service = organization_service
        self.application = application

    def validate_name(self, field: wtforms.Field) -> None:
        if not re.match(NAME_PATTERN, field.data, flags=re.IGNORECASE):
            raise validators.ValidationError(NAME_RULE)
        reason = self.organization_service.name_unavailable_reason(
            field.data, ignore_application=self.application
        )
        if reason:
            raise validators.ValidationError(reason)

    validate_link_url = validate_web_address

    def details(self) -> dict[str, Any]:
        return {name: field.data for name, field in self._fields.items()}


class MessageForm(Form):
    """A question to the applicant, their answer, or an internal note: the text is required."""

    message = wtforms.TextAreaField(
        "Message",
        validators=[
            validators.InputRequired(message="Write a message."),
            bounded(MESSAGE_MAX_LENGTH),
        ],
        filters=[strip],
    )


class DecisionForm(Form):
    """Approve or decline, with an optional message to the applicant."""

    message = wtforms.TextAreaField(
        "Message to the applicant (optional)",
        validators=[validators.Optional(), bounded(MESSAGE_MAX_LENGTH)],
        filters=[strip],
    )


STATUS_FILTERS = {
    # Waiting for review, for the applicant's answer, or deferred.
    "undecided": "Not yet decided",
    **{status.value: status.label for status in OrganizationApplicationStatus},
    "all": "All",
}


class ApplicationSearchForm(Form):
    fields_may_be_absent = True
    q = wtforms.StringField(
        "Name, display name or applicant",
        validators=[bounded(SEARCH_MAX_LENGTH)],
        filters=[strip],
    )
    status = wtforms.SelectField(
        "Status",
        choices=[SelectChoice(value, label) for value, label in STATUS_FILTERS.items()],
        default="undecided",
        validators=[validators.Optional()],
    )
    type = wtforms.SelectField(
        "Type",
        choices=[SelectChoice("", "Any"), *(SelectChoice(t.value) for t in OrganizationType)],
        default="",
        validators=[validators.Optional()],
    )
    age = wtforms.IntegerField(
        "Submitted more than this many days ago",
        validators=[
            validators.Optional(),
            validators.NumberRange(
                min=0, max=MAX_AGE_DAYS, message=f"Use a number from 0 to {MAX_AGE_DAYS}."
            ),
        ],
    )


class DirectorySearchForm(Form):
    """The public directory's search, filter and order, read from the query string; each may
    be left out."""

    fields_may_be_absent = True
    q = wtforms.StringField(
        "Name or display name", validators=[bounded(SEARCH_MAX_LENGTH)], filters=[strip]
    )
    type = wtforms.SelectField(
        "Type",
        choices=[SelectChoice("", "Any"), *(SelectChoice(t.value) for t in OrganizationType)],
        default="",
        validators=[validators.Optional()],
    )
    sort = wtforms.SelectField(
        "Sort by",
        choices=[
            SelectChoice("name", "Name"),
            SelectChoice("newest", "Newest first"),
            SelectChoice("projects", "Most projects"),
        ],
        default="name",
        validators=[validators.Optional()],
    )


COMPANY_CONSEQUENCES = (
    "A Company organization is billed for every member (per seat), each month, and it can "
    "never become a Community organization again."
)


class OrganizationDetailsFields(Form):
    """The details owners and staff edit: display name, website, description, type.

    Community to Company starts billing the organization and cannot be undone, so that change
    also needs ``confirm_company`` ticked; ``current_orgtype`` is the type it has now.
    """

    display_name = _text("Display name", DISPLAY_NAME_MAX_LENGTH, "Enter a display name.")
    link_url = _text(
        "Website", LINK_URL_MAX_LENGTH, "Enter the organization's website.", wtforms.URLField
    )
    description = _text(
        "Description", DESCRIPTION_MAX_LENGTH, "Describe the organization.", wtforms.TextAreaField
    )
    orgtype = wtforms.SelectField(
        "Type",
        choices=[t.value for t in OrganizationType],
        validators=[
            validators.InputRequired(message="Choose a type."),
            validators.DataRequired(message="Choose a type."),
        ],
        validate_choice=True,
    )

    confirm_company = wtforms.BooleanField(
        "Yes, make it a Company organization: it will be billed per seat"
    )

    def __init__(self, formdata: Any = None, *, current_orgtype: str, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.current_orgtype = current_orgtype

    validate_link_url = validate_web_address

    def validate_confirm_company(self, field: wtforms.Field) -> None:
        becomes_company = (
            self.current_orgtype == OrganizationType.Community
            and self.orgtype.data == OrganizationType.Company
        )
        if becomes_company and not field.data:
            raise validators.ValidationError(
                "Tick this box to confirm the change to Company. " + COMPANY_CONSEQUENCES
            )

    def details(self) -> dict[str, Any]:
        """What the organization service saves: the details, not the confirmation."""
        return {
            name: field.data for name, field in self._fields.items() if name != "confirm_company"
        }


def role_choices(orgtype: str) -> list[str]:
    """Billing Manager exists only in Company organizations."""
    return [
        role.value
        for role in OrganizationRoleType
        if role != OrganizationRoleType.BillingManager or orgtype == OrganizationType.Company
    ]
