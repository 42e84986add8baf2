"""The local Stripe of the development environment and the tests: localstripe, plus what it lacks.

    python dev/localstripe_ext.py --port N --state PATH [--webhook-url URL] [--webhook-secret S]

`localstripe <https://github.com/adrienverge/localstripe>`_ (from PyPI, GPL-3.0) is a stateful
fake of Stripe's HTTP API. It is a development dependency only, and it runs as a program of its
own: this file is that program, started by ``warehouse_orgs/cli/local_stripe.py`` for
``make serve`` and for the test session. The application never imports localstripe or this
file; it talks to the running process over HTTP with the ``stripe`` SDK, exactly as it talks to
Stripe. Nothing here ships.

localstripe answers customers, products, plans, subscriptions, subscription items, invoices and
events, in older shapes. This program runs its aiohttp application with our additions, in the
shapes of Stripe's current API:

- prices (``/v1/prices``), each recurring one backed by a localstripe plan of the same id, as
  Stripe itself does, so subscriptions can use it (``items[0][price]``);
- checkout sessions (``/v1/checkout/sessions``) with a hosted page, ``/checkout/{id}``, whose
  "Pay" creates the subscription and emits ``checkout.session.completed``;
- billing portal sessions (``/v1/billing_portal/sessions``) with a hosted page,
  ``/portal/{id}``, that cancels (now or at period end) and changes seats;
- subscription items carry ``price`` and ``current_period_start/end``; updating a subscription
  or an item emits ``customer.subscription.updated`` with ``previous_attributes``;
- ``Idempotency-Key`` on every ``POST /v1/...``: the same key and parameters give the same
  answer, other parameters a 400 ``idempotency_error``;
- search (``/v1/{customers,products,prices,subscriptions}/search``) for the simple queries of
  Stripe's search language (``field:'value'``, ``metadata['key']:'value'``, joined by AND);
- every event, ours and localstripe's, is POSTed to the webhook URL, signed as Stripe signs
  (``Stripe-Signature: t=<time>,v1=<HMAC-SHA256 of "<time>.<payload>">``), from a queue, so the
  request that caused it never waits; failed deliveries are retried twice;
- for people and tests: ``GET /_dev/`` (the events, with a Resend button), ``GET /_dev/events``
  (JSON, newest first, each with its signed payload and headers), ``GET
  /_dev/events/{id}/signed``, ``POST /_dev/events/{id}/resend``, ``POST /_dev/webhook`` (change
  the webhook URL) and ``GET /_dev/health``.

Everything is kept in the file given by ``--state`` (a pickle, under ``.state/``), written after
every change, so customers and subscriptions outlive a restart of ``make serve``.
"""

import argparse
import asyncio
import contextvars
import hashlib
import hmac
import html
import json
import logging
import os
import pickle
import re
import shlex
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
from aiohttp import web
from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.resources import (
    Customer,
    Event,
    Invoice,
    List,
    PaymentMethod,
    Plan,
    Product,
    Store,
    StripeObject,
    Subscription,
    SubscriptionItem,
    random_id,
    store,
    try_convert_to_bool,
    try_convert_to_int,
)
from localstripe.webhooks import _webhooks, register_webhook

log = logging.getLogger("localstripe_ext")

# The API version whose shapes the additions follow (the one the lock file's `stripe` SDK pins).
API_VERSION = "2026-10-28.endive"
CHECKOUT_LIFETIME_SECONDS = 24 * 3600
IDEMPOTENCY_KEY_LIFETIME_SECONDS = 24 * 3600
DELIVERY_ATTEMPTS = 3
DELIVERY_RETRY_SECONDS = (2, 10)
DELIVERY_TIMEOUT_SECONDS = 10
MAX_QUANTITY = 100_000
# The name under which --webhook-url sits in localstripe's own webhook registry.
DEV_WEBHOOK_ID = "warehouse-orgs"


class Runtime:
    """What the command line said, for the objects whose exported ``url`` depends on where
    this process listens (a URL keeps working after a restart on another port)."""

    public_url = "http://127.0.0.1:8420"
    # Something in the store changed since it was last written.
    unsaved = False
    webhook_secret = "whsec_local"  # noqa: S105 (a placeholder; --webhook-secret sets it)
    state_path: Path | None = None


# --- The state file -------------------------------------------------------------------------


def _load_state(self: Store) -> None:
    if Runtime.state_path is None or not Runtime.state_path.exists():
        return
    with Runtime.state_path.open("rb") as state_file:
        loaded = pickle.load(state_file)  # noqa: S301 (our own file, written below)
    self.clear()
    dict.update(self, loaded)


def _save_state(self: Store) -> None:
    """Write the whole store atomically: a Ctrl-C halfway never leaves half a file."""
    if Runtime.state_path is None:
        return
    Runtime.state_path.parent.mkdir(parents=True, exist_ok=True)
    partial = Runtime.state_path.with_name(Runtime.state_path.name + ".partial")
    with partial.open("wb") as state_file:
        # A plain dict: unpickling a Store would call its __setitem__, which saves.
        pickle.dump(dict(self), state_file, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, Runtime.state_path)


def _remember_change(self: Store, key: str, value: Any) -> None:
    dict.__setitem__(self, key, value)
    Runtime.unsaved = True


def _remember_removal(self: Store, key: str) -> None:
    dict.__delitem__(self, key)
    Runtime.unsaved = True


# localstripe keeps its store in /tmp/localstripe.pickle; ours lives where --state says. It
# writes the whole store at every change to it; we write it once per request that changed
# something (see save_after_changes), which keeps a long test session quick.
Store.try_load_from_disk = _load_state
Store.dump_to_disk = _save_state
Store.__setitem__ = _remember_change
Store.__delitem__ = _remember_removal


# --- Parameters -----------------------------------------------------------------------------


def refuse_unknown(data: dict[str, Any], known: Iterable[str], unsupported: Iterable[str] = ()):
    """Stripe answers 400 to a parameter it does not know; so do we, and to the parameters it
    knows that this local copy does not model (rather than silently ignoring them)."""
    unsupported = set(unsupported)
    known = set(known)
    for name in data:
        if name in unsupported:
            raise UserError(
                400, f"The local Stripe does not support the parameter {name}.", {"param": name}
            )
        if name not in known:
            raise UserError(400, f"Received unknown parameter: {name}", {"param": name})


def require(condition: bool, param: str, message: str) -> None:
    if not condition:
        raise UserError(400, message, {"param": param})


def read_metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    if value in (None, ""):
        return {}
    require(isinstance(value, dict), param, "Invalid object")
    require(len(value) <= 50, param, "Metadata can have up to 50 keys.")
    for key, item in value.items():
        require(isinstance(key, str) and 0 < len(key) <= 40, param, f"Invalid key {key!r}")
        require(isinstance(item, str) and len(item) <= 500, param, f"Invalid value for {key!r}")
    return dict(value)


def merge_metadata(current: dict[str, str], update: Any) -> dict[str, str]:
    """Stripe's rule: the given keys are set, a key set to "" is removed, and an empty
    ``metadata`` removes them all."""
    if update == "":
        return {}
    merged = dict(current or {})
    for key, value in read_metadata(update).items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def read_quantity(value: Any, param: str = "quantity") -> int:
    quantity = try_convert_to_int(value)
    require(
        isinstance(quantity, int) and 0 < quantity <= MAX_QUANTITY,
        param,
        f"Invalid integer: {value}",
    )
    return quantity


def read_url(value: Any, param: str) -> str:
    require(isinstance(value, str) and len(value) <= 5000, param, "Not a valid URL")
    parts = urlsplit(value)
    require(parts.scheme in ("http", "https") and bool(parts.netloc), param, "Not a valid URL")
    return value


def read_bool(value: Any, param: str) -> bool:
    converted = try_convert_to_bool(value)
    require(isinstance(converted, bool), param, f"Invalid boolean: {value}")
    return converted


def stored(kind: str, object_id: str) -> Any:
    return store.get(f"{kind}:{object_id}")


