"""Forms of the staff pages."""

import wtforms

from warehouse_orgs.accounts.models import STAFF_FLAGS
from warehouse_orgs.forms import Form, bounded

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
