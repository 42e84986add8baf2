"""The words people see for the codes we store.

A status is stored as a short code ("moreinformationneeded") because the code is what the
database checks and what old rows hold. People must never see the code: every enum whose
values reach a page is a ``LabelledEnum``, which carries its label next to its value, and
templates show ``{{ value | label }}`` (or the ``status_badge`` macro in ``_labels.html``).

Columns hold plain strings, so the filter looks the label up by value across every labelled
enum; two enums may share a value only if they also share its label.
"""

import enum
from typing import Self

_LABELS: dict[str, str] = {}


class LabelledEnum(enum.StrEnum):
    """``Member = ("member", "Member")``: the stored value, then what people read."""

    label: str

    def __new__(cls, value: str, label: str) -> Self:
        known = _LABELS.setdefault(value, label)
        if known != label:
            raise ValueError(f"{cls.__name__} labels {value!r} {label!r}, elsewhere {known!r}")
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


def label(value: object) -> str:
    """The human words for a stored code; a value with no label is shown as it is."""
    if isinstance(value, LabelledEnum):
        return value.label
    text = "" if value is None else str(value)
    return _LABELS.get(text, text)


def has_label(value: object) -> bool:
    return isinstance(value, LabelledEnum) or str(value) in _LABELS
