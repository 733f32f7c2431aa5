"""What a list page is, and how its filters read: the values they take, their SQL conditions, and how a list
says how many rows it shows of how many.

The lists themselves are in `kb.views.lists` and `kb.views.customer_list`; every filter stays a SQL
condition, so that a list of 10,000 records never reads them all to filter or count them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from kb.errors import UsageError
from kb.method.company import week_label
from kb.store.models import Interview
from kb.table import Table
from kb.views.paging import Paging

NO_PROFILE = "no profile yet"
NOT_WON = "not won"
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
WON_RE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
WEEKS_MAX = 260  # the week filter offers the last five years of calls at most


@dataclass
class Urls:
    """How the interface links things: a record's page, and this list with other filters."""

    record: Callable[[str, str], str]
    filtered: Callable[..., str] = field(default=lambda **filters: "")


@dataclass
class ListPage:
    """A list's rows, and the values each of its filters can take (for the filter form).

    `paging` says which page the rows are (None: every row); `sort` is the order asked for (None: the
    list's own); `sorts` maps a column key to the sort its header offers. A filter whose choices are
    None has too many values to list: the form asks for one as text. `everything` counts the list's rows
    with no filter at all (None when not counted).
    """

    table: Table
    choices: dict[str, list[str] | None] = field(default_factory=dict)
    filters: dict[str, str | None] = field(default_factory=dict)
    paging: Paging | None = None
    sort: str | None = None
    sorts: dict[str, str] = field(default_factory=dict)
    everything: int | None = None

    @property
    def filtered(self) -> bool:
        """Whether any filter is set."""
        return any(self.filters.values())

    def summary(self, noun: str) -> str:
        """How many rows the page shows of how many: `Showing 50 of 8,123 interviews`, and with a filter
        `12 of 8,123 interviews match stage: won`."""
        matching = self.paging.total if self.paging else len(self.table.rows)
        shown = len(self.table.rows)
        everything = self.everything if self.everything is not None else matching
        if not self.filtered:
            return f"Showing {shown:,} of {everything:,} {noun}"
        what = ", ".join(f"{key}: {value}" for key, value in self.filters.items() if value)
        verb = "matches" if matching == 1 else "match"
        told = f"{matching:,} of {everything:,} {noun} {verb} {what}"
        return told if shown == matching else f"{told}; showing {shown:,}"


def count_of(session: Session, query) -> int:
    """How many rows a SELECT gives, counted by the database."""
    return session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()


def folded_values(session: Session, column, value: str) -> list[str]:
    """The values `column` holds that equal `value` in any case, as Python folds it (SQL's lower() folds
    ASCII only): a filter then matches them with IN. Reads the column's distinct values, never its rows."""
    wanted = value.strip().casefold()
    return [v for v in session.execute(select(column).distinct()).scalars() if v and v.casefold() == wanted]


def parse_week(text: str) -> tuple[dt.date, dt.date]:
    """An ISO week such as 2026-W09 as its Monday and Sunday."""
    match = WEEK_RE.match(text.strip())
    try:
        if not match:
            raise ValueError
        monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        return monday, monday + dt.timedelta(days=6)
    except (ValueError, OverflowError):
        raise UsageError(f"week: expected an ISO week such as 2026-W09; got {text[:40]!r}") from None


def won_condition(column, text: str) -> ColumnElement[bool]:
    """SQL for the `won` filter: a year (2026), a month (2026-03), or `not won` (no won date)."""
    if text.strip() == NOT_WON:
        return column.is_(None)
    match = WON_RE.match(text.strip())
    try:
        if not match:
            raise ValueError
        year = int(match.group(1))
        if match.group(2):
            start = dt.date(year, int(match.group(2)), 1)
            end = (start + dt.timedelta(days=31)).replace(day=1) - dt.timedelta(days=1)
        else:
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    except ValueError:
        raise UsageError(f"won: expected a year (2026), a month (2026-03) or {NOT_WON!r}; got {text[:40]!r}") from None
    return column.between(start, end)


def won_years(session: Session, column) -> list[str]:
    """The years from the newest won date back to the oldest, then `not won`: the won filter's choices."""
    oldest, newest = session.execute(select(func.min(column), func.max(column))).one()
    years = [str(year) for year in range(newest.year, oldest.year - 1, -1)] if newest is not None else []
    return [*years, NOT_WON]


def weeks(session: Session, chosen: str | None) -> list[str]:
    """Every ISO week from the newest call's back to the oldest's (at most WEEKS_MAX), newest first."""
    oldest, newest = session.execute(select(func.min(col(Interview.date)), func.max(col(Interview.date)))).one()
    found: list[str] = []
    if newest is not None:
        monday = newest - dt.timedelta(days=newest.weekday())
        while monday + dt.timedelta(days=6) >= oldest and len(found) < WEEKS_MAX:
            found.append(week_label(monday))
            monday -= dt.timedelta(days=7)
    if chosen and chosen not in found:
        found.insert(0, chosen)
    return found
