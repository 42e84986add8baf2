"""Verified domains end to end, against a real DNS server on a loopback port
(tests/common/dns_server.py): an Owner adds a domain on the settings page and is shown the TXT
record to publish; "Verify" finds no record, then a wrong one, then the right one; the badge
shows on /org/<name>/; the record goes, and the daily re-check takes the badge away, records
it and tells the Owners. A look-up without an answer changes no badge."""

import logging

import pytest
from sqlalchemy import select

from tests.common.db.accounts import UserFactory
from tests.common.db.domains import OrganizationDomainFactory
from tests.common.db.organizations import (
    OrganizationApplicationFactory,
    OrganizationFactory,
    OrganizationRoleFactory,
)
from tests.common.events import event_tags, events_of
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in
from warehouse_orgs.domains.models import MAX_DOMAINS_PER_ORGANIZATION, OrganizationDomain
from warehouse_orgs.domains.tasks import recheck_verified_domains
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.tasks import run_task

SETTINGS = "/manage/organization/acme/settings/"
PROFILE = "/org/acme/"
PURGE_LOG_PREFIX = "origin cache: would purge "


@pytest.fixture
def owner(db_session):
    return UserFactory.create(username="alice")


@pytest.fixture
def organization(owner):
    organization = OrganizationFactory.create(name="acme", display_name="Acme")
    OrganizationRoleFactory.create(
        organization=organization, user=owner, role_name=OrganizationRoleType.Owner
    )
    return organization


@pytest.fixture
def dns(app_on_local_dns):
    return app_on_local_dns


@pytest.fixture
def app(webtest_app, owner, organization, dns):
    log_in(webtest_app, owner)
    return webtest_app


def _domain(db_session, name):
    db_session.expire_all()
    return db_session.scalars(
        select(OrganizationDomain).where(OrganizationDomain.domain == name)
    ).one_or_none()


def _row(page, domain):
    return page.html.find(id=f"domain-{domain.id}")


def _row_text(page, domain):
    return " ".join(_row(page, domain).get_text(" ").split())


def _flash(page):
    return " ".join(alert.get_text(" ", strip=True) for alert in page.html.select(".alert"))


def _press_verify(app, page, domain):
    form = next(
        form
        for form in page.forms.values()
        if form.action.endswith("/settings/domains/verify/")
        and form["domain_id"].value == str(domain.id)
    )
    return form.submit(status=303).follow()


def _badges(response):
    listed = response.html.find(id="organization-badges")
    return [" ".join(li.get_text(" ").split()) for li in listed.find_all("li")] if listed else []


def _public_page(wsgi_app):
    """/org/acme/ as an anonymous visitor (the copy a shared cache keeps)."""
    import webtest

    return webtest.TestApp(wsgi_app).get(PROFILE, status=200)


