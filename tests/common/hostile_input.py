"""Hypothesis strategies for input nobody should send, and the raw bodies that carry it.

Values are bytes, not text, so that bytes which are not UTF-8 at all reach the server exactly
as a hostile client would send them; bodies are built by hand for the same reason (a form
library would encode, or refuse, what we want to send).
"""

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

# Bytes that no UTF-8 decoder accepts: a lone continuation byte, a truncated sequence, a
# UTF-16 byte-order mark, an overlong "/", an encoded lone surrogate, a 5-byte form.
UNDECODABLE = (
    b"\xff\xfe",
    b"\xc3\x28",
    b"\x80",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\xe2\x82",
)
CONTROL_CHARACTERS = "".join(map(chr, [*range(32), 127])) + "\u2028\u202e\ufeff"
HUGE = 100_000
# What a program might send where a person types text: numbers, booleans, structures.
WRONG_TYPES = (
    b"0",
    b"-1",
    b"1.5",
    b"1e309",
    b"NaN",
    b"true",
    b"false",
    b"null",
    b"[]",
    b"{}",
    b"99999999999999999999999999",
    b"00000000-0000-0000-0000-000000000000",
    b"not-a-uuid",
)
TRICKS = (
    b"",
    b" ",
    b"' OR 1=1 --",
    b"<script>alert(1)</script>",
    b"{{ 7 * 7 }}",
    b"../../etc/passwd",
    b"%00",
    b"%ff",
    b"\\",
    b"//evil.example/",
    b"/\\evil.example",
    b"https://evil.example/",
    b"javascript:alert(1)",
)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")


def plausible_text() -> st.SearchStrategy[bytes]:
    return st.text(string.ascii_letters + string.digits + " -_.@é", max_size=30).map(_utf8)


def control_text() -> st.SearchStrategy[bytes]:
    """Text holding NUL and other control characters among ordinary ones."""
    characters = st.sampled_from(CONTROL_CHARACTERS) | st.characters(codec="utf-8")
    return (
        st.text(characters, min_size=1, max_size=20)
        .filter(lambda text: any(character in CONTROL_CHARACTERS for character in text))
        .map(_utf8)
    )


def undecodable_bytes() -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda before, bad, after: before + bad + after,
        st.binary(max_size=6),
        st.sampled_from(UNDECODABLE),
        st.binary(max_size=6),
    )


def line_breaks() -> st.SearchStrategy[bytes]:
    """Text with tabs and line breaks, which a text area may send and a mail header may not
    hold."""
    return st.text(
        st.sampled_from("\t\r\n") | st.sampled_from(string.ascii_letters), min_size=1, max_size=20
    ).map(_utf8)


