"""The one check for ``next=``: where a page may send the browser once it is done.

Only a path on this site qualifies. Browsers are generous readers of a Location header: they
drop tabs and line breaks, treat a backslash as a slash and ``//host`` as another site, so
``/\\t/evil.example`` and ``/\\evil.example`` both leave the site. Rather than predicting every
reading, the check refuses anything that is not a plain path: it must start with exactly one
``/`` and hold no backslash, whitespace or control character.
"""

import unicodedata
from urllib.parse import quote, urlsplit

from pyramid.request import Request

NEXT_URL_MAX_LENGTH = 2000
# Every printable ASCII character is left as it is; anything beyond ASCII is percent-encoded,
# because a header value must be ASCII.
_PRINTABLE_ASCII = "".join(chr(code) for code in range(0x21, 0x7F))


def is_same_site_path(value: object) -> bool:
    """True when ``value`` is a path on this site that is safe to redirect a browser to."""
    if not isinstance(value, str) or not 1 <= len(value) <= NEXT_URL_MAX_LENGTH:
        return False
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return False
    if any(c.isspace() or unicodedata.category(c) == "Cc" for c in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_next_url(request: Request, default_route: str = "manage.account") -> str:
    """The request's ``next`` parameter when it is a same-site path, ready for a Location
    header; otherwise the path of ``default_route``."""
    candidate = request.params.get("next")
    if is_same_site_path(candidate):
        return quote(candidate, safe=_PRINTABLE_ASCII)
    return request.route_path(default_route)
