"""Create projects, their individual roles and their events.

Project names are unique by their PEP 503 normalized form, computed by the database: the
normalize_pep503_name function feeds a stored generated column with a unique constraint.

Revision ID: 82d23e10c8f9
Revises: c5f7a9e3d186
Create Date: 2026-11-23
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "82d23e10c8f9"
down_revision = "c5f7a9e3d186"
branch_labels = None
depends_on = None


# IMMUTABLE, so a generated column may use it; the same rule as PEP 503's
# re.sub(r"[-_.]+", "-", name).lower().
CREATE_NORMALIZE_FUNCTION = """
CREATE FUNCTION normalize_pep503_name(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(regexp_replace($1, '[-_.]+', '-', 'g')) $$
"""


def upgrade() -> None:
    op.execute(CREATE_NORMALIZE_FUNCTION)
    op.create_table(
        "projects",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "normalized_name",
            sa.Text(),
            sa.Computed("normalize_pep503_name(name)", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("description", sa.String(length=5000), server_default="", nullable=False),
        sa.Column("total_size", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("upload_limit", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "length(name) <= 100 AND name ~* '^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$'",
            name=op.f("projects_valid_name_check"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("projects_pkey")),
        sa.UniqueConstraint("normalized_name", name=op.f("projects_normalized_name_key")),
    )
    op.create_table(
        "project_events",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column(
            "time",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("ip_address", postgresql.INET(), nullable=True),
        sa.Column(
            "additional",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("project_events_actor_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["projects.id"],
            name=op.f("project_events_source_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("project_events_pkey")),
    )
    op.create_index(
        op.f("ix_project_events_actor_id"), "project_events", ["actor_id"], unique=False
    )
    op.create_index(
        "ix_project_events_source_id_time", "project_events", ["source_id", "time"], unique=False
    )
    op.create_table(
        "project_roles",
        sa.Column("role_name", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "role_name IN ('Owner', 'Maintainer')", name=op.f("project_roles_valid_role_name_check")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("project_roles_project_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("project_roles_user_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("project_roles_pkey")),
        sa.UniqueConstraint(
            "user_id", "project_id", name=op.f("project_roles_user_id_project_id_key")
        ),
    )
    op.create_index(
        op.f("ix_project_roles_project_id"), "project_roles", ["project_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_project_roles_project_id"), table_name="project_roles")
    op.drop_table("project_roles")
    op.drop_index("ix_project_events_source_id_time", table_name="project_events")
    op.drop_index(op.f("ix_project_events_actor_id"), table_name="project_events")
    op.drop_table("project_events")
    op.drop_table("projects")
    op.execute("DROP FUNCTION normalize_pep503_name(text)")
