"""Staff's billing view of an organization, on /admin/organizations/<id>/: the customer, each
subscription, seats used against seats paid, the standing and the manual activation; cancelling
a subscription at the end of its period through the (local) payment provider; adding, changing
and ending a manual activation, each on the organization's record as a staff action."""

import datetime

import pytest
import webtest
from sqlalchemy import select

from tests.common.db.accounts import PASSWORD, UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.db.subscriptions import (
    ManualActivationFactory,
    StripeCustomerFactory,
    StripeSubscriptionFactory,
    StripeSubscriptionPriceFactory,
    mirror_subscription,
    pay_at_local_stripe,
)
from tests.common.events import events_of
from tests.common.pages import field_error, main_text
from tests.common.sessions import log_in, make_authentication_stale
from warehouse_orgs.events.tags import EventTag
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.subscriptions.models import ManualActivation, StripeSubscription

STAFF_NAME = "stella-staff"
NOW = datetime.datetime.now(datetime.UTC)
TODAY = NOW.date()


@pytest.fixture
def admin(db_session):
    return UserFactory.create(username=STAFF_NAME, is_superuser=True)


@pytest.fixture
def app(webtest_app, admin):
    log_in(webtest_app, admin)
    return webtest_app


@pytest.fixture
def owner(db_session):
    return UserFactory.create(username="olivia")


@pytest.fixture
def company(db_session, owner):
    organization = OrganizationFactory.create(
        name="acme", display_name="Acme Inc.", orgtype="Company"
    )
    OrganizationRoleFactory.create(
        organization=organization, user=owner, role_name=OrganizationRoleType.Owner
    )
    return organization


def _detail(organization):
    return f"/admin/organizations/{organization.id}/"


def _billing(page):
    return " ".join(page.html.find(id="billing-heading").parent.get_text(" ").split())


def _activation(db_session, organization):
    db_session.expire_all()
    return db_session.scalars(
        select(ManualActivation).where(ManualActivation.organization_id == organization.id)
    ).one_or_none()


def _subscription(organization, *, seats, status="active", **customer):
    return StripeSubscriptionFactory.create(
        customer=StripeCustomerFactory.create(organization=organization, **customer),
        status=status,
        item__quantity=seats,
    )


# Reading


def test_a_community_organization_does_not_pay(app, db_session):
    community = OrganizationFactory.create(name="friends")
    page = app.get(_detail(community))
    assert "Projects 0 Billing Community organizations do not pay." in main_text(page)
    assert page.html.find(id="billing-heading") is None
    assert not [name for name in page.forms if "manual-activation" in str(name)]


def test_the_section_shows_customer_subscriptions_seats_and_standing(app, db_session, company):
    for _ in range(2):
        OrganizationRoleFactory.create(organization=company, role_name=OrganizationRoleType.Member)
    price = StripeSubscriptionPriceFactory.create(unit_amount=500, interval="month")
    customer = StripeCustomerFactory.create(organization=company, customer_id="cus_acme")
    StripeSubscriptionFactory.create(
        customer=customer,
        subscription_id="sub_old",
        status="canceled",
        price=price,
        created=NOW - datetime.timedelta(days=400),
        item__quantity=2,
    )
    live = StripeSubscriptionFactory.create(
        customer=customer,
        subscription_id="sub_now",
        status="active",
        price=price,
        current_period_end=datetime.datetime(2031, 1, 2, 3, 4, tzinfo=datetime.UTC),
        item__quantity=5,
    )

    page = app.get(_detail(company))
    text = _billing(page)
    assert "Standing In good standing" in text
    assert "Seats 3 used of 5 paid" in text
    assert "Customer cus_acme" in text
    rows = [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
        for row in page.html.find(id="subscriptions").find("tbody").find_all("tr")
    ]
    # Newest first; statuses in words; only the live one can be cancelled.
    assert rows[0][:6] == [
        "sub_now at the payment provider",
        "Active",
        "5.00 USD per seat, monthly",
        "5",
        "2031-01-02 03:04",
        "No",
    ]
    assert rows[0][6].startswith("Cancel at period end")
    assert rows[1][:2] == ["sub_old at the payment provider", "Canceled"]
    assert rows[1][6] == "—"
    assert f"cancel-subscription-{live.id}" in page.forms


