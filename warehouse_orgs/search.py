"""Substring search in SQL: what a person types, matched literally anywhere in a column.

Use with ILIKE (``column.ilike(contains_pattern(q), escape=LIKE_ESCAPE)``), which a trigram
index (gin_trgm_ops) can answer without reading every row.
"""

LIKE_ESCAPE = "\\"


def contains_pattern(typed: str) -> str:
    """A LIKE pattern matching ``typed`` anywhere, its ``%`` and ``_`` taken literally."""
    escaped = (
        typed.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"
