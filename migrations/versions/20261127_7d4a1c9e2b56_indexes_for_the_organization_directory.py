"""Indexes for the public organization directory.

/organizations/ lists active organizations by name, newest first or by project count, and
searches their names and display names. Three partial indexes over the active rows hold them in
those orders, so a page is read in order and stops after its rows whatever the number of
organizations; a trigram index on display_name lets the search match it without reading every
row (the normalized name has one already).

Revision ID: 7d4a1c9e2b56
Revises: 0a6c2e8f4b17
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op

revision = "7d4a1c9e2b56"
down_revision = "0a6c2e8f4b17"
branch_labels = None
depends_on = None

ACTIVE = {"postgresql_where": sa.text("is_active")}
# (name, columns, options), created in this order and dropped in the reverse one.
INDEXES = [
    ("ix_organizations_active_normalized_name", ["normalized_name"], ACTIVE),
    ("ix_organizations_active_created", [sa.text("created DESC"), "normalized_name"], ACTIVE),
    (
        "ix_organizations_active_project_count",
        [sa.text("project_count DESC"), "normalized_name"],
        ACTIVE,
    ),
    (
        "ix_organizations_display_name_trgm",
        ["display_name"],
        {
            "postgresql_using": "gin",
            "postgresql_ops": {"display_name": "gin_trgm_ops"},
            "postgresql_with": {"fastupdate": "off"},
        },
    ),
]


# CONCURRENTLY, outside a transaction, so that writes to organizations never wait for a build.
# A build that fails leaves an invalid index behind; dropping the name first lets the migration
# simply run again.
def upgrade() -> None:
    with op.get_context().autocommit_block():
        for name, columns, options in INDEXES:
            op.drop_index(
                name, table_name="organizations", if_exists=True, postgresql_concurrently=True
            )
            op.create_index(name, "organizations", columns, postgresql_concurrently=True, **options)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name, _columns, _options in reversed(INDEXES):
            op.drop_index(
                name, table_name="organizations", if_exists=True, postgresql_concurrently=True
            )
