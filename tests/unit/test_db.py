import alembic.command
import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import Pool

from tests.common.network import free_port
from warehouse_orgs.db import (
    NAMING_CONVENTION,
    alembic_config,
    create_database_engine,
    is_database_unavailable,
    normalize_database_url,
)


def test_statement_timeout_cuts_off_a_runaway_query(database_url):
    engine = create_database_engine(database_url, statement_timeout_ms=150)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "150ms"
            with pytest.raises(
                OperationalError, match="canceling statement due to statement timeout"
            ):
                connection.execute(text("SELECT pg_sleep(2)"))
    finally:
        engine.dispose()


def test_sessions_read_committed_data_only(database_url):
    engine = create_database_engine(database_url)
    try:
        with engine.connect() as connection:
            isolation = connection.execute(text("SHOW transaction_isolation")).scalar()
            assert isolation == "read committed"
    finally:
        engine.dispose()


def test_constraint_names_match_what_postgres_itself_would_choose(db_connection):
    """Hand-written migrations and autogenerate then agree on every constraint's name."""
    ours = MetaData(naming_convention=NAMING_CONVENTION)
    Table("owners", ours, Column("id", Integer, primary_key=True))
    Table(
        "gadgets",
        ours,
        Column("id", Integer, primary_key=True),
        Column("owner_id", ForeignKey("owners.id")),
        Column("name", String, unique=True),
        Column("size", Integer, index=True),
    )
    ours.create_all(db_connection)
    db_connection.execute(
        text(
            "CREATE TABLE gadgets_by_postgres (id int PRIMARY KEY, "
            "owner_id int REFERENCES owners (id), name text UNIQUE)"
        )
    )

    def constraints(table: str) -> set[str]:
        rows = db_connection.execute(
            text(
                "SELECT conname FROM pg_constraint "
                "WHERE conrelid = CAST(:t AS regclass) AND contype IN ('p', 'f', 'u')"
            ),
            {"t": table},
        )
        return {name.removeprefix(table) for name in rows.scalars()}

    assert constraints("gadgets") == constraints("gadgets_by_postgres")
    assert constraints("gadgets") == {"_pkey", "_owner_id_fkey", "_name_key"}
    index = db_connection.execute(
        text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'gadgets' AND indexname LIKE 'ix_%'"
        )
    ).scalar()
    assert index == "ix_gadgets_size"


