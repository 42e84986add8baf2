"""Forms of the staff pages."""

import datetime
import enum
from typing import Any

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.accounts.models import STAFF_FLAGS
from warehouse_orgs.confirmation import confirmation_field
from warehouse_orgs.forms import Form, bounded
from warehouse_orgs.organizations.forms import MESSAGE_MAX_LENGTH
from warehouse_orgs.organizations.models import NAME_MAX_LENGTH
from warehouse_orgs.subscriptions.models import STRIPE_ID_MAX_LENGTH

SEARCH_MAX_LENGTH = 100


class UserSearchForm(Form):
    fields_may_be_absent = True
    q = wtforms.StringField(
        "Username or email",
        validators=[bounded(SEARCH_MAX_LENGTH)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


class StaffFlagsForm(Form):
    """One checkbox per staff flag, named as the User column it sets. An unchecked box is not
    sent by the browser, so a missing field means "off"."""


# Built from STAFF_FLAGS so a new staff role gets its checkbox and label without a second list.
for _flag, (_group, _label) in STAFF_FLAGS.items():
    setattr(StaffFlagsForm, _flag, wtforms.BooleanField(_label))


class Decision(enum.StrEnum):
    """What staff can do with an application from its page; one radio button each."""

    Approve = "approve"
    Question = "requestmoreinfo"
    Defer = "defer"
    Decline = "decline"
    Note = "addnote"


DECISION_LABELS = {
    Decision.Approve: "Approve: create the organization, with the applicant as its Owner",
    Decision.Question: "Ask the applicant for more information",
    Decision.Defer: "Defer: keep it waiting, without telling the applicant",
    Decision.Decline: "Decline",
    Decision.Note: "Add an internal note only",
}
# The message is required where it is the whole point of the decision.
MESSAGE_REQUIRED = {
    Decision.Question: "Write the question to send to the applicant.",
    Decision.Note: "Write the note.",
}


class ApplicationDecisionForm(Form):
    """The one form on an application's page: what to do, one message, and where to go next.

    ``offered`` is what can succeed for the application as it stands (views.decisions_for);
    anything else posted is refused here, before a service is asked.
    """

    decision = wtforms.RadioField(
        "Decision",
        choices=[
            SelectChoice(decision.value, label) for decision, label in DECISION_LABELS.items()
        ],
        validators=[validators.InputRequired(message="Choose what to do.")],
        # Checked against ``offered`` in validate_decision, with a reason a person can use.
        validate_choice=False,
    )
    message = wtforms.TextAreaField(
        "Message",
        # Not Optional(): that would stop the chain before validate_message, which requires
        # text for a question or a note. A browser always sends the box, empty or not.
        validators=[bounded(MESSAGE_MAX_LENGTH)],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    # Declining cannot be undone and ends the applicant's hopes for this name, so choosing the
    # radio button is not enough: a second, deliberate tick that states the consequence. A
    # typed confirmation (as for removing a member) would add nothing here: the reviewer has
    # just read the application, and the risk is a slipped click, not the wrong target.
    confirm_decline = wtforms.BooleanField(
        "Yes, decline it: this is final, and the applicant is emailed"
    )
    next = wtforms.BooleanField("Then review the next application")

    def __init__(
        self,
        formdata: Any = None,
        *,
        offered: list[Decision],
        not_offered_because: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(formdata, **kwargs)
        self.offered = offered
        self.not_offered_because = not_offered_because
        self.decision.choices = [
            SelectChoice(decision.value, DECISION_LABELS[decision]) for decision in offered
        ]

    def validate_decision(self, field: wtforms.Field) -> None:
        if field.data not in self.offered:
            raise validators.ValidationError(
                self.not_offered_because
                or "This decision is not possible for the application as it stands now."
            )

    def validate_message(self, field: wtforms.Field) -> None:
        required = MESSAGE_REQUIRED.get(self.decision.data)  # type: ignore[call-overload]
        if required and not field.data:
            raise validators.ValidationError(required)

    def validate_confirm_decline(self, field: wtforms.Field) -> None:
        if self.decision.data == Decision.Decline and not field.data:
            raise validators.ValidationError("Tick this box to confirm the decline.")

    @property
    def chosen(self) -> Decision:
        return Decision(self.decision.data)


# Billing of a Company organization, from its staff page.

MANUAL_ACTIVATION_MAX_SEATS = 100_000
# Long enough for a grant of several years, short enough that a mistyped year is caught.
MANUAL_ACTIVATION_MAX_DAYS = 5 * 366
SEAT_LIMIT_RULE = f"Enter a whole number of seats from 1 to {MANUAL_ACTIVATION_MAX_SEATS}."


def utc_today() -> datetime.date:
    """Today as the staff pages count days: in UTC, as they show every date."""
    return datetime.datetime.now(datetime.UTC).date()


class ManualActivationForm(Form):
    """Add or change a manual activation: how many seats, and until which day (that day
    included). ``today`` is the first day it may end on."""

    seat_limit = wtforms.IntegerField(
        "Seat limit",
        validators=[validators.InputRequired(message=SEAT_LIMIT_RULE)],
        invalid_value_message=SEAT_LIMIT_RULE,
    )
    expires = wtforms.DateField(
        "Ends on (UTC)",
        validators=[validators.InputRequired(message="Enter the day it ends.")],
        invalid_value_message="Enter the day as YYYY-MM-DD, for example 2027-01-31.",
    )

    def __init__(self, formdata: Any = None, *, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(formdata, **kwargs)
        self.today = today

    @property
    def latest_expiry(self) -> datetime.date:
        return self.today + datetime.timedelta(days=MANUAL_ACTIVATION_MAX_DAYS)

    def validate_seat_limit(self, field: wtforms.Field) -> None:
        # None: the value was not a number, and the field already says so.
        if field.data is not None and not 1 <= field.data <= MANUAL_ACTIVATION_MAX_SEATS:
            raise validators.ValidationError(SEAT_LIMIT_RULE)

    def validate_expires(self, field: wtforms.Field) -> None:
        if field.data is None:
            return
        if field.data < self.today:
            raise validators.ValidationError(
                f"Choose today ({self.today.isoformat()}) or a later day."
            )
        if field.data > self.latest_expiry:
            raise validators.ValidationError(
                f"Choose a day no later than {self.latest_expiry.isoformat()} (five years)."
            )


class CancelSubscriptionForm(Form):
    """The second button of "Cancel at period end" sends the subscription's provider id."""

    confirm = confirmation_field("Confirm the cancellation", STRIPE_ID_MAX_LENGTH)


class DeleteManualActivationForm(Form):
    """Ending a manual activation may take the organization out of good standing at once:
    staff type its name, as Warehouse asks (``confirm``)."""

    confirm = confirmation_field("Organization name", NAME_MAX_LENGTH)
