"""What a sponsor logo may be: PNG, JPEG, WebP or SVG, told from the bytes themselves (never
from the file's name or the Content-Type the browser sent), no larger than the limit, and an
SVG only if it is inert: no scripts, no event handlers, nothing loaded from elsewhere.

An SVG that breaks a rule is refused rather than cleaned: a logo is made once by a designer,
and staff can send a clean one; a cleaner that misses a trick would put script on our origin.
The same checks apply to logos staff upload and to logos the PSF feed points at.
"""

import dataclasses
import hashlib
import re
import xml.etree.ElementTree as ElementTree
from xml.parsers import expat

# A logo is a small picture; 400 KiB holds a detailed PNG.
MAX_LOGO_BYTES = 400 * 1024
# The staff sponsor form: both logos at their largest, plus the text fields (the activity at up
# to four bytes a character) and the multipart framing around them.
SPONSOR_FORM_MAX_BYTES = 2 * MAX_LOGO_BYTES + 64 * 1024

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# HTML inside an SVG (<html:img src=...>, <html:a href=...>) loads and links like a page does.
XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
# Elements that run script, embed other documents or pull in other resources.
_REFUSED_SVG_ELEMENTS = {
    "script",
    "foreignobject",
    "iframe",
    "embed",
    "object",
    "audio",
    "video",
    "image",
    "feimage",
    "handler",
    "listener",
    "set",
    "animate",
    "animatemotion",
    "animatetransform",
}
# url(#id) points inside the file; any other url(...) or @import loads something.
_EXTERNAL_CSS = re.compile(r"@import|url\((?!\s*['\"]?\s*#)", re.IGNORECASE)
_SVG_DOCTYPE = re.compile(rb"<!doctype\s+svg", re.IGNORECASE)
_JAVASCRIPT = re.compile(r"^\s*(javascript|data|vbscript):", re.IGNORECASE)


class LogoRefused(Exception):
    """The file is not a logo we take; the message says why, for the person uploading."""


@dataclasses.dataclass(frozen=True)
class CheckedLogo:
    content: bytes
    content_type: str
    extension: str

    def file_name(self, slug: str, variant: str) -> str:
        """A name that changes with the content, so a browser never shows an old logo."""
        digest = hashlib.sha256(self.content).hexdigest()[:16]
        return f"{slug}-{variant}-{digest}.{self.extension}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _check_svg(content: bytes) -> None:
    if b"<!DOCTYPE" in content.upper() or b"<!ENTITY" in content.upper():
        # No document type: no entities, so no entity expansion and no external entities.
        raise LogoRefused("This SVG declares a document type or entities; save it without them.")
    if b"<?XML-STYLESHEET" in content.upper():
        # The parser drops processing instructions, so this one is looked for in the bytes.
        raise LogoRefused("This SVG loads a stylesheet from elsewhere; save it without one.")
    try:
        # A document type was refused above, so no entity can be declared: none of the XML
        # entity attacks reach the parser.
        root = ElementTree.fromstring(content)  # noqa: S314
    except (ElementTree.ParseError, expat.ExpatError, ValueError):
        raise LogoRefused("This SVG is not well-formed XML.") from None
    if root.tag != f"{{{SVG_NAMESPACE}}}svg":
        raise LogoRefused("This file is not an SVG image (its root element is not <svg>).")
    for element in root.iter():
        name = _local(element.tag) if isinstance(element.tag, str) else ""
        if isinstance(element.tag, str) and element.tag.startswith(f"{{{XHTML_NAMESPACE}}}"):
            raise LogoRefused(
                f"This SVG has an HTML <{name}> element; logos must be plain drawings."
            )
        if name in _REFUSED_SVG_ELEMENTS:
            raise LogoRefused(
                f"This SVG has a <{name}> element, which can run script or load something "
                "from elsewhere; logos must be plain drawings."
            )
        if name == "style" and _EXTERNAL_CSS.search(element.text or ""):
            raise LogoRefused("This SVG's styles load something from elsewhere.")
        for attribute, value in element.attrib.items():
            local = _local(attribute)
            if local.startswith("on"):
                raise LogoRefused(
                    f"This SVG has an event handler ({local}), which runs script; remove it."
                )
            if local == "href" and not value.strip().startswith("#"):
                raise LogoRefused(
                    "This SVG links to something outside itself; logos must be self-contained."
                )
            # Not only style="": fill="url(https://...)" and the like load from elsewhere too.
            if _JAVASCRIPT.match(value) or _EXTERNAL_CSS.search(value):
                raise LogoRefused("This SVG loads something from elsewhere or runs script.")


def _sniff(content: bytes) -> tuple[str, str] | None:
    """(content type, extension) from the file's first bytes, for the types we take."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", "webp"
    head = content[:1024].lstrip(b"\xef\xbb\xbf").lstrip()
    if head.startswith((b"<?xml", b"<svg", b"<!--")) or _SVG_DOCTYPE.match(head):
        # An SVG with a document type is still told as one, to be refused for it by name.
        return "image/svg+xml", "svg"
    return None


# What a file name's ending claims: a name that claims one type for the bytes of another (a
# PNG called logo.svg) is refused, so what staff chose is what the site shows.
_CLAIMED_BY_EXTENSION = {
    "png": "png",
    "jpg": "jpg",
    "jpeg": "jpg",
    "webp": "webp",
    "svg": "svg",
    "gif": "gif",
    "bmp": "bmp",
    "ico": "ico",
    "tif": "tif",
    "tiff": "tif",
    "avif": "avif",
    "heic": "heic",
}
_TYPE_WORDS = {"png": "a PNG", "jpg": "a JPEG", "webp": "a WebP", "svg": "an SVG"}


def _refuse_misnamed(file_name: str, extension: str) -> None:
    stem, dot, ending = file_name.rpartition(".")
    claimed = _CLAIMED_BY_EXTENSION.get(ending.lower()) if dot and stem else None
    if claimed is not None and claimed != extension:
        raise LogoRefused(
            f"This file is {_TYPE_WORDS[extension]} image, but its name ends in .{ending}. "
            "Give it the ending of what it is and choose it again."
        )


def check_logo(
    content: bytes, *, max_bytes: int = MAX_LOGO_BYTES, file_name: str | None = None
) -> CheckedLogo:
    """The logo, with its real type; raises LogoRefused saying what is wrong. ``file_name``,
    when the file came with one, must not claim another type than the bytes are."""
    if not content:
        raise LogoRefused("The file is empty.")
    if len(content) > max_bytes:
        raise LogoRefused(
            f"The file is {len(content) // 1024:,} KiB; a logo may be at most "
            f"{max_bytes // 1024:,} KiB."
        )
    sniffed = _sniff(content)
    if sniffed is None:
        raise LogoRefused("This file is not a PNG, JPEG, WebP or SVG image.")
    content_type, extension = sniffed
    if file_name:
        _refuse_misnamed(file_name, extension)
    if extension == "svg":
        _check_svg(content)
    return CheckedLogo(content=content, content_type=content_type, extension=extension)
