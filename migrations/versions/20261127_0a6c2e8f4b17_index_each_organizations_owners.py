"""Index each organization's Owners.

A partial index on organization_roles (organization_id) holding only Owner roles: the people
page, the rule that an organization keeps one Owner, and the Owner notifications count or list
an organization's few Owners without reading all of its members.

Revision ID: 0a6c2e8f4b17
Revises: f3b8d5c0e241
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op

revision = "0a6c2e8f4b17"
down_revision = "f3b8d5c0e241"
branch_labels = None
depends_on = None

INDEX = "ix_organization_roles_owners"


def upgrade() -> None:
    op.create_index(
        INDEX,
        "organization_roles",
        ["organization_id"],
        postgresql_where=sa.text("role_name = 'Owner'"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="organization_roles")
