"""``warehouse-orgs billing sync-products``, run the way ``make billing-sync`` runs it, against
the local Stripe."""

import re
import uuid
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from tests.common.network import free_port
from tests.unit.test_cli import cli_env  # noqa: F401 (the fixture)
from warehouse_orgs.cli import warehouse_orgs
from warehouse_orgs.db import normalize_database_url
from warehouse_orgs.subscriptions.billing import UNAVAILABLE_MESSAGE

BACKEND = "warehouse_orgs.subscriptions.billing.StripeBillingService"
PRODUCT = "'PyPI Organizations for companies'"


def _run(*args: str):
    return CliRunner().invoke(warehouse_orgs, list(args))


@pytest.fixture
def billing_cli(cli_env, local_stripe, monkeypatch):  # noqa: F811
    """The command's environment with BILLING_BACKEND on the local Stripe, under a domain of
    this test's own (so another test's product is never this one's), and a migrated database.
    Call it with options to change them: ``billing_cli(monthly_unit_amount=600)``."""
    domain = f"cli-{uuid.uuid4().hex[:12]}.test"

    def configure(api_base: str = local_stripe.api_base, **options: Any) -> None:
        words = [
            BACKEND,
            f"api_base={api_base}",
            f"secret_key={local_stripe.secret_key}",
            f"webhook_secret={local_stripe.webhook_secret}",
            f"domain={domain}",
            *(f"{key}={value}" for key, value in options.items()),
        ]
        monkeypatch.setenv("BILLING_BACKEND", " ".join(words))

    configure()
    assert _run("db", "upgrade").exit_code == 0
    return configure


def _prices(cli_env) -> list[tuple[str, str, int, bool]]:  # noqa: F811
    engine = create_engine(normalize_database_url(cli_env["DATABASE_URL"]))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT price_id, interval, unit_amount, is_active "
                    "FROM stripe_subscription_prices ORDER BY interval, unit_amount"
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(row) for row in rows]


def _lines(result) -> list[str]:
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def _ids(lines: list[str]) -> dict[str, str]:
    """What each line is about ("product", "$5.00 per seat per month"...) to its id."""
    found = {}
    for line in lines:
        match = re.fullmatch(r"\w+ (product|price) ((?:prod|price)_\w+) (.+)", line)
        assert match, line
        kind, provider_id, what = match.groups()
        found["product" if kind == "product" else what] = provider_id
    return found


def test_sync_creates_the_product_and_prices_then_finds_them_unchanged(billing_cli, cli_env):  # noqa: F811
    first = _lines(_run("billing", "sync-products"))
    ids = _ids(first)
    assert first == [
        f"created product {ids['product']} {PRODUCT}",
        f"created price {ids['$5.00 per seat per month']} $5.00 per seat per month",
        f"created price {ids['$50.00 per seat per year']} $50.00 per seat per year",
    ]

    again = _lines(_run("billing", "sync-products"))
    assert again == [line.replace("created", "unchanged") for line in first]
    assert _prices(cli_env) == [
        (ids["$5.00 per seat per month"], "month", 500, True),
        (ids["$50.00 per seat per year"], "year", 5000, True),
    ]


def test_a_new_amount_replaces_the_price_of_its_interval_only(billing_cli, cli_env):  # noqa: F811
    old = _ids(_lines(_run("billing", "sync-products")))
    billing_cli(monthly_unit_amount=600, currency="usd")

    lines = _lines(_run("billing", "sync-products"))
    new = _ids(lines)

    monthly, yearly = old["$5.00 per seat per month"], old["$50.00 per seat per year"]
    replacement = new["$6.00 per seat per month"]
    assert replacement != monthly
    assert lines == [
        f"unchanged product {old['product']} {PRODUCT}",
        f"deactivated price {monthly} $5.00 per seat per month",
        f"created price {replacement} $6.00 per seat per month",
        f"unchanged price {yearly} $50.00 per seat per year",
    ]
    assert _prices(cli_env) == [
        (monthly, "month", 500, False),
        (replacement, "month", 600, True),
        (yearly, "year", 5000, True),
    ]

    # Back to $5: the first price is the active one again, in Stripe and here.
    billing_cli(monthly_unit_amount=500)
    assert _lines(_run("billing", "sync-products"))[1:3] == [
        f"deactivated price {replacement} $6.00 per seat per month",
        f"reactivated price {monthly} $5.00 per seat per month",
    ]
    assert [row for row in _prices(cli_env) if row[3]] == [
        (monthly, "month", 500, True),
        (yearly, "year", 5000, True),
    ]


def test_a_provider_that_does_not_answer_changes_nothing_here(billing_cli, cli_env):  # noqa: F811
    billing_cli(api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0)
    result = _run("billing", "sync-products")
    assert result.exit_code == 1
    assert UNAVAILABLE_MESSAGE in result.output
    assert _prices(cli_env) == []


def test_an_amount_that_is_not_cents_is_refused_by_name(billing_cli):
    billing_cli(yearly_unit_amount="fifty")
    result = _run("billing", "sync-products")
    assert result.exit_code == 1
    assert "billing.yearly_unit_amount 'fifty' is not a whole number of cents" in result.output


def test_without_a_billing_backend_there_is_nothing_to_sync(cli_env, monkeypatch):  # noqa: F811
    monkeypatch.delenv("BILLING_BACKEND", raising=False)
    result = _run("billing", "sync-products")
    assert result.exit_code == 1
    assert "BILLING_BACKEND is not set" in result.output
