"""Trigram indexes for staff's search of the application queue.

The review queue's search finds an application by any part of its name, its display name or
its applicant's username. These GIN indexes (gin_trgm_ops) serve those ILIKE matches, so a
search of ten thousand pending applications reads the index rather than every row.

Built CONCURRENTLY: the tables stay writable while the indexes build.

Revision ID: 5b1e7c3a9f20
Revises: d844e4866f4c
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

from alembic import op

revision = "5b1e7c3a9f20"
down_revision = "d844e4866f4c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS "
            "ix_organization_applications_name_display_name_trgm "
            "ON organization_applications "
            "USING gin (name gin_trgm_ops, display_name gin_trgm_ops)"
        )
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_users_username_trgm "
            "ON users USING gin ((username::text) gin_trgm_ops)"
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_users_username_trgm")
        op.execute(
            "DROP INDEX CONCURRENTLY IF EXISTS ix_organization_applications_name_display_name_trgm"
        )
