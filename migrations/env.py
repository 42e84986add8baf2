"""Alembic's environment: the app's metadata, a transaction per migration, one runner at once."""

import importlib
import importlib.util

from alembic import context
from sqlalchemy import Connection, pool, text

from warehouse_orgs.config import FEATURES
from warehouse_orgs.db import create_database_engine, metadata

# Every feature's models must be imported for autogenerate to see their tables.
for feature in FEATURES:
    if importlib.util.find_spec(f"warehouse_orgs.{feature}.models") is not None:
        importlib.import_module(f"warehouse_orgs.{feature}.models")

config = context.config
# Two deploys migrating at once would race; this lock makes the second wait for the first.
MIGRATION_LOCK = "SELECT pg_advisory_lock(hashtext('warehouse_orgs.migrations'))"
MIGRATION_UNLOCK = "SELECT pg_advisory_unlock(hashtext('warehouse_orgs.migrations'))"


# Server defaults are compared too: the models rely on Postgres for ids and timestamps.
COMPARISON = {
    "target_metadata": metadata,
    "compare_server_default": True,
    "transaction_per_migration": True,
}


def run_migrations_offline() -> None:
    context.configure(url=config.attributes["database_url"], literal_binds=True, **COMPARISON)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    connection.execute(text("SET lock_timeout = '4s'"))
    connection.execute(text(MIGRATION_LOCK))
    connection.commit()
    try:
        context.configure(connection=connection, **COMPARISON)
        with context.begin_transaction():
            context.run_migrations()
    finally:
        connection.rollback()
        connection.execute(text(MIGRATION_UNLOCK))
        connection.commit()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    # The app's own connection settings (UTC above all), so a migration that fills in a time
    # writes the same value the app would.
    engine = create_database_engine(config.attributes["database_url"], poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
