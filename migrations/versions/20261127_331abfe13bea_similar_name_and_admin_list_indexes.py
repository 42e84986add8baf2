"""Indexes for staff's similar-name search and for the admin organization page's lists.

Trigram indexes (GIN, gin_trgm_ops) on the normalized names of organizations and applications
let pg_trgm's ``%`` operator find look-alike names without reading every row. An
organization's invitations (newest first) and applications (oldest first) get indexes in the
order their admin page lists them; these cover the indexes on organization_id alone, which go.

Revision ID: 331abfe13bea
Revises: 472af062b775
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

from alembic import op

revision = "331abfe13bea"
down_revision = "472af062b775"
branch_labels = None
depends_on = None

TRIGRAM = {"postgresql_using": "gin", "postgresql_ops": {"normalized_name": "gin_trgm_ops"}}

# (name, table, columns, options), created in this order and dropped in the reverse one.
ADDED = [
    ("ix_organizations_normalized_name_trgm", "organizations", ["normalized_name"], TRIGRAM),
    (
        "ix_organization_applications_normalized_name_trgm",
        "organization_applications",
        ["normalized_name"],
        TRIGRAM,
    ),
    (
        "ix_organization_invitations_organization_id_created",
        "organization_invitations",
        ["organization_id", "created"],
        {},
    ),
    (
        "ix_organization_applications_organization_id_submitted",
        "organization_applications",
        ["organization_id", "submitted"],
        {},
    ),
]
REPLACED = [
    (
        "ix_organization_invitations_organization_id",
        "organization_invitations",
        ["organization_id"],
    ),
    (
        "ix_organization_applications_organization_id",
        "organization_applications",
        ["organization_id"],
    ),
]


# CONCURRENTLY, outside a transaction, so that writes to these tables never wait for a build.
# A build that fails leaves an invalid index behind; dropping the name first lets the migration
# simply run again.
def _create(name: str, table: str, columns: list[str], options: dict) -> None:
    op.drop_index(name, table_name=table, if_exists=True, postgresql_concurrently=True)
    op.create_index(name, table, columns, postgresql_concurrently=True, **options)


def _drop(name: str, table: str) -> None:
    op.drop_index(name, table_name=table, if_exists=True, postgresql_concurrently=True)


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for name, table, columns, options in ADDED:
            _create(name, table, columns, options)
        for name, table, _columns in REPLACED:
            _drop(name, table)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name, table, columns in REPLACED:
            _create(name, table, columns, {})
        for name, table, _columns, _options in reversed(ADDED):
            _drop(name, table)
