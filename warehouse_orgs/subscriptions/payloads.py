"""Reading the payment provider's JSON: a subscription object in the current API's shape or
an older one (localstripe's), whether it came from a fetch or inside a webhook event. Anything
that is not what the provider sends reads as None or zero, never as an error: a payload is
input from outside, even when signed.

One reader for the provider service (``billing.py``) and the mirror (``services.py``).
"""

import datetime
from collections.abc import Mapping
from typing import Any

from warehouse_orgs.subscriptions.interfaces import ProviderEvent, ProviderSubscription
from warehouse_orgs.subscriptions.models import STRIPE_ID_MAX_LENGTH

# The seat column is an integer; a quantity beyond it is no quantity the provider means.
MAX_SEATS = 2**31 - 1


def _as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _id_of(value: Any) -> str | None:
    """An id that may come as a string, or inside the expanded object; one longer than the
    mirror's columns is no id the provider gives."""
    if isinstance(value, Mapping):
        value = value.get("id")
    if isinstance(value, str) and 0 < len(value) <= STRIPE_ID_MAX_LENGTH:
        return value
    return None


def _time(value: Any) -> datetime.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.datetime.fromtimestamp(value, datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _seats(value: Any) -> int:
    # Older shapes (localstripe's form-encoded echoes) may carry the quantity as digits.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return value if 0 <= value <= MAX_SEATS else 0


def event_object(event: ProviderEvent) -> dict[str, Any]:
    """The object an event is about: ``data`` itself, or the envelope's ``data.object``."""
    inner = event.data.get("object")
    return _as_dict(inner) if isinstance(inner, Mapping) else _as_dict(event.data)


def subscription_from_payload(payload: Mapping[str, Any]) -> ProviderSubscription | None:
    """A subscription object in the provider's JSON, in the current API's shape (the period on
    its items, since 2025) or an older one (the period and plan on the subscription itself, as
    localstripe answers). None when it is not a subscription we can read."""
    subscription_id = _id_of(payload.get("id"))
    customer_id = _id_of(payload.get("customer"))
    status = payload.get("status")
    if subscription_id is None or customer_id is None or not isinstance(status, str):
        return None
    items = _as_dict(payload.get("items")).get("data")
    item = _as_dict(items[0]) if isinstance(items, list) and items else {}
    price = item.get("price") or item.get("plan") or payload.get("plan")
    quantity = item.get("quantity", payload.get("quantity"))
    return ProviderSubscription(
        subscription_id=subscription_id,
        customer_id=customer_id,
        status=status,
        price_id=_id_of(price),
        subscription_item_id=_id_of(item.get("id")),
        quantity=_seats(quantity),
        cancel_at_period_end=bool(payload.get("cancel_at_period_end")),
        current_period_end=_time(item.get("current_period_end"))
        or _time(payload.get("current_period_end")),
        metadata={str(k): str(v) for k, v in _as_dict(payload.get("metadata")).items()},
    )
