"""Refuse input that cannot be text before any view runs.

PostgreSQL cannot store a NUL character, WebOb raises when it decodes bytes that are not UTF-8,
and a control character in an address ends up in headers and logs. Rather than every view
guarding every parameter, one tween reads the path, the query string and form bodies the way
WebOb will, and answers 400 with the site's error page when any of them is not plain text.

The tween sits just under Pyramid's exception view tween: its refusal is rendered by the same
error view as every other 400, inside the request's transaction (the page shows who is logged
in), with the request id and security headers that the outer tweens add.

No form takes files, except on the few routes a feature registers with
``config.allow_uploads(route_name, UploadAllowance(...))`` (the staff sponsor forms and their
logos): there, and only in the fields named, a part may be a file, and the body may be as
large as that form needs; every other part is still text, checked as anywhere else.
"""

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPBadRequest, HTTPRequestEntityTooLarge
from pyramid.interfaces import IRoutesMapper
from pyramid.registry import Registry
from pyramid.request import Request
from pyramid.response import Response
from pyramid.tweens import EXCVIEW
from webob.compat import cgi_FieldStorage

FORM_CONTENT_TYPES = ("", "application/x-www-form-urlencoded", "multipart/form-data")
# A text area may hold tabs and line breaks; no other control character belongs in a form.
FORM_TEXT_CONTROLS = frozenset("\t\n\r")

PATH_NOT_UTF8 = "The address has bytes that are not UTF-8 text. Check the link you followed."
QUERY_NOT_UTF8 = (
    "The part of the address after “?” has bytes that are not UTF-8 text. Check the link you "
    "followed."
)
FORM_NOT_UTF8 = "The form sent bytes that are not UTF-8 text. Reload the page and try again."
FORM_FILE_SENT = "This form does not take files. Reload the page and fill in its fields."
FORM_NOT_READABLE = "The form could not be read. Reload the page and try again."
FORM_FILE_IN_TEXT_FIELD = (
    "This form takes files only in its file fields. Reload the page and fill in its fields."
)
# Browsers send every part of a form as UTF-8 and as it is; a part that says otherwise would be
# decoded by WebOb after these checks, past them.
FORM_PART_ENCODED = "A part of the form says it is encoded. Reload the page and try again."
# What a part may declare as its transfer encoding: all mean "as it is".
PLAIN_TRANSFER_ENCODINGS = frozenset({"7bit", "8bit", "binary"})


# No form here comes near this; a larger body is refused before anything reads it.
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class UploadAllowance:
    """A form that sends files: the fields that may hold one, and the largest body it sends."""

    file_fields: frozenset[str]
    max_body_bytes: int
    # Said when the body is larger, in words for the person who chose the files.
    too_large: str


UPLOAD_ALLOWANCES_KEY = "request_validation.upload_allowances"


class BodyInMemoryRequest(Request):
    """WebOb copies a request body it must read twice (pyramid_retry, this module) into a
    temporary file once it passes 10 KiB, and never closes that file. Every body we accept
    fits in memory, so none is spooled to disk; the margin keeps a body a little too large in
    memory too, until it is refused."""

    request_body_tempfile_limit = 4 * MAX_BODY_BYTES


class BodyTooLarge(HTTPRequestEntityTooLarge):
    """The body is larger than any form here could send."""


class FileSent(Exception):
    """A form part arrived as an uploaded file where the form takes none."""


class PartEncoded(Exception):
    """A form part declares a charset or transfer encoding WebOb would apply after us."""


class UnreadableInput(HTTPBadRequest):
    """The request holds input that is not text; ``detail`` says which part and why."""


def _control_character(text: str, allowed: frozenset[str] = frozenset()) -> str | None:
    """The first control character in ``text`` not in ``allowed``, named for a person."""
    for character in text:
        if character not in allowed and unicodedata.category(character) == "Cc":
            return "a NUL character" if character == "\x00" else "a control character"
    return None


def _path_problem(request: Request) -> str | None:
    # A WSGI server hands over the percent-decoded path as one character per byte.
    raw = request.environ.get("PATH_INFO", "").encode("latin-1")
    try:
        path = raw.decode("utf-8")
    except UnicodeDecodeError:
        # The error page and the access log read request.path, which would raise on these
        # bytes again; they see the path with the bad bytes replaced instead.
        replaced = raw.decode("utf-8", errors="replace")
        request.environ["PATH_INFO"] = replaced.encode("utf-8").decode("latin-1")
        return PATH_NOT_UTF8
    found = _control_character(path)
    return f"The address contains {found}. Check the link you followed." if found else None


def _query_problem(request: Request) -> str | None:
    try:
        items = list(request.GET.items())
    except UnicodeDecodeError:
        return QUERY_NOT_UTF8
    found = _first_control_character(items)
    if found is None:
        return None
    return f"The part of the address after “?” contains {found}. Check the link you followed."


