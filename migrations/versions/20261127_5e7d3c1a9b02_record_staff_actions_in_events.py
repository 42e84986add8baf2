"""Events record whether staff made the change (acted_as_staff), so owners and members can be
told that PyPI staff acted without being told who or from where.

Revision ID: 5e7d3c1a9b02
Revises: 331abfe13bea
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op

revision = "5e7d3c1a9b02"
down_revision = "331abfe13bea"
branch_labels = None
depends_on = None

EVENT_TABLES = (
    "user_events",
    "project_events",
    "organization_events",
    "organization_application_events",
)


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table.
    for table in EVENT_TABLES:
        op.add_column(
            table,
            sa.Column(
                "acted_as_staff", sa.Boolean(), server_default=sa.text("false"), nullable=False
            ),
        )


def downgrade() -> None:
    for table in EVENT_TABLES:
        op.drop_column(table, "acted_as_staff")
