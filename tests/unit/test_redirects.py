"""The one ``next=`` check: a path on this site, or the default page."""

import pytest
from pyramid import testing

from warehouse_orgs.redirects import NEXT_URL_MAX_LENGTH, is_same_site_path, safe_next_url

CONTROL_CHARACTERS = [chr(code) for code in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]]
UNICODE_SPACES = ["\u00a0", "\u1680", "\u2000", "\u2028", "\u2029", "\u3000"]

HOSTILE = [
    "//evil.example",
    "///evil.example",
    "//evil.example/manage/",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/manage\\..\\..\\evil",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "http:/evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "data:text/html,hi",
    "evil.example",
    "manage/projects/",
    "./manage/",
    "?next=/",
    "#top",
    "",
    " /manage/",
    "/manage/ projects/",
    "/" + "a" * NEXT_URL_MAX_LENGTH,
    None,
    ["/manage/"],
    42,
]
GOOD = [
    "/",
    "/manage/projects/?page=2",
    "/manage/account/#emails",
    "/org/acme/",
    "/org/a%09b/",
    "/..//evil.example",  # a path on this site: dot segments resolve against our own host
    "/" + "a" * (NEXT_URL_MAX_LENGTH - 1),
    "/org/café/",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_not_same_site_paths(value):
    assert not is_same_site_path(value)


@pytest.mark.parametrize("character", CONTROL_CHARACTERS + UNICODE_SPACES)
@pytest.mark.parametrize("template", ["/{}/evil.example", "/manage/{}", "{}/manage/"])
def test_a_control_or_space_character_anywhere_is_refused(character, template):
    assert not is_same_site_path(template.format(character))


@pytest.mark.parametrize("value", GOOD)
def test_paths_on_this_site_are_accepted(value):
    assert is_same_site_path(value)


@pytest.fixture
def config():
    config = testing.setUp()
    config.add_route("manage.account", "/manage/account/")
    config.add_route("index", "/")
    yield config
    testing.tearDown()


@pytest.mark.parametrize("value", ["//evil.example", "/\t/evil.example", "https://evil"])
def test_safe_next_url_falls_back_to_the_default_page(config, value):
    request = testing.DummyRequest(params={"next": value})
    assert safe_next_url(request) == "/manage/account/"
    assert safe_next_url(request, "index") == "/"


def test_safe_next_url_without_next_is_the_default_page(config):
    assert safe_next_url(testing.DummyRequest()) == "/manage/account/"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/manage/projects/?page=2", "/manage/projects/?page=2"),
        ("/org/a%20b/?q=x%26y#f", "/org/a%20b/?q=x%26y#f"),
        # A Location header is ASCII; anything beyond is percent-encoded, the rest kept.
        ("/org/café/", "/org/caf%C3%A9/"),
        ("/org/\u202eevil/", "/org/%E2%80%AEevil/"),
    ],
)
def test_safe_next_url_keeps_a_path_on_this_site(config, value, expected):
    assert safe_next_url(testing.DummyRequest(params={"next": value})) == expected
