"""Add sponsors: the sponsorship program's tables.

- sponsors (slug unique; a white logo required for footer and infrastructure sponsors; origin
  manual or feed) and sponsor_events;
- sponsor_levels (name unique; the prospectus's yearly amounts and benefits) and
  sponsor_level_events;
- sponsor_inquiries (status new, contacted, won or lost; indexed for the staff list by status
  and age) and sponsor_inquiry_events;
- sponsor_feed_syncs: each run of the PSF feed sync and what it did or why not.

New tables only: nothing the previous deploy reads changes.

Revision ID: d844e4866f4c
Revises: a904541d00ee
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "d844e4866f4c"
down_revision = "a904541d00ee"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sponsor_feed_syncs",
        sa.Column(
            "started",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("added", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("unlisted", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("sponsor_feed_syncs_pkey")),
    )
    op.create_index(
        "ix_sponsor_feed_syncs_started", "sponsor_feed_syncs", ["started"], unique=False
    )
    op.create_table(
        "sponsor_levels",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("yearly_amount", sa.Integer(), nullable=False),
        sa.Column("benefits", sa.Text(), server_default="", nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("is_open", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "char_length(benefits) <= 5000", name=op.f("sponsor_levels_benefits_length_check")
        ),
        sa.CheckConstraint(
            "yearly_amount >= 0", name=op.f("sponsor_levels_yearly_amount_not_negative_check")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("sponsor_levels_pkey")),
        sa.UniqueConstraint("name", name=op.f("sponsor_levels_name_key")),
    )
    op.create_index(
        op.f("ix_sponsor_levels_position"), "sponsor_levels", ["position"], unique=False
    )
    op.create_table(
        "sponsors",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("service", sa.String(length=256), nullable=True),
        sa.Column("activity_markdown", sa.Text(), nullable=True),
        sa.Column("link_url", sa.String(length=1000), nullable=False),
        sa.Column("color_logo_url", sa.String(length=1000), nullable=False),
        sa.Column("white_logo_url", sa.String(length=1000), nullable=True),
        sa.Column("logo_source_url", sa.String(length=1000), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("footer", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("psf_sponsor", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("infra_sponsor", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("one_time", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("origin", sa.String(length=20), server_default="manual", nullable=False),
        sa.Column("level_name", sa.String(length=100), nullable=True),
        sa.Column("level_order", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column(
            "updated", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "origin IN ('manual', 'feed')", name=op.f("sponsors_valid_origin_check")
        ),
        sa.CheckConstraint(
            "slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name=op.f("sponsors_valid_slug_check")
        ),
        sa.CheckConstraint(
            "char_length(activity_markdown) <= 5000", name=op.f("sponsors_activity_length_check")
        ),
        sa.CheckConstraint(
            "white_logo_url IS NOT NULL OR NOT (footer OR infra_sponsor)",
            name=op.f("sponsors_white_logo_for_footer_check"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("sponsors_pkey")),
        sa.UniqueConstraint("slug", name=op.f("sponsors_slug_key")),
    )
    op.create_index("ix_sponsors_name", "sponsors", ["name"], unique=False)
    op.create_table(
        "sponsor_events",
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
        sa.Column("acted_as_staff", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
            name=op.f("sponsor_events_actor_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sponsors.id"],
            name=op.f("sponsor_events_source_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("sponsor_events_pkey")),
    )
    op.create_index(
        op.f("ix_sponsor_events_actor_id"), "sponsor_events", ["actor_id"], unique=False
    )
    op.create_index(
        "ix_sponsor_events_source_id_time", "sponsor_events", ["source_id", "time"], unique=False
    )
    op.create_table(
        "sponsor_inquiries",
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("level_id", sa.Uuid(), nullable=True),
        sa.Column("level_name", sa.String(length=100), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="new", nullable=False),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'won', 'lost')",
            name=op.f("sponsor_inquiries_valid_status_check"),
        ),
        sa.CheckConstraint(
            "char_length(message) <= 5000", name=op.f("sponsor_inquiries_message_length_check")
        ),
        sa.CheckConstraint(
            "char_length(notes) <= 10000", name=op.f("sponsor_inquiries_notes_length_check")
        ),
        sa.ForeignKeyConstraint(
            ["level_id"],
            ["sponsor_levels.id"],
            name=op.f("sponsor_inquiries_level_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("sponsor_inquiries_pkey")),
    )
    op.create_index("ix_sponsor_inquiries_created", "sponsor_inquiries", ["created"], unique=False)
    op.create_index(
        op.f("ix_sponsor_inquiries_level_id"), "sponsor_inquiries", ["level_id"], unique=False
    )
    op.create_index(
        "ix_sponsor_inquiries_status_created",
        "sponsor_inquiries",
        ["status", "created"],
        unique=False,
    )
    op.create_table(
        "sponsor_level_events",
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
        sa.Column("acted_as_staff", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
            name=op.f("sponsor_level_events_actor_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sponsor_levels.id"],
            name=op.f("sponsor_level_events_source_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("sponsor_level_events_pkey")),
    )
    op.create_index(
        op.f("ix_sponsor_level_events_actor_id"), "sponsor_level_events", ["actor_id"], unique=False
    )
    op.create_index(
        "ix_sponsor_level_events_source_id_time",
        "sponsor_level_events",
        ["source_id", "time"],
        unique=False,
    )
    op.create_table(
        "sponsor_inquiry_events",
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
        sa.Column("acted_as_staff", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
            name=op.f("sponsor_inquiry_events_actor_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sponsor_inquiries.id"],
            name=op.f("sponsor_inquiry_events_source_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("sponsor_inquiry_events_pkey")),
    )
    op.create_index(
        op.f("ix_sponsor_inquiry_events_actor_id"),
        "sponsor_inquiry_events",
        ["actor_id"],
        unique=False,
    )
    op.create_index(
        "ix_sponsor_inquiry_events_source_id_time",
        "sponsor_inquiry_events",
        ["source_id", "time"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_sponsor_inquiry_events_source_id_time", table_name="sponsor_inquiry_events")
    op.drop_index(op.f("ix_sponsor_inquiry_events_actor_id"), table_name="sponsor_inquiry_events")
    op.drop_table("sponsor_inquiry_events")
    op.drop_index("ix_sponsor_level_events_source_id_time", table_name="sponsor_level_events")
    op.drop_index(op.f("ix_sponsor_level_events_actor_id"), table_name="sponsor_level_events")
    op.drop_table("sponsor_level_events")
    op.drop_index("ix_sponsor_inquiries_status_created", table_name="sponsor_inquiries")
    op.drop_index(op.f("ix_sponsor_inquiries_level_id"), table_name="sponsor_inquiries")
    op.drop_index("ix_sponsor_inquiries_created", table_name="sponsor_inquiries")
    op.drop_table("sponsor_inquiries")
    op.drop_index("ix_sponsor_events_source_id_time", table_name="sponsor_events")
    op.drop_index(op.f("ix_sponsor_events_actor_id"), table_name="sponsor_events")
    op.drop_table("sponsor_events")
    op.drop_index("ix_sponsors_name", table_name="sponsors")
    op.drop_table("sponsors")
    op.drop_index(op.f("ix_sponsor_levels_position"), table_name="sponsor_levels")
    op.drop_table("sponsor_levels")
    op.drop_index("ix_sponsor_feed_syncs_started", table_name="sponsor_feed_syncs")
    op.drop_table("sponsor_feed_syncs")