def listed(kind: str) -> list[Any]:
    """The stored objects of a kind, newest first, as Stripe lists them."""
    prefix = f"{kind}:"
    return [value for key, value in reversed(store.items()) if key.startswith(prefix)]


def money(amount: int, currency: str) -> str:
    symbols = {"usd": "$", "eur": "€", "gbp": "£"}
    whole = f"{amount / 100:,.2f}"
    symbol = symbols.get(currency.lower())
    return f"{symbol}{whole}" if symbol else f"{whole} {currency.upper()}"


# --- Prices ---------------------------------------------------------------------------------


class Price(StripeObject):
    """A price; a recurring one is backed by a localstripe Plan with the same id (Stripe gives
    the plan behind a price the price's id too), which is what subscriptions use."""

    object = "price"
    _id_prefix = "price_"

    _create_params = (
        "active", "currency", "lookup_key", "metadata", "nickname", "product", "product_data",
        "recurring", "tax_behavior", "transfer_lookup_key", "unit_amount", "unit_amount_decimal",
        "billing_scheme",
    )  # fmt: skip
    _unsupported = ("currency_options", "custom_unit_amount", "tiers", "tiers_mode")
    _unsupported += ("transform_quantity",)

    def __init__(self, **data: Any) -> None:
        refuse_unknown(data, self._create_params, self._unsupported)
        product = data.get("product")
        product_data = data.get("product_data")
        currency = data.get("currency")
        unit_amount = try_convert_to_int(data.get("unit_amount_decimal", data.get("unit_amount")))
        recurring = data.get("recurring")
        active = read_bool(data.get("active", True), "active")
        metadata = read_metadata(data.get("metadata"))
        lookup_key = data.get("lookup_key")
        require(
            (product is None) != (product_data is None),
            "product",
            "Give exactly one of product and product_data.",
        )
        require(
            isinstance(currency, str) and re.fullmatch(r"[A-Za-z]{3}", currency) is not None,
            "currency",
            "Invalid currency",
        )
        require(
            isinstance(unit_amount, int) and unit_amount >= 0,
            "unit_amount",
            "Invalid integer: unit_amount",
        )
        require(data.get("billing_scheme", "per_unit") == "per_unit", "billing_scheme", "per_unit")
        if recurring is not None:
            require(isinstance(recurring, dict), "recurring", "Invalid object")
            refuse_unknown(
                recurring, ("interval", "interval_count", "usage_type", "trial_period_days")
            )
            require(
                recurring.get("interval") in ("day", "week", "month", "year"),
                "recurring[interval]",
                "Invalid recurring[interval]: must be one of day, week, month, or year",
            )
            require(
                recurring.get("usage_type", "licensed") == "licensed",
                "recurring[usage_type]",
                "The local Stripe has licensed prices only.",
            )
        if lookup_key is not None:
            require(
                isinstance(lookup_key, str) and 0 < len(lookup_key) <= 200,
                "lookup_key",
                "Invalid lookup_key",
            )
            holder = next((p for p in listed("price") if p.lookup_key == lookup_key), None)
            transfer = read_bool(data.get("transfer_lookup_key", False), "transfer_lookup_key")
            require(
                holder is None or transfer,
                "lookup_key",
                f"A price ({holder.id if holder else ''}) already uses that lookup key.",
            )
        if product is not None:
            require(isinstance(product, str), "product", "Invalid product")
            Product._api_retrieve(product)  # 404 if there is none
        else:
            require(isinstance(product_data, dict), "product_data", "Invalid object")
            product = Product(**product_data).id

        price_id = self._id_prefix + random_id(24)
        interval_count = 1
        if recurring is not None:
            interval_count = read_quantity(
                recurring.get("interval_count", 1), "recurring[interval_count]"
            )
            Plan(
                id=price_id,
                product=product,
                amount=unit_amount,
                currency=currency.lower(),
                interval=recurring["interval"],
                interval_count=interval_count,
                nickname=data.get("nickname"),
                metadata=dict(metadata),
                active=active,
            )
        if lookup_key is not None:
            for holder in listed("price"):
                if holder.lookup_key == lookup_key:
                    holder.lookup_key = None

        # All refusals happen above this line.
        super().__init__(price_id)
        self.active = active
        self.billing_scheme = "per_unit"
        self.currency = currency.lower()
        self.custom_unit_amount = None
        self.lookup_key = lookup_key
        self.metadata = metadata
        self.nickname = data.get("nickname")
        self.product = product
        self.recurring = (
            None
            if recurring is None
            else {
                "interval": recurring["interval"],
                "interval_count": interval_count,
                "meter": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            }
        )
        self.tax_behavior = data.get("tax_behavior", "unspecified")
        self.tiers_mode = None
        self.transform_quantity = None
        self.type = "one_time" if recurring is None else "recurring"
        self.unit_amount = unit_amount
        self.unit_amount_decimal = str(unit_amount)
        emit("price.created", self)

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> "Price":
        refuse_unknown(
            data,
            ("active", "lookup_key", "metadata", "nickname", "tax_behavior", "transfer_lookup_key"),
            ("currency_options",),
        )
        price = cls._api_retrieve(id)
        before = price._export()
        if "active" in data:
            price.active = read_bool(data["active"], "active")
        if "metadata" in data:
            price.metadata = merge_metadata(price.metadata, data["metadata"])
        if "nickname" in data:
            price.nickname = data["nickname"] or None
        if "tax_behavior" in data:
            price.tax_behavior = data["tax_behavior"]
        if "lookup_key" in data:
            lookup_key = data["lookup_key"] or None
            transfer = read_bool(data.get("transfer_lookup_key", False), "transfer_lookup_key")
            for holder in listed("price"):
                if (
                    lookup_key is not None
                    and holder.lookup_key == lookup_key
                    and holder is not price
                ):
                    require(transfer, "lookup_key", "Another price already uses that lookup key.")
                    holder.lookup_key = None
            price.lookup_key = lookup_key
        plan = stored("plan", price.id)
        if plan is not None:
            plan.active = price.active
            plan.metadata = dict(price.metadata)
            plan.nickname = price.nickname
        store[f"price:{price.id}"] = price  # saved
        emit_update("price.updated", price, before)
        return price

    @classmethod
    def _api_delete(cls, id: str) -> Any:
        raise UserError(405, "Prices cannot be deleted; archive them with active=false.")

    @classmethod
    def _api_list_all(
        cls, url: str, limit: Any = None, starting_after: Any = None, **filters: Any
    ) -> List:
        refuse_unknown(
            filters,
            ("active", "currency", "product", "type", "recurring", "lookup_keys", "created"),
            ("ending_before",),
        )
        prices = listed("price")
        if "active" in filters:
            active = read_bool(filters["active"], "active")
            prices = [p for p in prices if p.active == active]
        if "currency" in filters:
            prices = [p for p in prices if p.currency == str(filters["currency"]).lower()]
        if "product" in filters:
            prices = [p for p in prices if p.product == filters["product"]]
        if "type" in filters:
            prices = [p for p in prices if p.type == filters["type"]]
        if "recurring" in filters:
            wanted = filters["recurring"]
            require(isinstance(wanted, dict), "recurring", "Invalid object")
            prices = [
                p
                for p in prices
                if p.recurring is not None
                and all(str(p.recurring.get(k)) == str(v) for k, v in wanted.items())
            ]
        if "lookup_keys" in filters:
            keys = filters["lookup_keys"]
            keys = [keys] if isinstance(keys, str) else list(keys)
            prices = [p for p in prices if p.lookup_key in keys]
        page = List(url, limit=limit, starting_after=starting_after)
        page._list = prices
        return page


# --- localstripe's subscriptions, in today's shapes ------------------------------------------


