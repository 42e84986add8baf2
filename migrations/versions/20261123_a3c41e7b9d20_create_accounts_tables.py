"""Create the accounts tables: users, their emails, recovery codes and events.

Usernames and emails are citext, so uniqueness ignores case; a partial unique index
allows at most one primary address per user.

Revision ID: a3c41e7b9d20
Revises: 6f1c2a9e0b41
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "a3c41e7b9d20"
down_revision = "6f1c2a9e0b41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("username", postgresql.CITEXT(), nullable=False),
        sa.Column("name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("password", sa.String(length=200), nullable=False),
        sa.Column(
            "password_date",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "date_joined",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_login", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("is_superuser", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_support", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_moderator", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_psf_staff", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("totp_secret", sa.LargeBinary(length=20), nullable=True),
        sa.Column("last_totp_step", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "length(username) <= 50 AND username ~* '^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$'",
            name=op.f("users_valid_username_check"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("users_pkey")),
        sa.UniqueConstraint("username", name=op.f("users_username_key")),
    )
    op.create_table(
        "user_emails",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("email", postgresql.CITEXT(), nullable=False),
        sa.Column("primary", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("verified", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "added", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint("length(email) <= 254", name=op.f("user_emails_valid_length_check")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("user_emails_user_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("user_emails_pkey")),
        sa.UniqueConstraint("email", name=op.f("user_emails_email_key")),
    )
    op.create_index(op.f("ix_user_emails_user_id"), "user_emails", ["user_id"], unique=False)
    op.create_index(
        "user_emails_one_primary_per_user",
        "user_emails",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text('"primary"'),
    )
    op.create_table(
        "user_events",
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
            ["actor_id"], ["users.id"], name=op.f("user_events_actor_id_fkey"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["users.id"], name=op.f("user_events_source_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("user_events_pkey")),
    )
    op.create_index(op.f("ix_user_events_actor_id"), "user_events", ["actor_id"], unique=False)
    op.create_index(
        "ix_user_events_source_id_time", "user_events", ["source_id", "time"], unique=False
    )
    op.create_table(
        "user_recovery_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "generated", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("burned", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("user_recovery_codes_user_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("user_recovery_codes_pkey")),
    )
    op.create_index(
        op.f("ix_user_recovery_codes_user_id"), "user_recovery_codes", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_user_recovery_codes_user_id"), table_name="user_recovery_codes")
    op.drop_table("user_recovery_codes")
    op.drop_index("ix_user_events_source_id_time", table_name="user_events")
    op.drop_index(op.f("ix_user_events_actor_id"), table_name="user_events")
    op.drop_table("user_events")
    op.drop_index(
        "user_emails_one_primary_per_user",
        table_name="user_emails",
        postgresql_where=sa.text('"primary"'),
    )
    op.drop_index(op.f("ix_user_emails_user_id"), table_name="user_emails")
    op.drop_table("user_emails")
    op.drop_table("users")
