"""What the staff sponsor tests share: logo files, the sponsor form filled as a person fills it,
and the files the app's logo storage holds."""

from pathlib import Path
from typing import Any

import webtest

from warehouse_orgs.sponsors.logos import MAX_LOGO_BYTES

LOGOS = Path(__file__).parents[2] / "fixtures" / "logos"


def logo(name: str) -> bytes:
    """One of the real logo files in tests/fixtures/logos/."""
    return (LOGOS / name).read_bytes()


def oversized_png() -> bytes:
    """A PNG a byte over the limit (trailing bytes after its end are still a PNG file)."""
    content = logo("logo.png")
    return content + b"\x00" * (MAX_LOGO_BYTES + 1 - len(content))


def stored_logos(registry: Any) -> set[str]:
    """The files in the app's local logo storage (leftovers of a half-written one included)."""
    directory = Path(registry.settings["sponsors.logo_storage.path"])
    return {path.name for path in directory.iterdir()} if directory.exists() else set()


def fill_sponsor_form(form: Any, **values: Any) -> Any:
    """Set fields of the page's sponsor form: text as text, True/False for a checkbox,
    (file name, bytes, content type) for a logo, None to leave a field as it is."""
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, tuple):
            form[name] = webtest.Upload(*value)
        else:
            form[name] = value
    return form


def new_sponsor_form(app: Any, **values: Any) -> Any:
    """The create page's form, with a name, a website and a colour logo unless ``values``
    say otherwise."""
    form = app.get("/admin/sponsors/create/").forms["sponsor-form"]
    defaults: dict[str, Any] = {
        "name": "Acme Widgets",
        "link_url": "https://acme.example.com/",
        "color_logo": ("logo.png", logo("logo.png"), "image/png"),
    }
    return fill_sponsor_form(form, **(defaults | values))