def _item_price(self: SubscriptionItem) -> Any:
    """The item's price (Stripe's current field); plans made before prices get one shaped from
    the plan."""
    price = stored("price", self.plan.id)
    if price is not None:
        return price
    plan = self.plan
    return {
        "id": plan.id,
        "object": "price",
        "active": plan.active,
        "billing_scheme": plan.billing_scheme,
        "created": plan.created,
        "currency": plan.currency,
        "livemode": False,
        "lookup_key": None,
        "metadata": dict(plan.metadata),
        "nickname": plan.nickname,
        "product": plan.product,
        "recurring": {
            "interval": plan.interval,
            "interval_count": plan.interval_count,
            "meter": None,
            "trial_period_days": plan.trial_period_days,
            "usage_type": plan.usage_type,
        },
        "tax_behavior": "unspecified",
        "type": "recurring",
        "unit_amount": plan.amount,
        "unit_amount_decimal": str(plan.amount),
    }


SubscriptionItem.price = property(_item_price)
# Since 2025 the billing period lives on each item, not on the subscription.
SubscriptionItem.current_period_start = property(lambda self: self._current_period()["start"])
SubscriptionItem.current_period_end = property(lambda self: self._current_period()["end"])
SubscriptionItem.subscription = property(lambda self: self._subscription)


def _plan_for_item(item: dict[str, Any], param: str) -> dict[str, Any]:
    """``items[n][price]`` (today's API) becomes the ``plan`` localstripe understands."""
    item = dict(item)
    price_id = item.pop("price", None)
    if price_id is not None:
        require(isinstance(price_id, str), param, "Invalid price")
        price = Price._api_retrieve(price_id)
        require(price.recurring is not None, param, "The price is not recurring.")
        require(price.active, param, "The price is archived (not active).")
        item["plan"] = price.id
    return item


_localstripe_subscription_create = Subscription._api_create


@classmethod
def _subscription_api_create(cls: type, **data: Any) -> Subscription:
    items = data.get("items")
    if isinstance(items, list):
        data["items"] = [
            _plan_for_item(item, f"items[{n}][price]") if isinstance(item, dict) else item
            for n, item in enumerate(items)
        ]
    # Accepted by Stripe, with nothing to do here (no proration, one way to collect).
    for ignored in ("collection_method", "proration_behavior"):
        data.pop(ignored, None)
    return _localstripe_subscription_create(**data)


Subscription._api_create = _subscription_api_create


def _subscription_snapshot(subscription: Subscription) -> dict[str, Any]:
    return {
        "cancel_at": subscription.cancel_at,
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "canceled_at": getattr(subscription, "canceled_at", None),
        "items": subscription.items._export(),
        "metadata": dict(subscription.metadata),
        "quantity": subscription.quantity,
        "status": subscription.status,
    }


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in before.items() if after.get(key) != value}


SUBSCRIPTION_UPDATE_PARAMS = (
    "cancel_at", "cancel_at_period_end", "cancellation_details", "collection_method",
    "description", "items", "metadata", "payment_behavior", "proration_behavior",
    "proration_date", "trial_end",
)  # fmt: skip


@classmethod
def _subscription_api_update(cls: type, id: str, **data: Any) -> Subscription:
    refuse_unknown(data, SUBSCRIPTION_UPDATE_PARAMS, ("default_payment_method", "discounts"))
    subscription = Subscription._api_retrieve(id)
    require(
        subscription.status != "canceled" or set(data) <= {"metadata", "cancellation_details"},
        "status",
        "A canceled subscription can only update its cancellation_details and metadata.",
    )
    before = _subscription_snapshot(subscription)
    for ignored in (
        "cancellation_details", "collection_method", "description", "payment_behavior",
        "proration_behavior", "proration_date",
    ):  # fmt: skip
        data.pop(ignored, None)
    if "metadata" in data:
        subscription.metadata = merge_metadata(subscription.metadata, data.pop("metadata"))
    if "cancel_at_period_end" in data:
        at_end = read_bool(data.pop("cancel_at_period_end"), "cancel_at_period_end")
        subscription.cancel_at_period_end = at_end
        # Today's API shows the end of a subscription that cancels at period end in cancel_at.
        subscription.cancel_at = subscription.current_period_end if at_end else None
    items = data.pop("items", None)
    if items is not None:
        require(isinstance(items, list) and len(items) == 1, "items", "One item, please.")
        item = _plan_for_item(items[0], "items[0][price]")
        current = subscription.items._list[0]
        same_plan = item.get("plan") in (None, current.plan.id)
        if item.get("id") in (None, current.id) and same_plan:
            # A change of seats: Stripe keeps the item (and its id), so do we.
            if "quantity" in item:
                current.quantity = read_quantity(item["quantity"], "items[0][quantity]")
                subscription.quantity = current.quantity
            if "metadata" in item:
                current.metadata = merge_metadata(current.metadata, item["metadata"])
        else:
            data["items"] = [item]
    if data:
        subscription._update(**data)
    store[f"subscription:{subscription.id}"] = subscription  # saved
    emit_update("customer.subscription.updated", subscription, before, _subscription_snapshot)
    return subscription


Subscription._api_update = _subscription_api_update


@classmethod
def _subscription_api_delete(cls: type, id: str) -> Subscription:
    subscription = Subscription._api_retrieve(id)
    require(
        subscription.status not in ("canceled", "incomplete_expired"),
        "subscription",
        f"The subscription {id} is already canceled.",
    )
    now = int(time.time())
    subscription.status = "canceled"
    subscription.canceled_at = now
    subscription.ended_at = now
    subscription.cancel_at_period_end = False
    store[f"subscription:{subscription.id}"] = subscription  # saved
    emit("customer.subscription.deleted", subscription)
    return subscription


Subscription._api_delete = _subscription_api_delete

_localstripe_subscription_list = Subscription._api_list_all


@classmethod
def _subscription_api_list_all(cls: type, url: str, **filters: Any) -> List:
    refuse_unknown(
        filters,
        ("customer", "status", "limit", "starting_after", "price", "created"),
        ("ending_before", "current_period_end", "current_period_start", "test_clock"),
    )
    price = filters.pop("price", None)
    filters.pop("created", None)
    page = _localstripe_subscription_list(url, **filters)
    page._list = list(reversed(page._list))
    if price is not None:
        page._list = [s for s in page._list if s.items._list[0].plan.id == price]
    return page


Subscription._api_list_all = _subscription_api_list_all

SUBSCRIPTION_ITEM_UPDATE_PARAMS = (
    "metadata", "off_session", "payment_behavior", "price", "proration_behavior",
    "proration_date", "quantity",
)  # fmt: skip


@classmethod
def _subscription_item_api_update(cls: type, id: str, **data: Any) -> SubscriptionItem:
    refuse_unknown(data, SUBSCRIPTION_ITEM_UPDATE_PARAMS, ("price_data", "tax_rates", "discounts"))
    item = SubscriptionItem._api_retrieve(id)
    subscription = Subscription._api_retrieve(item._subscription)
    require(
        subscription.status != "canceled",
        "subscription",
        "The subscription is canceled; its items cannot change.",
    )
    before = _subscription_snapshot(subscription)
    if "quantity" in data:
        item.quantity = read_quantity(data["quantity"])
        subscription.quantity = item.quantity
    if "metadata" in data:
        item.metadata = merge_metadata(item.metadata, data["metadata"])
    if "price" in data:
        item.plan = Plan._api_retrieve(_plan_for_item({"price": data["price"]}, "price")["plan"])
    store[f"subscription:{subscription.id}"] = subscription  # saved
    emit_update("customer.subscription.updated", subscription, before, _subscription_snapshot)
    return item


SubscriptionItem._api_update = _subscription_item_api_update


@classmethod
def _subscription_item_api_list_all(
    cls: type, url: str, subscription: Any = None, limit: Any = None, starting_after: Any = None
) -> List:
    require(isinstance(subscription, str), "subscription", "Missing required param: subscription.")
    page = List(url, limit=limit, starting_after=starting_after)
    page._list = list(Subscription._api_retrieve(subscription).items._list)
    return page


SubscriptionItem._api_list_all = _subscription_item_api_list_all

_localstripe_event_list = Event._api_list_all