def test_the_provider_dashboard_is_linked(app, db_session, company):
    subscription = _subscription(company, seats=1, customer_id="cus_linked")
    page = app.get(_detail(company))
    links = {
        a.get_text(" ", strip=True): a["href"] for a in page.html.select("#billing-heading ~ * a")
    }
    assert links["cus_linked at the payment provider"].endswith("/customers/cus_linked")
    assert links[f"{subscription.subscription_id} at the payment provider"].endswith(
        f"/subscriptions/{subscription.subscription_id}"
    )


def test_a_company_out_of_good_standing_says_why(app, db_session, company):
    _subscription(company, seats=1, status="past_due")
    text = _billing(app.get(_detail(company)))
    assert "Not in good standing Acme Inc. has no active subscription." in text
    assert "Payment overdue" in text


def test_an_expired_manual_activation_is_marked_expired(app, db_session, company):
    ManualActivationFactory.create(
        organization=company, seat_limit=7, expires=TODAY - datetime.timedelta(days=1)
    )
    text = _billing(app.get(_detail(company)))
    yesterday = (TODAY - datetime.timedelta(days=1)).isoformat()
    assert f"Seat limit 7 Ends on (UTC) {yesterday} Expired" in text
    assert "Not in good standing" in text


def test_the_page_costs_the_same_statements_however_many_subscriptions(app, db_session, company):
    price = StripeSubscriptionPriceFactory.create()
    customer = StripeCustomerFactory.create(organization=company)
    StripeSubscriptionFactory.create(customer=customer, price=price, item__quantity=2)
    ManualActivationFactory.create(organization=company)
    few = app.get(_detail(company))
    for _ in range(9):
        StripeSubscriptionFactory.create(
            customer=customer,
            price=price,
            status="canceled",
            created=NOW - datetime.timedelta(days=30),
            item__quantity=3,
        )
    many = app.get(_detail(company))
    assert len(few.html.select("#subscriptions tbody tr")) == 1
    assert len(many.html.select("#subscriptions tbody tr")) == 10
    assert len(few.sql_statements) == len(many.sql_statements)
    # The Community page's 7, and the billing section's one: the customer, the subscriptions
    # with their items and prices, the seat count, the standing and the manual activation.
    assert len(many.sql_statements) == 8


# Manual activation


def _activation_fields(seat_limit):
    return {
        "seat_limit": str(seat_limit),
        "expires": (TODAY + datetime.timedelta(days=9)).isoformat(),
    }


def _add(app, company, seat_limit="10", expires=None, status=303):
    form = app.get(_detail(company)).forms["add-manual-activation-form"]
    form["seat_limit"] = seat_limit
    form["expires"] = expires or (TODAY + datetime.timedelta(days=90)).isoformat()
    return form.submit(status=status)


def test_adding_a_manual_activation_puts_the_company_in_good_standing(
    app, db_session, company, admin
):
    assert "Not in good standing" in _billing(app.get(_detail(company)))
    expires = TODAY + datetime.timedelta(days=90)
    done = _add(app, company, "12", expires.isoformat()).follow()
    assert "Manual activation added: 12 seats until" in main_text(done)
    assert "acme is in good standing." in main_text(done)
    assert "Standing In good standing" in _billing(done)
    activation = _activation(db_session, company)
    assert (activation.seat_limit, activation.expires) == (12, expires)
    (event,) = events_of(db_session, company)
    assert event.tag == EventTag.OrganizationManualActivationAdd
    assert event.acted_as_staff
    assert event.actor_id == admin.id
    assert event.additional["seat_limit"] == 12


def test_changing_a_manual_activation_records_old_and_new(app, db_session, company):
    ManualActivationFactory.create(
        organization=company, seat_limit=5, expires=TODAY - datetime.timedelta(days=3)
    )
    page = app.get(_detail(company))
    assert "add-manual-activation-form" not in page.forms
    form = page.forms["update-manual-activation-form"]
    assert form["seat_limit"].value == "5"
    form["seat_limit"] = "8"
    form["expires"] = (TODAY + datetime.timedelta(days=30)).isoformat()
    done = form.submit(status=303).follow()
    assert "Manual activation changed: 8 seats" in main_text(done)
    # It had lapsed; now the organization is in good standing again.
    assert "acme is in good standing." in main_text(done)
    assert "Seats 1 used, none paid by a subscription; the manual activation allows 8" in (
        _billing(done)
    )
    assert _activation(db_session, company).seat_limit == 8
    (event,) = events_of(db_session, company)
    assert event.tag == EventTag.OrganizationManualActivationUpdate
    assert event.acted_as_staff
    assert (event.additional["old_seat_limit"], event.additional["seat_limit"]) == (5, 8)