def _set_database_time_zone(url: str, zone: str) -> None:
    """As a DBA might: the database's own default, which every plain connection inherits."""
    admin = create_engine(normalize_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            name = connection.execute(text("SELECT current_database()")).scalar()
            connection.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO '{zone}'"))
    finally:
        admin.dispose()


def test_every_connection_runs_in_utc_whatever_the_databases_default(scratch_database):
    url = scratch_database("timezone")
    _set_database_time_zone(url, "Pacific/Kiritimati")  # UTC+14: another day for most of it
    plain = create_engine(normalize_database_url(url))
    ours = create_database_engine(url)
    moment = text("SELECT TIMESTAMPTZ '2024-01-01 23:30:00+00'")
    try:
        with plain.connect() as connection:
            assert connection.execute(text("SHOW timezone")).scalar() == "Pacific/Kiritimati"
            assert connection.execute(moment).scalar().isoformat() == "2024-01-02T13:30:00+14:00"
        with ours.connect() as connection:
            assert connection.execute(text("SHOW timezone")).scalar() == "UTC"
            value = connection.execute(moment).scalar()
            assert value.isoformat() == "2024-01-01T23:30:00+00:00"
            assert value.strftime("%Y-%m-%d %H:%M") == "2024-01-01 23:30"
            # The server's own formatting and now() are in UTC too.
            formatted = connection.execute(
                text("SELECT to_char(TIMESTAMPTZ '2024-01-01 23:30:00+00', 'YYYY-MM-DD HH24:MI')")
            ).scalar()
            assert formatted == "2024-01-01 23:30"
            assert (
                connection.execute(text("SELECT now()")).scalar().utcoffset().total_seconds() == 0
            )
    finally:
        plain.dispose()
        ours.dispose()


def test_migrations_run_in_utc_too(scratch_database):
    """Alembic builds its engine the app's way, so a migration that fills in times writes UTC."""
    url = scratch_database("migration_timezone")
    _set_database_time_zone(url, "Asia/Kathmandu")
    seen: list[str] = []

    def record(dbapi_connection, connection_record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SHOW timezone")
            seen.append(cursor.fetchone()[0])
        dbapi_connection.rollback()

    event.listen(Pool, "connect", record)
    try:
        alembic.command.upgrade(alembic_config(url), "head")
    finally:
        event.remove(Pool, "connect", record)
    assert seen
    assert set(seen) == {"UTC"}


def test_options_already_in_the_url_are_kept(database_url):
    url = make_url(database_url).update_query_dict({"options": "-c work_mem=8MB"})
    engine = create_database_engine(url.render_as_string(hide_password=False), 250)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW work_mem")).scalar() == "8MB"
            assert connection.execute(text("SHOW timezone")).scalar() == "UTC"
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "250ms"
    finally:
        engine.dispose()


def _raised(engine, statement: str, *, setup: str | None = None) -> BaseException:
    with engine.connect() as connection:
        if setup:
            connection.execute(text(setup))
        with pytest.raises(SQLAlchemyError) as raised:
            connection.execute(text(statement))
    return raised.value


def test_a_statement_cut_off_by_the_timeout_is_unavailability(database_url):
    engine = create_database_engine(database_url, statement_timeout_ms=100)
    try:
        error = _raised(engine, "SELECT pg_sleep(2)")
    finally:
        engine.dispose()
    assert error.orig.sqlstate == "57014"
    assert is_database_unavailable(error)


def test_a_lock_not_granted_in_time_is_unavailability(database_url, engine):
    with engine.connect() as holder:
        holder.execute(text("SELECT pg_advisory_lock(7340001)"))
        try:
            error = _raised(
                engine, "SELECT pg_advisory_lock(7340001)", setup="SET lock_timeout = '50ms'"
            )
        finally:
            holder.execute(text("SELECT pg_advisory_unlock(7340001)"))
    assert error.orig.sqlstate == "55P03"
    assert is_database_unavailable(error)


def test_a_server_that_is_not_there_is_unavailability(database_url):
    url = make_url(database_url).set(host="127.0.0.1", port=free_port(), query={})
    engine = create_database_engine(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(SQLAlchemyError) as raised:
            engine.connect()
    finally:
        engine.dispose()
    assert is_database_unavailable(raised.value)


def test_a_connection_the_server_ended_is_unavailability(database_url, engine):
    victim_engine = create_database_engine(database_url)
    try:
        with victim_engine.connect() as victim:
            pid = victim.execute(text("SELECT pg_backend_pid()")).scalar()
            with engine.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(DBAPIError) as raised:
                victim.execute(text("SELECT 1"))
    finally:
        victim_engine.dispose()
    assert is_database_unavailable(raised.value)


def test_a_pool_with_no_connection_free_in_time_is_unavailability(database_url):
    engine = create_database_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.1)
    try:
        with engine.connect(), pytest.raises(SQLAlchemyError) as raised:
            engine.connect()
    finally:
        engine.dispose()
    assert is_database_unavailable(raised.value)


@pytest.mark.parametrize(
    ("statement", "setup"),
    [
        ("SELECT * FROM no_such_table", None),
        ("SELECT 1 / 0", None),
        ("SELECT CAST('x' AS integer)", None),
        ("INSERT INTO t VALUES (1)", "CREATE TEMP TABLE t (id int CHECK (id > 1))"),
        ("INSERT INTO t VALUES (1), (1)", "CREATE TEMP TABLE t (id int UNIQUE)"),
    ],
)
def test_bugs_that_reach_the_database_are_not_unavailability(engine, statement, setup):
    """These stay 500s: answering 503 would hide them as an outage."""
    assert not is_database_unavailable(_raised(engine, statement, setup=setup))


def test_errors_from_elsewhere_are_not_unavailability():
    assert not is_database_unavailable(RuntimeError("a bug of our own"))
    assert not is_database_unavailable(OSError("the mail server is down"))


def test_a_request_that_only_reads_commits_and_keeps_its_statements_prepared(database_url):
    # psycopg forgets every prepared statement on ROLLBACK; a page that only read used to end
    # in one, so its statements were planned again on every request.
    import webtest

    from tests.conftest import make_test_config
    from warehouse_orgs.sponsors.footer import FOOTER_CACHE_KEY

    config = make_test_config(database_url)
    config.commit()
    engine = config.registry["sqlalchemy.engine"]
    endings: list[str] = []
    event.listen(engine, "commit", lambda connection: endings.append("COMMIT"))
    event.listen(engine, "rollback", lambda connection: endings.append("ROLLBACK"))
    try:
        app = webtest.TestApp(config.make_wsgi_app())
        for _ in range(8):
            app.get("/_health/", status=200)
        requests_ended = list(endings)
        with engine.connect() as connection:
            prepared = connection.exec_driver_sql(
                "SELECT count(*) FROM pg_prepared_statements"
            ).scalar()
    finally:
        config.registry[FOOTER_CACHE_KEY].close()
        engine.dispose()
    assert requests_ended == ["COMMIT"] * 8
    # The same pooled connection served every request: the page's statement is prepared there.
    assert prepared >= 1