@classmethod
def _event_api_list_all(cls: type, url: str, **filters: Any) -> List:
    page = _localstripe_event_list(url, **filters)
    page._list = list(reversed(page._list))  # newest first, as Stripe lists them
    return page


Event._api_list_all = _event_api_list_all


# --- Checkout and billing portal sessions ---------------------------------------------------


CHECKOUT_CREATE_PARAMS = (
    "allow_promotion_codes", "billing_address_collection", "cancel_url", "client_reference_id",
    "currency", "customer", "customer_email", "customer_update", "expires_at", "line_items",
    "locale", "metadata", "mode", "payment_method_collection", "payment_method_types",
    "subscription_data", "success_url", "tax_id_collection", "ui_mode",
)  # fmt: skip
CHECKOUT_UNSUPPORTED_PARAMS = (
    "automatic_tax", "consent_collection", "custom_fields", "custom_text", "discounts",
    "invoice_creation", "optional_items", "payment_intent_data", "setup_intent_data",
    "shipping_address_collection", "shipping_options", "submit_type", "return_url",
)  # fmt: skip


class CheckoutSession(StripeObject):
    """A hosted checkout for a subscription; paid on its page, ``/checkout/{id}``."""

    object = "checkout.session"
    _id_prefix = "cs_test_"

    def __init__(self, **data: Any) -> None:
        refuse_unknown(data, CHECKOUT_CREATE_PARAMS, CHECKOUT_UNSUPPORTED_PARAMS)
        require(
            data.get("mode") == "subscription",
            "mode",
            "The local Stripe has checkout sessions in subscription mode only.",
        )
        require(data.get("ui_mode", "hosted") == "hosted", "ui_mode", "Hosted checkout only.")
        customer = data.get("customer")
        if customer is not None:
            require(isinstance(customer, str), "customer", "Invalid customer")
            Customer._api_retrieve(customer)  # 404 if there is none
        line_items = data.get("line_items")
        require(
            isinstance(line_items, list) and len(line_items) == 1,
            "line_items",
            "The local Stripe takes exactly one line item for a subscription.",
        )
        line = line_items[0]
        require(isinstance(line, dict), "line_items[0]", "Invalid object")
        refuse_unknown(line, ("price", "quantity"), ("price_data", "adjustable_quantity"))
        price = Price._api_retrieve(line.get("price") or "")
        require(price.recurring is not None, "line_items[0][price]", "The price is not recurring.")
        require(price.active, "line_items[0][price]", "The price is archived (not active).")
        quantity = read_quantity(line.get("quantity", 1), "line_items[0][quantity]")
        subscription_data = data.get("subscription_data") or {}
        require(isinstance(subscription_data, dict), "subscription_data", "Invalid object")
        refuse_unknown(subscription_data, ("metadata", "description"), ("trial_period_days",))
        success_url = data.get("success_url")
        cancel_url = data.get("cancel_url")
        if success_url is not None:
            read_url(success_url, "success_url")
        if cancel_url is not None:
            read_url(cancel_url, "cancel_url")
        metadata = read_metadata(data.get("metadata"))
        subscription_metadata = read_metadata(
            subscription_data.get("metadata"), "subscription_data[metadata]"
        )

        super().__init__(self._id_prefix + random_id(58))
        self.amount_subtotal = price.unit_amount * quantity
        self.amount_total = price.unit_amount * quantity
        self.cancel_url = cancel_url
        self.client_reference_id = data.get("client_reference_id")
        self.currency = price.currency
        self.customer = customer
        self.customer_email = data.get("customer_email")
        self.expires_at = self.created + CHECKOUT_LIFETIME_SECONDS
        self.invoice = None
        self.locale = data.get("locale")
        self.metadata = metadata
        self.mode = "subscription"
        self.payment_intent = None
        self.payment_status = "unpaid"
        self.status = "open"
        self.subscription = None
        self.success_url = success_url
        self.ui_mode = "hosted"
        self._line_items = [{"price": price.id, "quantity": quantity}]
        self._subscription_metadata = subscription_metadata
        self._subscription_description = subscription_data.get("description")

    @property
    def url(self) -> str | None:
        """Only an open session has a page to go to."""
        if self.status != "open":
            return None
        return f"{Runtime.public_url}/checkout/{self.id}"

    def _line_item_objects(self) -> list[dict[str, Any]]:
        lines = []
        for number, line in enumerate(self._line_items):
            price = Price._api_retrieve(line["price"])
            amount = price.unit_amount * line["quantity"]
            lines.append(
                {
                    "id": f"li_{self.id[-20:]}{number}",
                    "object": "item",
                    "amount_discount": 0,
                    "amount_subtotal": amount,
                    "amount_tax": 0,
                    "amount_total": amount,
                    "currency": price.currency,
                    "description": Product._api_retrieve(price.product).name,
                    "price": price._export(),
                    "quantity": line["quantity"],
                }
            )
        return lines

    def _export(self, expand: Any = None) -> dict[str, Any]:
        expand = list(expand or [])
        with_lines = "line_items" in expand
        if with_lines:
            expand.remove("line_items")
        exported = super()._export(expand=expand)
        if with_lines:
            lines = self._line_item_objects()
            exported["line_items"] = {
                "object": "list",
                "data": lines,
                "has_more": False,
                "url": f"/v1/checkout/sessions/{self.id}/line_items",
            }
        return exported

    def _expire_if_late(self) -> None:
        if self.status == "open" and time.time() > self.expires_at:
            self._expire()

    def _expire(self) -> None:
        self.status = "expired"
        store[f"{self.object}:{self.id}"] = self  # saved
        emit("checkout.session.expired", self)

    @classmethod
    def _api_retrieve(cls, id: str) -> "CheckoutSession":
        session = super()._api_retrieve(id)
        session._expire_if_late()
        return session

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> "CheckoutSession":
        refuse_unknown(data, ("metadata",))
        session = cls._api_retrieve(id)
        session.metadata = merge_metadata(session.metadata, data.get("metadata"))
        store[f"{session.object}:{session.id}"] = session
        return session

    @classmethod
    def _api_delete(cls, id: str) -> Any:
        raise UserError(405, "Checkout sessions cannot be deleted; expire them.")

    @classmethod
    def _api_expire(cls, id: str, **data: Any) -> "CheckoutSession":
        refuse_unknown(data, ())
        session = cls._api_retrieve(id)
        require(session.status == "open", "id", "Only an open checkout session can expire.")
        session._expire()
        return session

    @classmethod
    def _api_list_all(
        cls, url: str, limit: Any = None, starting_after: Any = None, **filters: Any
    ) -> List:
        refuse_unknown(filters, ("customer", "status", "subscription", "created"))
        sessions = listed(cls.object)
        for name in ("customer", "status", "subscription"):
            if name in filters:
                sessions = [s for s in sessions if getattr(s, name) == filters[name]]
        page = List(url, limit=limit, starting_after=starting_after)
        page._list = sessions
        return page

    def _pay(self) -> Subscription:
        """What the hosted page's Pay does: a card for the customer, then the subscription,
        paid by its first invoice, then the session completes."""
        if self.customer is None:
            self.customer = Customer(email=self.customer_email).id
        customer = Customer._api_retrieve(self.customer)
        card = PaymentMethod._api_retrieve("pm_card_visa")  # makes a new test Visa card
        PaymentMethod._api_attach(card.id, customer=customer.id)
        customer.invoice_settings["default_payment_method"] = card.id
        metadata = {**self.metadata, **self._subscription_metadata}
        line = self._line_items[0]
        subscription = Subscription(
            customer=customer.id,
            items=[{"plan": line["price"], "quantity": line["quantity"]}],
            metadata=metadata,
        )
        self.subscription = subscription.id
        self.invoice = subscription.latest_invoice
        self.status = "complete"
        self.payment_status = "paid"
        store[f"{self.object}:{self.id}"] = self  # saved
        emit("checkout.session.completed", self)
        return subscription


