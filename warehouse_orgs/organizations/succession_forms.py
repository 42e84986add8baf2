"""The handover's forms (issue 13): staff start and cancel one, an Owner objects to it."""

import wtforms
from wtforms import validators

from warehouse_orgs.accounts.models import USERNAME_MAX_LENGTH
from warehouse_orgs.forms import Form, bounded, strip
from warehouse_orgs.organizations.succession_models import HANDOVER_REASON_MAX_LENGTH


def _reason_field(label: str, *, required: str | None = None) -> wtforms.TextAreaField:
    needed = [validators.DataRequired(message=required)] if required else []
    return wtforms.TextAreaField(
        label, validators=[*needed, bounded(HANDOVER_REASON_MAX_LENGTH)], filters=[strip]
    )


class StartHandoverForm(Form):
    candidate = wtforms.StringField(
        "New Owner (a member's username)",
        validators=[
            validators.DataRequired(message="Enter the username of the member to make Owner."),
            bounded(USERNAME_MAX_LENGTH),
        ],
        filters=[strip],
    )
    reason = _reason_field(
        "Reason, emailed to every member",
        required="Say why the organization is being handed over.",
    )


class CancelHandoverForm(Form):
    why = _reason_field("Why it is cancelled, emailed to every member")


class ObjectToHandoverForm(Form):
    objection = _reason_field("Your reason (optional), emailed to every member and to PyPI staff")
