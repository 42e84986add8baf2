"""Paying for a Company organization in a real Chromium, against the real local Stripe: its
Owner finds Billing, reads the prices, activates billing, pays on the local Stripe's hosted
checkout page and comes back; the local Stripe's signed webhooks reach the running server, the
organization is in good standing and can invite. Then the Owner cancels in the local Stripe's
portal, its webhook arrives, and the organization is gated again.

The browser server runs in this process with the app's registry, so ``app_on_local_stripe``
points it at the local Stripe too, and the local Stripe delivers its events to the server's
``/billing/webhook/`` (``webhooks_to``). Deliveries are asynchronous: the test waits on the
local Stripe's record of each delivery, never on a clock. The test's own database session
shares the server's connection, so it reads the database only once every event is delivered.

axe-core checks our pages on the way. The local Stripe's own pages are not ours: they are
checked too, and what axe finds there is reported as a warning, never a failure.
"""

import re
import time
import warnings
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import select

from tests.browser.test_accessibility import Finding, check_page, failure_text
from tests.common.concurrency import service_request
from tests.common.db.accounts import PASSWORD, UserFactory
from tests.common.db.organizations import OrganizationFactory, OrganizationRoleFactory
from tests.common.events import event_tags
from tests.common.localstripe import LocalStripeForTests
from tests.common.sessions import log_in_browser, make_authentication_stale
from warehouse_orgs.organizations.models import OrganizationInvitation
from warehouse_orgs.organizations.permissions import OrganizationRoleType
from warehouse_orgs.subscriptions.models import StripeSubscription
from warehouse_orgs.subscriptions.products import sync_products

pytestmark = pytest.mark.browser

ORGANIZATION = "paid-works"
BILLING = f"/manage/organization/{ORGANIZATION}/subscription/"
ACTIVATE = f"/manage/organization/{ORGANIZATION}/subscription/activate/"
NO_SUBSCRIPTION = "Paid Works has no active subscription."
IN_GOOD_STANDING = "Paid Works is in good standing."


@pytest.fixture
def synced(app_on_local_stripe, app_registry, db_session) -> LocalStripeForTests:
    """The product and prices exist at the local Stripe and here, as `make serve` makes them."""
    sync_products(service_request(app_registry, db_session))
    db_session.flush()
    return app_on_local_stripe


def _organization_tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="This organization").get_by_role(
        "link", name=name, exact=True
    ).click()


class RefusedByContentSecurityPolicy(AssertionError):
    """The browser would not follow our form to the payment provider: the page's
    Content-Security-Policy (form-action) does not name the provider's origin."""


