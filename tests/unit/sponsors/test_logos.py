"""What a sponsor logo may be, told from its bytes: real PNG, JPEG, WebP and inert SVG files
are taken with their real type; anything else is refused with a message that says why."""

from pathlib import Path

import pytest

from warehouse_orgs.sponsors.logos import MAX_LOGO_BYTES, LogoRefused, check_logo

LOGOS = Path(__file__).parents[2] / "fixtures" / "logos"
SVG_OPEN = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'


def logo(name: str) -> bytes:
    return (LOGOS / name).read_bytes()


def svg(inner: bytes, *, open_tag: bytes = SVG_OPEN) -> bytes:
    return open_tag + inner + b"</svg>"


@pytest.mark.parametrize(
    ("name", "content_type", "extension"),
    [
        ("logo.png", "image/png", "png"),
        ("logo.jpg", "image/jpeg", "jpg"),
        ("logo.webp", "image/webp", "webp"),
        ("logo.svg", "image/svg+xml", "svg"),
    ],
)
def test_real_logos_are_taken_with_their_type(name, content_type, extension):
    checked = check_logo(logo(name))

    assert (checked.content, checked.content_type, checked.extension) == (
        logo(name),
        content_type,
        extension,
    )


def test_the_type_comes_from_the_bytes_not_the_name():
    """A PNG is a PNG whatever it is called, and a file called .png is not one for its name."""
    assert check_logo(logo("logo.png")).extension == "png"
    with pytest.raises(LogoRefused, match="not a PNG, JPEG, WebP or SVG image"):
        check_logo(b"GIF89a pretending to be logo.png")


def test_the_stored_name_changes_with_the_content():
    png, jpeg = check_logo(logo("logo.png")), check_logo(logo("logo.jpg"))

    assert png.file_name("acme", "color").startswith("acme-color-")
    assert png.file_name("acme", "color").endswith(".png")
    assert png.file_name("acme", "color") == check_logo(logo("logo.png")).file_name("acme", "color")
    assert png.file_name("acme", "color")[:-4] != jpeg.file_name("acme", "color")[:-4]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,", "not a PNG, JPEG, WebP"),
        (b"Acme Corporation, the logo people", "not a PNG, JPEG, WebP"),
        (b"<html><body>not a logo</body></html>", "not a PNG, JPEG, WebP"),
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_LOGO_BYTES, "a logo may be at most 400 KiB"),
    ],
    ids=["gif", "text", "html", "empty", "oversized"],
)
def test_files_that_are_not_logos_are_refused(content, message):
    with pytest.raises(LogoRefused, match=message):
        check_logo(content)


def test_a_smaller_limit_is_kept():
    with pytest.raises(LogoRefused, match="The file is 1 KiB; a logo may be at most 0 KiB"):
        check_logo(logo("logo.png") + b"\x00" * 1024, max_bytes=1000)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (svg(b"<script>alert(1)</script>"), "has a <script> element"),
        (svg(b'<rect width="1" height="1" onload="alert(1)"/>'), r"event handler \(onload\)"),
        (
            svg(b"", open_tag=SVG_OPEN[:-1] + b' onload="alert(1)">'),
            r"event handler \(onload\)",
        ),
        (svg(b'<use xlink:href="http://evil.example/x.svg#a"/>'), "links to something outside"),
        (svg(b'<a href="https://evil.example/"><rect/></a>'), "links to something outside"),
        (svg(b"<foreignObject><p>hi</p></foreignObject>"), "has a <foreignobject> element"),
        (svg(b'<image href="#x"/>'), "has a <image> element"),
        (svg(b'<set attributeName="fill" to="red"/>'), "has a <set> element"),
        (
            b'<!DOCTYPE svg [<!ENTITY lol "lol">]>' + svg(b"<text>&lol;</text>"),
            "declares a document type or entities",
        ),
        (
            b'<?xml version="1.0"?><!doctype svg SYSTEM "http://evil.example/x.dtd">' + svg(b""),
            "declares a document type or entities",
        ),
        (svg(b"<style>rect { fill: url(http://evil.example/a.png) }</style>"), "styles load"),
        (svg(b'<style>@import "https://evil.example/a.css";</style>'), "styles load"),
        (
            svg(
                b"<style><![CDATA[ rect { background: URL( 'https://evil.example/' ) } ]]></style>"
            ),
            "styles load",
        ),
        (
            svg(b'<rect style="fill: url(https://evil.example/a.png)"/>'),
            "loads something from elsewhere",
        ),
        (svg(b'<rect fill="url(https://evil.example/a.svg#g)"/>'), "loads something from"),
        (svg(b'<a xlink:href="javascript:alert(1)"><rect/></a>'), "links to something outside"),
        (
            b'<?xml-stylesheet type="text/css" href="https://evil.example/a.css"?>' + svg(b""),
            "loads a stylesheet from elsewhere",
        ),
        (
            svg(
                b'<html:img xmlns:html="http://www.w3.org/1999/xhtml" src="https://evil.example/"/>'
            ),
            "has an HTML <img> element",
        ),
        (svg(b"<rect>"), "not well-formed XML"),
        (b'<svg xmlns="http://www.w3.org/1999/xhtml"></svg>', "root element is not <svg>"),
        (b"<?xml version='1.0'?><html/>", "root element is not <svg>"),
    ],
    ids=[
        "script",
        "onload on a shape",
        "onload on the root",
        "xlink:href to http",
        "link to elsewhere",
        "foreignObject",
        "image",
        "animation",
        "entities",
        "doctype",
        "style url(http)",
        "style @import",
        "style in CDATA",
        "style attribute url(http)",
        "fill url(http)",
        "javascript: link",
        "xml-stylesheet",
        "html element",
        "broken xml",
        "wrong namespace",
        "not svg",
    ],
)
def test_svgs_that_could_run_script_or_load_from_elsewhere_are_refused(content, message):
    with pytest.raises(LogoRefused, match=message):
        check_logo(content)


def test_an_svg_may_point_inside_itself():
    inner = (
        b'<defs><linearGradient id="g"/><circle id="c" r="3"/></defs>'
        b'<use href="#c" fill="url(#g)"/><use xlink:href="#c" style="fill: url( #g )"/>'
    )

    assert check_logo(svg(inner)).content_type == "image/svg+xml"


def test_an_svg_with_a_byte_order_mark_and_a_leading_comment_is_an_svg():
    content = b"\xef\xbb\xbf\n<!-- made by a designer -->\n" + svg(b'<rect width="2"/>')

    assert check_logo(content).extension == "svg"
