"""Add billing: the local mirror of Stripe for Company organizations.

- stripe_customers: one per organization (unique organization_id), Stripe's id unique.
- stripe_subscription_products and stripe_subscription_prices: the per-seat product and its
  prices; a partial unique index keeps one active price per interval (month, year).
- stripe_subscriptions (Stripe's statuses, provider_updated for out-of-order events) and
  stripe_subscription_items (the seat quantity), each Stripe id unique.
- stripe_webhook_events: each event id once, so an event is applied at most once.
- billing_terms_agreements, organization_manual_activations (one per organization) and
  billing_reminders (one per organization).

New tables only: nothing the previous deploy reads changes.

Revision ID: a904541d00ee
Revises: 7c2e9b4d5a18
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op

revision = "a904541d00ee"
down_revision = "7c2e9b4d5a18"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stripe_subscription_products",
        sa.Column("product_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("description", sa.String(length=500), server_default="", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("stripe_subscription_products_pkey")),
        sa.UniqueConstraint("product_id", name=op.f("stripe_subscription_products_product_id_key")),
    )
    op.create_table(
        "stripe_webhook_events",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("occurred", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("stripe_webhook_events_pkey")),
        sa.UniqueConstraint("event_id", name=op.f("stripe_webhook_events_event_id_key")),
    )
    op.create_index(
        op.f("ix_stripe_webhook_events_received"),
        "stripe_webhook_events",
        ["received"],
        unique=False,
    )
    op.create_table(
        "billing_reminders",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("billing_reminders_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("billing_reminders_pkey")),
        sa.UniqueConstraint("organization_id", name=op.f("billing_reminders_organization_id_key")),
    )
    op.create_table(
        "billing_terms_agreements",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("revision", sa.String(length=100), nullable=False),
        sa.Column("interval", sa.String(length=10), nullable=False),
        sa.Column(
            "agreed", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("billing_terms_agreements_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("billing_terms_agreements_user_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("billing_terms_agreements_pkey")),
    )
    op.create_index(
        op.f("ix_billing_terms_agreements_organization_id"),
        "billing_terms_agreements",
        ["organization_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_billing_terms_agreements_user_id"),
        "billing_terms_agreements",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "organization_manual_activations",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("seat_limit", sa.Integer(), nullable=False),
        sa.Column("expires", sa.Date(), nullable=False),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "seat_limit > 0", name=op.f("organization_manual_activations_seat_limit_positive_check")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("organization_manual_activations_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("organization_manual_activations_pkey")),
        sa.UniqueConstraint(
            "organization_id", name=op.f("organization_manual_activations_organization_id_key")
        ),
    )
    op.create_table(
        "stripe_customers",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.String(length=255), nullable=False),
        sa.Column("billing_email", sa.String(length=254), nullable=True),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("stripe_customers_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("stripe_customers_pkey")),
        sa.UniqueConstraint("customer_id", name=op.f("stripe_customers_customer_id_key")),
        sa.UniqueConstraint("organization_id", name=op.f("stripe_customers_organization_id_key")),
    )
    op.create_table(
        "stripe_subscription_prices",
        sa.Column("price_id", sa.String(length=255), nullable=True),
        sa.Column("product_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default="usd", nullable=False),
        sa.Column("unit_amount", sa.Integer(), nullable=False),
        sa.Column("interval", sa.String(length=10), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "interval IN ('month', 'year')",
            name=op.f("stripe_subscription_prices_valid_interval_check"),
        ),
        sa.CheckConstraint(
            "unit_amount >= 0",
            name=op.f("stripe_subscription_prices_unit_amount_not_negative_check"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["stripe_subscription_products.id"],
            name=op.f("stripe_subscription_prices_product_id_fkey"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("stripe_subscription_prices_pkey")),
        sa.UniqueConstraint("price_id", name=op.f("stripe_subscription_prices_price_id_key")),
    )
    op.create_index(
        "ix_stripe_subscription_prices_one_active_per_interval",
        "stripe_subscription_prices",
        ["interval"],
        unique=True,
        postgresql_where=sa.text("is_active"),
    )
    op.create_index(
        op.f("ix_stripe_subscription_prices_product_id"),
        "stripe_subscription_prices",
        ["product_id"],
        unique=False,
    )
    op.create_table(
        "stripe_subscriptions",
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.String(length=255), nullable=False),
        sa.Column("price_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "cancel_at_period_end", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("current_period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')",
            name=op.f("stripe_subscriptions_valid_status_check"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["stripe_customers.id"],
            name=op.f("stripe_subscriptions_customer_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["price_id"],
            ["stripe_subscription_prices.id"],
            name=op.f("stripe_subscriptions_price_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("stripe_subscriptions_pkey")),
        sa.UniqueConstraint(
            "subscription_id", name=op.f("stripe_subscriptions_subscription_id_key")
        ),
    )
    op.create_index(
        op.f("ix_stripe_subscriptions_customer_id"),
        "stripe_subscriptions",
        ["customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_stripe_subscriptions_price_id"), "stripe_subscriptions", ["price_id"], unique=False
    )
    op.create_index(
        op.f("ix_stripe_subscriptions_status"), "stripe_subscriptions", ["status"], unique=False
    )
    op.create_table(
        "stripe_subscription_items",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("subscription_item_id", sa.String(length=255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "quantity >= 0", name=op.f("stripe_subscription_items_quantity_not_negative_check")
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["stripe_subscriptions.id"],
            name=op.f("stripe_subscription_items_subscription_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("stripe_subscription_items_pkey")),
        sa.UniqueConstraint(
            "subscription_id", name=op.f("stripe_subscription_items_subscription_id_key")
        ),
        sa.UniqueConstraint(
            "subscription_item_id", name=op.f("stripe_subscription_items_subscription_item_id_key")
        ),
    )


def downgrade() -> None:
    op.drop_table("stripe_subscription_items")
    op.drop_index(op.f("ix_stripe_subscriptions_status"), table_name="stripe_subscriptions")
    op.drop_index(op.f("ix_stripe_subscriptions_price_id"), table_name="stripe_subscriptions")
    op.drop_index(op.f("ix_stripe_subscriptions_customer_id"), table_name="stripe_subscriptions")
    op.drop_table("stripe_subscriptions")
    op.drop_index(
        op.f("ix_stripe_subscription_prices_product_id"), table_name="stripe_subscription_prices"
    )
    op.drop_index(
        "ix_stripe_subscription_prices_one_active_per_interval",
        table_name="stripe_subscription_prices",
        postgresql_where=sa.text("is_active"),
    )
    op.drop_table("stripe_subscription_prices")
    op.drop_table("stripe_customers")
    op.drop_table("organization_manual_activations")
    op.drop_index(
        op.f("ix_billing_terms_agreements_user_id"), table_name="billing_terms_agreements"
    )
    op.drop_index(
        op.f("ix_billing_terms_agreements_organization_id"), table_name="billing_terms_agreements"
    )
    op.drop_table("billing_terms_agreements")
    op.drop_table("billing_reminders")
    op.drop_index(op.f("ix_stripe_webhook_events_received"), table_name="stripe_webhook_events")
    op.drop_table("stripe_webhook_events")
    op.drop_table("stripe_subscription_products")