def test_ending_a_manual_activation_needs_the_name_and_takes_the_standing_away(
    app, db_session, company
):
    ManualActivationFactory.create(organization=company)
    form = app.get(_detail(company)).forms["delete-manual-activation"]
    refused = form.submit(status=400)
    assert field_error(refused, "delete-manual-activation-confirm") == "Type acme to confirm."
    assert _activation(db_session, company) is not None

    form = refused.forms["delete-manual-activation"]
    form["confirm"] = "acme"
    done = form.submit(status=303).follow()
    assert "Manual activation removed. acme is not in good standing." in main_text(done)
    assert _activation(db_session, company) is None
    assert "Not in good standing" in _billing(done)
    (event,) = events_of(db_session, company)
    assert event.tag == EventTag.OrganizationManualActivationDelete
    assert event.acted_as_staff


@pytest.mark.parametrize(
    ("seat_limit", "expires", "field", "message"),
    [
        ("0", None, "seat_limit", "Enter a whole number of seats from 1 to 100000."),
        ("100001", None, "seat_limit", "Enter a whole number of seats from 1 to 100000."),
        ("ten", None, "seat_limit", "Enter a whole number of seats from 1 to 100000."),
        ("", None, "seat_limit", "Enter a whole number of seats from 1 to 100000."),
        ("5", "yesterday", "expires", "Choose today ({today}) or a later day."),
        ("5", "far", "expires", "Choose a day no later than {latest} (five years)."),
        ("5", "31/12/2030", "expires", "Enter the day as YYYY-MM-DD, for example 2027-01-31."),
        ("5", "", "expires", "Enter the day it ends."),
    ],
)
def test_a_bad_manual_activation_is_refused_beside_the_field(
    app, db_session, company, seat_limit, expires, field, message
):
    latest = TODAY + datetime.timedelta(days=5 * 366)
    given = {
        "yesterday": (TODAY - datetime.timedelta(days=1)).isoformat(),
        "far": (latest + datetime.timedelta(days=1)).isoformat(),
    }.get(expires, expires)
    form = app.get(_detail(company)).forms["add-manual-activation-form"]
    form["seat_limit"] = seat_limit
    if given is not None:
        form["expires"] = given
    refused = form.submit(status=400)
    expected = message.format(today=TODAY.isoformat(), latest=latest.isoformat())
    assert field_error(refused, f"manual-activation-{field}") == expected
    assert _activation(db_session, company) is None
    assert events_of(db_session, company) == []


def test_adding_over_an_existing_one_or_changing_none_is_refused(app, db_session, company):
    page = app.get(_detail(company))
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    data = {
        "seat_limit": "3",
        "expires": (TODAY + datetime.timedelta(days=9)).isoformat(),
        "csrf_token": token,
    }
    refused = app.post(f"{_detail(company)}update_manual_activation/", data, status=409)
    assert "no manual activation to change: add one instead" in main_text(refused)
    ManualActivationFactory.create(organization=company, seat_limit=4)
    refused = app.post(f"{_detail(company)}add_manual_activation/", data, status=409)
    assert "already has a manual activation: change it instead" in main_text(refused)
    assert _activation(db_session, company).seat_limit == 4
    assert events_of(db_session, company) == []


def test_owners_read_the_manual_activation_as_done_by_pypi_staff(
    webtest_app, db_session, company, owner
):
    admin = UserFactory.create(username=STAFF_NAME, is_superuser=True)
    webtest_app.extra_environ = {"REMOTE_ADDR": "203.0.113.77"}
    log_in(webtest_app, admin)
    _add(webtest_app, company, "10")
    webtest_app.reset()
    webtest_app.extra_environ = {"REMOTE_ADDR": "192.0.2.10"}
    log_in(webtest_app, owner)
    history = webtest_app.get("/manage/organization/acme/history/")
    assert "PyPI staff added the manual activation: 10 seats until" in main_text(history)
    assert STAFF_NAME not in history.text
    assert "203.0.113.77" not in history.text


