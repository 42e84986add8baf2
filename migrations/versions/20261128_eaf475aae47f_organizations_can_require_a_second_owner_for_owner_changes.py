"""Organizations can require a second Owner's approval for owner changes.

A boolean on organizations, false for every existing one; the previous deploy's code never
reads it. Adding a column with a constant default rewrites nothing in PostgreSQL 11 and later.

Revision ID: eaf475aae47f
Revises: 7c6c6b34c5f5
Create Date: 2026-11-28
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op

revision = "eaf475aae47f"
down_revision = "7c6c6b34c5f5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "organizations",
        sa.Column(
            "owner_changes_need_approval",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("organizations", "owner_changes_need_approval")
