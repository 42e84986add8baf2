"""Organization projects keep their project's name, for listing them in name order.

``organization_projects.project_normalized_name`` is the project's normalized name, set by a
trigger when a project joins an organization and kept when the project is renamed, with an
index on (organization_id, project_normalized_name): a page of an organization's projects in
name order reads that page from the index, instead of joining and sorting all of them. The
new index starts with organization_id, so it replaces the index on organization_id alone.

Revision ID: 7d3e9f5a2b84
Revises: 6c2d8e4f1a73
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op

revision = "7d3e9f5a2b84"
down_revision = "6c2d8e4f1a73"
branch_labels = None
depends_on = None

KEEP_NAME = """
CREATE FUNCTION organization_project_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT normalized_name INTO NEW.project_normalized_name
      FROM projects WHERE id = NEW.project_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER organization_projects_project_name
    BEFORE INSERT OR UPDATE OF project_id ON organization_projects
    FOR EACH ROW EXECUTE FUNCTION organization_project_name();

CREATE FUNCTION project_renamed_in_organization() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE organization_projects SET project_normalized_name = NEW.normalized_name
     WHERE project_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER projects_renamed_in_organization
    AFTER UPDATE OF name ON projects
    FOR EACH ROW WHEN (OLD.normalized_name IS DISTINCT FROM NEW.normalized_name)
    EXECUTE FUNCTION project_renamed_in_organization();
"""

INDEX = "ix_organization_projects_organization_id_name"


def upgrade() -> None:
    op.add_column(
        "organization_projects", sa.Column("project_normalized_name", sa.Text(), nullable=True)
    )
    op.execute(KEEP_NAME)
    op.execute(
        "UPDATE organization_projects SET project_normalized_name = projects.normalized_name "
        "FROM projects WHERE projects.id = organization_projects.project_id"
    )
    op.alter_column("organization_projects", "project_normalized_name", nullable=False)
    op.create_index(INDEX, "organization_projects", ["organization_id", "project_normalized_name"])
    op.drop_index("ix_organization_projects_organization_id", table_name="organization_projects")


def downgrade() -> None:
    op.create_index(
        "ix_organization_projects_organization_id", "organization_projects", ["organization_id"]
    )
    op.drop_index(INDEX, table_name="organization_projects")
    op.execute("DROP TRIGGER projects_renamed_in_organization ON projects")
    op.execute("DROP FUNCTION project_renamed_in_organization()")
    op.execute("DROP TRIGGER organization_projects_project_name ON organization_projects")
    op.execute("DROP FUNCTION organization_project_name()")
    op.drop_column("organization_projects", "project_normalized_name")
