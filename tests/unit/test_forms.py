"""The rules every form shares: each field sent once, never a NUL, before any other check."""

import pytest
import wtforms
from webob.multidict import MultiDict
from wtforms import validators

from warehouse_orgs.forms import MISSING_MESSAGE, NUL_MESSAGE, REPEATED_MESSAGE, Form


class LookupForm(Form):
    name = wtforms.StringField(validators=[validators.InputRequired(message="Enter a name.")])
    note = wtforms.TextAreaField(validators=[validators.Optional()])
    public = wtforms.BooleanField()
    kind = wtforms.RadioField(
        choices=["a", "b"], validators=[validators.InputRequired(message="Choose a kind.")]
    )
    tags = wtforms.SelectMultipleField(choices=["x", "y"], validate_choice=False)

    def validate_name(self, field: wtforms.Field) -> None:
        # Stands for a validator that queries the database with the value.
        if field.data is None or "\x00" in field.data:
            raise AssertionError("a lookup must never see this value")


class FilterForm(Form):
    fields_may_be_absent = True
    q = wtforms.StringField()


def _form(*pairs):
    return LookupForm(MultiDict(pairs))


def test_a_complete_form_is_valid():
    form = _form(("name", "n"), ("note", ""), ("kind", "a"), ("tags", "x"), ("tags", "y"))
    assert form.validate(), form.errors
    assert form.tags.data == ["x", "y"]


def test_a_field_not_sent_is_refused_beside_it_before_its_validators_run():
    form = _form(("kind", "a"))
    assert not form.validate()
    assert form.errors == {"name": [MISSING_MESSAGE]}


def test_optional_fields_checkboxes_and_radios_may_be_left_out():
    form = _form(("name", "n"))
    assert not form.validate()
    # The radio group says what to do in its own words; the others are fine absent.
    assert form.errors == {"kind": ["Choose a kind."]}
    assert form.note.data is None
    assert form.public.data is False


@pytest.mark.parametrize("field", ["name", "note", "kind", "public"])
def test_a_single_field_sent_twice_is_refused(field):
    pairs = [("name", "n"), ("note", ""), ("kind", "a"), ("public", "y")]
    form = _form(*pairs, (field, dict(pairs)[field]))
    assert not form.validate()
    assert form.errors == {field: [REPEATED_MESSAGE]}


@pytest.mark.parametrize("field", ["name", "note"])
def test_a_nul_is_refused_beside_the_field_before_any_lookup(field):
    values = {"name": "n", "note": "", field: "a\x00b"}
    form = _form(*values.items(), ("kind", "a"))
    assert not form.validate()
    assert form.errors == {field: [NUL_MESSAGE]}


def test_a_form_filled_from_data_is_not_a_submission():
    form = LookupForm(name="n", kind="a")
    form.validate()
    # Only the field validators speak: nothing was "not sent", because nothing was sent.
    assert MISSING_MESSAGE not in str(form.errors)
    assert form.name.data == "n"


def test_a_filter_form_takes_its_defaults_when_a_filter_is_not_given():
    form = FilterForm(MultiDict())
    assert form.validate()
    assert form.q.data is None
    repeated = FilterForm(MultiDict([("q", "a"), ("q", "b")]))
    assert not repeated.validate()
    assert repeated.errors == {"q": [REPEATED_MESSAGE]}
