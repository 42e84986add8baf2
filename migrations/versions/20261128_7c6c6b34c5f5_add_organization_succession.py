"""Add organization succession: organizations at risk of losing every Owner, and handovers.

``organization_succession_risks`` holds the daily detector's finding (active organizations whose
every Owner is disabled or has not logged in for SUCCESSION_INACTIVE_DAYS), so staff's
``is:ownerless-risk`` filter is an indexed look-up. ``organization_handovers`` holds staff's
proposals to make a member an Owner seven days later unless an Owner objects; a partial unique
index keeps at most one pending per organization (issue 13). Two new tables only: the previous
deploy's code never reads them.

Revision ID: 7c6c6b34c5f5
Revises: 9e4b7c2d1f60
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op

revision = "7c6c6b34c5f5"
down_revision = "9e4b7c2d1f60"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organization_succession_risks",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column(
            "since", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("organization_succession_risks_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("organization_succession_risks_pkey")),
        sa.UniqueConstraint(
            "organization_id", name=op.f("organization_succession_risks_organization_id_key")
        ),
    )
    op.create_table(
        "organization_handovers",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_role_id", sa.Uuid(), nullable=True),
        sa.Column("candidate_username", sa.String(length=50), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("started_by_id", sa.Uuid(), nullable=True),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("takes_effect_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'objected', 'completed', 'cancelled')",
            name=op.f("organization_handovers_valid_status_check"),
        ),
        sa.CheckConstraint(
            "length(reason) BETWEEN 1 AND 1000",
            name=op.f("organization_handovers_valid_reason_check"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_role_id"],
            ["organization_roles.id"],
            name=op.f("organization_handovers_candidate_role_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("organization_handovers_decided_by_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("organization_handovers_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["users.id"],
            name=op.f("organization_handovers_started_by_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("organization_handovers_pkey")),
    )
    op.create_index(
        op.f("ix_organization_handovers_candidate_role_id"),
        "organization_handovers",
        ["candidate_role_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_organization_handovers_decided_by_id"),
        "organization_handovers",
        ["decided_by_id"],
        unique=False,
    )
    op.create_index(
        "ix_organization_handovers_due",
        "organization_handovers",
        ["takes_effect_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_organization_handovers_organization_id_started_at",
        "organization_handovers",
        ["organization_id", "started_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_organization_handovers_started_by_id"),
        "organization_handovers",
        ["started_by_id"],
        unique=False,
    )
    op.create_index(
        "organization_handovers_one_pending",
        "organization_handovers",
        ["organization_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "organization_handovers_one_pending",
        table_name="organization_handovers",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        op.f("ix_organization_handovers_started_by_id"), table_name="organization_handovers"
    )
    op.drop_index(
        "ix_organization_handovers_organization_id_started_at", table_name="organization_handovers"
    )
    op.drop_index(
        "ix_organization_handovers_due",
        table_name="organization_handovers",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        op.f("ix_organization_handovers_decided_by_id"), table_name="organization_handovers"
    )
    op.drop_index(
        op.f("ix_organization_handovers_candidate_role_id"), table_name="organization_handovers"
    )
    op.drop_table("organization_handovers")
    op.drop_table("organization_succession_risks")