def test_add_verify_show_the_badge_then_lose_it(
    app, db_session, dns, organization, owner, outbox, wsgi_app, app_registry, caplog
):
    page = app.get(SETTINGS)
    assert "No domains yet." in main_text(page)
    before = _public_page(wsgi_app)
    assert _badges(before) == []

    # Added: normalized, and the record to publish is shown.
    form = page.forms["add-domain-form"]
    form["domain"] = "  Example.ORG. "
    page = form.submit(status=303).follow()
    domain = _domain(db_session, "example.org")
    assert domain is not None
    assert domain.verified_at is None
    text = _row_text(page, domain)
    assert "Not verified" in text
    assert "_warehouse-orgs-challenge.example.org" in text
    assert f"warehouse-orgs-verification={domain.token}" in text
    assert len(domain.token) >= 40
    zone_line = page.html.find(id=f"domain-{domain.id}-zone")["value"]
    assert zone_line == (
        f'_warehouse-orgs-challenge.example.org. 3600 IN TXT "warehouse-orgs-verification='
        f'{domain.token}"'
    )

    # No record yet.
    page = _press_verify(app, page, domain)
    assert "No TXT record was found at _warehouse-orgs-challenge.example.org" in _row_text(
        page, domain
    )
    assert "example.org is not verified" in _flash(page)
    assert _domain(db_session, "example.org").verified_at is None

    # A record with another value.
    dns.publish("_warehouse-orgs-challenge.example.org", "warehouse-orgs-verification=nope")
    page = _press_verify(app, page, domain)
    assert "none holds the value below" in _row_text(page, domain)
    assert _domain(db_session, "example.org").verified_at is None

    # The record as asked.
    dns.publish(
        "_warehouse-orgs-challenge.example.org",
        "v=spf1 -all",
        f"warehouse-orgs-verification={domain.token}",
    )
    page = _press_verify(app, page, domain)
    assert "example.org is verified." in _flash(page)
    assert "Verified" in _row_text(page, domain)
    assert _domain(db_session, "example.org").verified_at is not None
    assert event_tags(db_session, organization)[-4:] == [
        EventTag.OrganizationDomainAdd,
        EventTag.OrganizationDomainVerifyFail,
        EventTag.OrganizationDomainVerifyFail,
        EventTag.OrganizationDomainVerify,
    ]

    # The badge, on a page whose tag changed with it.
    shown = _public_page(wsgi_app)
    assert _badges(shown) == ["Verified domain: ✓ example.org"]
    assert shown.headers["ETag"] != before.headers["ETag"]

    # The record goes; the daily re-check takes the badge away, purges the page, tells Owners.
    dns.withdraw("_warehouse-orgs-challenge.example.org")
    with caplog.at_level(logging.INFO, logger="warehouse_orgs.cache.services"):
        counts = run_task(app_registry, recheck_verified_domains, (), {})
    assert counts == {"checked": 1, "still_verified": 0, "lost": 1, "unanswered": 0}
    purged = {
        key
        for record in caplog.records
        if record.getMessage().startswith(PURGE_LOG_PREFIX)
        for key in record.getMessage().removeprefix(PURGE_LOG_PREFIX).split()
    }
    assert {"org-acme", "organizations-directory"} <= purged
    assert _domain(db_session, "example.org").verified_at is None
    lost = events_of(db_session, organization)[-1]
    assert lost.tag == EventTag.OrganizationDomainLose
    assert lost.additional["domain"] == "example.org"
    assert lost.actor_id is None
    (message,) = outbox.messages()
    assert owner.primary_email.email in message.recipient
    assert message.subject == "example.org is no longer a verified domain of acme"
    assert "_warehouse-orgs-challenge.example.org" in message.body("plain")
    gone = _public_page(wsgi_app)
    assert _badges(gone) == []
    assert gone.headers["ETag"] != shown.headers["ETag"]
    page = app.get(SETTINGS)
    assert "Not verified" in _row_text(page, domain)
    assert "No TXT record was found" in _row_text(page, domain)


def test_the_recheck_keeps_the_badge_when_dns_gives_no_answer(
    app_registry, db_session, dns, organization, outbox
):
    failing = OrganizationDomainFactory.create(
        organization=organization, domain="failing.org", verified_at=organization.created
    )
    silent = OrganizationDomainFactory.create(
        organization=organization, domain="silent.org", verified_at=organization.created
    )
    wrong = OrganizationDomainFactory.create(
        organization=organization, domain="wrong.org", verified_at=organization.created
    )
    kept = OrganizationDomainFactory.create(
        organization=organization, domain="kept.org", verified_at=organization.created
    )
    dns.fail(failing.record_name)
    dns.ignore(silent.record_name)
    dns.publish(wrong.record_name, "warehouse-orgs-verification=someone-elses")
    dns.publish(kept.record_name, kept.record_value)

    counts = run_task(app_registry, recheck_verified_domains, (), {})

    assert counts == {"checked": 4, "still_verified": 1, "lost": 1, "unanswered": 2}
    db_session.expire_all()
    assert {d: _domain(db_session, d).verified_at is not None for d in
            ("failing.org", "silent.org", "wrong.org", "kept.org")} == {
        "failing.org": True,
        "silent.org": True,
        "wrong.org": False,
        "kept.org": True,
    }  # fmt: skip
    assert _domain(db_session, "silent.org").last_check_result == "unavailable"
    assert [e.additional["domain"] for e in events_of(db_session, organization)] == ["wrong.org"]
    assert [m.subject for m in outbox.messages()] == [
        "wrong.org is no longer a verified domain of acme"
    ]