def huge_value(readable: bool = True) -> st.SearchStrategy[bytes]:
    values = [
        b"a" * HUGE,
        b"1" * HUGE,
        _utf8("\u00e9" * (HUGE // 2)),
        _utf8("\U0001f600" * (HUGE // 4)),
    ]
    if not readable:
        values.append(b"a\x00" * (HUGE // 2))
    return st.sampled_from(values)


def hostile_value(usual: Sequence[bytes] = (), readable: bool = True) -> st.SearchStrategy[bytes]:
    """One field's value, from believable to absurd. ``usual`` holds values the form itself
    offers (its defaults and choices), so a valid-looking request gets through to the deeper
    checks too. Unless ``readable``, it may also be text no view should ever see (NUL and
    other control characters, bytes that are not UTF-8), which the app must refuse before
    any view runs."""
    strategies = [
        plausible_text(),
        line_breaks(),
        huge_value(readable),
        st.sampled_from(WRONG_TYPES),
        st.sampled_from(TRICKS),
    ]
    if usual:
        strategies.insert(0, st.sampled_from(list(usual)))
    if not readable:
        strategies += [control_text(), undecodable_bytes()]
    return st.one_of(strategies)


def hostile_name(known: Sequence[bytes] = (), readable: bool = True) -> st.SearchStrategy[bytes]:
    """A field name nobody's form has, or one of the form's own sent again."""
    strategies = [
        st.sampled_from(
            (b"", b"x" * 10_000, b"name[]", b"a=b", b"a&b", b"__proto__", b"_charset_")
        ),
    ]
    if known:
        strategies.insert(0, st.sampled_from(list(known)))
    if not readable:
        strategies += [control_text(), undecodable_bytes()]
    return st.one_of(strategies)


def _short(raw: bytes) -> str:
    return repr(raw[:40]) + (f"...({len(raw)} bytes)" if len(raw) > 40 else "")


class Value(bytes):
    """One value, shown briefly (see Fields)."""

    def __repr__(self) -> str:
        return _short(bytes(self))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


class Fields(list[tuple[bytes, bytes]]):
    """Name/value pairs, shown briefly: Hypothesis prints the ones that failed, and a 100 kB
    value would bury the report."""

    def __repr__(self) -> str:
        return "[" + ", ".join(f"{_short(name)}={_short(value)}" for name, value in self) + "]"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


@dataclass(frozen=True)
class Body:
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        return f"Body({self.content_type!r}, {_short(self.data)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


_BOUNDARY = b"fuzzBoundary7MA4YWxkTrZu0gW"


def urlencoded(pairs: Sequence[tuple[bytes, bytes]], charset: str | None = None) -> Body:
    data = b"&".join(
        quote_from_bytes(name, safe="").encode() + b"=" + quote_from_bytes(value, safe="").encode()
        for name, value in pairs
    )
    content_type = "application/x-www-form-urlencoded"
    return Body(content_type + (f"; charset={charset}" if charset else ""), data)


def multipart(
    pairs: Sequence[tuple[bytes, bytes]],
    as_files: bool = False,
    text_names: frozenset[bytes] = frozenset(),
) -> Body:
    """multipart/form-data; with ``as_files`` every part but those named in ``text_names`` is
    an uploaded file, which a form library hands to the view as an object where it expects
    text."""
    parts = []
    for name, value in pairs:
        # A quote or a line break would end the header early; escape them as browsers do.
        quoted = name.replace(b'"', b"%22").replace(b"\r", b"%0D").replace(b"\n", b"%0A")
        header = b'Content-Disposition: form-data; name="' + quoted + b'"'
        if as_files and name not in text_names:
            header += b'; filename="upload.txt"\r\nContent-Type: application/octet-stream'
        parts.append(b"--" + _BOUNDARY + b"\r\n" + header + b"\r\n\r\n" + value + b"\r\n")
    data = b"".join(parts) + b"--" + _BOUNDARY + b"--\r\n"
    return Body(f"multipart/form-data; boundary={_BOUNDARY.decode()}", data)


# How a form's fields travel. "unreadable" bodies also carry bytes and characters that must
# be refused before any view runs; the others carry text a view must cope with.
BODY_KINDS = ("urlencoded", "multipart", "uploaded files", "unreadable")


def encoded_body(
    kind: str, pairs: Sequence[tuple[bytes, bytes]], text_names: frozenset[bytes] = frozenset()
) -> st.SearchStrategy[Body]:
    """The fields sent as a body of that kind. Uploaded files replace every field except
    those named in ``text_names`` (the CSRF token, so that the request reaches the view)."""
    if kind == "urlencoded":
        return st.sampled_from([urlencoded(pairs), urlencoded(pairs, "utf-8")])
    if kind == "multipart":
        return st.just(multipart(pairs))
    if kind == "uploaded files":
        return st.just(multipart(pairs, as_files=True, text_names=text_names))
    return st.sampled_from(
        [
            urlencoded(pairs),
            multipart(pairs),
            urlencoded(pairs, "latin-1"),
            urlencoded(pairs, "no-such-charset"),
        ]
    )


def query_string(pairs: Sequence[tuple[bytes, bytes]]) -> str:
    return "&".join(
        quote_from_bytes(name, safe="") + "=" + quote_from_bytes(value, safe="")
        for name, value in pairs
    )


@st.composite
def mutated_pairs(
    draw: st.DrawFn,
    pairs: Sequence[tuple[str, str]],
    *,
    readable: bool = True,
    keep: frozenset[str] = frozenset(),
    extra_names: Sequence[str] = (),
    extra_values: Sequence[str] = (),
) -> Fields:
    """The untouched submission of a form (or a query string), each field kept, changed,
    dropped or repeated, plus fields it never had. Names in ``keep`` (the CSRF token) are
    sent as they are, so the request reaches the view."""
    known_names = [name.encode() for name, _ in pairs] + [name.encode() for name in extra_names]
    usual_values = list(
        dict.fromkeys([value.encode() for _, value in pairs] + [v.encode() for v in extra_values])
    )
    values = hostile_value(usual_values, readable)
    result: list[tuple[bytes, bytes]] = []
    for name, value in pairs:
        raw_name, raw_value = name.encode(), value.encode()
        if name in keep:
            result.append((raw_name, raw_value))
            continue
        fate = draw(st.sampled_from(["keep", "keep", "change", "change", "drop", "repeat"]))
        if fate == "keep":
            result.append((raw_name, raw_value))
        elif fate == "change":
            result.append((raw_name, draw(values)))
        elif fate == "repeat":
            for repeated in draw(st.lists(values, min_size=2, max_size=3)):
                result.append((raw_name, repeated))
    extras = draw(st.lists(st.tuples(hostile_name(known_names, readable), values), max_size=3))
    return Fields(result + extras)
