"""Forms of the staff sponsor pages: the list's filters, a sponsor with its logos, deletion.

A logo is judged here, from its bytes (sponsors.logos.check_logo), along with every other
field, so that a refused form stores nothing: the view stores the checked logos only once the
whole form is valid.
"""

import re
import unicodedata
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import wtforms
from wtforms import validators
from wtforms.fields.choices import SelectChoice

from warehouse_orgs.confirmation import confirmation_field
from warehouse_orgs.forms import Form, bounded, strip
from warehouse_orgs.sponsors.logos import MAX_LOGO_BYTES, CheckedLogo, LogoRefused, check_logo
from warehouse_orgs.sponsors.models import (
    ACTIVITY_MAX_LENGTH,
    NAME_MAX_LENGTH,
    SERVICE_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    URL_MAX_LENGTH,
)

if TYPE_CHECKING:
    from warehouse_orgs.sponsors.models import Sponsor

SEARCH_MAX_LENGTH = 100
# The same bounds the feed reader applies to its level_order.
LEVEL_ORDER_LIMIT = 1_000_000
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SLUG_RULE = (
    "Use lowercase letters and digits, with single hyphens between words (for example "
    "acme-widgets)."
)
LEVEL_ORDER_RULE = (
    f"Enter a whole number from {-LEVEL_ORDER_LIMIT:,} to {LEVEL_ORDER_LIMIT:,}; smaller comes "
    "first."
)
LOGO_TYPES = f"a PNG, JPEG, WebP or SVG file of at most {MAX_LOGO_BYTES // 1024} KiB"
WHITE_LOGO_NEEDED = (
    "The footer and the infrastructure list show the white logo on a dark background: choose "
    "one, or untick “In the footer” and “Infrastructure sponsor”."
)

KIND_FILTERS = {
    "": "Any kind",
    "psf": "PSF sponsors",
    "infra": "Infrastructure sponsors",
    "one_time": "One-time sponsors",
    "footer": "In the footer",
}
ACTIVE_FILTERS = {"": "Active or not", "yes": "Active", "no": "Not active"}


def _choices(options: dict[str, str]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in options.items()]


class SponsorFilterForm(Form):
    """The list's filters, read from the query string; one not given means any."""

    fields_may_be_absent = True
    q = wtforms.StringField(
        "Name or slug", validators=[bounded(SEARCH_MAX_LENGTH)], filters=[strip]
    )
    kind = wtforms.SelectField(
        "Kind",
        choices=_choices(KIND_FILTERS),
        default="",
        validate_choice=False,
        validators=[
            validators.AnyOf(list(KIND_FILTERS), message="Choose one of the kinds listed.")
        ],
    )
    active = wtforms.SelectField(
        "Active",
        choices=_choices(ACTIVE_FILTERS),
        default="",
        validate_choice=False,
        validators=[
            validators.AnyOf(list(ACTIVE_FILTERS), message="Choose active, not active or any.")
        ],
    )

    def service_filters(self) -> tuple[str, str | None, bool | None]:
        """(q, kind, active) as ISponsorService.sponsor_query takes them."""
        active = {"yes": True, "no": False}.get(self.active.data or "")
        return self.q.data or "", self.kind.data or None, active


def slug_from_name(name: str) -> str:
    """ "Acme Widgets, Inc." → "acme-widgets-inc"; letters with accents lose them."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX_LENGTH].rstrip("-")


def is_upload(data: Any) -> bool:
    """Whether a file field holds a chosen file (a browser sends an unchosen one as "")."""
    return hasattr(data, "file") and bool(getattr(data, "filename", None))


def _uploaded_bytes(data: Any) -> bytes:
    content = data.value
    return content if isinstance(content, bytes) else content.encode()


def _optional_text(label: str, maximum: int, field: type = wtforms.StringField) -> Any:
    return field(label, validators=[bounded(maximum)], filters=[strip])


def _text_area_lines(value: object) -> object:
    """Line breaks as one character each, as the length limit and the database count them."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return value


