"""What every table holds, summed up in one query, to prove that a request changed nothing.

Each public table gives its row count and a digest of its rows' text, so an insert, a delete
and an update all show. Two kinds of rows are left out on purpose:

- ``browser_sessions``: the visitor's session is the browser's state, not the site's; a refused
  form may flash a message into it.
- the record of failed sign-in attempts (rate-limit hits and ``account:login:failure``
  events): refusing a wrong password is meant to leave that trace.
"""

from sqlalchemy import Connection, text

IGNORED_TABLES = frozenset({"browser_sessions", "rate_limit_hits", "alembic_version"})
# Rows of a table that record a refusal rather than a change; the WHERE clause keeps the rest.
REFUSAL_RECORDS = {"user_events": "tag <> 'account:login:failure'"}


def fingerprint_query(connection: Connection) -> str:
    tables = connection.scalars(
        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    ).all()
    selects = []
    for table in tables:
        if table in IGNORED_TABLES:
            continue
        where = f" WHERE {REFUSAL_RECORDS[table]}" if table in REFUSAL_RECORDS else ""
        selects.append(
            f"SELECT '{table}' AS name, count(*) AS rows, "
            f"md5(coalesce(string_agg(row_data::text, '|' ORDER BY row_data::text), '')) AS digest "
            f'FROM "{table}" AS row_data{where}'
        )
    return " UNION ALL ".join(selects)


def table_fingerprints(connection: Connection, query: str) -> dict[str, tuple[int, str]]:
    return {name: (rows, digest) for name, rows, digest in connection.execute(text(query))}


def changed_tables(
    before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]
) -> dict[str, str]:
    """For each table that differs, how: "3 -> 4 rows" or "rows changed"."""
    changes = {}
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name, (0, "")), after.get(name, (0, ""))
        if old != new:
            changes[name] = (
                f"{old[0]} -> {new[0]} rows" if old[0] != new[0] else "rows changed in place"
            )
    return changes
