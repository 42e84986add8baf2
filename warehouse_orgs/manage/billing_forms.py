"""The form that activates billing for a Company organization: monthly or yearly, and the
terms, each chosen by a person (no default)."""

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.forms import Form
from warehouse_orgs.subscriptions.models import PriceInterval


class ActivateBillingForm(Form):
    interval = wtforms.RadioField(
        "How often to pay",
        choices=[SelectChoice(interval.value, interval.label) for interval in PriceInterval],
        validators=[validators.InputRequired(message="Choose monthly or yearly billing.")],
    )
    terms = wtforms.BooleanField(
        "I agree to the billing terms on behalf of the organization",
        validators=[validators.InputRequired(message="Accept the billing terms to go on.")],
    )