def test_a_timeout_on_verify_says_so_beside_the_domain(app, db_session, dns, organization):
    domain = OrganizationDomainFactory.create(organization=organization, domain="slow.org")
    dns.ignore(domain.record_name)
    page = _press_verify(app, app.get(SETTINGS), domain)
    assert "The DNS look-up got no answer" in _row_text(page, domain)
    assert _domain(db_session, "slow.org").last_check_result == "unavailable"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("exam\x00ple.org", "NUL"),
        ("a" * 254, "at most 253 characters"),
        ("a" * 64 + ".org", "not a valid domain name"),
        ("192.0.2.1", "An IP address cannot be verified"),
        ("[2001:db8::1]", "An IP address cannot be verified"),
        ("*.example.org", "A wildcard cannot be verified"),
        ("https://example.org/about", "without https://"),
        ("localhost", "with a dot"),
        ("printer.local", "reserved"),
        ("☃☃.example", "not a valid domain name"),
        ("💥.org", "not a valid domain name"),
        ("-bad-.org", "not a valid domain name"),
        ("", "Enter a domain name"),
    ],
)
def test_a_bad_domain_is_refused_beside_the_field(app, db_session, typed, message):
    page = app.get(SETTINGS)
    token = page.forms["add-domain-form"]["csrf_token"].value
    response = app.post(
        "/manage/organization/acme/settings/domains/add/",
        {"csrf_token": token, "domain": typed},
        expect_errors=True,
    )
    assert response.status_int == 400
    if "\x00" not in typed:
        assert message in (field_error(response, "add-domain-domain") or "")
    assert db_session.scalars(select(OrganizationDomain)).all() == []


def test_a_unicode_domain_is_kept_in_its_ascii_form(app, db_session):
    form = app.get(SETTINGS).forms["add-domain-form"]
    form["domain"] = "Bücher.Example.com"
    form.submit(status=303)
    assert _domain(db_session, "xn--bcher-kva.example.com") is not None


def test_the_same_domain_twice_and_past_the_limit_are_refused(app, db_session, organization):
    OrganizationDomainFactory.create(organization=organization, domain="example.org")
    form = app.get(SETTINGS).forms["add-domain-form"]
    form["domain"] = "EXAMPLE.org"
    response = form.submit(status=400)
    assert "example.org is already on the list" in field_error(response, "add-domain-domain")
    for n in range(MAX_DOMAINS_PER_ORGANIZATION - 1):
        OrganizationDomainFactory.create(organization=organization, domain=f"d{n}.example.org")
    page = app.get(SETTINGS)
    assert "add-domain-form" not in page.forms
    assert f"at most {MAX_DOMAINS_PER_ORGANIZATION} domains" in main_text(page)
    token = page.forms["organization-details-form"]["csrf_token"].value
    response = app.post(
        "/manage/organization/acme/settings/domains/add/",
        {"csrf_token": token, "domain": "one-more.org"},
        status=400,
    )
    assert "at most 10 domains" in field_error(response, "add-domain-domain")


def test_removing_a_domain_asks_to_confirm_and_takes_the_badge(
    app, db_session, organization, wsgi_app
):
    domain = OrganizationDomainFactory.create(
        organization=organization, domain="example.org", verified_at=organization.created
    )
    assert _badges(_public_page(wsgi_app)) == ["Verified domain: ✓ example.org"]
    page = app.get(SETTINGS)
    form = page.forms[f"remove-domain-{domain.id}"]
    # Without the final button's confirmation nothing is removed.
    token = form["csrf_token"].value
    response = app.post(
        "/manage/organization/acme/settings/domains/remove/",
        {"csrf_token": token, "domain_id": str(domain.id), "confirm_domain": ""},
        status=400,
    )
    assert "Yes, remove example.org" in main_text(response) or field_error(
        response, f"remove-domain-{domain.id}-confirm_domain"
    )
    assert _domain(db_session, "example.org") is not None
    page = form.submit(status=303).follow()
    assert "example.org is removed." in _flash(page)
    assert _domain(db_session, "example.org") is None
    assert event_tags(db_session, organization)[-1] == EventTag.OrganizationDomainRemove
    assert _badges(_public_page(wsgi_app)) == []


