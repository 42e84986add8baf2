"""Create the extensions later tables rely on: citext and pg_trgm.

citext gives case-insensitive usernames and emails; pg_trgm gives the similarity search that
staff use to spot look-alike organization names.

Revision ID: 6f1c2a9e0b41
Revises:
Create Date: 2026-11-23
"""

from alembic import op

revision = "6f1c2a9e0b41"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS citext")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")


def downgrade() -> None:
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
    op.execute("DROP EXTENSION IF EXISTS citext")