def _watch_policy_refusals(page: Page) -> list[str]:
    """Chromium's console lines for whatever the page's Content-Security-Policy blocked."""
    refusals: list[str] = []
    page.on(
        "console",
        lambda message: (
            refusals.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refusals


def _press_on_to_provider(page: Page, url_pattern: str, refusals: list[str]) -> None:
    """Wait until the form just sent has taken the browser to the provider's hosted page."""
    try:
        page.wait_for_url(url_pattern)
    except PlaywrightTimeoutError:
        if refusals:
            raise RefusedByContentSecurityPolicy("\n".join(refusals)) from None
        raise


def _all_delivered(
    local_stripe: LocalStripeForTests, customer_id: str, timeout: float = 15
) -> None:
    """Wait until every event the local Stripe emitted about the customer has reached the
    server. It sends them one at a time in the order they happened, so once these are in,
    nothing about the customer is still on its way to the server's database connection."""
    deadline = time.monotonic() + timeout
    for entry in local_stripe.events(related=customer_id):
        local_stripe.wait_for_delivery(entry["id"], timeout=max(0.1, deadline - time.monotonic()))


def _described(details: Locator, term: str) -> Locator:
    """The description beside a term of a description list."""
    return details.locator("dt", has_text=term).locator("xpath=following-sibling::dd[1]")


def _the_event(local_stripe: LocalStripeForTests, event_type: str, related: str) -> dict[str, Any]:
    (entry,) = local_stripe.events(type=event_type, related=related)
    return entry


# Our pages' Content-Security-Policy allows a form to send the browser on to the payment
# provider's hosted pages only (form-action names the local Stripe's origin here): a refusal is
# reported with Chromium's own words rather than as a timeout.
def test_an_owner_pays_for_the_organization_then_cancels(
    page: Page, live_server: str, db_session, outbox, synced: LocalStripeForTests
):
    local_stripe = synced
    olivia = UserFactory.create(username="olivia-owner")
    UserFactory.create(username="nina-newcomer")
    organization = OrganizationFactory.create(
        name=ORGANIZATION, display_name="Paid Works", orgtype="Company"
    )
    OrganizationRoleFactory.create(
        organization=organization, user=olivia, role_name=OrganizationRoleType.Owner
    )
    OrganizationRoleFactory.create(organization=organization, role_name=OrganizationRoleType.Member)
    ours: list[Finding] = []
    theirs: list[Finding] = []
    refusals = _watch_policy_refusals(page)

    with local_stripe.webhooks_to(live_server + "/billing/webhook/"):
        # 1. Olivia finds Billing from her organizations: no subscription yet, and the prices
        # for its two seats before anything is paid.
        log_in_browser(page, live_server, olivia)
        page.goto(live_server + "/manage/organizations/")
        page.get_by_role("link", name=f"Manage {ORGANIZATION}").click()
        _organization_tab(page, "Billing")
        expect(page).to_have_url(live_server + BILLING)
        expect(page.locator("#standing")).to_contain_text(NO_SUBSCRIPTION)
        prices = page.get_by_role("table", name="What 2 seats cost")
        expect(prices.get_by_role("row", name=re.compile("Monthly"))).to_contain_text(
            "$10.00 per month"
        )
        expect(prices.get_by_role("row", name=re.compile("Yearly"))).to_contain_text(
            "$100.00 per year"
        )
        ours += check_page(page)

        # 2. Activate billing: pressing on without choosing is refused beside each field.
        page.get_by_role("link", name="Activate billing").click()
        expect(page).to_have_url(live_server + ACTIVATE)
        expect(page.get_by_role("heading", level=2)).to_have_text("Activate billing")
        ours += check_page(page)
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.locator("#billing-interval-error")).to_have_text(
            "Choose monthly or yearly billing."
        )
        expect(page.locator("#billing-terms-error")).to_have_text(
            "Accept the billing terms to go on."
        )
        ours += check_page(page)

        # Monthly, the terms ticked. Olivia stepped away for an hour: her password first.
        page.get_by_label("Monthly").check()
        page.get_by_label("I agree to the billing terms").check()
        make_authentication_stale(db_session)
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your password")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm and continue").click()

        # 3. The local Stripe's hosted checkout: two seats at $5.00 a month. Pay.
        _press_on_to_provider(page, local_stripe.api_base + "/checkout/**", refusals)
        checkout_session_id = page.url.rstrip("/").rsplit("/", 1)[-1]
        expect(page.get_by_role("heading", level=1)).to_contain_text("Subscribe to")
        checkout = page.locator("dl")
        expect(_described(checkout, "Seats")).to_have_text("2")
        expect(_described(checkout, "Total")).to_have_text("$10.00 per month")
        theirs += check_page(page)
        page.get_by_role("button", name="Pay").click()

        # Back on our Billing page, whether or not the webhooks have arrived yet (until they
        # have, it says the payment is being confirmed); then wait for them.
        page.wait_for_url(live_server + BILLING + "?checkout=done")
        expect(page.get_by_role("heading", level=2).first).to_have_text("Billing")
        completed = _the_event(local_stripe, "checkout.session.completed", checkout_session_id)
        paid_session = completed["event"]["data"]["object"]
        customer_id, subscription_id = paid_session["customer"], paid_session["subscription"]
        created = _the_event(local_stripe, "customer.subscription.created", subscription_id)
        local_stripe.wait_for_delivery(created["id"])
        _all_delivered(local_stripe, customer_id)

        # 4. Reloaded: in good standing, both seats paid.
        page.reload()
        expect(page.locator("#standing")).to_have_text(IN_GOOD_STANDING)
        expect(page.locator("#checkout-pending")).to_have_count(0)
        expect(page.locator("#seats")).to_have_text("2 of 2 paid")
        expect(page.get_by_role("button", name="Manage billing")).to_be_visible()
        ours += check_page(page)

        # The People page offers the invitation form, and an invitation goes out.
        _organization_tab(page, "People")
        expect(page.locator("#good-standing-notice")).to_have_count(0)
        invite = page.locator("#invite-member-form")
        invite.get_by_label("Username").fill("nina-newcomer")
        invite.get_by_label("Role").select_option("Member")
        invite.get_by_role("button", name="Send invitation").click()
        expect(page.get_by_role("status").first).to_have_text("nina-newcomer is invited as Member.")
        ours += check_page(page)

        # 5. Manage billing: the local Stripe's portal. Cancel now.
        _organization_tab(page, "Billing")
        page.get_by_role("button", name="Manage billing").click()
        _press_on_to_provider(page, local_stripe.api_base + "/portal/**", refusals)
        expect(page.get_by_role("heading", level=1)).to_have_text("Billing for Paid Works")
        theirs += check_page(page)
        page.get_by_role("button", name="Cancel now").click()
        expect(page.get_by_role("status")).to_have_text("The subscription is canceled.")
        theirs += check_page(page)
        deleted = _the_event(local_stripe, "customer.subscription.deleted", subscription_id)
        local_stripe.wait_for_delivery(deleted["id"])
        _all_delivered(local_stripe, customer_id)

        # Back to our Billing page: no longer in good standing, billing can be activated again.
        page.get_by_role("link", name="Back").click()
        expect(page).to_have_url(live_server + BILLING)
        expect(page.locator("#standing")).to_contain_text(NO_SUBSCRIPTION)
        expect(page.get_by_role("link", name="Activate billing")).to_be_visible()
        expect(page.get_by_role("button", name="Manage billing")).to_have_count(0)
        ours += check_page(page)

        # The People page says why, where the invitation form was.
        _organization_tab(page, "People")
        notice = page.locator("#good-standing-notice")
        expect(notice).to_contain_text("Paid Works is not in good standing")
        expect(
            notice.get_by_role("link", name=f"Activate billing for {ORGANIZATION}")
        ).to_be_visible()
        expect(page.locator("#invite-member-form")).to_have_count(0)
        expect(page.locator("#invite-refused")).to_contain_text("Nobody can be invited")
        ours += check_page(page)

    # What the server kept, read once every delivery is in.
    db_session.expire_all()
    subscription = db_session.scalars(
        select(StripeSubscription).where(StripeSubscription.subscription_id == subscription_id)
    ).one()
    assert subscription.status == "canceled"
    invitation = db_session.scalars(
        select(OrganizationInvitation).where(
            OrganizationInvitation.organization_id == organization.id
        )
    ).one()
    assert invitation.user.username == "nina-newcomer"
    assert [m.subject for m in outbox.messages() if m.recipient == "nina-newcomer@example.com"] == [
        "olivia-owner invited you to join paid-works on PyPI Organizations"
    ]
    tags = event_tags(db_session, organization)
    for tag in (
        "organization:billing:terms_agreed",
        "organization:subscription:create",
        "organization:subscription:cancel",
    ):
        assert tag in tags

    if theirs:
        warnings.warn(
            failure_text("olivia, on the local Stripe's checkout and portal pages", theirs),
            stacklevel=1,
        )
    if ours:
        pytest.fail(failure_text("olivia, on the billing and people pages", ours), pytrace=False)
