"""Substring search in SQL: what a person types, matched literally anywhere in a column.

Use with ILIKE (``column.ilike(contains_pattern(q), escape=LIKE_ESCAPE)``), which a trigram
index (gin_trgm_ops) can answer without reading every row.
"""

LIKE_ESCAPE = "\\"

# Keyword arguments of every trigram index (with ``postgresql_ops`` naming gin_trgm_ops per
# column). GIN's fast update parks new entries in a pending list that every search then reads
# from end to end until a VACUUM merges it: up to 4 MB, about 20 ms a search after a burst of
# applications or sign-ups. These tables are searched far more often than written, so each
# insert updates the index itself instead.
TRIGRAM_INDEX = {"postgresql_using": "gin", "postgresql_with": {"fastupdate": "off"}}


def contains_pattern(typed: str) -> str:
    """A LIKE pattern matching ``typed`` anywhere, its ``%`` and ``_`` taken literally."""
    escaped = (
        typed.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"
