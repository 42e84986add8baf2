"""The forms a page offers, read from its HTML the way a browser reads them.

Only forms inside ``<main>`` belong to the page; the layout's own forms (the header's "Log out")
are on every page and are found on the page whose content they are.
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# Inputs whose value is sent only when they are checked.
_CHECKABLE = {"checkbox", "radio"}
# Inputs that send nothing unless they are the button pressed, or nothing at all.
_BUTTONS = {"submit", "image", "button", "reset"}


@dataclass(frozen=True)
class FormField:
    name: str
    # What a browser sends for it when nobody touches the form ("" for an empty text box).
    value: str
    kind: str
    # Sent when the form is submitted untouched (an unchecked box or an unpressed button is not).
    sent: bool = True


@dataclass
class HtmlForm:
    method: str
    # Absolute path and query string the form posts to.
    action: str
    form_id: str | None
    fields: list[FormField] = field(default_factory=list)

    @property
    def action_path(self) -> str:
        return urlsplit(self.action).path

    def names(self) -> list[str]:
        return list(dict.fromkeys(form_field.name for form_field in self.fields))

    def untouched(self) -> list[tuple[str, str]]:
        """The name/value pairs a browser submits when the first button is pressed."""
        pairs = []
        pressed = False
        for form_field in self.fields:
            if form_field.kind == "button":
                if not pressed:
                    pairs.append((form_field.name, form_field.value))
                    pressed = True
            elif form_field.sent:
                pairs.append((form_field.name, form_field.value))
        return pairs


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[HtmlForm] = []
        self._main_depth = 0
        self._form: HtmlForm | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: tuple[str | None, bool, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "main":
            self._main_depth += 1
        if not self._main_depth:
            return
        if tag == "form":
            action = attributes.get("action") or self.page_url
            self._form = HtmlForm(
                method=(attributes.get("method") or "get").lower(),
                action=urljoin(self.page_url, action),
                form_id=attributes.get("id"),
            )
            self.forms.append(self._form)
            return
        if self._form is None or "disabled" in attributes:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in _BUTTONS:
                if kind == "submit":
                    self._add(name, attributes.get("value", ""), "button", sent=False)
            elif kind in _CHECKABLE:
                self._add(name, attributes.get("value", "on"), kind, sent="checked" in attributes)
            else:
                self._add(name, attributes.get("value", ""), kind)
        elif tag == "button" and name:
            if (attributes.get("type") or "submit").lower() == "submit":
                self._add(name, attributes.get("value", ""), "button", sent=False)
        elif tag == "textarea" and name:
            self._textarea = (name, [])
        elif tag == "select" and name:
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._option = (attributes.get("value"), "selected" in attributes, [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._option is not None:
            self._option[2].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "main" and self._main_depth:
            self._main_depth -= 1
        elif tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            # A newline right after <textarea> is not part of its value.
            self._add(name, "".join(text).removeprefix("\n"), "textarea")
            self._textarea = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value, selected, text = self._option
            self._select[1].append(
                (value if value is not None else "".join(text).strip(), selected)
            )
            self._option = None
        elif tag == "select" and self._select is not None:
            name, options = self._select
            chosen = [value for value, selected in options if selected] or [
                value for value, _ in options[:1]
            ]
            if chosen:
                self._add(name, chosen[0], "select")
            self._select = None

    def _add(self, name: str, value: str, kind: str, *, sent: bool = True) -> None:
        assert self._form is not None
        self._form.fields.append(FormField(name, value, kind, sent))


def page_forms(html: str, page_url: str) -> list[HtmlForm]:
    """The forms inside the page's ``<main>``, in document order."""
    parser = _FormParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms
