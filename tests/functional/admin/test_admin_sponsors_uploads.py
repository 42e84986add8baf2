"""Logos sent to the staff sponsor forms: judged from their bytes, refused with the reason
beside their field and nothing stored; hostile bodies refused before any view runs, never a
500; files taken only by these two forms, in their two logo fields; and a stale password asks
for the files again rather than losing them."""

import pytest
from sqlalchemy import func, select

from tests.common.db.accounts import PASSWORD, UserFactory
from tests.common.db.sponsors import SponsorFactory
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in, make_authentication_stale
from tests.functional.admin.sponsor_pages import (
    fill_sponsor_form,
    logo,
    new_sponsor_form,
    oversized_png,
    stored_logos,
)
from warehouse_orgs.forms import REPEATED_MESSAGE
from warehouse_orgs.request_validation import (
    FORM_FILE_IN_TEXT_FIELD,
    FORM_FILE_SENT,
    FORM_PART_ENCODED,
)
from warehouse_orgs.sponsors.logos import MAX_LOGO_BYTES, SPONSOR_FORM_MAX_BYTES
from warehouse_orgs.sponsors.models import Sponsor

CREATE = "/admin/sponsors/create/"
NOT_A_LOGO = "This file is not a PNG, JPEG, WebP or SVG image."
SVG_HEAD = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'


@pytest.fixture
def app(webtest_app, db_session):
    log_in(webtest_app, UserFactory.create(username="psf-person", is_psf_staff=True))
    return webtest_app


def _sponsor_count(db_session):
    db_session.expire_all()
    return db_session.scalar(select(func.count()).select_from(Sponsor))


def _csrf_token(app):
    return app.get("/").html.find("input", attrs={"name": "csrf_token"})["value"]


REFUSED_LOGOS = [
    pytest.param(
        ("logo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"), NOT_A_LOGO, id="gif"
    ),
    pytest.param(("notes.txt", b"Our logo, in words.", "text/plain"), NOT_A_LOGO, id="text"),
    pytest.param(("logo.png", b"Not a PNG at all", "image/png"), NOT_A_LOGO, id="text-named-png"),
    pytest.param(("logo.png", b"", "image/png"), "The file is empty.", id="empty"),
    pytest.param(
        ("big.png", oversized_png(), "image/png"),
        f"a logo may be at most {MAX_LOGO_BYTES // 1024} KiB",
        id="oversized",
    ),
    pytest.param(
        ("logo.svg", SVG_HEAD + b"<script>alert(1)</script></svg>", "image/svg+xml"),
        "This SVG has a <script> element",
        id="svg-script",
    ),
    pytest.param(
        ("logo.svg", SVG_HEAD.replace(b">", b' onload="alert(1)">') + b"</svg>", "image/svg+xml"),
        "This SVG has an event handler (onload)",
        id="svg-onload",
    ),
    pytest.param(
        (
            "logo.svg",
            SVG_HEAD + b'<use xlink:href="https://evil.example/sprite.svg#logo"/></svg>',
            "image/svg+xml",
        ),
        "This SVG links to something outside itself",
        id="svg-external-href",
    ),
    pytest.param(
        (
            "logo.svg",
            SVG_HEAD + b'<a href="javascript:alert(1)"><rect/></a></svg>',
            "image/svg+xml",
        ),
        "This SVG links to something outside itself",
        id="svg-javascript-link",
    ),
]


@pytest.mark.parametrize("field", ["color_logo", "white_logo"])
@pytest.mark.parametrize(("upload", "message"), REFUSED_LOGOS)
def test_a_refused_logo_is_named_beside_its_field_and_nothing_is_stored(
    app, db_session, app_registry, field, upload, message
):
    before = stored_logos(app_registry)
    # The other logo is fine: it is not stored either.
    good = ("logo.png", logo("logo.png"), "image/png")
    logos = {"color_logo": good, "white_logo": good} | {field: upload}
    response = new_sponsor_form(app, **logos).submit(status=400)
    assert message in field_error(response, field)
    assert _sponsor_count(db_session) == 0
    assert stored_logos(app_registry) == before


@pytest.mark.parametrize(("upload", "message"), REFUSED_LOGOS[:4])
def test_a_refused_logo_on_edit_changes_nothing(app, db_session, app_registry, upload, message):
    sponsor = SponsorFactory.create(slug="acme", name="Acme")
    before = stored_logos(app_registry)
    form = app.get(f"/admin/sponsors/{sponsor.id}/").forms["sponsor-form"]
    response = fill_sponsor_form(form, name="Renamed", color_logo=upload).submit(status=400)
    assert message in field_error(response, "color_logo")
    db_session.expire_all()
    assert (sponsor.name, sponsor.color_logo_url) == ("Acme", "/static/sponsorlogos/acme-color.png")
    assert stored_logos(app_registry) == before


@pytest.mark.parametrize(
    ("upload", "refusal"),
    [
        (("logo.svg", logo("logo.png"), "image/svg+xml"), "a PNG image, but its name ends in .svg"),
        (("logo.png", logo("logo.svg"), "image/png"), "an SVG image, but its name ends in .png"),
        (("logo.gif", logo("logo.jpg"), "image/gif"), "a JPEG image, but its name ends in .gif"),
    ],
    ids=["png-named-svg", "svg-named-png", "jpeg-named-gif"],
)
def test_a_logo_whose_name_claims_another_type_is_refused_and_nothing_is_stored(
    app, db_session, app_registry, upload, refusal
):
    before = stored_logos(app_registry)
    response = new_sponsor_form(app, color_logo=upload).submit(status=400)
    assert refusal in field_error(response, "color_logo")
    assert db_session.scalar(select(func.count()).select_from(Sponsor)) == 0
    assert stored_logos(app_registry) == before


@pytest.mark.parametrize(
    ("upload", "extension", "content_type"),
    [
        (("logo.PNG", logo("logo.png"), "application/octet-stream"), "png", "image/png"),
        (("logo", logo("logo.webp"), "application/octet-stream"), "webp", "image/webp"),
        (("Our logo.jpeg", logo("logo.jpg"), "image/png"), "jpg", "image/jpeg"),
    ],
    ids=["png-whatever-the-header", "webp-without-an-ending", "jpeg-under-either-ending"],
)
def test_a_logo_is_what_its_bytes_say_whatever_the_type_the_browser_sent(
    app, db_session, upload, extension, content_type
):
    new_sponsor_form(app, color_logo=upload).submit(status=303)
    sponsor = db_session.scalar(select(Sponsor))
    assert sponsor.color_logo_url.endswith(f".{extension}")
    served = app.get(sponsor.color_logo_url)
    assert (served.body, served.content_type) == (upload[1], content_type)


def test_a_logo_sent_twice_is_refused(app, db_session, app_registry):
    before = stored_logos(app_registry)
    response = app.post(
        CREATE,
        {
            "csrf_token": _csrf_token(app),
            "name": "Acme",
            "slug": "",
            "link_url": "https://a.example/",
        },
        upload_files=[
            ("color_logo", "a.png", logo("logo.png"), "image/png"),
            ("color_logo", "b.png", logo("logo.png"), "image/png"),
        ],
        status=400,
    )
    assert field_error(response, "color_logo") == REPEATED_MESSAGE
    assert _sponsor_count(db_session) == 0
    assert stored_logos(app_registry) == before


# Bodies no browser sends


def _multipart(*parts: bytes) -> bytes:
    return b"".join(b"--B\r\n" + part + b"\r\n" for part in parts) + b"--B--\r\n"


def _text_part(name: bytes, value: bytes, headers: bytes = b"") -> bytes:
    return b'Content-Disposition: form-data; name="' + name + b'"\r\n' + headers + b"\r\n" + value


def _file_part(name: bytes, filename: bytes, content: bytes) -> bytes:
    return (
        b'Content-Disposition: form-data; name="'
        + name
        + b'"; filename="'
        + filename
        + b'"\r\nContent-Type: image/png\r\n\r\n'
        + content
    )


def _sponsor_body(token: str, *extra: bytes, name: bytes = b"Acme") -> bytes:
    return _multipart(
        _text_part(b"csrf_token", token.encode()),
        _text_part(b"name", name),
        _text_part(b"slug", b""),
        _text_part(b"link_url", b"https://acme.example.com/"),
        _text_part(b"level_order", b"0"),
        _file_part(b"color_logo", b"logo.png", logo("logo.png")),
        *extra,
    )


HOSTILE_BODIES = [
    pytest.param(
        lambda token: _sponsor_body(token, name=b"Ac\x00me"),
        400,
        "A field of the form contains a NUL character.",
        id="nul-in-a-text-field",
    ),
    pytest.param(
        lambda token: _sponsor_body(token, name=b"Ac\xffme"),
        400,
        "The form sent bytes that are not UTF-8 text.",
        id="not-utf8-in-a-text-field",
    ),
    pytest.param(
        lambda token: _sponsor_body(token, _file_part(b"service", b"a.png", b"Mirrors")),
        400,
        FORM_FILE_IN_TEXT_FIELD,
        id="file-in-a-text-field",
    ),
    pytest.param(
        lambda token: _sponsor_body(token, _file_part(b"white_logo", b"\xff.png", b"x")),
        400,
        "The form sent bytes that are not UTF-8 text.",
        id="file-name-not-utf8",
    ),
    pytest.param(
        lambda token: _sponsor_body(
            token, _text_part(b"service", b"x", b"Content-Type: text/plain; charset=bogus\r\n")
        ),
        400,
        FORM_PART_ENCODED,
        id="part-in-an-unknown-charset",
    ),
    pytest.param(
        lambda token: _sponsor_body(
            token, _text_part(b"service", b"AP8=", b"Content-Transfer-Encoding: base64\r\n")
        ),
        400,
        FORM_PART_ENCODED,
        id="part-in-base64",
    ),
    pytest.param(
        lambda token: _sponsor_body(token, _text_part(b"color_logo", b"just text")),
        400,
        REPEATED_MESSAGE,
        id="logo-sent-as-text-too",
    ),
]


@pytest.mark.parametrize(("body", "status", "message"), HOSTILE_BODIES)
def test_a_hostile_body_is_refused_and_stores_nothing(
    app, db_session, app_registry, body, status, message
):
    before = stored_logos(app_registry)
    response = app.request(
        CREATE,
        method="POST",
        body=body(_csrf_token(app)),
        content_type="multipart/form-data; boundary=B",
        expect_errors=True,
    )
    assert response.status_int == status
    assert message in main_text(response)
    assert _sponsor_count(db_session) == 0
    assert stored_logos(app_registry) == before


@pytest.mark.parametrize(
    "headers",
    [b"Content-Type: text/plain; charset=bogus\r\n", b"Content-Transfer-Encoding: base64\r\n"],
)
def test_an_encoded_part_is_refused_on_every_form(app, db_session, headers):
    # WebOb would decode such a part after the checks, past them (a 500 before this refusal).
    response = app.request(
        "/manage/projects/",
        method="POST",
        body=_multipart(
            _text_part(b"csrf_token", _csrf_token(app).encode()),
            _text_part(b"name", b"AP8=", headers),
        ),
        content_type="multipart/form-data; boundary=B",
        expect_errors=True,
    )
    assert response.status_int == 400
    assert FORM_PART_ENCODED in main_text(response)


def test_a_form_sent_without_files_asks_for_the_colour_logo(app, db_session):
    response = app.post(
        CREATE,
        {
            "csrf_token": _csrf_token(app),
            "name": "Acme",
            "slug": "",
            "link_url": "https://acme.example.com/",
            "service": "",
            "activity_markdown": "",
            "level_name": "",
            "level_order": "0",
            "color_logo": "logo.png",
        },
        status=400,
    )
    assert "Choose the colour logo" in field_error(response, "color_logo")
    assert _sponsor_count(db_session) == 0


def test_a_multipart_body_without_a_boundary_is_refused(app, db_session):
    response = app.request(
        CREATE,
        method="POST",
        body=_sponsor_body(_csrf_token(app)),
        content_type="multipart/form-data",
        expect_errors=True,
    )
    assert response.status_int == 400
    assert "The form could not be read." in main_text(response)
    assert _sponsor_count(db_session) == 0


def test_a_body_larger_than_two_logos_is_refused_before_it_is_read(app, db_session):
    padding = _text_part(b"service", b"x" * SPONSOR_FORM_MAX_BYTES)
    response = app.request(
        CREATE,
        method="POST",
        body=_sponsor_body(_csrf_token(app), padding),
        content_type="multipart/form-data; boundary=B",
        expect_errors=True,
    )
    assert response.status_int == 413
    assert f"a logo may be at most {MAX_LOGO_BYTES // 1024} KiB" in main_text(response)
    assert _sponsor_count(db_session) == 0


@pytest.mark.parametrize("action", ["delete", "sync"])
def test_the_other_sponsor_forms_take_no_files(app, db_session, action):
    sponsor = SponsorFactory.create(name="Acme", slug="acme")
    address = {
        "delete": f"/admin/sponsors/{sponsor.id}/delete/",
        "sync": "/admin/sponsors/sync/",
    }[action]
    response = app.request(
        address,
        method="POST",
        body=_multipart(
            _text_part(b"csrf_token", _csrf_token(app).encode()),
            _file_part(b"confirm", b"a.png", b"Acme"),
        ),
        content_type="multipart/form-data; boundary=B",
        expect_errors=True,
    )
    assert response.status_int == 400
    assert FORM_FILE_SENT in main_text(response)
    assert _sponsor_count(db_session) == 1


# A stale password


def test_a_stale_password_asks_for_it_and_for_the_files_again(app, db_session, app_registry):
    before = stored_logos(app_registry)
    form = new_sponsor_form(
        app, footer=True, white_logo=("white.svg", logo("logo.svg"), "image/svg+xml")
    )
    make_authentication_stale(db_session)
    step = form.submit(status=200)
    assert "Confirm your password" in main_text(step)
    assert "The files you chose cannot be kept through this step" in main_text(step)
    assert _sponsor_count(db_session) == 0
    assert stored_logos(app_registry) == before

    again = step.forms["reauthenticate-form"]
    assert again.enctype == "multipart/form-data"
    assert again["name"].value == "Acme Widgets"
    fill_sponsor_form(
        again,
        reauth_password=PASSWORD,
        color_logo=("logo.png", logo("logo.png"), "image/png"),
        white_logo=("white.svg", logo("logo.svg"), "image/svg+xml"),
    )
    again.submit(status=303)
    sponsor = db_session.scalar(select(Sponsor))
    assert (sponsor.name, sponsor.footer) == ("Acme Widgets", True)
    assert app.get(sponsor.white_logo_url).body == logo("logo.svg")
