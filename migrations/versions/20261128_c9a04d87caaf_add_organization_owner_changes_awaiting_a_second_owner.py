"""Add organization owner changes: proposals waiting for a second Owner's approval.

One row per proposed change to who owns an organization (issue 13), kept after it is decided as
the record of who proposed and who decided. A partial unique index lets one change per subject
wait at a time; another serves the hourly lapse of proposals older than 72 hours. A new table
only: the previous deploy's code never reads it.

Revision ID: c9a04d87caaf
Revises: eaf475aae47f
Create Date: 2026-11-28
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op

revision = "c9a04d87caaf"
down_revision = "eaf475aae47f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organization_owner_changes",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=254), nullable=False),
        sa.Column("subject_key", sa.String(length=264), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=True),
        sa.Column("old_role", sa.String(length=20), nullable=True),
        sa.Column("new_role", sa.String(length=20), nullable=True),
        sa.Column("proposed_by_id", sa.Uuid(), nullable=True),
        sa.Column("proposed_by_username", sa.String(length=50), nullable=False),
        sa.Column(
            "proposed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="waiting", nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by_username", sa.String(length=50), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=500), server_default="", nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('invite_owner', 'make_owner', 'demote_owner', 'remove_owner', 'delete_organization', 'stop_requiring_approval')",
            name=op.f("organization_owner_changes_valid_kind_check"),
        ),
        sa.CheckConstraint(
            "status IN ('waiting', 'applied', 'rejected', 'withdrawn', 'lapsed', 'void')",
            name=op.f("organization_owner_changes_valid_status_check"),
        ),
        sa.CheckConstraint(
            "length(subject) BETWEEN 1 AND 254",
            name=op.f("organization_owner_changes_valid_subject_check"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("organization_owner_changes_decided_by_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("organization_owner_changes_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["users.id"],
            name=op.f("organization_owner_changes_proposed_by_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["organization_roles.id"],
            name=op.f("organization_owner_changes_role_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("organization_owner_changes_pkey")),
    )
    op.create_index(
        op.f("ix_organization_owner_changes_decided_by_id"),
        "organization_owner_changes",
        ["decided_by_id"],
        unique=False,
    )
    op.create_index(
        "ix_organization_owner_changes_organization_id_proposed_at",
        "organization_owner_changes",
        ["organization_id", "proposed_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_organization_owner_changes_proposed_by_id"),
        "organization_owner_changes",
        ["proposed_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_organization_owner_changes_role_id"),
        "organization_owner_changes",
        ["role_id"],
        unique=False,
    )
    op.create_index(
        "ix_organization_owner_changes_waiting_expires_at",
        "organization_owner_changes",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'waiting'"),
    )
    op.create_index(
        "organization_owner_changes_one_waiting_per_subject",
        "organization_owner_changes",
        ["organization_id", "subject_key"],
        unique=True,
        postgresql_where=sa.text("status = 'waiting'"),
    )


def downgrade() -> None:
    op.drop_index(
        "organization_owner_changes_one_waiting_per_subject",
        table_name="organization_owner_changes",
        postgresql_where=sa.text("status = 'waiting'"),
    )
    op.drop_index(
        "ix_organization_owner_changes_waiting_expires_at",
        table_name="organization_owner_changes",
        postgresql_where=sa.text("status = 'waiting'"),
    )
    op.drop_index(
        op.f("ix_organization_owner_changes_role_id"), table_name="organization_owner_changes"
    )
    op.drop_index(
        op.f("ix_organization_owner_changes_proposed_by_id"),
        table_name="organization_owner_changes",
    )
    op.drop_index(
        "ix_organization_owner_changes_organization_id_proposed_at",
        table_name="organization_owner_changes",
    )
    op.drop_index(
        op.f("ix_organization_owner_changes_decided_by_id"), table_name="organization_owner_changes"
    )
    op.drop_table("organization_owner_changes")