class SponsorForm(Form):
    """A sponsor, new (``current`` None) or as it is (``current``).

    After ``validate()``, ``color_logo_checked`` and ``white_logo_checked`` hold the logos
    chosen, checked, for the view to store.
    """

    name = wtforms.StringField(
        "Name",
        validators=[
            validators.DataRequired(message="Enter the sponsor's name."),
            bounded(NAME_MAX_LENGTH),
        ],
        filters=[strip],
    )
    slug = _optional_text("Slug", SLUG_MAX_LENGTH)
    link_url = wtforms.URLField(
        "Website",
        validators=[
            validators.DataRequired(message="Enter the sponsor's website."),
            bounded(URL_MAX_LENGTH),
        ],
        filters=[strip],
    )
    service = _optional_text("What it donates (infrastructure sponsors)", SERVICE_MAX_LENGTH)
    activity_markdown = wtforms.TextAreaField(
        "Activity (Markdown)",
        validators=[bounded(ACTIVITY_MAX_LENGTH)],
        filters=[_text_area_lines],
    )
    level_name = _optional_text("Level", NAME_MAX_LENGTH)
    level_order = wtforms.IntegerField(
        "Level order",
        default=0,
        validators=[validators.InputRequired(message=LEVEL_ORDER_RULE)],
        invalid_value_message=LEVEL_ORDER_RULE,
    )
    is_active = wtforms.BooleanField("Active: shown on the site")
    psf_sponsor = wtforms.BooleanField("PSF sponsor")
    infra_sponsor = wtforms.BooleanField("Infrastructure sponsor")
    one_time = wtforms.BooleanField("One-time sponsor")
    footer = wtforms.BooleanField("In the footer of every page")
    color_logo = wtforms.FileField("Colour logo")
    white_logo = wtforms.FileField("White logo")
    remove_white_logo = wtforms.BooleanField("Remove the white logo")

    def __init__(
        self, formdata: Any = None, *, current: "Sponsor | None" = None, **kwargs: Any
    ) -> None:
        super().__init__(formdata, obj=current if formdata is None else None, **kwargs)
        self.current = current
        self.color_logo_checked: CheckedLogo | None = None
        self.white_logo_checked: CheckedLogo | None = None
        if formdata is None and current is None:
            self.is_active.data = True

    def validate_slug(self, field: wtforms.Field) -> None:
        if not field.data:
            if self.current is not None:
                raise validators.ValidationError(f"Enter a slug. {SLUG_RULE}")
            if self.name.errors:
                return
            field.data = slug_from_name(self.name.data or "")
            if not field.data:
                raise validators.ValidationError(
                    f"The name has no letters or digits to make a slug from: enter one. {SLUG_RULE}"
                )
        if not SLUG_PATTERN.match(field.data):
            raise validators.ValidationError(SLUG_RULE)

    def validate_link_url(self, field: wtforms.Field) -> None:
        try:
            parts = urlsplit(field.data or "")
        except ValueError:
            # "https://[" and the like: a bracket that opens no valid IPv6 address.
            raise validators.ValidationError("This is not a web address.") from None
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise validators.ValidationError("Use an address starting with https:// or http://.")
        if re.search(r"\s", field.data):
            raise validators.ValidationError("A web address has no spaces in it.")

    def validate_level_order(self, field: wtforms.Field) -> None:
        if field.data is not None and not -LEVEL_ORDER_LIMIT <= field.data <= LEVEL_ORDER_LIMIT:
            raise validators.ValidationError(LEVEL_ORDER_RULE)

    def validate_color_logo(self, field: wtforms.Field) -> None:
        if is_upload(field.data):
            self.color_logo_checked = self._checked(field)
        elif self.current is None:
            raise validators.ValidationError(f"Choose the colour logo: {LOGO_TYPES}.")

    def validate_white_logo(self, field: wtforms.Field) -> None:
        if is_upload(field.data):
            if self.remove_white_logo.data:
                raise validators.ValidationError(
                    "Choose a new white logo or tick “Remove the white logo”, not both."
                )
            self.white_logo_checked = self._checked(field)
            return
        if (self.footer.data or self.infra_sponsor.data) and not self.keeps_white_logo:
            raise validators.ValidationError(WHITE_LOGO_NEEDED)

    @property
    def keeps_white_logo(self) -> bool:
        """The sponsor has a white logo, and the form does not remove it."""
        return bool(
            self.current is not None
            and self.current.white_logo_url
            and not self.remove_white_logo.data
        )

    def _checked(self, field: wtforms.Field) -> CheckedLogo:
        try:
            return check_logo(_uploaded_bytes(field.data), file_name=field.data.filename)
        except LogoRefused as refusal:
            raise validators.ValidationError(str(refusal)) from None

    def text_values(self) -> dict[str, Any]:
        """The fields of SponsorValues other than the logos, from a valid form."""
        return {
            "name": self.name.data,
            "slug": self.slug.data,
            "link_url": self.link_url.data,
            "service": self.service.data or None,
            "activity_markdown": self.activity_markdown.data or None,
            "level_name": self.level_name.data or None,
            "level_order": self.level_order.data,
            "is_active": self.is_active.data,
            "footer": self.footer.data,
            "psf_sponsor": self.psf_sponsor.data,
            "infra_sponsor": self.infra_sponsor.data,
            "one_time": self.one_time.data,
        }


class DeleteSponsorForm(Form):
    """Deleting a sponsor takes it off the site at once, with its history: staff type its
    name (``confirm``), as for other removals."""

    confirm = confirmation_field("Sponsor name, to confirm", NAME_MAX_LENGTH)
