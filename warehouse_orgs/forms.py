"""Form base class and the field rules every form shares.

Every field is bounded; a form that fails validation is re-rendered with status 400 and the
errors next to their fields. CSRF is not a form concern here: Pyramid checks it for every
unsafe request before a view runs.

A posted form must carry each of its fields exactly once. A browser always sends a text box,
a text area, a hidden input and a select, so a post without one of them (or with two) did not
come from our page; refusing it here means no view meets a field whose data is None, unless
the field says it may be left out (validators.Optional(), a checkbox, a radio group).
"""

from dataclasses import dataclass
from typing import Any

import jinja2
import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

PASSWORD_MIN_LENGTH = 8
# Long enough for any passphrase, short enough that hashing it cannot be used to load the server.
PASSWORD_MAX_LENGTH = 1024


def strip(value: object) -> object:
    """A filter: surrounding spaces typed or pasted around a name are not part of it."""
    return value.strip() if isinstance(value, str) else value


def role_picker(
    choices: list[str], *, chosen_by_default: bool = True, label: str = "Role"
) -> wtforms.SelectField:
    """A role select. For a new person or team (``chosen_by_default=False``) it starts on an
    empty "Choose a role", so nobody gets a role because the first option was left as it was."""
    options: list[Any] = list(choices)
    if not chosen_by_default:
        options.insert(0, SelectChoice("", "Choose a role"))
    return wtforms.SelectField(
        label,
        choices=options,
        validators=[validators.InputRequired(message="Choose a role.")],
        validate_choice=True,
    )


def bounded(maximum: int) -> validators.Length:
    """Every text field has an upper bound, with a message a person understands."""
    return validators.Length(max=maximum, message=f"Use at most {maximum} characters.")


def judged_picker(label: str, *, required: str, maximum: int) -> wtforms.SelectField:
    """A select of names (projects, organizations, people) whose choices the view fills in
    from what a service offers. What is sent is judged by that service, which says why in words
    ("it belongs to another organization") rather than "Not a valid choice"."""
    return wtforms.SelectField(
        label,
        validators=[validators.InputRequired(message=required), bounded(maximum)],
        validate_choice=False,
    )


def judged_name(label: str, *, required: str, maximum: int) -> wtforms.StringField:
    """A name typed in (a project, a person) where a picker would list thousands: the form
    checks only that one was given and its length; the service that acts on it judges it and
    says why it is refused, beside the field."""
    return wtforms.StringField(
        label,
        validators=[validators.InputRequired(message=required), bounded(maximum)],
        filters=[strip],
    )


NUL_MESSAGE = "Remove the NUL character."
MISSING_MESSAGE = "This field was not sent. Reload the page and submit the form again."
REPEATED_MESSAGE = "This field was sent more than once. Reload the page and submit the form again."

# A browser leaves these out when nothing is ticked or chosen; their own validators say what to
# do. The multiple ones legitimately arrive several times.
MAY_BE_ABSENT = (
    wtforms.BooleanField,
    wtforms.RadioField,
    wtforms.SelectMultipleField,
    wtforms.FileField,
    wtforms.MultipleFileField,
)
MAY_REPEAT = (wtforms.SelectMultipleField, wtforms.MultipleFileField)


def _holds_nul(data: Any) -> bool:
    values = data if isinstance(data, list | tuple) else [data]
    return any(isinstance(value, str) and "\x00" in value for value in values)


def _submission_error(field: wtforms.Field, fields_may_be_absent: bool) -> str | None:
    """What is wrong with how ``field`` was sent, if anything."""
    if field.raw_data is None:
        # Not built from submitted data: a form shown empty or filled from an object.
        return None
    # A field marked validators.Optional() accepts no input at all; its view expects None.
    may_be_absent = fields_may_be_absent or field.flags.optional or isinstance(field, MAY_BE_ABSENT)
    if not field.raw_data and not may_be_absent:
        return MISSING_MESSAGE
    if len(field.raw_data) > 1 and not isinstance(field, MAY_REPEAT):
        return REPEATED_MESSAGE
    if _holds_nul(field.data):
        # The request guard (request_validation.py) refuses NUL in any request; this keeps
        # forms fed from elsewhere from passing one to PostgreSQL, which cannot store it.
        return NUL_MESSAGE
    return None


