"""Organization invitations to an email address.

An owner may invite someone by email address. An address with no verified account behind it
gets an invitation bound to the address (``email``, no ``user_id``), answered later by
whichever account has that address verified when it answers; ``invited_address`` keeps the
address the owner typed for either kind, so the owner's page names both the same way.

- ``user_id`` becomes nullable; the ``one_invitee`` check keeps exactly one of ``user_id``
  and ``email``.
- ``named_by_its_address``: an address invitation's ``invited_address`` is its ``email``, so
  the unique index on (organization_id, invited_address) among pending invitations is also
  "one pending invitation per (organization, address)".
- A partial index on ``email`` for a person's list of invitations, which finds those to
  their verified addresses.

Revision ID: 9e4b7c2d1f60
Revises: cfb1e53d84fe
Create Date: 2026-11-28
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).
#
# The previous code always sets user_id and never the new columns, so every row it writes
# passes the new checks; nothing it reads changes. The checks are added NOT VALID and then
# validated, so the table is scanned without holding the lock that blocks writes.

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import CITEXT

revision = "9e4b7c2d1f60"
down_revision = "cfb1e53d84fe"
branch_labels = None
depends_on = None

TABLE = "organization_invitations"
CHECKS = {
    "organization_invitations_one_invitee_check": "num_nonnulls(user_id, email) = 1",
    "organization_invitations_named_by_its_address_check": (
        "email IS NULL OR invited_address = email"
    ),
    "organization_invitations_valid_invited_address_check": (
        "invited_address IS NULL OR (invited_address = btrim(invited_address) "
        "AND length(invited_address) BETWEEN 3 AND 254)"
    ),
}
ONE_PER_ADDRESS = "organization_invitations_one_pending_per_address"
BY_EMAIL = "ix_organization_invitations_email_pending"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("email", CITEXT(), nullable=True))
    op.add_column(TABLE, sa.Column("invited_address", CITEXT(), nullable=True))
    op.alter_column(TABLE, "user_id", existing_type=sa.Uuid(), nullable=True)
    for name, condition in CHECKS.items():
        op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} CHECK ({condition}) NOT VALID")
        op.execute(f"ALTER TABLE {TABLE} VALIDATE CONSTRAINT {name}")
    op.create_index(
        ONE_PER_ADDRESS,
        TABLE,
        ["organization_id", "invited_address"],
        unique=True,
        postgresql_where=sa.text("status = 'pending' AND invited_address IS NOT NULL"),
    )
    op.create_index(
        BY_EMAIL,
        TABLE,
        ["email"],
        postgresql_where=sa.text("status = 'pending' AND email IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(BY_EMAIL, table_name=TABLE)
    op.drop_index(ONE_PER_ADDRESS, table_name=TABLE)
    for name in CHECKS:
        op.drop_constraint(op.f(name), TABLE, type_="check")
    # Address invitations have no account to fall back on: they go with the columns.
    op.execute("DELETE FROM organization_invitations WHERE user_id IS NULL")
    op.alter_column(TABLE, "user_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_column(TABLE, "invited_address")
    op.drop_column(TABLE, "email")
