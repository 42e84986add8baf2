"""The database refuses to leave an active organization, or a project outside an organization,
without an Owner: a trigger on each role table, for whatever path removes or demotes the last
Owner role (an account deletion's cascade included). The services refuse first, with a clear
message, under a lock; this is the guard behind them.

The triggers lock the organization or project row before counting (as the services do), so two
transactions removing the last two Owners cannot both commit. They run at the end of each
statement. A deleted organization or project takes its
roles with it in the same statement, so it is gone by then and nothing is refused. The error is
a check_violation whose constraint name ends in ``_owner_required`` (ownership.py recognises
it) and whose message names the organization or project.

Revision ID: 8a4f2b6c1d37
Revises: 5e7d3c1a9b02
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

from alembic import op

revision = "8a4f2b6c1d37"
down_revision = "5e7d3c1a9b02"
branch_labels = None
depends_on = None

ORGANIZATION_RULE = """
CREATE FUNCTION organization_owner_required() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    organization_name text;
BEGIN
    -- Locked, so that two transactions removing the last two Owners run one after the other
    -- and the second counts what the first committed.
    SELECT name INTO organization_name FROM organizations
     WHERE id = OLD.organization_id AND is_active
       FOR NO KEY UPDATE;
    IF organization_name IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM organization_roles
         WHERE organization_id = OLD.organization_id AND role_name = 'Owner'
    ) THEN
        RAISE EXCEPTION 'The organization % would be left without an Owner.', organization_name
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'organization_roles_owner_required';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER organization_roles_owner_required
    AFTER UPDATE OF role_name OR DELETE ON organization_roles
    FOR EACH ROW WHEN (OLD.role_name = 'Owner')
    EXECUTE FUNCTION organization_owner_required();
"""

PROJECT_RULE = """
CREATE FUNCTION project_owner_required() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    project_name text;
BEGIN
    -- A project in an organization is administered by the organization's Owners.
    SELECT name INTO project_name FROM projects p
     WHERE p.id = OLD.project_id
       AND NOT EXISTS (SELECT 1 FROM organization_projects op WHERE op.project_id = p.id)
       FOR NO KEY UPDATE OF p;
    IF project_name IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM project_roles WHERE project_id = OLD.project_id AND role_name = 'Owner'
    ) THEN
        RAISE EXCEPTION 'The project % would be left without an Owner.', project_name
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'project_roles_owner_required';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER project_roles_owner_required
    AFTER UPDATE OF role_name OR DELETE ON project_roles
    FOR EACH ROW WHEN (OLD.role_name = 'Owner')
    EXECUTE FUNCTION project_owner_required();
"""


def upgrade() -> None:
    op.execute(ORGANIZATION_RULE)
    op.execute(PROJECT_RULE)


def downgrade() -> None:
    op.execute("DROP TRIGGER project_roles_owner_required ON project_roles")
    op.execute("DROP FUNCTION project_owner_required()")
    op.execute("DROP TRIGGER organization_roles_owner_required ON organization_roles")
    op.execute("DROP FUNCTION organization_owner_required()")
