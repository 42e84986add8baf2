"""The database: declarative base, engine, a session per request, and Alembic's config.

A request's session joins the request's transaction (pyramid_tm + zope.sqlalchemy): it commits
when the view returns normally (even when it only read) and rolls back when it raises.
pyramid_retry replays the whole request when Postgres reports a serialization failure or
deadlock (SQLSTATE class 40).

Every connection runs in UTC, whatever the server's or the database's own default, so the times
pages print under "(UTC)" are UTC. When the database cannot answer (gone, restarting, a query cut
off by the statement timeout), ``is_database_unavailable`` says so, and the error view answers
503; the pool checks each connection before use, so the app recovers by itself.
"""

import logging
import shutil
import sys
import uuid
from typing import Any, Self

import alembic.config
import psycopg
import zope.sqlalchemy
from pyramid.config import Configurator
from pyramid.request import Request
from sqlalchemy import Engine, MetaData, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from warehouse_orgs.paths import MIGRATIONS_DIR

logger = logging.getLogger(__name__)

# Constraint names follow Postgres' own defaults, so a constraint created by hand in a migration
# and one created by autogenerate get the same name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "pk": "%(table_name)s_pkey",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ModelBase(DeclarativeBase):
    metadata = metadata


class Model(ModelBase):
    """A table whose primary key is a UUID that Postgres generates."""

    __abstract__ = True

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, server_default=text("gen_random_uuid()")
    )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"


class RequestDatabaseService:
    """A service that works in the request's transaction: ``create_service`` is the factory
    a feature's includeme registers, and ``self.db`` is the request's session."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.db: Session = request.db

    @classmethod
    def create_service(cls, context: Any, request: Request) -> Self:
        return cls(request)


def normalize_database_url(url: str) -> str:
    """Accept the usual ``postgres://`` spellings and pin the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql", "postgresql+psycopg2"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


# A server that does not answer at all (a dropped route, a firewall) must not hold a worker until
# the kernel gives up on the connection.
CONNECT_TIMEOUT_SECONDS = 10


def connection_options(url: str, statement_timeout_ms: int | None = None) -> str:
    """The server settings every connection starts with: ``-c name=value`` pairs for libpq.

    Options already in the URL (``?options=...``) are kept; ours come after, so they win.
    """
    options = [str(make_url(url).query.get("options") or "").strip(), "-c timezone=UTC"]
    if statement_timeout_ms:
        # A runaway query is cut off by the server rather than holding a worker forever.
        options.append(f"-c statement_timeout={int(statement_timeout_ms)}")
    return " ".join(option for option in options if option)


def create_database_engine(
    url: str, statement_timeout_ms: int | None = None, **kwargs: Any
) -> Engine:
    """The engine for the app, its tasks, the CLI and migrations: UTC, READ COMMITTED, and
    connections checked before use so a restarted server is picked up without a restart here."""
    connect_args = {
        "options": connection_options(url, statement_timeout_ms),
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        **kwargs.pop("connect_args", {}),
    }
    return create_engine(
        normalize_database_url(url),
        isolation_level="READ COMMITTED",
        pool_pre_ping=True,
        connect_args=connect_args,
        **kwargs,
    )


# SQLSTATEs that mean "the database cannot answer right now", not "this request is wrong":
# connection failures (class 08), the server shutting down or starting up, too many connections,
# a statement cut off by statement_timeout, a lock not granted within lock_timeout.
_UNAVAILABLE_SQLSTATE_CLASSES = ("08",)
_UNAVAILABLE_SQLSTATES = frozenset(
    {"57P01", "57P02", "57P03", "57P05", "53300", "57014", "55P03", "25P03"}
)


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not serve the request, rather than a bug.

    A bad statement, a broken constraint or a type error is a bug (500), however it is wrapped.
    """
    if isinstance(exc, PoolTimeoutError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if not isinstance(orig, psycopg.Error):
        return False
    sqlstate = orig.sqlstate
    if sqlstate is None:
        # No SQLSTATE: the error never reached a server (refused, reset, closed mid-answer).
        return isinstance(orig, psycopg.OperationalError)
    return sqlstate in _UNAVAILABLE_SQLSTATES or sqlstate.startswith(_UNAVAILABLE_SQLSTATE_CLASSES)


# A request's session knows its request, so code watching sessions (the shared cache's purges,
# warehouse_orgs.cache.keys) can act for the request's transaction.
REQUEST_INFO_KEY = "request"


def _request_session(request: Request) -> Session:
    session: Session = request.registry["sqlalchemy.sessionmaker"]()
    session.info[REQUEST_INFO_KEY] = request
    # Joined as changed, so a request that only read ends in COMMIT, not ROLLBACK: the same
    # work for PostgreSQL, but psycopg forgets every statement it has prepared on a ROLLBACK, and
    # a page's statements were then planned again on every request (half of /project/'s time).
    zope.sqlalchemy.register(
        session,
        transaction_manager=request.tm,
        initial_state=zope.sqlalchemy.datamanager.STATUS_CHANGED,
    )
    # Give the connection back to the pool however the request ends.
    request.add_finished_callback(lambda _request: session.close())
    return session


def alembic_config(database_url: str, connection: Any = None) -> alembic.config.Config:
    """Alembic's config, built in code so there is no alembic.ini to keep in step."""
    # stdout is passed at call time: Alembic's default is the sys.stdout of import time.
    config = alembic.config.Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    config.set_main_option("truncate_slug_length", "60")
    # Passed as attributes: a URL may hold '%', which the ini parser would try to interpolate.
    config.attributes["database_url"] = normalize_database_url(database_url)
    config.attributes["connection"] = connection
    ruff = shutil.which("ruff")
    if ruff:
        config.set_section_option("post_write_hooks", "hooks", "ruff_fix, ruff_format")
        config.set_section_option("post_write_hooks", "ruff_fix.type", "exec")
        config.set_section_option("post_write_hooks", "ruff_fix.executable", ruff)
        config.set_section_option(
            "post_write_hooks", "ruff_fix.options", "check --fix REVISION_SCRIPT_FILENAME"
        )
        config.set_section_option("post_write_hooks", "ruff_format.type", "exec")
        config.set_section_option("post_write_hooks", "ruff_format.executable", ruff)
        config.set_section_option(
            "post_write_hooks", "ruff_format.options", "format REVISION_SCRIPT_FILENAME"
        )
    return config


def includeme(config: Configurator) -> None:
    settings = config.registry.settings
    engine = create_database_engine(
        settings["database.url"], settings["database.statement_timeout_ms"]
    )
    config.registry["sqlalchemy.engine"] = engine
    config.registry["sqlalchemy.sessionmaker"] = sessionmaker(bind=engine)
    config.add_request_method(_request_session, name="db", reify=True)
