"""The settings page's verified-domain forms. What a domain name may be is the service's
judgement (``names.normalize_domain``), shown beside the field."""

import wtforms
from wtforms import validators

from warehouse_orgs.confirmation import confirmation_field
from warehouse_orgs.domains.names import DOMAIN_INPUT_MAX_LENGTH, DOMAIN_MAX_LENGTH, DOMAIN_RULE
from warehouse_orgs.forms import Form, bounded, strip

# A row's id, as a form sends it back.
DOMAIN_ID_LENGTH = 36


class AddDomainForm(Form):
    domain = wtforms.StringField(
        "Domain",
        description=DOMAIN_RULE,
        validators=[
            validators.InputRequired(message="Enter a domain name, such as example.org."),
            bounded(DOMAIN_INPUT_MAX_LENGTH),
        ],
        filters=[strip],
    )


class DomainForm(Form):
    """Verify: which of the organization's domains."""

    domain_id = wtforms.StringField(
        validators=[
            validators.InputRequired(message="Choose a domain."),
            bounded(DOMAIN_ID_LENGTH),
        ],
        filters=[strip],
    )


class RemoveDomainForm(DomainForm):
    """Remove: the domain, confirmed by the disclosure's final button
    (templates/_confirm.html), which sends its name."""

    confirm_domain = confirmation_field("Domain", DOMAIN_MAX_LENGTH)
