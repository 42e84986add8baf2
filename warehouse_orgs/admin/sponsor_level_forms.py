"""Forms of the staff pages for the prospectus's levels and for the sponsorship inquiries."""

from typing import Any

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.confirmation import confirmation_field
from warehouse_orgs.forms import Form, bounded, strip
from warehouse_orgs.sponsors.interfaces import LevelValues
from warehouse_orgs.sponsors.models import (
    INQUIRY_NOTES_MAX_LENGTH,
    LEVEL_BENEFITS_MAX_LENGTH,
    NAME_MAX_LENGTH,
    InquiryStatus,
)

# Far above any level the PSF offers, far below what the integer column holds.
YEARLY_AMOUNT_MAX = 10_000_000
YEARLY_AMOUNT_RULE = f"Enter whole US dollars from 0 to {YEARLY_AMOUNT_MAX:,}, for example 60000."
POSITION_MAX = 1000
POSITION_RULE = f"Enter a whole number from 0 to {POSITION_MAX}."
STATUS_RULE = "Choose one of the statuses listed."


class WholeDollarsField(wtforms.IntegerField):
    """Whole US dollars, as staff write them: 60000, 60,000 or $60,000."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and isinstance(valuelist[0], str):
            typed = valuelist[0].strip().removeprefix("$").replace(",", "")
            valuelist = [typed, *valuelist[1:]]
        super().process_formdata(valuelist)


def _whole_number_in(maximum: int, rule: str) -> Any:
    """A validator for an IntegerField: None means the field already said it is no number."""

    def check(form: wtforms.Form, field: wtforms.Field) -> None:
        if field.data is not None and not 0 <= field.data <= maximum:
            raise validators.ValidationError(rule)

    return check


class LevelForm(Form):
    """A level of the prospectus, new or edited; the same fields as ``LevelValues``."""

    name = wtforms.StringField(
        "Name",
        validators=[
            validators.InputRequired(message="Enter the level's name."),
            validators.DataRequired(message="Enter the level's name."),
            bounded(NAME_MAX_LENGTH),
        ],
        filters=[strip],
    )
    yearly_amount = WholeDollarsField(
        "Yearly amount (US dollars)",
        validators=[
            validators.InputRequired(message=YEARLY_AMOUNT_RULE),
            _whole_number_in(YEARLY_AMOUNT_MAX, YEARLY_AMOUNT_RULE),
        ],
        invalid_value_message=YEARLY_AMOUNT_RULE,
    )
    benefits = wtforms.TextAreaField(
        "Benefits, one per line",
        validators=[bounded(LEVEL_BENEFITS_MAX_LENGTH)],
        filters=[strip],
    )
    position = wtforms.IntegerField(
        "Position",
        validators=[
            validators.InputRequired(message=POSITION_RULE),
            _whole_number_in(POSITION_MAX, POSITION_RULE),
        ],
        invalid_value_message=POSITION_RULE,
        default=0,
    )
    is_open = wtforms.BooleanField("Offered on the prospectus and its inquiry form", default=True)

    def values(self) -> LevelValues:
        return LevelValues(
            name=self.name.data,
            yearly_amount=self.yearly_amount.data,
            benefits=self.benefits.data or "",
            position=self.position.data,
            is_open=bool(self.is_open.data),
        )


class DeleteLevelForm(Form):
    """Deleting a level takes it off the prospectus at once: staff type its name
    (``confirmation.confirmed`` compares it)."""

    confirm = confirmation_field("Level name", NAME_MAX_LENGTH)


STATUS_CHOICES = [SelectChoice(status.value, status.label) for status in InquiryStatus]


def _offered_status(form: wtforms.Form, field: wtforms.Field) -> None:
    if field.data and field.data not in {status.value for status in InquiryStatus}:
        raise validators.ValidationError(STATUS_RULE)


class InquiryFilterForm(Form):
    """The inquiry list's filter, read from the query string; no status means every one."""

    fields_may_be_absent = True
    status = wtforms.SelectField(
        "Status",
        choices=[SelectChoice("", "Any status"), *STATUS_CHOICES],
        default="",
        # Checked by _offered_status, which says what to do instead of "Not a valid choice".
        validate_choice=False,
        validators=[_offered_status],
    )


class InquiryFollowUpForm(Form):
    """How staff followed an inquiry up: its status and their notes (staff only)."""

    status = wtforms.RadioField(
        "Status",
        choices=STATUS_CHOICES,
        validate_choice=False,
        validators=[
            validators.InputRequired(message="Choose a status."),
            _offered_status,
        ],
    )
    notes = wtforms.TextAreaField(
        "Notes",
        validators=[bounded(INQUIRY_NOTES_MAX_LENGTH)],
        filters=[strip],
    )
