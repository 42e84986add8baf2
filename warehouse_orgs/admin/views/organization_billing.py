"""/admin/organizations/<id>/...: staff's billing actions on a Company organization. Cancel a
subscription at the end of its paid period; add, change or end a manual activation.

Each needs AdminOrganizationsWrite (support and admins) and a recent password, like every
change on the page. The subscription service makes the change under the organization's lock
and records it on the organization; the ``admin.*`` route makes it a staff action, so the
organization's people read "PyPI staff", never who or from where. A refused form shows the
organization's page again with the reason beside the form.
"""

import datetime
import uuid
from typing import Any

from pyramid.httpexceptions import HTTPConflict, HTTPNotFound
from pyramid.request import Request
from pyramid.view import view_config, view_defaults

from warehouse_orgs.admin.forms import (
    CancelSubscriptionForm,
    DeleteManualActivationForm,
    ManualActivationForm,
    utc_today,
)
from warehouse_orgs.admin.organization_billing import (
    MANUAL_ACTIVATION_IDS,
    billing_service,
    cancel_form_ids,
    is_live,
)
from warehouse_orgs.admin.views.organizations import OrganizationDetailPage
from warehouse_orgs.authnz import Permissions
from warehouse_orgs.confirmation import confirmed
from warehouse_orgs.organizations.locks import lock_organization
from warehouse_orgs.organizations.models import OrganizationType
from warehouse_orgs.subscriptions.interfaces import BillingUnavailable, ISubscriptionService
from warehouse_orgs.subscriptions.models import StripeSubscription

WRITE = Permissions.AdminOrganizationsWrite
COMMUNITY_DOES_NOT_PAY = "Community organizations do not pay: there is no billing to change."
NO_SUCH_SUBSCRIPTION = "This organization has no live subscription with this id."
CANCEL_BUTTON = "Yes, cancel at period end"
BILLING_OFF = (
    "Billing is not set up on this site (BILLING_BACKEND is not set), so the payment provider "
    "cannot be asked. Nothing was changed."
)
# Stripe accepted the cancellation, but the fetch that follows it failed: the mirror is left
# for the provider's webhook (or the daily reconciliation) to bring up to date.
CANCELED_UNCONFIRMED = (
    "The payment provider accepted the cancellation but did not answer when asked for the "
    "subscription afterwards. This page will show it once the provider's notice arrives; "
    "nothing was changed here yet."
)


def _pressed(field: Any, expected: str, button: str) -> bool:
    """The removal's second button was pressed (it sends ``expected``); if not, say which
    button to press."""
    if confirmed(field, expected, typed=False):
        return True
    field.errors = [f"Press “{button}” to confirm."]
    return False