class PortalSession(StripeObject):
    """A hosted billing portal for one customer, at ``/portal/{id}``."""

    object = "billing_portal.session"
    _id_prefix = "bps_"

    def __init__(self, **data: Any) -> None:
        refuse_unknown(
            data,
            ("customer", "return_url", "locale", "configuration"),
            ("flow_data", "on_behalf_of"),
        )
        customer = data.get("customer")
        require(isinstance(customer, str), "customer", "Missing required param: customer.")
        Customer._api_retrieve(customer)  # 404 if there is none
        return_url = data.get("return_url")
        if return_url is not None:
            read_url(return_url, "return_url")
        super().__init__(self._id_prefix + random_id(24))
        self.configuration = data.get("configuration") or "bpc_local"
        self.customer = customer
        self.flow = None
        self.locale = data.get("locale")
        self.on_behalf_of = None
        self.return_url = return_url

    @property
    def url(self) -> str:
        return f"{Runtime.public_url}/portal/{self.id}"

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> Any:
        raise UserError(405, "Billing portal sessions cannot be changed.")

    @classmethod
    def _api_delete(cls, id: str) -> Any:
        raise UserError(405, "Billing portal sessions cannot be deleted.")


# --- Events and their delivery ----------------------------------------------------------------

# The API request being answered, for the ``request`` field of the events it causes.
current_request: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "current_request", default=None
)


def emit(event_type: str, obj: Any, previous_attributes: dict[str, Any] | None = None) -> Event:
    event = Event(event_type, obj)
    if previous_attributes:
        event.data["previous_attributes"] = previous_attributes
    deliver_later(event)
    return event


def emit_update(
    event_type: str,
    obj: Any,
    before: dict[str, Any],
    snapshot: Callable[[Any], dict[str, Any]] | None = None,
) -> Event | None:
    """An ``*.updated`` event, with the fields that changed as they were; none if nothing
    changed, as Stripe does."""
    after = snapshot(obj) if snapshot else obj._export()
    previous = _changed(before, after)
    previous.pop("updated", None)
    if not previous:
        return None
    return emit(event_type, obj, previous)


def webhook_targets() -> list[tuple[str, str, list[str] | None]]:
    return [(hook.url, hook.secret, hook.events) for hook in _webhooks.values()]


def event_payload(event: Event) -> bytes:
    """The exact bytes every delivery of the event carries (Stripe resends the same body)."""
    return json.dumps(event._export(), indent=2, sort_keys=True).encode()


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def signed_headers(payload: bytes, secret: str) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": sign(payload, secret),
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    }


class Deliveries:
    """One queue, one sender: events go out in the order they happened, after the request
    that caused them has been answered; a failed delivery is tried again later."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[str, str, str, int]] | None = None
        self.attempts: dict[str, list[dict[str, Any]]] = {}
        self.session: aiohttp.ClientSession | None = None
        self.sender: asyncio.Task[None] | None = None

    async def start(self, app: web.Application) -> None:
        self.queue = asyncio.Queue()
        timeout = aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT_SECONDS)
        self.session = aiohttp.ClientSession(timeout=timeout)
        self.sender = asyncio.ensure_future(self._send_forever())

    async def stop(self, app: web.Application) -> None:
        if self.sender is not None:
            self.sender.cancel()
        if self.session is not None:
            await self.session.close()

    def schedule(self, event: Event) -> list[str]:
        urls = []
        for url, secret, wanted in webhook_targets():
            if wanted is None or event.type in wanted:
                self._enqueue((event.id, url, secret, 1))
                urls.append(url)
        return urls

    def _enqueue(self, job: tuple[str, str, str, int]) -> None:
        if self.queue is not None:
            self.queue.put_nowait(job)

    async def _send_forever(self) -> None:
        assert self.queue is not None
        while True:
            job = await self.queue.get()
            try:
                await self._send(*job)
            except Exception:  # one bad delivery must not stop the others
                log.exception("webhook delivery of %s failed", job[0])

    async def _send(self, event_id: str, url: str, secret: str, attempt: int) -> None:
        assert self.session is not None
        event = Event._api_retrieve(event_id)
        payload = event_payload(event)
        record: dict[str, Any] = {"url": url, "attempt": attempt, "at": int(time.time())}
        try:
            async with self.session.post(
                url, data=payload, headers=signed_headers(payload, secret)
            ) as response:
                await response.read()
                record["status"] = response.status
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            record["error"] = str(error) or type(error).__name__
        self.attempts.setdefault(event_id, []).append(record)
        delivered = 200 <= record.get("status", 0) < 300
        log.info(
            "webhook %s %s to %s: %s",
            event.type,
            event_id,
            url,
            record.get("status", record.get("error")),
        )
        if not delivered and attempt < DELIVERY_ATTEMPTS:
            delay = DELIVERY_RETRY_SECONDS[attempt - 1]
            asyncio.get_running_loop().call_later(
                delay, self._enqueue, (event_id, url, secret, attempt + 1)
            )


deliveries = Deliveries()


def deliver_later(event: Event) -> None:
    """Replaces localstripe's own sender: every event, its and ours, goes through the queue."""
    request = current_request.get()
    event.request = dict(request) if request else {"id": None, "idempotency_key": None}
    event.pending_webhooks = len(webhook_targets())
    store[f"event:{event.id}"] = event  # saved with the fields above
    deliveries.schedule(event)


resources.schedule_webhook = deliver_later


def set_webhook(url: str | None, secret: str) -> None:
    if url:
        register_webhook(DEV_WEBHOOK_ID, url, secret, None)
    else:
        _webhooks.pop(DEV_WEBHOOK_ID, None)


# --- Middlewares --------------------------------------------------------------------------------

# Paths anyone on the machine may open without an API key: the pages a person clicks through,
# and the development controls (the process listens on the loopback interface only).
PUBLIC_PATH = re.compile(r"^/(checkout|portal|_dev)(/|$)")


@web.middleware
async def remember_request(request: web.Request, handler: Callable[..., Awaitable[Any]]) -> Any:
    context = None
    if request.path.startswith("/v1/") and request.method == "POST":
        context = {
            "id": "req_" + random_id(14),
            "idempotency_key": request.headers.get("Idempotency-Key"),
        }
    token = current_request.set(context)
    try:
        response = await handler(request)
    finally:
        current_request.reset(token)
    if context is not None and isinstance(response, web.StreamResponse):
        response.headers["Request-Id"] = context["id"]
    return response


@web.middleware
async def require_key_except_pages(
    request: web.Request, handler: Callable[..., Awaitable[Any]]
) -> Any:
    if PUBLIC_PATH.match(request.path):
        return await handler(request)
    return await server.auth_middleware(request, handler)


@web.middleware
async def save_after_changes(request: web.Request, handler: Callable[..., Awaitable[Any]]) -> Any:
    """Write the store after a request that may have changed it: a POST, PUT or DELETE (objects
    change in place), or any request that stored something."""
    try:
        return await handler(request)
    finally:
        if Runtime.unsaved or request.method in ("POST", "PUT", "DELETE"):
            save_now()


def save_now() -> None:
    store.dump_to_disk()
    Runtime.unsaved = False


async def save_at_exit(app: web.Application) -> None:
    if Runtime.unsaved:
        save_now()


def _json_error(status: int, error_type: str, message: str) -> web.Response:
    return server.json_response({"error": {"type": error_type, "message": message}}, status=status)


_keys_in_flight: set[str] = set()


