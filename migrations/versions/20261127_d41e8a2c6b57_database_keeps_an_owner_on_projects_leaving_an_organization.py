"""The database refuses to take a project out of its organization while it has no individual
Owner: a trigger on organization_projects, the other half of project_owner_required (migration
8a4f2b6c1d37), which lets a project in an organization go without one because the
organization's Owners administer it. Removing a project from its organization must first give
it an Owner of its own; the service does so under the locks, and this is the guard behind it.

Moving a project to another organization updates its row rather than deleting it, so the
trigger does not fire. A project deleted with its row (by cascade) is gone by the end of the
statement, and nothing is refused. An organization deleted while one of its projects has no
individual Owner is refused, since its cascade would leave that project without one.

Revision ID: d41e8a2c6b57
Revises: 445e137f4ea4
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

from alembic import op

revision = "d41e8a2c6b57"
down_revision = "445e137f4ea4"
branch_labels = None
depends_on = None

PROJECT_LEAVING_RULE = """
CREATE FUNCTION project_leaving_organization_owner_required() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    project_name text;
BEGIN
    -- Locked as project_owner_required locks it, so a role removal and the project leaving
    -- its organization run one after the other.
    SELECT name INTO project_name FROM projects p
     WHERE p.id = OLD.project_id
       AND NOT EXISTS (SELECT 1 FROM organization_projects op WHERE op.project_id = p.id)
       FOR NO KEY UPDATE OF p;
    IF project_name IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM project_roles WHERE project_id = OLD.project_id AND role_name = 'Owner'
    ) THEN
        RAISE EXCEPTION 'The project % would be left without an Owner.', project_name
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'organization_projects_owner_required';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER organization_projects_owner_required
    AFTER DELETE ON organization_projects
    FOR EACH ROW
    EXECUTE FUNCTION project_leaving_organization_owner_required();
"""


def upgrade() -> None:
    op.execute(PROJECT_LEAVING_RULE)


def downgrade() -> None:
    op.execute("DROP TRIGGER organization_projects_owner_required ON organization_projects")
    op.execute("DROP FUNCTION project_leaving_organization_owner_required()")
