"""Forms of the staff pages."""

import enum
from typing import Any

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.accounts.models import STAFF_FLAGS
from warehouse_orgs.forms import Form, bounded
from warehouse_orgs.organizations.forms import MESSAGE_MAX_LENGTH

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
