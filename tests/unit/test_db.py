import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, text
from sqlalchemy.exc import OperationalError

from warehouse_orgs.db import NAMING_CONVENTION, create_database_engine


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