@view_defaults(renderer="admin/organizations/detail.html")
class OrganizationBillingActions(OrganizationDetailPage):
    def __init__(self, request: Request) -> None:
        super().__init__(request)
        if self.organization.orgtype != OrganizationType.Company:
            raise HTTPConflict(COMMUNITY_DOES_NOT_PAY)
        self.subscriptions = request.find_service(ISubscriptionService)

    def _live_subscription(self) -> StripeSubscription:
        """The live subscription named in the URL, if it is this organization's."""
        try:
            wanted = uuid.UUID(self.request.matchdict["subscription_id"])
        except ValueError:
            raise HTTPNotFound(NO_SUCH_SUBSCRIPTION) from None
        for subscription in self.subscriptions.subscriptions(self.organization):
            if subscription.id == wanted and is_live(subscription):
                return subscription
        raise HTTPNotFound(NO_SUCH_SUBSCRIPTION)

    def _activation_form(self) -> ManualActivationForm:
        return ManualActivationForm(
            self.request.POST, today=utc_today(), html_id_prefix=MANUAL_ACTIVATION_IDS
        )

    def _standing_words(self) -> str:
        standing = self.subscriptions.standing(self.organization)
        name = self.organization.name
        if standing.in_good_standing:
            return f"{name} is in good standing."
        return f"{name} is not in good standing."

    @view_config(
        route_name="admin.organization.subscription.cancel",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def cancel_subscription(self) -> Any:
        subscription = self._live_subscription()
        provider_id = subscription.subscription_id
        form = CancelSubscriptionForm(
            self.request.POST, html_id_prefix=cancel_form_ids(subscription)
        )
        refused = {"cancel_forms": {subscription.id: form}}
        if not form.validate() or not _pressed(form.confirm, provider_id, CANCEL_BUTTON):
            return self.page(400, **refused)
        if subscription.cancel_at_period_end:
            return self.done(f"Subscription {provider_id} already ends with its paid period.")
        provider = billing_service(self.request)
        if provider is None:
            form.confirm.errors = [BILLING_OFF]
            return self.page(503, **refused)
        try:
            provider.cancel_subscription_at_period_end(provider_id)
        except BillingUnavailable as error:
            self.request.tm.doom()
            form.confirm.errors = [str(error)]
            return self.page(503, **refused)
        try:
            current = provider.retrieve_subscription(provider_id)
        except BillingUnavailable:
            current = None
        if current is None:
            self.request.tm.doom()
            form.confirm.errors = [CANCELED_UNCONFIRMED]
            return self.page(503, **refused)
        # What was just fetched is the newest news whatever the two clocks say, so it is
        # applied even if the last webhook's time is a little ahead of ours.
        occurred = max(datetime.datetime.now(datetime.UTC), subscription.provider_updated)
        # The service records the change on the organization (organization:subscription:cancel).
        updated = self.subscriptions.apply_subscription(current, occurred) or subscription
        ends = updated.current_period_end
        when = f"on {ends:%Y-%m-%d}" if ends else "at the end of its paid period"
        return self.done(f"Subscription {provider_id} will end {when}; it will not renew.")

    @view_config(
        route_name="admin.organization.add_manual_activation",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def add_manual_activation(self) -> Any:
        form = self._activation_form()
        if not form.validate():
            return self.page(400, manual_activation_form=form)
        # Under the lock, so that two additions cannot both find none.
        lock_organization(self.request.db, self.organization)
        if self.subscriptions.manual_activation(self.organization) is not None:
            form.form_errors.append(
                "This organization already has a manual activation: change it instead."
            )
            return self.page(409, manual_activation_form=form)
        self.subscriptions.set_manual_activation(
            self.organization, form.seat_limit.data, form.expires.data
        )
        return self.done(
            f"Manual activation added: {form.seat_limit.data} seats until "
            f"{form.expires.data:%Y-%m-%d}. {self._standing_words()}"
        )

    @view_config(
        route_name="admin.organization.update_manual_activation",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def update_manual_activation(self) -> Any:
        form = self._activation_form()
        if not form.validate():
            return self.page(400, manual_activation_form=form)
        lock_organization(self.request.db, self.organization)
        activation = self.subscriptions.manual_activation(self.organization)
        if activation is None:
            form.form_errors.append(
                "This organization has no manual activation to change: add one instead."
            )
            return self.page(409, manual_activation_form=form)
        if (activation.seat_limit, activation.expires) == (form.seat_limit.data, form.expires.data):
            return self.done("The manual activation already says this; nothing changed.")
        self.subscriptions.set_manual_activation(
            self.organization, form.seat_limit.data, form.expires.data
        )
        return self.done(
            f"Manual activation changed: {form.seat_limit.data} seats until "
            f"{form.expires.data:%Y-%m-%d}. {self._standing_words()}"
        )

    @view_config(
        route_name="admin.organization.delete_manual_activation",
        request_method="POST",
        permission=WRITE,
        require_reauth=True,
    )
    def delete_manual_activation(self) -> Any:
        form = DeleteManualActivationForm(
            self.request.POST, html_id_prefix="delete-manual-activation"
        )
        if not form.validate() or not confirmed(form.confirm, self.organization.name):
            return self.page(400, delete_manual_activation_form=form)
        lock_organization(self.request.db, self.organization)
        if self.subscriptions.manual_activation(self.organization) is None:
            return self.done(f"{self.organization.name} has no manual activation.")
        self.subscriptions.delete_manual_activation(self.organization)
        return self.done(f"Manual activation removed. {self._standing_words()}")
