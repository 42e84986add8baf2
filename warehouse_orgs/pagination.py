"""Pages of a query's results: one query for the rows, one for the total."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pyramid.httpexceptions import HTTPBadRequest
from pyramid.request import Request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_NUMBER = 10_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    size: int
    total: int

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.page_count

    @property
    def first_index(self) -> int:
        """1-based position of the first item shown, for "showing 26-50 of 120"."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1 if self.items else 0


def page_number(request: Request, parameter: str = "page") -> int:
    """The requested page number; 400 for anything but a positive integer in range."""
    raw = request.params.get(parameter, "1")
    # isdigit() alone accepts "²", which int() refuses; the length is checked before int(),
    # which refuses (ValueError) a string of more than 4300 digits.
    if (
        not (raw.isascii() and raw.isdigit())
        or len(raw) > len(str(MAX_PAGE_NUMBER))
        or not 1 <= int(raw) <= MAX_PAGE_NUMBER
    ):
        raise HTTPBadRequest(f"The page number must be a whole number from 1 to {MAX_PAGE_NUMBER}.")
    return int(raw)


def paginate(
    db: Session,
    query: Select[Any],
    number: int,
    size: int = DEFAULT_PAGE_SIZE,
    *,
    scalars: bool = True,
) -> Page[Any]:
    """Run ``query`` for page ``number``; the query must have a deterministic ORDER BY."""
    total = db.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return page_of(db, query, number, total or 0, size, scalars=scalars)


def page_of(
    db: Session,
    query: Select[Any],
    number: int,
    total: int,
    size: int = DEFAULT_PAGE_SIZE,
    *,
    scalars: bool = True,
) -> Page[Any]:
    """Page ``number`` of ``query``, whose ``total`` the caller has already counted (in a
    statement that counts several lists at once, so a page of many lists is not a statement
    per count)."""
    paged = query.limit(size).offset((number - 1) * size)
    rows = db.scalars(paged).all() if scalars else db.execute(paged).all()
    return Page(items=list(rows), number=number, size=size, total=total)


def page_of_loaded(items: Sequence[T], number: int, size: int = DEFAULT_PAGE_SIZE) -> Page[T]:
    """Page ``number`` of rows the request has already loaded for another reason (a
    project's roles, which its ACL reads), in their order, without asking the database
    again."""
    start = (number - 1) * size
    return Page(items=list(items[start : start + size]), number=number, size=size, total=len(items))
