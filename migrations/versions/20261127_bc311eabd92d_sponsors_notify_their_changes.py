"""Sponsors notify their changes.

A statement-level trigger on ``sponsors`` sends ``NOTIFY sponsors_changed`` after every
statement that inserts, updates, deletes or truncates sponsors. PostgreSQL delivers it only
when the writing transaction commits, whoever writes (the admin, the feed sync, psql), to every
process listening: each app process forgets the footer's sponsors it holds
(warehouse_orgs/sponsors/footer.py) and loads them again, instead of showing the old list for
up to a minute. Identical notifications in one transaction are delivered once.

Revision ID: bc311eabd92d
Revises: 7d3e9f5a2b84
Create Date: 2026-11-27
"""
# A migration does one thing. It must work with the code of the previous deploy still running:
# add before you use, stop using before you drop, and never hold a lock for long (lock_timeout
# is 4s).

from alembic import op

revision = "bc311eabd92d"
down_revision = "7d3e9f5a2b84"
branch_labels = None
depends_on = None

# The channel and trigger names are the listener's (warehouse_orgs/sponsors/change_listener.py),
# written out: a migration keeps meaning what it meant when it ran, whatever the code becomes.
NOTIFY = """
CREATE FUNCTION notify_sponsors_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sponsors_changed', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER sponsors_notify_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sponsors
    FOR EACH STATEMENT EXECUTE FUNCTION notify_sponsors_changed();
"""


def upgrade() -> None:
    op.execute(NOTIFY)


def downgrade() -> None:
    op.execute("DROP TRIGGER sponsors_notify_changed ON sponsors")
    op.execute("DROP FUNCTION notify_sponsors_changed()")