def _first_control_character(
    items: Iterable[tuple[str, object]], allowed_in_values: frozenset[str] = frozenset()
) -> str | None:
    for name, value in items:
        found = _control_character(name)
        if found is None and isinstance(value, str):
            found = _control_character(value, allowed_in_values)
        if found is not None:
            return found
    return None


def _check_part_encoding(part: cgi_FieldStorage) -> None:
    charset = part.type_options.get("charset", "utf-8").lower().replace("-", "")
    transfer = (part.headers.get("Content-Transfer-Encoding") or "7bit").strip().lower()
    if charset != "utf8" or transfer not in PLAIN_TRANSFER_ENCODINGS:
        raise PartEncoded()


def _form_fields(
    request: Request, file_fields: frozenset[str] = frozenset()
) -> list[tuple[str, object]]:
    """The body's text fields as WebOb will parse them, except that bytes which are not UTF-8
    raise UnicodeDecodeError instead of quietly becoming U+FFFD. A file is allowed only in
    ``file_fields``, and left out: its bytes are the view's to judge."""
    request.make_body_seekable()
    request.body_file_raw.seek(0)
    environ = {**request.environ, "QUERY_STRING": ""}
    environ.setdefault("CONTENT_LENGTH", "0")
    try:
        parsed = cgi_FieldStorage(
            fp=request.body_file,
            environ=environ,
            keep_blank_values=True,
            encoding="utf8",
            errors="strict",
        )
    finally:
        request.body_file_raw.seek(0)
    parts = parsed.list or ()
    if any(part.filename is not None and part.name not in file_fields for part in parts):
        raise FileSent()
    for part in parts:
        if isinstance(part, cgi_FieldStorage):
            _check_part_encoding(part)
    return [(part.name or "", part.value) for part in parts if part.filename is None]


def _form_problem(request: Request, allowance: UploadAllowance | None = None) -> str | None:
    content_type = request.content_type
    # The same test WebOb applies before it parses request.POST.
    if (request.method != "POST" and not content_type) or content_type not in FORM_CONTENT_TYPES:
        return None
    if request.charset != "UTF-8":
        return "The form was not sent as UTF-8 text. Reload the page and try again."
    file_fields = allowance.file_fields if allowance is not None else frozenset()
    try:
        fields = _form_fields(request, file_fields)
    except UnicodeDecodeError:
        return FORM_NOT_UTF8
    except FileSent:
        return FORM_FILE_IN_TEXT_FIELD if file_fields else FORM_FILE_SENT
    except PartEncoded:
        return FORM_PART_ENCODED
    except ValueError:
        # A multipart body without a usable boundary.
        return FORM_NOT_READABLE
    found = _first_control_character(fields, allowed_in_values=FORM_TEXT_CONTROLS)
    if found is None:
        return None
    return f"A field of the form contains {found}. Remove it and try again."


def find_unreadable_input(request: Request, allowance: UploadAllowance | None = None) -> str | None:
    """A sentence saying what in the request is not text, or None when all of it is."""
    return _path_problem(request) or _query_problem(request) or _form_problem(request, allowance)


def upload_allowance(request: Request, registry: Registry) -> UploadAllowance | None:
    """What the route this POST is for allows of files, if a feature allowed it any.

    Routing has not run yet (it runs under every tween), so the route is matched here the way
    the router will match it."""
    allowances: dict[str, UploadAllowance] = registry.get(UPLOAD_ALLOWANCES_KEY, {})
    if request.method != "POST" or not allowances:
        return None
    mapper = registry.queryUtility(IRoutesMapper)
    if mapper is None:
        return None
    try:
        route = mapper(request)["route"]
    except UnicodeDecodeError:
        # An address that is not UTF-8 is refused below, whatever it names.
        return None
    return allowances.get(route.name) if route is not None else None


def request_validation_tween_factory(
    handler: Callable[[Request], Response], registry: Registry
) -> Callable[[Request], Response]:
    def request_validation_tween(request: Request) -> Response:
        allowance = upload_allowance(request, registry)
        if allowance is not None:
            if (request.content_length or 0) > allowance.max_body_bytes:
                raise BodyTooLarge(allowance.too_large)
        elif (request.content_length or 0) > MAX_BODY_BYTES:
            raise BodyTooLarge(
                f"The request is larger than {MAX_BODY_BYTES // 1024} KiB; nothing was saved."
            )
        problem = find_unreadable_input(request, allowance)
        if problem is not None:
            raise UnreadableInput(problem)
        return handler(request)

    return request_validation_tween


def _allow_uploads(config: Configurator, route_name: str, allowance: UploadAllowance) -> None:
    config.registry.setdefault(UPLOAD_ALLOWANCES_KEY, {})[route_name] = allowance


def includeme(config: Configurator) -> None:
    config.add_directive("allow_uploads", _allow_uploads)
    config.set_request_factory(BodyInMemoryRequest)
    config.add_tween(
        "warehouse_orgs.request_validation.request_validation_tween_factory", under=EXCVIEW
    )
