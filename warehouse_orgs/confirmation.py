"""The server half of the confirmation step every removal asks for (templates/_confirm.html).

A removal's form carries what the person typed (their username, the organization's name) or,
where typing is not asked for, a hidden field the second button sends. The view compares it
with what it expects once it knows which row is meant; until then the field is only bounded,
so a missing or wrong confirmation ends as an error beside that field and changes nothing.
"""

import wtforms
from wtforms import validators

from warehouse_orgs.forms import bounded, strip


def confirmation_field(label: str, max_length: int) -> wtforms.StringField:
    """Bounded, and left empty without complaint: ``confirmed`` says what was expected."""
    return wtforms.StringField(
        label, validators=[validators.Optional(), bounded(max_length)], filters=[strip]
    )


def confirmed(field: wtforms.Field, expected: str, *, typed: bool = True) -> bool:
    """Whether ``field`` holds ``expected`` (case does not matter); if not, say so beside it.

    ``typed=False`` is for a confirmation sent by the page's second button, which a person
    cannot get wrong, only leave out by posting without it.
    """
    given = field.data or ""
    if given.casefold() == expected.casefold():
        return True
    if not typed:
        field.errors = [f"Press “Yes, remove {expected}” to confirm."]
    elif not given:
        field.errors = [f"Type {expected} to confirm."]
    else:
        field.errors = [f"That does not match. Type {expected} to confirm."]
    return False
