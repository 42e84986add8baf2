"""What is in the database, table by table, to prove a request changed something or nothing."""

from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

# Every table of the public schema, whatever migrations (or a test) have added.
_TABLES = text(
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
)
# Each table's row count and a digest of its rows' text, so an UPDATE shows as well as an
# INSERT. (Plain SQL: PostgreSQL builds without libxml, like the embedded server, have no
# query_to_xml to do this in one statement.)
_ONE_TABLE = (
    "SELECT {name} AS table_name, count(*) AS n, "
    "md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) AS d FROM {table} t"
)


@dataclass(frozen=True)
class TableSnapshot:
    rows: dict[str, int]
    digests: dict[str, str]

    def changed_tables(self, later: "TableSnapshot", *, ignore: frozenset[str]) -> list[str]:
        """Tables whose rows differ in ``later`` (added, removed or edited), but ``ignore``."""
        return sorted(
            name
            for name in self.digests.keys() | later.digests.keys()
            if name not in ignore and self.digests.get(name) != later.digests.get(name)
        )

    def count_changes(self, later: "TableSnapshot") -> dict[str, tuple[int, int]]:
        """Every table whose number of rows differs in ``later``: before, after."""
        return {
            name: (self.rows.get(name, 0), later.rows.get(name, 0))
            for name in sorted(self.rows.keys() | later.rows.keys())
            if self.rows.get(name, 0) != later.rows.get(name, 0)
        }


def table_snapshot(db: Session | Connection) -> TableSnapshot:
    """The rows ``db``'s connection sees now (the test's transaction, requests' commits in it)."""
    names = db.scalars(_TABLES).all()
    union = " UNION ALL ".join(
        _ONE_TABLE.format(
            name="'" + name.replace("'", "''") + "'", table='"' + name.replace('"', '""') + '"'
        )
        for name in names
    )
    result = db.execute(text(union)).all() if names else []
    return TableSnapshot(
        rows={name: count for name, count, _ in result},
        digests={name: digest for name, _, digest in result},
    )
