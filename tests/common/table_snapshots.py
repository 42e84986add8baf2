"""What is in the database, table by table, to prove a request changed something or nothing."""

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

# One round trip for every table of the public schema, whatever migrations have added: each
# table's row count and a digest of its rows' text, so an UPDATE shows as well as an INSERT.
_SNAPSHOT = text(
    """
    SELECT table_name, (xpath('/row/n/text()', x))[1]::text::bigint, (xpath('/row/d/text()', x))[1]::text
    FROM (
        SELECT table_name, query_to_xml(
            format(
                'SELECT count(*) AS n, md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '''')) AS d FROM %I.%I t',
                table_schema, table_name
            ),
            false, true, ''
        ) AS x
        FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
    ) tables
    """  # noqa: E501
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


def table_snapshot(db: Session) -> TableSnapshot:
    """The rows ``db``'s connection sees now (the test's transaction, requests' commits in it)."""
    result = db.execute(_SNAPSHOT).all()
    return TableSnapshot(
        rows={name: count for name, count, _ in result},
        digests={name: digest for name, _, digest in result},
    )
