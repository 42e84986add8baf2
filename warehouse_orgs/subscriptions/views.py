"""``POST /billing/webhook/``: the payment provider tells the mirror what changed.

No session, no CSRF token and no permission: the provider's signature over the body is the
only proof, checked before anything is read or written. A refused delivery answers 400 and
changes nothing. An accepted one answers 200 whether it was applied now, had been applied
before (the provider retries until it gets a 2xx) or is not ours to apply, so the provider
stops sending it. When applying needs the provider and it does not answer, the transaction is
rolled back and the 503 makes the provider deliver the event again later.
"""

from pyramid.httpexceptions import HTTPServiceUnavailable
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from warehouse_orgs.subscriptions.interfaces import (
    BillingUnavailable,
    IBillingService,
    ISubscriptionService,
    WebhookRefused,
)

WEBHOOK_ROUTE = "billing.webhook"
SIGNATURE_HEADER = "Stripe-Signature"


def _text(body: str, status: int = 200) -> Response:
    response = Response(body + "\n", status=status, content_type="text/plain", charset="utf-8")
    response.cache_control.no_store = True
    return response


@view_config(route_name=WEBHOOK_ROUTE, request_method="POST", require_csrf=False)
def billing_webhook(request: Request) -> Response:
    try:
        billing = request.find_service(IBillingService)
    except LookupError:
        return _text("Billing is not set up on this site.", status=404)
    try:
        event = billing.verify_webhook(request.body, request.headers.get(SIGNATURE_HEADER))
    except WebhookRefused as refusal:
        return _text(f"Refused: {refusal}", status=400)
    try:
        applied = request.find_service(ISubscriptionService).apply_event(event)
    except BillingUnavailable as error:
        raise HTTPServiceUnavailable(str(error)) from error
    return _text("Applied." if applied else "Already applied, or not this site's.")


@view_config(route_name=WEBHOOK_ROUTE, request_method="GET")
def billing_webhook_page(request: Request) -> Response:
    """Opened in a browser: say what the address is for."""
    response = _text(
        "This address takes the payment provider's webhook deliveries, sent with POST.",
        status=405,
    )
    response.allow = ("POST",)
    return response
