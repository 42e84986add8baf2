"""What a domain an organization may verify looks like, and its one spelling.

A domain is stored as its lower-case ASCII (IDNA 2008, with UTS 46 mapping) form, so
"Bücher.Example" and "xn--bcher-kva.example" are the same row. It must be a host name that
can be registered and hold a TXT record: letters, digits and hyphens in labels of at most 63
characters, at least two labels, a top-level label that is not all digits, no wildcard, no IP
address, no reserved top-level name, at most 253 characters in all.
"""

import ipaddress
import re
import urllib.parse

import idna

# RFC 1035: 255 octets on the wire are 253 characters written out.
DOMAIN_MAX_LENGTH = 253
# What the form takes before the IDNA conversion (a Unicode name is longer once encoded, and
# then checked against DOMAIN_MAX_LENGTH).
DOMAIN_INPUT_MAX_LENGTH = DOMAIN_MAX_LENGTH
LABEL_MAX_LENGTH = 63
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
# Names no registry hands out (RFC 6761, RFC 6762, ICANN's .internal): nobody proves them.
RESERVED_TOP_LEVEL = frozenset(
    {"arpa", "example", "internal", "invalid", "local", "localhost", "onion", "test"}
)
DOMAIN_RULE = "A domain name such as example.org, without https:// or a path."


class DomainNameRefused(ValueError):
    """Why the text is not a domain that can be verified, in words for the form."""


def normalize_domain(text: str) -> str:
    """The stored form of ``text``, or DomainNameRefused saying what is wrong."""
    value = text.strip()
    if not value:
        raise DomainNameRefused("Enter a domain name, such as example.org.")
    if any(ord(character) < 32 or ord(character) == 127 for character in value):
        raise DomainNameRefused("A domain name cannot hold control characters.")
    if _is_ip_address(value):
        raise DomainNameRefused("An IP address cannot be verified: enter a domain name.")
    if "://" in value or "/" in value or "@" in value or ":" in value:
        raise DomainNameRefused(
            "Enter only the domain, such as example.org, without https:// or a path."
        )
    if "*" in value:
        raise DomainNameRefused(
            "A wildcard cannot be verified: enter the domain itself, such as example.org."
        )
    value = value.removesuffix(".")
    if len(value) > DOMAIN_MAX_LENGTH:
        raise DomainNameRefused(f"A domain name has at most {DOMAIN_MAX_LENGTH} characters.")
    try:
        ascii_name = idna.encode(value, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        raise DomainNameRefused(
            "This is not a valid domain name: use letters, digits and hyphens between dots."
        ) from None
    if len(ascii_name) > DOMAIN_MAX_LENGTH:
        raise DomainNameRefused(f"A domain name has at most {DOMAIN_MAX_LENGTH} characters.")
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise DomainNameRefused("Enter a full domain name with a dot, such as example.org.")
    for label in labels:
        if len(label) > LABEL_MAX_LENGTH or not _LABEL.match(label):
            raise DomainNameRefused(
                "This is not a valid domain name: each part between dots has 1 to 63 letters, "
                "digits or hyphens, and does not start or end with a hyphen."
            )
    if labels[-1].isdigit():
        raise DomainNameRefused("An IP address cannot be verified: enter a domain name.")
    if labels[-1] in RESERVED_TOP_LEVEL:
        raise DomainNameRefused(f"Names under .{labels[-1]} are reserved and cannot be verified.")
    return ascii_name


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


def host_is_on(host: str, domain: str) -> bool:
    """Whether ``host`` is ``domain`` or a name under it."""
    return host == domain or host.endswith("." + domain)


def host_of_link(link: str) -> str | None:
    """The host of a website address, in the stored form, or None if it has none."""
    try:
        host = urllib.parse.urlsplit(link).hostname
    except ValueError:
        return None
    if not host:
        return None
    try:
        return normalize_domain(host)
    except DomainNameRefused:
        return None