def test_a_member_sees_the_domains_but_cannot_add_or_verify(
    webtest_app, db_session, organization, dns
):
    member = UserFactory.create(username="bob")
    OrganizationRoleFactory.create(
        organization=organization, user=member, role_name=OrganizationRoleType.Member
    )
    domain = OrganizationDomainFactory.create(organization=organization, domain="example.org")
    dns.publish(domain.record_name, domain.record_value)
    log_in(webtest_app, member)
    page = webtest_app.get(SETTINGS)
    assert "example.org" in main_text(page)
    assert "Only owners can add, verify and remove domains." in main_text(page)
    assert "add-domain-form" not in page.forms
    token = (
        page.forms["logout-form"]["csrf_token"].value
        if "logout-form" in page.forms
        else (page.html.find("input", attrs={"name": "csrf_token"})["value"])
    )
    for action, fields in [
        ("add", {"domain": "member.org"}),
        ("verify", {"domain_id": str(domain.id)}),
        ("remove", {"domain_id": str(domain.id), "confirm_domain": "example.org"}),
    ]:
        response = webtest_app.post(
            f"/manage/organization/acme/settings/domains/{action}/",
            {"csrf_token": token, **fields},
            status=403,
        )
        assert response.status_int == 403
    domain_now = _domain(db_session, "example.org")
    assert domain_now.verified_at is None
    assert domain_now.last_checked_at is None
    assert _domain(db_session, "member.org") is None
    assert dns.asked == []


def test_staff_review_says_when_the_website_is_on_a_verified_domain(
    webtest_app, db_session, organization
):
    OrganizationDomainFactory.create(
        organization=organization, domain="example.org", verified_at=organization.created
    )
    OrganizationDomainFactory.create(organization=organization, domain="www.example.org")
    on_it = OrganizationApplicationFactory.create(
        name="science", link_url="https://www.Example.org/about"
    )
    elsewhere = OrganizationApplicationFactory.create(
        name="other", link_url="https://notexample.org/"
    )
    support = UserFactory.create(username="sam-support", is_support=True)
    log_in(webtest_app, support)
    page = webtest_app.get(f"/admin/organization_applications/{on_it.id}/")
    hint = " ".join(page.html.find(id="verified-domain-matches").get_text(" ").split())
    assert hint == "www.example.org is on example.org, verified by acme"
    page = webtest_app.get(f"/admin/organization_applications/{elsewhere.id}/")
    hint = " ".join(page.html.find(id="verified-domain-matches").get_text(" ").split())
    assert hint == "No organization has verified a domain notexample.org is on."


def _directory_row(wsgi_app, name):
    import webtest

    page = webtest.TestApp(wsgi_app).get("/organizations/", {"q": name}, status=200)
    rows = page.html.select("tbody tr")
    return [" ".join(row.get_text(" ").split()) for row in rows]


def test_the_directory_shows_the_verified_domains(db_session, organization, wsgi_app, app_registry):
    OrganizationDomainFactory.create(organization=organization, domain="not-yet.org")
    (row,) = _directory_row(wsgi_app, "acme")
    assert "Verified" not in row
    OrganizationDomainFactory.create(
        organization=organization, domain="example.org", verified_at=organization.created
    )
    OrganizationDomainFactory.create(
        organization=organization, domain="acme.net", verified_at=organization.created
    )
    (row,) = _directory_row(wsgi_app, "acme")
    assert "Verified: acme.net, example.org" in row
