"""The company as of D: its customers, stories and sales-call dates as the files are now, judged as of D.

Also the arithmetic every view of the method shares: exact rate comparison, ISO weeks.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from kb.config import Settings
from kb.method.as_of import AsOf
from kb.method.hell_yes_rule import HellYes, hell_yes
from kb.store.catalog import Catalog, CustomerFacts, StoryFacts

WEEK = dt.timedelta(days=7)


def meets(part: int, whole: int, pct: int) -> bool:
    """`part ÷ whole ≥ pct %`, compared exactly; a zero `whole` is not enough data and never meets."""
    return whole > 0 and part * 100 >= pct * whole


def percent(part: int, whole: int) -> float | None:
    """A rate for showing (one decimal); None when the denominator is zero."""
    return round(part * 100 / whole, 1) if whole else None


def week_start(day: dt.date) -> dt.date:
    """The Monday of the ISO week that contains `day`."""
    return day - dt.timedelta(days=day.weekday())


def week_label(day: dt.date) -> str:
    """The ISO week that contains `day`, as 2026-W09."""
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class Week:
    """One ISO week (Monday to Sunday) and its sales calls."""

    start: dt.date
    calls: int

    @property
    def label(self) -> str:
        return week_label(self.start)

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=6)


@dataclass
class Company:
    """Everything the method reads, as the files are now, judged as of D."""

    settings: Settings
    as_of: AsOf
    customers: dict[str, CustomerFacts]
    stories: list[StoryFacts]
    call_dates: list[dt.date]  # the dates of sales calls (interviews of the kinds in sales_kinds)
    hell_yes: HellYes = field(init=False)

    def __post_init__(self) -> None:
        self.hell_yes = hell_yes(self.stories, self.customers, self.day, self.t("settle_days"))

    @property
    def day(self) -> dt.date:
        return self.as_of.date

    def t(self, name: str) -> int:
        return self.settings.thresholds[name]

    @property
    def gate_needed(self) -> int:
        return self.settings.gate

    @property
    def hell_yes_customers(self) -> set[str]:
        return set(self.hell_yes.customers)

    def won(self) -> list[CustomerFacts]:
        """Customers won by D, churned ones included."""
        return [c for c in self.customers.values() if c.won_on is not None and c.won_on <= self.day]

    def settled(self, customers=None) -> list[CustomerFacts]:
        """Milestone 5's cohort: customers with `D − won_on ≥ settle_days`, churned included."""
        pool = self.customers.values() if customers is None else customers
        return [c for c in pool if c.won_on is not None and (self.day - c.won_on).days >= self.t("settle_days")]

    def sql_cohort(self, customers=None) -> list[CustomerFacts]:
        """Milestone 6's cohort: SQLs with `D − qualified_on ≥ close_days`."""
        pool = self.customers.values() if customers is None else customers
        return [
            c for c in pool if c.qualified_on is not None and (self.day - c.qualified_on).days >= self.t("close_days")
        ]

    def closed_in_time(self, customer: CustomerFacts) -> bool:
        """Won with `0 ≤ won_on − qualified_on ≤ close_days`."""
        if customer.won_on is None or customer.qualified_on is None:
            return False
        return 0 <= (customer.won_on - customer.qualified_on).days <= self.t("close_days")

    @cached_property
    def calls_by_week(self) -> Counter:
        """Sales calls per complete week before the week that contains D, by the week's Monday."""
        current = week_start(self.day)
        return Counter(week_start(d) for d in self.call_dates if d < current)

    def weeks(self, count: int) -> list[Week]:
        """The last `count` complete ISO weeks before the week that contains D, oldest first."""
        current = week_start(self.day)
        return [Week(current - WEEK * i, self.calls_by_week.get(current - WEEK * i, 0)) for i in range(count, 0, -1)]

    def this_week(self) -> Week:
        """The week that contains D, with its sales calls up to D (it never counts until complete)."""
        current = week_start(self.day)
        return Week(current, sum(current <= d <= self.day for d in self.call_dates))


def company_of(catalog: Catalog, settings: Settings, as_of: AsOf) -> Company:
    """Everything the method reads from the store, as of D."""
    return Company(
        settings, as_of, catalog.customers(), catalog.stories(), catalog.sales_call_dates(settings.sales_kinds)
    )
