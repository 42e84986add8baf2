"""What a domain an organization may verify looks like, and its one stored spelling."""

import pytest

from warehouse_orgs.domains.lookup import ResolverAddress, parse_resolver_address
from warehouse_orgs.domains.names import DomainNameRefused, host_of_link, normalize_domain


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("example.org", "example.org"),
        ("  Example.ORG.  ", "example.org"),
        ("www.example.co.uk", "www.example.co.uk"),
        ("Bücher.example", None),  # .example is reserved: refused below
        ("bücher.de", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("a-b.example.org", "a-b.example.org"),
        ("a" * 63 + ".org", "a" * 63 + ".org"),
    ],
)
def test_domains_are_stored_lower_case_ascii(typed, stored):
    if stored is None:
        with pytest.raises(DomainNameRefused):
            normalize_domain(typed)
    else:
        assert normalize_domain(typed) == stored


@pytest.mark.parametrize(
    ("typed", "because"),
    [
        ("", "Enter a domain name"),
        ("example", "with a dot"),
        ("192.0.2.1", "IP address"),
        ("::1", "IP address"),
        ("[2001:db8::1]", "IP address"),
        ("10.0.0.300", "IP address"),
        ("*.example.org", "wildcard"),
        ("ex*ample.org", "wildcard"),
        ("https://example.org/", "without https://"),
        ("example.org:443", "without https://"),
        ("user@example.org", "without https://"),
        ("exa\x00mple.org", "control characters"),
        ("exa\tmple.org", "control characters"),
        ("-example.org", "not a valid domain name"),
        ("example-.org", "not a valid domain name"),
        ("exa_mple.org", "not a valid domain name"),
        ("example..org", "not a valid domain name"),
        ("a" * 64 + ".org", "not a valid domain name"),
        (".".join(["a" * 60] * 5), "at most 253"),
        ("💥.org", "not a valid domain name"),
        ("printer.local", "reserved"),
        ("site.test", "reserved"),
        ("localhost", "with a dot"),
    ],
)
def test_what_is_not_a_verifiable_domain_is_refused_with_a_reason(typed, because):
    with pytest.raises(DomainNameRefused) as refused:
        normalize_domain(typed)
    assert because in str(refused.value)


@pytest.mark.parametrize(
    ("link", "host"),
    [
        ("https://www.Example.org/about", "www.example.org"),
        ("http://example.org:8080", "example.org"),
        ("https://192.0.2.1/", None),
        ("not a url", None),
        ("https://[::1/", None),
    ],
)
def test_the_host_of_a_website(link, host):
    assert host_of_link(link) == host


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1", ResolverAddress("127.0.0.1", 53)),
        ("127.0.0.1:5353", ResolverAddress("127.0.0.1", 5353)),
        ("::1", ResolverAddress("::1", 53)),
        ("[::1]:5353", ResolverAddress("::1", 5353)),
    ],
)
def test_the_resolver_setting(text, address):
    assert parse_resolver_address(text) == address
