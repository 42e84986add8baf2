"""The field() macro writes a plain text box itself, exactly as WTForms' TextInput would.

Pages with a confirmation box on every row spent a quarter of their time in WTForms' widget
code, so _forms.html writes a plain text input without it; anything else goes to WTForms. Each
case renders the same field both ways (a render_kw of {} sends it to WTForms and changes
nothing else) and the two must match byte for byte.
"""

import jinja2
import pytest
import wtforms
from webob.multidict import MultiDict
from wtforms import validators

from warehouse_orgs.forms import Form, bounded
from warehouse_orgs.manage.organization_forms import RemoveMemberForm, RevokeInvitationForm
from warehouse_orgs.manage.views.organization_people import unsent_confirmation
from warehouse_orgs.paths import TEMPLATES_DIR

# As the app's environment is set up (warehouse_orgs/config.py).
ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    extensions=["jinja2.ext.do"],
    trim_blocks=True,
    lstrip_blocks=True,
)
MACRO = ENVIRONMENT.from_string(
    '{% from "_forms.html" import field %}{{ field(f, hint=hint, **attributes) }}'
)


class SampleForm(Form):
    name = wtforms.StringField(
        "Name", validators=[validators.InputRequired(message="Enter a name."), bounded(50)]
    )
    code = wtforms.StringField(
        "Code", validators=[validators.Optional(), validators.Length(min=3, max=10)]
    )
    note = wtforms.StringField("Note")


def _fast(field, hint, attributes):
    def not_wtforms(*args, **kwargs):
        raise AssertionError("a plain text box went to WTForms")

    field.meta.render_field = not_wtforms
    try:
        return MACRO.render(f=field, hint=hint, attributes=attributes)
    finally:
        del field.meta.render_field


def _wtforms(field, hint, attributes):
    field.render_kw = {}
    try:
        return MACRO.render(f=field, hint=hint, attributes=attributes)
    finally:
        field.render_kw = None


# Too long a name and too short a code, so both come back with their errors.
SENT = MultiDict(
    [("name", "a \"quoted\" <b>name</b> & 'more'" + "x" * 50), ("code", "xy"), ("note", "")]
)
CASES = [
    ("name", None, None, {}),
    ("name", None, "A hint.", {"autocomplete": "off", "maxlength": 50}),
    ("name", SENT, "A hint.", {"autocomplete": "off"}),
    ("code", SENT, None, {}),
    ("code", None, None, {"minlength": 1}),
    ("note", None, "Hint", {"type": "url", "inputmode": "numeric", "spellcheck": "false"}),
    ("note", None, None, {"disabled": True, "readonly": False, "value": 'given "value"'}),
    ("note", None, None, {"id": "other-id", "min": 0, "step": 1, "placeholder": "<&>"}),
]


@pytest.mark.parametrize(("name", "formdata", "hint", "attributes"), CASES)
def test_a_plain_text_box_is_written_as_wtforms_writes_it(name, formdata, hint, attributes):
    form = SampleForm(formdata, html_id_prefix="row-1")
    if formdata is not None:
        form.validate()
        assert form[name].errors or name == "note"
    field = form[name]
    assert _fast(field, hint, attributes) == _wtforms(field, hint, attributes)


def test_attributes_wtforms_renames_go_to_wtforms():
    field = SampleForm().note
    attributes = {"data_role": "x", "class_": "wide"}
    html = MACRO.render(f=field, hint=None, attributes=attributes)
    assert 'data-role="x"' in html
    assert 'class="wide"' in html


@pytest.mark.parametrize(
    ("form_class", "name"),
    [
        (RemoveMemberForm, "confirm_username"),
        (RemoveMemberForm, "confirm_name"),
        (RevokeInvitationForm, "confirm_username"),
    ],
)
def test_a_rows_unsent_confirmation_renders_as_its_own_form_would(form_class, name):
    """The people page copies one blank form's field per row instead of building a form per
    row; the box a person sees, its label and its ids are the same."""
    attributes = {"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
    own = form_class(html_id_prefix="remove-role-7")[name]
    copied = unsent_confirmation(form_class()[name], "remove-role-7")
    expected = _wtforms(own, "Type bob to confirm.", attributes)
    assert 'id="remove-role-7-' + name + '"' in expected
    assert _fast(copied, "Type bob to confirm.", attributes) == expected
    assert (copied.label.text, copied.label.field_id) == (own.label.text, own.label.field_id)
