"""Reading pages the way a person does: the visible text, spaces collapsed."""

from typing import Any


def main_text(response: Any) -> str:
    """The text of the page's <main>, as one line."""
    return " ".join(response.html.find("main").get_text(" ").split())


def field_error(response: Any, field_id: str) -> str | None:
    """The error shown beside a field, if any."""
    error = response.html.find(id=f"{field_id}-error")
    return " ".join(error.get_text(" ").split()) if error else None