def test_a_change_asks_for_the_password_after_30_minutes(app, db_session, company):
    form = app.get(_detail(company)).forms["add-manual-activation-form"]
    form["seat_limit"] = "6"
    make_authentication_stale(db_session)
    step = form.submit(status=200)
    assert step.html.find("h1").text == "Confirm your password"
    assert _activation(db_session, company) is None
    confirm = step.forms["reauthenticate-form"]
    confirm["reauth_password"] = PASSWORD
    confirm.submit(status=303)
    assert _activation(db_session, company).seat_limit == 6


# Cancelling a subscription


def test_cancelling_another_organizations_or_an_ended_subscription_is_not_found(
    app, db_session, company
):
    other = OrganizationFactory.create(orgtype="Company")
    theirs = _subscription(other, seats=1)
    ended = _subscription(company, seats=1, status="canceled")
    token = app.get(_detail(company)).html.find("input", attrs={"name": "csrf_token"})["value"]
    for subscription in (theirs, ended):
        path = f"{_detail(company)}subscriptions/{subscription.id}/cancel/"
        data = {"confirm": subscription.subscription_id, "csrf_token": token}
        app.post(path, data, status=404)
    app.post(
        f"{_detail(company)}subscriptions/not-a-uuid/cancel/",
        {"confirm": "x", "csrf_token": token},
        status=404,
    )
    db_session.expire_all()
    assert not db_session.get(StripeSubscription, theirs.id).cancel_at_period_end
    assert events_of(db_session, company) == []


def test_cancelling_at_period_end_goes_through_the_provider(
    app, app_on_local_stripe, db_session, company, admin
):
    subscription = mirror_subscription(company, pay_at_local_stripe(app_on_local_stripe, seats=2))
    page = app.get(_detail(company))
    done = page.forms[f"cancel-subscription-{subscription.id}"].submit(status=303).follow()
    ends = subscription.current_period_end.date().isoformat()
    assert (
        f"Subscription {subscription.subscription_id} will end on {ends}; it will not renew."
        in main_text(done)
    )
    (at_provider,) = (
        app_on_local_stripe.client()
        .v1.subscriptions.list({"customer": subscription.customer.customer_id})
        .data
    )
    assert at_provider.cancel_at_period_end
    db_session.expire_all()
    row = db_session.get(StripeSubscription, subscription.id)
    assert (row.status, row.cancel_at_period_end) == ("active", True)
    (event,) = events_of(db_session, company)
    assert event.tag == EventTag.OrganizationSubscriptionCancel
    assert event.additional["at_period_end"] is True
    assert event.acted_as_staff
    assert event.actor_id == admin.id
    # Still in good standing until the period ends; nothing left to cancel.
    assert "Standing In good standing" in _billing(done)
    row_text = done.html.find(id="subscriptions").find("tbody").get_text(" ", strip=True)
    assert "Active" in row_text
    assert f"cancel-subscription-{subscription.id}" not in done.forms


def test_a_provider_that_does_not_answer_gives_a_clear_error_and_changes_nothing(
    app, db_session, company
):
    # The test app's provider is a port nothing listens on, unless a test asks for the local
    # Stripe.
    subscription = _subscription(company, seats=2)
    page = app.get(_detail(company))
    refused = page.forms[f"cancel-subscription-{subscription.id}"].submit(status=503)
    assert field_error(refused, f"cancel-subscription-{subscription.id}-confirm") == (
        "The payment provider did not answer. Nothing was changed; try again in a minute."
    )
    assert refused.html.find("title").text.startswith("Error")
    db_session.expire_all()
    assert not db_session.get(StripeSubscription, subscription.id).cancel_at_period_end
    assert events_of(db_session, company) == []


def test_a_cancellation_without_its_second_button_changes_nothing(app, db_session, company):
    subscription = _subscription(company, seats=2)
    token = app.get(_detail(company)).html.find("input", attrs={"name": "csrf_token"})["value"]
    refused = app.post(
        f"{_detail(company)}subscriptions/{subscription.id}/cancel/",
        {"confirm": "", "csrf_token": token},
        status=400,
    )
    assert field_error(refused, f"cancel-subscription-{subscription.id}-confirm") == (
        "Press “Yes, cancel at period end” to confirm."
    )
    db_session.expire_all()
    assert not db_session.get(StripeSubscription, subscription.id).cancel_at_period_end


