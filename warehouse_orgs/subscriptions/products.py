"""What Company organizations pay for: one product with a monthly and a yearly per-seat price.

``sync_products`` makes the payment provider's product and prices match the settings
(``billing.monthly_unit_amount``, ``billing.yearly_unit_amount``, ``billing.currency``) and
records them in the local mirror, where the billing pages and checkouts read them. It is
idempotent: run again with the same settings it changes nothing and says so. The
``warehouse-orgs billing sync-products`` command runs it, and so should the demo data when a
billing backend is configured.
"""

from collections.abc import Mapping
from typing import Any

from pyramid.exceptions import ConfigurationError
from pyramid.request import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warehouse_orgs.subscriptions.interfaces import IBillingService
from warehouse_orgs.subscriptions.models import (
    PriceInterval,
    StripeSubscriptionPrice,
    StripeSubscriptionProduct,
)

PRODUCT_NAME = "PyPI Organizations for companies"
PRODUCT_DESCRIPTION = (
    "A Company organization on PyPI: shared ownership of projects, teams and roles, "
    "billed per member."
)
DEFAULT_UNIT_AMOUNTS = {PriceInterval.Month: 500, PriceInterval.Year: 5000}
DEFAULT_CURRENCY = "usd"
CURRENCY_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
# Two syncs at once would each record a new active price of an interval; the second waits.
SYNC_LOCK_KEY = 0x5EA75


def configured_prices(settings: Mapping[str, Any]) -> tuple[str, dict[PriceInterval, int]]:
    """The currency and the per-seat amount (in cents) of each interval, from the settings."""
    currency = str(settings.get("billing.currency") or DEFAULT_CURRENCY).lower()
    if len(currency) != 3 or not currency.isalpha():
        raise ConfigurationError(f"billing.currency {currency!r} is not a 3-letter ISO code")
    amounts = {}
    for interval, default in DEFAULT_UNIT_AMOUNTS.items():
        name = f"billing.{'monthly' if interval is PriceInterval.Month else 'yearly'}_unit_amount"
        value = settings.get(name, default)
        try:
            amount = int(value)
        except (TypeError, ValueError):
            amount = -1
        if amount < 0:
            raise ConfigurationError(f"{name} {value!r} is not a whole number of cents")
        amounts[interval] = amount
    return currency, amounts


def describe_price(unit_amount: int, currency: str, interval: str) -> str:
    """ "$5.00 per seat per month"."""
    symbol = CURRENCY_SYMBOLS.get(currency.lower())
    number = f"{unit_amount // 100}.{unit_amount % 100:02d}"
    money = f"{symbol}{number}" if symbol else f"{number} {currency.upper()}"
    return f"{money} per seat per {interval}"


def sync_products(request: Request) -> list[str]:
    """Create or update the product and its prices at the provider, record them here (one
    active price per interval; replaced ones deactivated), and return a line per thing done."""
    currency, amounts = configured_prices(request.registry.settings)
    billing = request.find_service(IBillingService)
    db: Session = request.db
    db.execute(select(func.pg_advisory_xact_lock(SYNC_LOCK_KEY)))

    product_id = billing.sync_product(PRODUCT_NAME, PRODUCT_DESCRIPTION)
    product, lines = _record_product(db, product_id)
    for interval, unit_amount in amounts.items():
        price_id = billing.sync_price(product_id, unit_amount, currency, interval.value)
        lines += _record_price(db, product, price_id, unit_amount, currency, interval.value)
    return lines


def _record_product(db: Session, product_id: str) -> tuple[StripeSubscriptionProduct, list[str]]:
    product = db.scalar(
        select(StripeSubscriptionProduct).where(StripeSubscriptionProduct.product_id == product_id)
    )
    wanted = {"name": PRODUCT_NAME, "description": PRODUCT_DESCRIPTION, "is_active": True}
    lines = []
    if product is None:
        product = StripeSubscriptionProduct(product_id=product_id, **wanted)
        db.add(product)
        lines.append(f"created product {product_id} {PRODUCT_NAME!r}")
    elif any(getattr(product, key) != value for key, value in wanted.items()):
        for key, value in wanted.items():
            setattr(product, key, value)
        lines.append(f"updated product {product_id} {PRODUCT_NAME!r}")
    else:
        lines.append(f"unchanged product {product_id} {PRODUCT_NAME!r}")
    for other in db.scalars(
        select(StripeSubscriptionProduct).where(
            StripeSubscriptionProduct.is_active,
            StripeSubscriptionProduct.product_id.is_distinct_from(product_id),
        )
    ):
        other.is_active = False
        lines.append(f"deactivated product {other.product_id or '(never synced)'}")
    db.flush()
    return product, lines


def _record_price(
    db: Session,
    product: StripeSubscriptionProduct,
    price_id: str,
    unit_amount: int,
    currency: str,
    interval: str,
) -> list[str]:
    described = describe_price(unit_amount, currency, interval)
    current = db.scalar(
        select(StripeSubscriptionPrice).where(
            StripeSubscriptionPrice.interval == interval, StripeSubscriptionPrice.is_active
        )
    )
    if current is not None and current.price_id == price_id:
        return [f"unchanged price {price_id} {described}"]
    lines = []
    if current is not None:
        current.is_active = False
        old = describe_price(current.unit_amount, current.currency, current.interval)
        lines.append(f"deactivated price {current.price_id or '(never synced)'} {old}")
        # Before the new one is active: one active price per interval, in the database.
        db.flush()
    price = db.scalar(
        select(StripeSubscriptionPrice).where(StripeSubscriptionPrice.price_id == price_id)
    )
    if price is None:
        price = StripeSubscriptionPrice(price_id=price_id)
        db.add(price)
        lines.append(f"created price {price_id} {described}")
    else:
        lines.append(f"reactivated price {price_id} {described}")
    price.product_id = product.id
    price.unit_amount = unit_amount
    price.currency = currency
    price.interval = interval
    price.is_active = True
    db.flush()
    return lines
