"""Paging and sorting a list in the database: which rows a page shows, and the orders a list offers.

A list page shows `per` rows from row `(page - 1) * per + 1`; its downloads and `/api/` twin show
every row (no `Paging` at all). A page past the end is an empty page that says so, never an error.
A list's sorts are named by column (`date`), and a leading `-` turns one around (`-date`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session

DEFAULT_PER = 50
MAX_PER = 500
# A filter offers a list of values to choose from only up to this many; past it, a text box.
CHOICES_MAX = 100


@dataclass(frozen=True)
class Paging:
    """Which page of a list is shown: its number, rows per page, and how many rows match in all."""

    page: int
    per: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages the matching rows fill (at least one, which may be empty)."""
        return max(1, -(-self.total // self.per))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per

    @property
    def first(self) -> int:
        """The number of the first row shown (1-based), 0 when none is."""
        return self.offset + 1 if self.offset < self.total else 0

    @property
    def last(self) -> int:
        """The number of the last row shown, 0 when none is."""
        return min(self.offset + self.per, self.total) if self.first else 0

    @property
    def past_end(self) -> bool:
        """A page after the last one: nothing to show there."""
        return self.page > self.pages

    def describe(self, noun: str = "rows") -> str:
        """`rows 51–100 of 8,000`, as the page says it (`noun` plural, its singular without the `s`)."""
        one = noun[:-1] if noun.endswith("s") else noun
        if not self.first:
            return f"no {noun} here of {self.total:,}"
        if self.first == self.last:
            return f"{one} {self.first:,} of {self.total:,}"
        return f"{noun} {self.first:,}–{self.last:,} of {self.total:,}"


@dataclass(frozen=True)
class Sorts:
    """The orders a list offers: each sort's name to the SQL expressions it orders by, first to last."""

    by: dict[str, tuple[Any, ...]]
    columns: dict[str, str]  # column key → the name of the sort its header asks for

    def choices(self) -> list[str]:
        """Every value `sort=` may take: each name, and each name with a leading `-` (the other way round)."""
        return sort_choices(self.by)

    def order(self, sort: str | None, default: tuple[Any, ...]) -> tuple[Any, ...]:
        """The ORDER BY of `sort` (None: the list's own order); ties fall back to the list's own order."""
        if not sort:
            return default
        descending = sort.startswith("-")
        chosen: list[Any] = []
        for expression in self.by[sort.lstrip("-")]:
            # Empty values last either way, as SQLite and PostgreSQL would not agree where NULL goes.
            chosen += [expression.is_(None), expression.desc() if descending else expression]
        return (*chosen, *default)


def sort_choices(names) -> list[str]:
    """Every value `sort=` may take for sorts of these names: `name` and `-name` (the other way round)."""
    return [f"{sign}{name}" for name in names for sign in ("", "-")]


def page_of(query: Select, paging: Paging | None) -> Select:
    """The query limited to one page's rows, or as it is for every row."""
    if paging is None:
        return query
    return query.limit(paging.per).offset(paging.offset)


def page_of_query(session: Session, table, conditions: list, page: int | None, per: int) -> Paging | None:
    """The page `page` of the rows of `table` that meet `conditions` (counted in SQL); None for every row."""
    if page is None:
        return None
    total = session.execute(select(func.count()).select_from(table).where(*conditions)).scalar_one()
    return Paging(page, per, total)


def choices_of(session: Session, column) -> list[str] | None:
    """The values `column` holds, sorted, for a filter's list; None when there are too many to list."""
    query = select(column).where(column.is_not(None)).distinct().order_by(column).limit(CHOICES_MAX + 1)
    found = [value for value in session.execute(query).scalars() if value]
    return None if len(found) > CHOICES_MAX else found
