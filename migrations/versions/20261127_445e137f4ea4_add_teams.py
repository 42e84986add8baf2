"""Add teams: teams and their events, team memberships, and teams' roles on projects.

- A team's name is unique in its organization by normalize_team_name (case, and runs of
  spaces and . _ / -, do not count), a stored generated column under a unique constraint.
- A membership (team_roles) hangs off the member's organization role: removing or leaving the
  organization deletes it in the same statement (ON DELETE CASCADE). Its two composite foreign
  keys share organization_id, so the team and the role are always of the same organization.
  The role's name is part of the second key (ON UPDATE CASCADE) and a CHECK refuses Billing
  Manager, so no Billing Manager is ever on a team. organization_roles gains the unique key
  (id, organization_id, role_name) those keys point at.
- A team's project role (team_project_roles) is Owner or Maintainer, one per team and project.

Revision ID: 445e137f4ea4
Revises: 8a4f2b6c1d37
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "445e137f4ea4"
down_revision = "8a4f2b6c1d37"
branch_labels = None
depends_on = None

# IMMUTABLE, so a generated column may use it. Leading and trailing spaces and punctuation are
# refused by the name's CHECK, so only the runs between words need folding.
CREATE_NORMALIZE_FUNCTION = r"""
CREATE FUNCTION normalize_team_name(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(regexp_replace($1, '[\s._/-]+', '-', 'g')) $$
"""


def upgrade() -> None:
    op.execute(CREATE_NORMALIZE_FUNCTION)
    # Tiny next to the projects; an index build on it holds its lock only briefly.
    op.create_unique_constraint(
        op.f("organization_roles_id_organization_id_role_name_key"),
        "organization_roles",
        ["id", "organization_id", "role_name"],
    )
    op.create_table(
        "teams",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column(
            "normalized_name",
            sa.Text(),
            sa.Computed("normalize_team_name(name)", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "length(name) <= 50 AND name ~ '^([^\\s/._-]|[^\\s/._-].*[^\\s/._-])$' AND name !~ '[[:cntrl:]]'",
            name=op.f("teams_valid_name_check"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("teams_organization_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("teams_pkey")),
        sa.UniqueConstraint("id", "organization_id", name=op.f("teams_id_organization_id_key")),
        sa.UniqueConstraint(
            "organization_id",
            "normalized_name",
            name=op.f("teams_organization_id_normalized_name_key"),
        ),
    )
    op.create_table(
        "team_events",
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
            ["actor_id"], ["users.id"], name=op.f("team_events_actor_id_fkey"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["teams.id"], name=op.f("team_events_source_id_fkey"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("team_events_pkey")),
    )
    op.create_index(op.f("ix_team_events_actor_id"), "team_events", ["actor_id"], unique=False)
    op.create_index(
        "ix_team_events_source_id_time", "team_events", ["source_id", "time"], unique=False
    )
    op.create_table(
        "team_project_roles",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("role_name", sa.String(length=20), nullable=False),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "role_name IN ('Owner', 'Maintainer')",
            name=op.f("team_project_roles_valid_role_name_check"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("team_project_roles_project_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("team_project_roles_team_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("team_project_roles_pkey")),
        sa.UniqueConstraint(
            "team_id", "project_id", name=op.f("team_project_roles_team_id_project_id_key")
        ),
    )
    op.create_index(
        op.f("ix_team_project_roles_project_id"), "team_project_roles", ["project_id"], unique=False
    )
    op.create_table(
        "team_roles",
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("organization_role_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("organization_role_name", sa.String(length=20), nullable=False),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.CheckConstraint(
            "organization_role_name <> 'Billing Manager'",
            name=op.f("team_roles_no_billing_managers_check"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_role_id", "organization_id", "organization_role_name"],
            [
                "organization_roles.id",
                "organization_roles.organization_id",
                "organization_roles.role_name",
            ],
            name=op.f("team_roles_organization_role_id_fkey"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "organization_id"],
            ["teams.id", "teams.organization_id"],
            name=op.f("team_roles_team_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("team_roles_pkey")),
        sa.UniqueConstraint(
            "team_id",
            "organization_role_id",
            name=op.f("team_roles_team_id_organization_role_id_key"),
        ),
    )
    op.create_index(
        op.f("ix_team_roles_organization_role_id"),
        "team_roles",
        ["organization_role_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_team_roles_organization_role_id"), table_name="team_roles")
    op.drop_table("team_roles")
    op.drop_index(op.f("ix_team_project_roles_project_id"), table_name="team_project_roles")
    op.drop_table("team_project_roles")
    op.drop_index("ix_team_events_source_id_time", table_name="team_events")
    op.drop_index(op.f("ix_team_events_actor_id"), table_name="team_events")
    op.drop_table("team_events")
    op.drop_table("teams")
    op.drop_constraint(
        op.f("organization_roles_id_organization_id_role_name_key"),
        "organization_roles",
        type_="unique",
    )
    op.execute("DROP FUNCTION normalize_team_name(text)")
