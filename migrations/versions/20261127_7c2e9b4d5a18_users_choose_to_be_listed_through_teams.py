"""Users choose whether the public page of a project they reach through a team lists them
(public_team_projects, off unless they turn it on).

Revision ID: 7c2e9b4d5a18
Revises: d41e8a2c6b57
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op

revision = "7c2e9b4d5a18"
down_revision = "d41e8a2c6b57"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table, and the
    # previous deploy, which never names the column, keeps inserting users.
    op.add_column(
        "users",
        sa.Column(
            "public_team_projects", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )


def downgrade() -> None:
    op.drop_column("users", "public_team_projects")
