"""/manage/organization/<name>/subscription/ and .../subscription/activate/: billing for a
Company organization, for its Owners and Billing Managers (OrganizationsBillingManage).

- ``activate/`` shows the prices, the seats and the terms before anything is paid; its POST
  records the agreement (who, which terms, monthly or yearly) and sends the person to the
  payment provider's hosted checkout.
- ``subscription/`` shows where billing stands; its POST sends the person to the hosted
  billing portal when a subscription is live, else to a checkout (after an agreement).

A GET changes nothing. When the provider does not answer, the page says so with 503 and the
transaction is rolled back: no agreement, no customer row. Community organizations never pay:
their billing pages say so, and their POSTs are not found.
"""

from typing import Any

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config, view_defaults

from warehouse_orgs.authnz import Permissions
from warehouse_orgs.manage.billing_forms import ActivateBillingForm
from warehouse_orgs.manage.views.organization_page import OrganizationPage
from warehouse_orgs.organizations.models import Organization, OrganizationType
from warehouse_orgs.subscriptions.checkout import provider_page
from warehouse_orgs.subscriptions.interfaces import (
    BillingError,
    BillingUnavailable,
    ISubscriptionService,
)
from warehouse_orgs.subscriptions.models import LIVE_STATUSES

BILLING = Permissions.OrganizationsBillingManage
SUBSCRIPTION = "manage.organization.subscription"
ACTIVATE = "manage.organization.subscription.activate"


class BillingPage(OrganizationPage):
    def __init__(self, organization: Organization, request: Any) -> None:
        super().__init__(organization, request)
        self.subscriptions = request.find_service(ISubscriptionService)

    @property
    def pays(self) -> bool:
        return self.organization.orgtype == OrganizationType.Company

    def refuse_unless_paying(self) -> None:
        if not self.pays:
            raise HTTPNotFound("Community organizations are free: there is nothing to pay.")

    def billing_context(self, status: int = 200, **values: Any) -> dict[str, Any]:
        if not self.pays:
            # Nothing to read: the page only says that a Community organization is free.
            return self.context(status, community=True)
        seats = self.subscriptions.seat_count(self.organization)
        values.setdefault("provider_error", None)
        history = values.get("history")
        if history is not None:
            # The history is newest first, as live_subscription looks: the first live one
            # there is the one it would find, without a statement of its own.
            live = next((s for s in history if s.status in LIVE_STATUSES), None)
        else:
            live = self.subscriptions.live_subscription(self.organization)
        return self.context(
            status,
            community=False,
            seats=seats,
            prices=self.subscriptions.prices(),
            standing=self.subscriptions.standing(self.organization),
            live=live,
            **values,
        )

    def to_provider(self, form: ActivateBillingForm | None = None) -> Any:
        """303 to the provider's hosted page, or this page again saying why not. Either way
        the request's transaction is then rolled back, not committed: nothing is kept that the
        provider did not confirm (the agreement just recorded included)."""
        try:
            return HTTPSeeOther(provider_page(self.request, self.organization))
        except BillingUnavailable as error:
            status, message = 503, str(error)
        except BillingError as error:
            status, message = 409, str(error)
        self.request.tm.doom()
        values: dict[str, Any] = {"provider_error": message}
        if form is not None:
            values["form"] = form
        return self.page(status, **values)

    def page(self, status: int = 200, **values: Any) -> dict[str, Any]:
        raise NotImplementedError  # each page answers with itself


@view_defaults(
    context=Organization,
    route_name=ACTIVATE,
    renderer="manage/organization/billing_activate.html",
)
class ActivateBillingPage(BillingPage):
    def page(
        self, status: int = 200, form: ActivateBillingForm | None = None, **values: Any
    ) -> dict[str, Any]:
        return self.billing_context(
            status, form=form or ActivateBillingForm(html_id_prefix="billing"), **values
        )

    @view_config(request_method="GET", permission=BILLING)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(request_method="POST", permission=BILLING, require_reauth=True)
    def activate(self) -> Any:
        self.refuse_unless_paying()
        form = ActivateBillingForm(self.request.POST, html_id_prefix="billing")
        if not form.validate():
            return self.page(400, form)
        self.subscriptions.record_terms_agreement(
            self.organization, self.request.user, form.interval.data
        )
        return self.to_provider(form)


@view_defaults(
    context=Organization,
    route_name=SUBSCRIPTION,
    renderer="manage/organization/billing.html",
)
class SubscriptionPage(BillingPage):
    def page(self, status: int = 200, **values: Any) -> dict[str, Any]:
        if not self.pays:
            return self.billing_context(status)
        return self.billing_context(
            status,
            history=self.subscriptions.subscriptions(self.organization),
            manual_activation=self.subscriptions.manual_activation(self.organization),
            checkout_done=self.request.GET.get("checkout") == "done",
            **values,
        )

    @view_config(request_method="GET", permission=BILLING)
    def show(self) -> dict[str, Any]:
        return self.page()

    @view_config(request_method="POST", permission=BILLING, require_reauth=True)
    def manage(self) -> Any:
        self.refuse_unless_paying()
        return self.to_provider()