class Form(wtforms.Form):
    # Filters read from a query string set this: a filter not given takes its default.
    fields_may_be_absent = False

    def __init__(
        self,
        formdata: Any = None,
        *,
        html_id_prefix: str = "",
        html_ids: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        """``html_id_prefix`` (every field) or ``html_ids`` (by field name) keep element ids
        apart when one page shows two forms with a field of the same name; the posted names
        stay the same. Set here rather than in the template, so the error summary, rendered
        before the fields, links to the ids the fields get."""
        super().__init__(formdata, **kwargs)
        for field in self:
            if field.name in (html_ids or {}):
                field.id = html_ids[field.name]  # type: ignore[index]
            elif html_id_prefix:
                field.id = f"{html_id_prefix}-{field.name}"
            field.label.field_id = field.id

    def validate(self, extra_validators: Any = None) -> bool:
        # These come before every other check: a validator that looks a value up must not meet
        # a missing value or a NUL.
        refused = False
        for field in self:
            error = _submission_error(field, self.fields_may_be_absent)
            if error is not None:
                field.errors = [error]
                refused = True
        if refused:
            return False
        return super().validate(extra_validators)

    def refuse(self, message: str, field_name: str | None = None) -> None:
        """A refusal the form's own checks could not see (a service's rule): beside the field
        it names, or above the form."""
        if field_name is not None and field_name in self:
            self[field_name].errors = [message]
        else:
            self.form_errors.append(message)

    @property
    def first_error(self) -> str | None:
        for errors in self.errors.values():
            if errors:
                return errors[0]
        return None


def password_field(label: str = "Password") -> wtforms.PasswordField:
    return wtforms.PasswordField(
        label,
        validators=[
            validators.InputRequired(message="Enter your password."),
            bounded(PASSWORD_MAX_LENGTH),
        ],
    )


def new_password_field(label: str = "New password") -> wtforms.PasswordField:
    return wtforms.PasswordField(
        label,
        validators=[
            validators.InputRequired(message="Choose a password."),
            validators.Length(
                min=PASSWORD_MIN_LENGTH,
                message=f"Use at least {PASSWORD_MIN_LENGTH} characters.",
            ),
            bounded(PASSWORD_MAX_LENGTH),
        ],
    )


def password_confirm_field() -> wtforms.PasswordField:
    return wtforms.PasswordField(
        "Confirm password",
        validators=[
            validators.InputRequired(message="Type the password again."),
            validators.EqualTo("new_password", message="The two passwords do not match."),
        ],
    )


@dataclass(frozen=True)
class ErrorSummaryEntry:
    """One line of the summary at the top of a page whose form was refused."""

    message: str
    # The element the line links to; None for an error about the form as a whole.
    field_id: str | None = None
    field_label: str | None = None


def _refused_forms(values: Any, depth: int = 0) -> list[wtforms.Form]:
    """Forms with errors among ``values``, also inside the dicts, lists and tuples a page keeps
    its per-row forms in (two levels down), each once."""
    found: dict[int, wtforms.Form] = {}
    for value in values:
        if isinstance(value, wtforms.Form):
            if value.errors:
                found.setdefault(id(value), value)
        elif depth < 2 and isinstance(value, dict | list | tuple):
            inner = value.values() if isinstance(value, dict) else value
            for form in _refused_forms(inner, depth + 1):
                found.setdefault(id(form), form)
    return list(found.values())


@jinja2.pass_context
def error_summary(context: jinja2.runtime.Context) -> list[ErrorSummaryEntry]:
    """Every error of every refused form the page was given, in field order.

    The base layout shows these above the page's content and marks the title, so a refused
    form is noticed even when its fields are far down the page; views need do nothing more
    than hand the refused form to the template, as they already do.
    """
    entries: list[ErrorSummaryEntry] = []
    for value in _refused_forms(context.get_all().values()):
        for message in value.form_errors:
            entries.append(ErrorSummaryEntry(str(message)))
        for field in value:
            for message in field.errors:
                entries.append(ErrorSummaryEntry(str(message), field.id, str(field.label.text)))
    return entries
