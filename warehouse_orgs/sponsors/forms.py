"""The prospectus's inquiry form (/sponsor/)."""

import uuid
from typing import Any

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.forms import Form, bounded, strip
from warehouse_orgs.sponsors.models import (
    EMAIL_MAX_LENGTH,
    INQUIRY_MESSAGE_MAX_LENGTH,
    INQUIRY_TEXT_MAX_LENGTH,
    SponsorLevel,
)
from warehouse_orgs.sponsors.services import LEVEL_NOT_OFFERED

NOT_SURE = "not-sure"
NOT_SURE_LABEL = "Not sure yet"
# The honeypot's name: a field a form-filling robot cannot resist and a person never sees.
HONEYPOT_FIELD = "website"
ONE_LINE = "Use a single line."


def _one_line(form: wtforms.Form, field: wtforms.Field) -> None:
    # Company and contact names go into mail subjects and staff lists.
    if field.data and ("\n" in field.data or "\r" in field.data or "\t" in field.data):
        raise validators.ValidationError(ONE_LINE)


class InquiryForm(Form):
    company = wtforms.StringField(
        "Company or organization",
        validators=[
            validators.DataRequired(message="Enter the name of your company."),
            bounded(INQUIRY_TEXT_MAX_LENGTH),
            _one_line,
        ],
        filters=[strip],
    )
    contact_name = wtforms.StringField(
        "Your name",
        validators=[
            validators.DataRequired(message="Enter your name, so we know whom to reply to."),
            bounded(INQUIRY_TEXT_MAX_LENGTH),
            _one_line,
        ],
        filters=[strip],
    )
    contact_email = wtforms.EmailField(
        "Your email address",
        validators=[
            validators.DataRequired(message="Enter the email address we should reply to."),
            bounded(EMAIL_MAX_LENGTH),
            validators.Email(message="Enter a valid email address, like name@example.com."),
        ],
        filters=[strip],
    )
    level = wtforms.SelectField(
        "Level of interest",
        validators=[validators.InputRequired(message=LEVEL_NOT_OFFERED)],
        # Judged by validate_level with a sentence of our own, not WTForms' "Not a valid choice".
        validate_choice=False,
    )
    message = wtforms.TextAreaField(
        "Message",
        validators=[
            validators.DataRequired(
                message="Tell us a little about your company and what you have in mind."
            ),
            bounded(INQUIRY_MESSAGE_MAX_LENGTH),
        ],
        filters=[strip],
    )
    # Hidden from people by the template; see ``is_robot``.
    website = wtforms.StringField("Leave this field empty")

    def __init__(self, formdata: Any = None, *, levels: list[SponsorLevel], **kwargs: Any):
        super().__init__(formdata, **kwargs)
        self.offered = {str(level.id): level for level in levels}
        self.level.choices = [
            SelectChoice(NOT_SURE, NOT_SURE_LABEL),
            *(SelectChoice(key, level.name) for key, level in self.offered.items()),
        ]
        if formdata is None:
            self.level.data = NOT_SURE

    def validate_level(self, field: wtforms.Field) -> None:
        if field.data != NOT_SURE and field.data not in self.offered:
            raise validators.ValidationError(LEVEL_NOT_OFFERED)

    @property
    def level_id(self) -> uuid.UUID | None:
        """The chosen level, once validated; None for "Not sure yet"."""
        level = self.offered.get(self.level.data)
        return level.id if level is not None else None


def is_robot(formdata: Any) -> bool:
    """The honeypot holds something: nobody who sees the page could have typed it."""
    return any(value.strip() for value in formdata.getall(HONEYPOT_FIELD) if isinstance(value, str))
