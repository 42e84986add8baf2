"""Organizations count their members and projects.

``organizations.member_count`` and ``organizations.project_count``, kept by statement-level
triggers on organization_roles and organization_projects (one UPDATE per organization touched,
however many rows a statement adds or removes), so that a page showing the counts reads one row
instead of counting ten thousand. The triggers are created before the counts are filled in, in
the same transaction, and creating them blocks writes to both tables until it commits, so no
row is counted twice or missed.

Revision ID: 6c2d8e4f1a73
Revises: 5b1e7c3a9f20
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

import sqlalchemy as sa
from alembic import op

revision = "6c2d8e4f1a73"
down_revision = "5b1e7c3a9f20"
branch_labels = None
depends_on = None

# (counted table, column on organizations)
COUNTED = [("organization_roles", "member_count"), ("organization_projects", "project_count")]

# TG_ARGV[0] names the organizations column. A row moving to another organization counts as
# leaving one and joining the other; a change that moves nothing (a new role name) changes no
# count and writes nothing.
COUNT_FUNCTION = """
CREATE FUNCTION count_organization_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format(
            'UPDATE organizations SET %1$I = %1$I + added.n FROM '
            '(SELECT organization_id, count(*) AS n FROM new_rows GROUP BY organization_id) '
            'AS added WHERE organizations.id = added.organization_id', TG_ARGV[0]);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format(
            'UPDATE organizations SET %1$I = %1$I - removed.n FROM '
            '(SELECT organization_id, count(*) AS n FROM old_rows GROUP BY organization_id) '
            'AS removed WHERE organizations.id = removed.organization_id', TG_ARGV[0]);
    ELSE
        EXECUTE format(
            'UPDATE organizations SET %1$I = %1$I + moved.n FROM '
            '(SELECT organization_id, sum(n) AS n FROM ('
            '   SELECT organization_id, 1 AS n FROM new_rows'
            '   UNION ALL SELECT organization_id, -1 FROM old_rows) AS changes'
            ' GROUP BY organization_id HAVING sum(n) <> 0) AS moved '
            'WHERE organizations.id = moved.organization_id', TG_ARGV[0]);
    END IF;
    RETURN NULL;
END
$$;
"""


def _triggers(table: str, column: str) -> str:
    return "\n".join(
        f"CREATE TRIGGER {table}_count_{event.lower()} AFTER {event} ON {table} "
        f"REFERENCING {transition} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION count_organization_rows('{column}');"
        for event, transition in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        )
    )


def upgrade() -> None:
    for _table, column in COUNTED:
        op.add_column(
            "organizations",
            sa.Column(column, sa.Integer(), server_default=sa.text("0"), nullable=False),
        )
    op.execute(COUNT_FUNCTION)
    for table, column in COUNTED:
        op.execute(_triggers(table, column))
        # Names from COUNTED above, not input.
        fill = (
            f"UPDATE organizations SET {column} = counted.n FROM "  # noqa: S608
            f"(SELECT organization_id, count(*) AS n FROM {table} GROUP BY organization_id) "
            "AS counted WHERE organizations.id = counted.organization_id"
        )
        op.execute(fill)


def downgrade() -> None:
    for table, _column in COUNTED:
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER {table}_count_{event} ON {table}")
    op.execute("DROP FUNCTION count_organization_rows()")
    for _table, column in COUNTED:
        op.drop_column("organizations", column)
