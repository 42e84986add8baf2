"""Create rate_limit_hits: failed logins and codes counted in a sliding window.

Revision ID: c5f7a9e3d186
Revises: b8e2d5f1c374
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "c5f7a9e3d186"
down_revision = "b8e2d5f1c374"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=50), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column(
            "time", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("rate_limit_hits_pkey")),
    )
    op.create_index(
        "ix_rate_limit_hits_scope_identifier_time",
        "rate_limit_hits",
        ["scope", "identifier", "time"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_rate_limit_hits_scope_identifier_time", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
