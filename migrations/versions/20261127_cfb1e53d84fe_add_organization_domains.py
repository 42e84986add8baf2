"""Add organization_domains: the web domains an organization proves are its own (issue 13).

Each row is a domain an Owner added, the random token of the TXT record to publish for it,
and what the last look-up found; ``verified_at`` is set while the record is there, which is
what the badge on the organization's page shows. One row per domain per organization (unique
index, also how the settings page lists them); a partial index on verified domains answers
staff review's "is this website on a verified domain" and the daily re-check.

A new table that nothing reads yet: the previous deploy's code never sees it.

Revision ID: cfb1e53d84fe
Revises: 7d4a1c9e2b56
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op

revision = "cfb1e53d84fe"
down_revision = "7d4a1c9e2b56"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organization_domains",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("token", sa.String(length=43), nullable=False),
        sa.Column("added_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_check_result", sa.String(length=20), nullable=True),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "last_check_result IS NULL OR last_check_result IN ('verified', 'missing', 'wrong', 'unavailable')",
            name=op.f("organization_domains_last_check_result_is_known_check"),
        ),
        sa.CheckConstraint(
            "domain = lower(domain) AND length(domain) BETWEEN 3 AND 253",
            name=op.f("organization_domains_domain_is_normalized_check"),
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["users.id"],
            name=op.f("organization_domains_added_by_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("organization_domains_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("organization_domains_pkey")),
    )
    op.create_index(
        op.f("ix_organization_domains_added_by_id"),
        "organization_domains",
        ["added_by_id"],
        unique=False,
    )
    op.create_index(
        "ix_organization_domains_organization_id_domain",
        "organization_domains",
        ["organization_id", "domain"],
        unique=True,
    )
    op.create_index(
        "ix_organization_domains_verified_domain",
        "organization_domains",
        ["domain"],
        unique=False,
        postgresql_where=sa.text("verified_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_organization_domains_verified_domain",
        table_name="organization_domains",
        postgresql_where=sa.text("verified_at IS NOT NULL"),
    )
    op.drop_index(
        "ix_organization_domains_organization_id_domain", table_name="organization_domains"
    )
    op.drop_index(op.f("ix_organization_domains_added_by_id"), table_name="organization_domains")
    op.drop_table("organization_domains")