# Who may do what

KINDS = {
    "ordinary": {},
    "support": {"is_support": True},
    "moderator": {"is_moderator": True},
    "psf-staff": {"is_psf_staff": True},
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_only_staff_who_may_write_change_billing(webtest_app, db_session, company, kind):
    ManualActivationFactory.create(organization=company, seat_limit=4)
    subscription = _subscription(company, seats=1)
    log_in(webtest_app, UserFactory.create(**KINDS[kind]))
    page = webtest_app.get(_detail(company), expect_errors=True)
    if kind in ("ordinary", "psf-staff"):
        assert page.status_int == 403
    else:
        assert page.status_int == 200
        assert "Standing In good standing" in _billing(page)
        billing_forms = {
            "update-manual-activation-form",
            "delete-manual-activation",
            f"cancel-subscription-{subscription.id}",
        }
        shown = billing_forms & set(page.forms)
        assert shown == (billing_forms if kind == "support" else set())
    token = webtest_app.get("/").html.find("input", attrs={"name": "csrf_token"})["value"]
    posts = [
        ("add_manual_activation/", {"seat_limit": "9", "expires": TODAY.isoformat()}),
        ("update_manual_activation/", {"seat_limit": "9", "expires": TODAY.isoformat()}),
        ("delete_manual_activation/", {"confirm": "acme"}),
        (f"subscriptions/{subscription.id}/cancel/", {"confirm": subscription.subscription_id}),
    ]
    if kind == "support":
        return
    for suffix, data in posts:
        refused = webtest_app.post(
            _detail(company) + suffix, {**data, "csrf_token": token}, status=403
        )
        assert "You do not have permission to see this page." in main_text(refused)
    assert _activation(db_session, company).seat_limit == 4
    assert not db_session.get(StripeSubscription, subscription.id).cancel_at_period_end
    assert events_of(db_session, company) == []


def test_support_staff_may_change_a_manual_activation(webtest_app, db_session, company):
    log_in(webtest_app, UserFactory.create(is_support=True))
    _add(webtest_app, company, "3")
    assert _activation(db_session, company).seat_limit == 3


def test_visitors_are_sent_to_log_in(webtest_app, db_session, company):
    response = webtest_app.get(_detail(company), status=303)
    assert "/account/login/" in response.location
    refused = webtest_app.post(
        f"{_detail(company)}add_manual_activation/",
        {"seat_limit": "9", "expires": TODAY.isoformat(), "csrf_token": "x"},
        status=403,
    )
    assert "Log in to do this." in main_text(refused)
    assert _activation(db_session, company) is None


def test_a_community_organization_has_no_billing_to_change(app, db_session):
    community = OrganizationFactory.create(name="friends")
    token = app.get(_detail(community)).html.find("input", attrs={"name": "csrf_token"})["value"]
    refused = app.post(
        f"{_detail(community)}add_manual_activation/",
        {**_activation_fields(9), "csrf_token": token},
        status=409,
    )
    assert "Community organizations do not pay" in main_text(refused)
    assert _activation(db_session, community) is None


def test_without_a_billing_backend_ids_are_shown_and_cancelling_says_why(
    make_app_config, db_session, company
):
    """A site run without BILLING_BACKEND (a contributor's, say) still shows staff what the
    mirror holds, without dashboard links, and cannot cancel."""
    app = webtest.TestApp(
        make_app_config(**{"billing.backend": ""}).make_wsgi_app(),
        extra_environ={"REMOTE_ADDR": "192.0.2.10"},
    )
    log_in(app, UserFactory.create(is_superuser=True))
    subscription = _subscription(company, seats=1, customer_id="cus_offline")
    page = app.get(_detail(company))
    assert "Customer cus_offline" in _billing(page)
    assert not page.html.select("#billing-heading ~ * a[href*='dashboard']")
    refused = page.forms[f"cancel-subscription-{subscription.id}"].submit(status=503)
    assert "Billing is not set up on this site" in field_error(
        refused, f"cancel-subscription-{subscription.id}-confirm"
    )
    db_session.expire_all()
    assert not db_session.get(StripeSubscription, subscription.id).cancel_at_period_end