@web.middleware
async def honour_idempotency_keys(
    request: web.Request, handler: Callable[..., Awaitable[Any]]
) -> Any:
    """Stripe's idempotency: a POST repeated with the same Idempotency-Key gets the first
    answer again (``Idempotent-Replayed: true``), without doing anything twice; the same key
    with other parameters is refused."""
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not request.path.startswith("/v1/") or not key:
        return await handler(request)
    if len(key) > 255:
        return _json_error(
            400, "invalid_request_error", "Idempotency keys are 255 characters at most."
        )
    record_key = f"idempotency:{server.get_api_key(request)}:{key}"
    # The parameters, not their order in the body, decide whether it is the same request.
    form = await request.post()
    parameters = sorted(form.items()) if form else (await request.read()).decode()
    fingerprint = hashlib.sha256(
        json.dumps([request.path, parameters], default=str).encode()
    ).hexdigest()
    record = store.get(record_key)
    if record is not None and time.time() - record["created"] > IDEMPOTENCY_KEY_LIFETIME_SECONDS:
        del store[record_key]
        record = None
    if record is not None:
        if record["fingerprint"] != fingerprint:
            return _json_error(
                400,
                "idempotency_error",
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request.",
            )
        response = web.Response(
            body=record["body"], status=record["status"], content_type="application/json"
        )
        response.headers["Idempotent-Replayed"] = "true"
        return response
    if record_key in _keys_in_flight:
        return _json_error(
            409,
            "idempotency_error",
            "There is currently another in-progress request using this Stripe-Idempotency-Key.",
        )
    _keys_in_flight.add(record_key)
    try:
        response = await handler(request)
    except UserError as error:
        response = error.to_response()
    finally:
        _keys_in_flight.discard(record_key)
    # Stripe keeps the answer once the request began to run; a refusal of the parameters
    # themselves is not kept, so the caller can correct them and use the key again.
    if 200 <= response.status < 300 or response.status == 402:
        _forget_old_idempotency_keys()
        store[record_key] = {
            "fingerprint": fingerprint,
            "status": response.status,
            "body": response.body,
            "created": time.time(),
        }
    return response


def _forget_old_idempotency_keys() -> None:
    cutoff = time.time() - IDEMPOTENCY_KEY_LIFETIME_SECONDS
    for key in [k for k, v in store.items() if k.startswith("idempotency:")]:
        if store[key]["created"] < cutoff:
            dict.__delitem__(store, key)  # saved with the next change


# --- Search ---------------------------------------------------------------------------------

SEARCHABLE = {"customers": "customer", "products": "product", "prices": "price"}
SEARCHABLE["subscriptions"] = "subscription"
SEARCH_PATH = re.compile(r"^/v1/(customers|products|prices|subscriptions)/search$")
SEARCH_CLAUSE = re.compile(
    r"""^(?P<negate>-)?(?P<field>[a-z_]+)(\[['"](?P<key>[^'"]+)['"]\])?"""
    r"""(?P<op>:|~)(?P<quote>['"])(?P<value>.*)(?P=quote)$"""
)


def search_filter(query: str) -> Callable[[dict[str, Any]], bool]:
    """The part of Stripe's search language that finds our own objects:
    ``field:'value'``, ``metadata['key']:'value'``, ``field~'part'`` and ``-field:'value'``,
    joined by AND."""
    clauses = []
    require(" OR " not in query, "query", "The local Stripe's search supports AND only.")
    for text in re.split(r"\s+AND\s+", query.strip()):
        match = SEARCH_CLAUSE.match(text.strip())
        require(match is not None, "query", f"The local Stripe cannot read the clause {text!r}.")
        clauses.append(match.groupdict())

    def matches(obj: dict[str, Any]) -> bool:
        for clause in clauses:
            value = obj.get(clause["field"])
            if clause["key"] is not None:
                value = (value or {}).get(clause["key"]) if isinstance(value, dict) else None
            if isinstance(value, bool):
                value = "true" if value else "false"
            text = "" if value is None else str(value)
            if clause["op"] == ":":
                hit = text.lower() == clause["value"].lower()
            else:
                hit = clause["value"].lower() in text.lower()
            if hit == bool(clause["negate"]):
                return False
        return True

    return matches


@web.middleware
async def answer_search(request: web.Request, handler: Callable[..., Awaitable[Any]]) -> Any:
    """``/v1/customers/search`` would otherwise reach localstripe's ``/v1/customers/{id}``."""
    match = SEARCH_PATH.match(request.path)
    if request.method != "GET" or match is None:
        return await handler(request)
    params = server.unflatten_data(request.query)
    expand = params.pop("expand", None)
    refuse_unknown(params, ("query", "limit", "page"))
    require(isinstance(params.get("query"), str), "query", "Missing required param: query.")
    limit = try_convert_to_int(params.get("limit", 10))
    require(isinstance(limit, int) and 0 < limit <= 100, "limit", "Invalid limit")
    matches = search_filter(params["query"])
    found = [
        exported
        for obj in listed(SEARCHABLE[match.group(1)])
        if matches(exported := obj._export(expand=expand))
    ]
    return server.json_response(
        {
            "object": "search_result",
            "data": found[:limit],
            "has_more": len(found) > limit,
            "next_page": None,
            "url": request.path,
        }
    )


# --- Hosted pages -----------------------------------------------------------------------------

PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; background: #f6f8fa; color: #1b1f24; }
main { max-width: 36rem; margin: 2rem auto; background: #fff; padding: 1.5rem 2rem;
       border: 1px solid #d0d7de; border-radius: 8px; }
.note { background: #fff8c5; padding: .5rem .75rem; border-radius: 4px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; }
button { font: inherit; padding: .5rem 1rem; margin: .25rem 0; cursor: pointer; }
form { margin: .5rem 0; }
section { border-top: 1px solid #d0d7de; margin-top: 1rem; }
[role=status] { background: #dafbe1; padding: .5rem .75rem; border-radius: 4px; }
.error { background: #ffebe9; padding: .5rem .75rem; border-radius: 4px; }
"""


def page(title: str, body: str, status: int = 200) -> web.Response:
    document = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)} · Local Stripe</title>\n<style>{PAGE_STYLE}</style>\n"
        f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
    return web.Response(text=document, status=status, content_type="text/html")


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def local_note() -> str:
    return (
        '<p class="note">This is the local Stripe of the development environment: no card is '
        "charged and nothing leaves this machine.</p>"
    )


def price_words(price: Price, quantity: int) -> tuple[str, str]:
    """("$5.00 per seat per month", "$15.00 per month") for 3 seats."""
    recurring = price.recurring or {}
    interval = recurring.get("interval", "")
    count = recurring.get("interval_count", 1)
    every = interval if count == 1 else f"{count} {interval}s"
    per_seat = f"{money(price.unit_amount, price.currency)} per seat per {every}"
    total = f"{money(price.unit_amount * quantity, price.currency)} per {every}"
    return per_seat, total


def date_words(timestamp: int | None) -> str:
    if timestamp is None:
        return "—"
    moment = time.gmtime(timestamp)
    return f"{moment.tm_mday} {time.strftime('%B %Y', moment)}"


def _checkout_or_404(request: web.Request) -> CheckoutSession:
    session = stored(CheckoutSession.object, request.match_info["id"])
    if session is None:
        raise web.HTTPNotFound(text="No such checkout session.")
    session._expire_if_late()
    return session


async def checkout_page(request: web.Request) -> web.Response:
    session = _checkout_or_404(request)
    if session.status == "complete":
        link = (
            f'<p><a href="{html.escape(session.success_url)}">Continue</a></p>'
            if session.success_url
            else ""
        )
        return page("Checkout complete", f"<h1>This checkout is complete</h1>\n{link}")
    if session.status == "expired":
        back = (
            f'<p><a href="{html.escape(session.cancel_url)}">Back</a></p>'
            if session.cancel_url
            else ""
        )
        return page("Checkout expired", f"<h1>This checkout has expired</h1>\n{back}", 410)
    line = session._line_items[0]
    price = Price._api_retrieve(line["price"])
    product = Product._api_retrieve(price.product)
    per_seat, total = price_words(price, line["quantity"])
    customer = Customer._api_retrieve(session.customer) if session.customer else None
    who = customer.name or customer.email or customer.id if customer else session.customer_email
    cancel = (
        f'<p><a href="{html.escape(session.cancel_url)}">Cancel</a></p>'
        if session.cancel_url
        else ""
    )
    body = f"""{local_note()}
<h1>Subscribe to {html.escape(product.name)}</h1>
<dl>
<dt>Customer</dt><dd>{html.escape(who or "a new customer")}</dd>
<dt>Price</dt><dd>{html.escape(per_seat)}</dd>
<dt>Seats</dt><dd>{line["quantity"]}</dd>
<dt>Total</dt><dd>{html.escape(total)}</dd>
<dt>Card</dt><dd>Test Visa ending 4242</dd>
</dl>
<form method="post" action="/checkout/{session.id}/pay">
<button type="submit">Pay</button>
</form>
{cancel}"""
    return page(f"Subscribe to {product.name}", body)


async def checkout_pay(request: web.Request) -> web.Response:
    session = _checkout_or_404(request)
    if session.status != "open":
        return page(
            "Checkout closed",
            f"<h1>This checkout is {session.status}</h1>\n<p>Nothing was charged.</p>",
            409,
        )
    session._pay()
    if not session.success_url:
        return page("Payment complete", "<h1>Payment complete</h1>")
    return redirect(session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id))


def _portal_or_404(request: web.Request) -> PortalSession:
    session = stored(PortalSession.object, request.match_info["id"])
    if session is None:
        raise web.HTTPNotFound(text="No such billing portal session.")
    return session


PORTAL_MESSAGES = {
    "payment_failed": "The renewal payment failed (simulated): the subscription is past due.",
    "paid": "The open invoice is paid: the subscription is active again.",
    "canceled": "The subscription is canceled.",
    "cancel_at_period_end": "The subscription will end at the end of the period.",
    "renewed": "The subscription will renew.",
    "seats": "The number of seats is changed.",
}


def fail_renewal(subscription: Subscription) -> Invoice:
    """What happens when a renewal's card is declined: an open invoice, the subscription past
    due, ``invoice.payment_failed`` and ``customer.subscription.updated``."""
    require(
        subscription.status == "active",
        "subscription",
        "Only an active subscription has a renewal to fail.",
    )
    before = _subscription_snapshot(subscription)
    invoice = Invoice(
        customer=subscription.customer,
        subscription=subscription.id,
        items=list(subscription.items._list),
    )
    invoice._finalize()
    invoice.billing_reason = "subscription_cycle"
    subscription.status = "past_due"
    store[f"invoice:{invoice.id}"] = invoice
    emit("invoice.payment_failed", invoice)
    emit_update("customer.subscription.updated", subscription, before, _subscription_snapshot)
    return invoice


def pay_open_invoice(subscription: Subscription) -> None:
    """The customer pays the failed renewal with their card: the subscription is active again."""
    require(
        subscription.status == "past_due",
        "subscription",
        "Only a past due subscription has an open invoice to pay.",
    )
    before = _subscription_snapshot(subscription)
    Invoice._api_pay_invoice(subscription.latest_invoice)
    subscription.status = "active"
    store[f"subscription:{subscription.id}"] = subscription
    emit_update("customer.subscription.updated", subscription, before, _subscription_snapshot)


def _portal_subscription_section(portal: PortalSession, subscription: Subscription) -> str:
    item = subscription.items._list[0]
    price = item.price
    product_name = Product._api_retrieve(item.plan.product).name
    live = subscription.status not in ("canceled", "incomplete_expired")
    rows = [("Status", subscription.status), ("Seats", str(item.quantity))]
    if isinstance(price, Price):
        rows.append(("Price", price_words(price, item.quantity)[0]))
    if live:
        ends = "Ends" if subscription.cancel_at_period_end else "Renews"
        rows.append((ends, date_words(item.current_period_end)))
    else:
        rows.append(("Canceled", date_words(getattr(subscription, "canceled_at", None))))
    details = "\n".join(
        f"<dt>{html.escape(name)}</dt><dd>{html.escape(value)}</dd>" for name, value in rows
    )
    heading_id = f"heading-{subscription.id}"
    action = f"/portal/{portal.id}/subscriptions/{subscription.id}"
    forms = ""
    if live:
        if subscription.cancel_at_period_end:
            period_form = (
                f'<form method="post" action="{action}/renew">'
                '<button type="submit">Don\'t cancel</button></form>'
            )
        else:
            period_form = (
                f'<form method="post" action="{action}/cancel_at_period_end">'
                '<button type="submit">Cancel at period end</button></form>'
            )
        forms = f"""<form method="post" action="{action}/cancel">
<button type="submit">Cancel now</button></form>
{period_form}
<form method="post" action="{action}/seats">
<label for="seats-{subscription.id}">Seats</label>
<input id="seats-{subscription.id}" name="quantity" type="number" min="1" max="{MAX_QUANTITY}"
 value="{item.quantity}" required>
<button type="submit">Change seats</button></form>"""
        simulations = {
            "active": ("fail_payment", "Fail the next renewal payment"),
            "past_due": ("pay_invoice", "Pay the open invoice"),
        }
        if subscription.status in simulations:
            change, label = simulations[subscription.status]
            forms += (
                "\n<h3>Development only</h3>\n<p>Not in Stripe's portal: what a declined "
                "renewal, and paying it afterwards, look like.</p>\n"
                f'<form method="post" action="{action}/{change}">'
                f'<button type="submit">{label}</button></form>'
            )
    return f"""<section aria-labelledby="{heading_id}">
<h2 id="{heading_id}">{html.escape(product_name)} ({html.escape(subscription.id)})</h2>
<dl>
{details}
</dl>
{forms}
</section>"""


async def portal_page(request: web.Request) -> web.Response:
    portal = _portal_or_404(request)
    customer = Customer._api_retrieve(portal.customer)
    subscriptions = [s for s in listed(Subscription.object) if s.customer == customer.id]
    done = PORTAL_MESSAGES.get(request.query.get("done", ""))
    error = request.query.get("error")
    notice = f'<p role="status">{html.escape(done)}</p>' if done else ""
    if error:
        notice = f'<p class="error" role="alert">{html.escape(error[:200])}</p>'
    sections = "\n".join(_portal_subscription_section(portal, s) for s in subscriptions)
    if not subscriptions:
        sections = "<p>No subscriptions.</p>"
    back = (
        f'<p><a href="{html.escape(portal.return_url)}">Back</a></p>' if portal.return_url else ""
    )
    who = customer.name or customer.email or customer.id
    body = f"""{local_note()}
<h1>Billing for {html.escape(who)}</h1>
{notice}
{sections}
{back}"""
    return page(f"Billing for {who}", body)


async def portal_change(request: web.Request) -> web.Response:
    portal = _portal_or_404(request)
    subscription = stored(Subscription.object, request.match_info["subscription"])
    if subscription is None or subscription.customer != portal.customer:
        raise web.HTTPNotFound(text="No such subscription for this customer.")
    change = request.match_info["change"]
    back = f"/portal/{portal.id}"
    try:
        if change == "cancel":
            Subscription._api_delete(subscription.id)
            done = "canceled"
        elif change == "cancel_at_period_end":
            Subscription._api_update(subscription.id, cancel_at_period_end="true")
            done = "cancel_at_period_end"
        elif change == "renew":
            Subscription._api_update(subscription.id, cancel_at_period_end="false")
            done = "renewed"
        elif change == "fail_payment":
            fail_renewal(subscription)
            done = "payment_failed"
        elif change == "pay_invoice":
            pay_open_invoice(subscription)
            done = "paid"
        elif change == "seats":
            form = await request.post()
            item = subscription.items._list[0]
            SubscriptionItem._api_update(item.id, quantity=form.get("quantity", ""))
            done = "seats"
        else:
            raise web.HTTPNotFound(text="No such change.")
    except UserError as refusal:
        message = refusal.body["error"].get("message", "Refused")
        return redirect(f"{back}?error={quote(message)}")
    return redirect(f"{back}?done={done}")


# --- Development controls ---------------------------------------------------------------------


def _event_entry(event: Event) -> dict[str, Any]:
    payload = event_payload(event)
    return {
        "id": event.id,
        "type": event.type,
        "created": event.created,
        "object_id": event.data["object"].get("id"),
        "deliveries": deliveries.attempts.get(event.id, []),
        "payload": payload.decode(),
        "headers": signed_headers(payload, Runtime.webhook_secret),
    }


def _related(event: Event, object_id: str) -> bool:
    obj = event.data["object"]
    return object_id in (obj.get("id"), obj.get("customer"), obj.get("subscription"))


def _events(query: Any) -> list[Event]:
    events = listed(Event.object)
    if query.get("type"):
        events = [e for e in events if e.type == query["type"]]
    if query.get("related"):
        events = [e for e in events if _related(e, query["related"])]
    limit = try_convert_to_int(query.get("limit", 100))
    if not isinstance(limit, int) or limit < 1:
        raise UserError(400, "Invalid limit", {"param": "limit"})
    return events[:limit]


async def dev_events(request: web.Request) -> web.Response:
    """The emitted events, newest first, each signed now with the webhook secret (so a test
    can post it to an application that has no HTTP server of its own)."""
    entries = [_event_entry(event) for event in _events(request.query)]
    return server.json_response({"object": "list", "data": entries})


async def dev_event(request: web.Request) -> web.Response:
    event = Event._api_retrieve(request.match_info["id"])
    return server.json_response(_event_entry(event))


async def dev_event_signed(request: web.Request) -> web.Response:
    event = Event._api_retrieve(request.match_info["id"])
    entry = _event_entry(event)
    return server.json_response({"payload": entry["payload"], "headers": entry["headers"]})


async def dev_event_resend(request: web.Request) -> web.Response:
    event = Event._api_retrieve(request.match_info["id"])
    urls = deliveries.schedule(event)
    if request.headers.get("Accept", "").startswith("text/html"):
        return redirect("/_dev/?resent=" + event.id)
    return server.json_response({"id": event.id, "queued": urls}, status=202)


async def dev_webhook(request: web.Request) -> web.Response:
    data = await server.get_post_data(request) or {}
    url = data.get("url") or None
    if url is not None:
        read_url(url, "url")
    set_webhook(url, Runtime.webhook_secret)
    return server.json_response({"url": url})


async def dev_health(request: web.Request) -> web.Response:
    return server.json_response({"ok": True, "webhooks": [t[0] for t in webhook_targets()]})


async def dev_dashboard(request: web.Request) -> web.Response:
    rows = []
    for event in _events(request.query):
        attempts = deliveries.attempts.get(event.id, [])
        last = attempts[-1] if attempts else None
        outcome = "not sent" if last is None else str(last.get("status", last.get("error", "")))
        when = (
            f"{date_words(event.created)} {time.strftime('%H:%M:%S', time.gmtime(event.created))}"
        )
        object_id = str(event.data["object"].get("id"))
        resend = (
            f'<form method="post" action="/_dev/events/{event.id}/resend">'
            f'<button type="submit" aria-label="Resend {event.id}">Resend</button></form>'
        )
        cells = (when, html.escape(event.type), html.escape(object_id), html.escape(outcome))
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in (*cells, resend)) + "</tr>")
    targets = ", ".join(html.escape(t[0]) for t in webhook_targets()) or "none"
    resent = request.query.get("resent")
    notice = f'<p role="status">Queued {html.escape(resent)} again.</p>' if resent else ""
    body = f"""{local_note()}
<h1>Local Stripe events</h1>
{notice}
<p>Webhooks go to: {targets}</p>
<table>
<caption>Newest first</caption>
<thead><tr><th scope="col">When (UTC)</th><th scope="col">Type</th><th scope="col">Object</th>
<th scope="col">Last delivery</th><th scope="col">Action</th></tr></thead>
<tbody>
{"".join(rows)}
</tbody>
</table>"""
    return page("Events", body)


# --- The application ----------------------------------------------------------------------------


def build_app() -> web.Application:
    app = server.app
    middlewares = app.middlewares
    position = middlewares.index(server.auth_middleware)
    middlewares[position] = require_key_except_pages
    middlewares.insert(position, remember_request)
    middlewares.insert(position + 2, honour_idempotency_keys)
    middlewares.insert(position + 3, answer_search)
    middlewares[middlewares.index(server.save_store_middleware)] = save_after_changes

    routes = (
        ("POST", "/v1/prices", server.api_create(Price, "/v1/prices")),
        ("GET", "/v1/prices", server.api_list_all(Price, "/v1/prices")),
        ("GET", "/v1/prices/{id}", server.api_retrieve(Price, None)),
        ("POST", "/v1/prices/{id}", server.api_update(Price, None)),
        ("POST", "/v1/checkout/sessions", server.api_create(CheckoutSession, None)),
        (
            "GET",
            "/v1/checkout/sessions",
            server.api_list_all(CheckoutSession, "/v1/checkout/sessions"),
        ),
        ("GET", "/v1/checkout/sessions/{id}", server.api_retrieve(CheckoutSession, None)),
        ("POST", "/v1/checkout/sessions/{id}", server.api_update(CheckoutSession, None)),
        (
            "POST",
            "/v1/checkout/sessions/{id}/expire",
            server.api_extra(CheckoutSession._api_expire, None),
        ),
        ("GET", "/v1/checkout/sessions/{id}/line_items", checkout_line_items),
        ("POST", "/v1/billing_portal/sessions", server.api_create(PortalSession, None)),
        ("GET", "/checkout/{id}", checkout_page),
        ("POST", "/checkout/{id}/pay", checkout_pay),
        ("GET", "/portal/{id}", portal_page),
        ("POST", "/portal/{id}/subscriptions/{subscription}/{change}", portal_change),
        ("GET", "/_dev/", dev_dashboard),
        ("GET", "/_dev/health", dev_health),
        ("GET", "/_dev/events", dev_events),
        ("GET", "/_dev/events/{id}", dev_event),
        ("GET", "/_dev/events/{id}/signed", dev_event_signed),
        ("POST", "/_dev/events/{id}/resend", dev_event_resend),
        ("POST", "/_dev/webhook", dev_webhook),
    )
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
    app.on_startup.append(deliveries.start)
    app.on_cleanup.append(deliveries.stop)
    app.on_cleanup.append(save_at_exit)
    return app


async def checkout_line_items(request: web.Request) -> web.Response:
    session = CheckoutSession._api_retrieve(request.match_info["id"])
    lines = session._line_item_objects()
    return server.json_response(
        {"object": "list", "data": lines, "has_more": False, "url": request.path}
    )


async def exit_with_parent(app: web.Application) -> None:
    """Stop when whoever started us is gone (a killed `make serve` or test worker), so no
    server is left behind."""
    parent = os.getppid()

    async def watch() -> None:
        while os.getppid() == parent:
            await asyncio.sleep(1)
        log.info("parent process %s is gone; stopping", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    app["parent_watch"] = asyncio.ensure_future(watch())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True, help="the state file (a pickle)")
    parser.add_argument("--webhook-url", default="", help="where events are POSTed (none: '')")
    parser.add_argument("--webhook-secret", default="whsec_local")
    parser.add_argument("--exit-with-parent", action="store_true")
    arguments = parser.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO, stream=sys.stdout, format="%(asctime)s %(name)s %(message)s"
    )
    Runtime.public_url = f"http://{arguments.host}:{arguments.port}"
    Runtime.webhook_secret = arguments.webhook_secret
    Runtime.state_path = arguments.state.resolve()
    store.try_load_from_disk()
    set_webhook(arguments.webhook_url or None, arguments.webhook_secret)

    app = build_app()
    if arguments.exit_with_parent:
        app.on_startup.append(exit_with_parent)
    log.info(
        "listening on %s (state %s); run as: %s",
        Runtime.public_url,
        Runtime.state_path,
        shlex.join(sys.argv),
    )
    web.run_app(
        app,
        host=arguments.host,
        port=arguments.port,
        print=None,
        access_log=logging.getLogger("aiohttp.access"),
        handle_signals=True,
    )


if __name__ == "__main__":
    main()
