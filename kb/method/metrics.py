"""Metrics, each as of D, and only through an open gate; each with a table and the data of its chart.

`metrics(company)` raises `GateShut` (exit 3 on the CLI, 403 on the web) while the gate is shut:
there is no other way in. Every number of a metric's table is printed in its chart.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

from kb.errors import GateShut
from kb.method.company import Company, percent
from kb.method.hell_yes_rule import churned_by
from kb.method.status import gate
from kb.table import Cell, Table, shown_text

CALL_WEEKS = 26


@dataclass
class Metric:
    """One metric: a table of its numbers and the chart that draws every one of them."""

    key: str
    title: str
    note: str
    table: Table
    chart: dict  # kind, x labels, series [(name, values)], optional target line

    def as_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "note": self.note, "table": self.table.to_json()}


def require_open_gate(company: Company) -> None:
    """Raise `GateShut` with what is missing unless the gate is open."""
    shut = gate(company)
    if not shut.open:
        raise GateShut(
            shut.message(company.as_of.describe()), {"as_of": company.day.isoformat(), "gate": shut.as_dict()}
        )


def metrics(company: Company) -> list[Metric]:
    """Every metric as of D; refused while the gate is shut."""
    require_open_gate(company)
    return [
        _calls_per_week(company),
        _funnel(company),
        _conversion_by_month(company),
        _close_rate(company),
        _days_to_close(company),
        _per_source(company),
        _per_owner(company),
        _churn(company),
    ]


def _months(first: dt.date, last: dt.date) -> list[str]:
    found, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _pct_label(value: Cell) -> str:
    return "not enough data" if value is None else f"{shown_text(value)}%"


def _calls_per_week(company: Company) -> Metric:
    per_week = company.t("calls_per_week")
    weeks = company.weeks(CALL_WEEKS)
    table = Table("Sales calls per week", [("week", "Week"), ("sales_calls", "Sales calls")])
    for week in weeks:
        table.add({"week": week.label, "sales_calls": week.calls})
    return Metric(
        "calls",
        "Sales calls per week",
        f"The last {CALL_WEEKS} complete weeks, against the line of {per_week} a week.",
        table,
        {
            "kind": "line",
            "labels": [w.label for w in weeks],
            "series": [("sales calls", [w.calls for w in weeks])],
            "target": (f"{per_week} per week", per_week),
        },
    )


def _funnel(company: Company) -> Metric:
    day, hell = company.day, company.hell_yes_customers
    customers = list(company.customers.values())
    won = [c for c in customers if c.won_on is not None and c.won_on <= day]
    won_slugs = {c.slug for c in won}
    qualified = [
        c
        for c in customers
        if (c.qualified_on is not None and c.qualified_on <= day) or c.slug in won_slugs or c.slug in hell
    ]
    stages = [
        ("customers with a file", len(customers)),
        ("qualified (SQL)", len(qualified)),
        ("won", len(won)),
        ("hell-yes", len(hell & {c.slug for c in customers})),
    ]
    table = Table("Funnel", [("stage", "Stage"), ("customers", "Customers")])
    for stage, count in stages:
        table.add({"stage": stage, "customers": count})
    return Metric(
        "funnel",
        "Funnel",
        "Each stage counts the customers who reached it or a later one by D.",
        table,
        {"kind": "bar", "labels": [s for s, _ in stages], "series": [("customers", [n for _, n in stages])]},
    )


def _conversion_by_month(company: Company) -> Metric:
    won = company.won()
    table = Table(
        "Post-sale conversion by month won",
        [("month", "Month won"), ("won", "Won"), ("hell_yes", "Hell-yes"), ("conversion_pct", "Conversion %")],
    )
    if won:
        by_month = defaultdict(list)
        for customer in won:
            if customer.won_on is not None:
                by_month[customer.won_on.strftime("%Y-%m")].append(customer)
        for month in sorted(by_month):
            group = by_month[month]
            hell = sum(c.slug in company.hell_yes_customers for c in group)
            table.add(
                {"month": month, "won": len(group), "hell_yes": hell, "conversion_pct": percent(hell, len(group))}
            )
    rows = table.rows
    return Metric(
        "conversion",
        "Post-sale conversion by month won",
        "For each month with a win, hell-yes customers ÷ customers won that month (churned included).",
        table,
        {
            "kind": "bar",
            "labels": [f"{r['month']}: {_pct_label(r['conversion_pct'])}" for r in rows],
            "series": [("won", [r["won"] for r in rows]), ("hell-yes", [r["hell_yes"] for r in rows])],
        },
    )


def _close_rate(company: Company) -> Metric:
    days = company.t("close_days")
    cohort = company.sql_cohort()
    won = sum(company.closed_in_time(c) for c in cohort)
    rate = percent(won, len(cohort))
    table = Table(
        "SQL close rate",
        [
            ("sqls", f"SQLs qualified {days}+ days ago"),
            ("won", f"Won within {days} days"),
            ("close_rate_pct", "Close rate %"),
        ],
    )
    table.add({"sqls": len(cohort), "won": won, "close_rate_pct": rate})
    return Metric(
        "close-rate",
        f"SQL close rate: {_pct_label(rate)}",
        f"Of the SQLs qualified at least {days} days before D, those won within {days} days.",
        table,
        {
            "kind": "bar",
            "labels": [f"SQLs qualified {days}+ days ago", f"won within {days} days"],
            "series": [("customers", [len(cohort), won])],
        },
    )


def _days_to_close(company: Company) -> Metric:
    day = company.day
    spans = sorted(
        (c.won_on - c.qualified_on).days
        for c in company.customers.values()
        if c.qualified_on is not None and c.won_on is not None and c.won_on <= day and c.won_on >= c.qualified_on
    )
    table = Table(
        "Days to close",
        [
            ("won_sqls", "Won SQLs"),
            ("fastest", "Fastest"),
            ("p25", "25th percentile"),
            ("median", "Median"),
            ("p75", "75th percentile"),
            ("slowest", "Slowest"),
        ],
    )
    values = []
    if spans:
        low, high = (
            (spans[0], spans[0]) if len(spans) == 1 else statistics.quantiles(spans, n=4, method="inclusive")[::2]
        )
        values = [spans[0], low, statistics.median(spans), high, spans[-1]]
        values = [int(v) if float(v).is_integer() else round(float(v), 1) for v in values]
        table.add(
            {
                "won_sqls": len(spans),
                "fastest": values[0],
                "p25": values[1],
                "median": values[2],
                "p75": values[3],
                "slowest": values[4],
            }
        )
    return Metric(
        "days-to-close",
        f"Days to close ({len(spans)} won SQLs)",
        "won_on − qualified_on over the SQLs won by D: the median and the spread.",
        table,
        {
            "kind": "bar",
            "labels": ["fastest", "25th percentile", "median", "75th percentile", "slowest"] if spans else [],
            "series": [("days", values)],
        },
    )


def _grouped_close_rate(company: Company, key) -> dict[str, list[int]]:
    """SQLs in milestone 6's cohort and wins within close_days, per group."""
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for customer in company.customers.values():
        groups[key(customer)]  # every group with a customer shows, even with no SQL yet
    for customer in company.sql_cohort():
        counts = groups[key(customer)]
        counts[0] += 1
        counts[1] += company.closed_in_time(customer)
    return groups


def _per_source(company: Company) -> Metric:
    configured = company.settings.sources
    spelled: dict[str, str] = {}
    for customer in sorted(company.customers.values(), key=lambda c: c.slug):
        name = (customer.source or "").strip()
        if name:
            spelled.setdefault(
                name.casefold(), configured[name.casefold()].name if name.casefold() in configured else name
            )

    def source_of(customer) -> str:
        name = (customer.source or "").strip()
        return spelled[name.casefold()] if name else "(no source)"

    groups = _grouped_close_rate(company, source_of)
    table = Table(
        "Per source",
        [
            ("source", "Source"),
            ("scalable", "Scalable"),
            ("sqls", "SQLs"),
            ("won", "Won"),
            ("close_rate_pct", "Close rate %"),
            ("cost", "Cost"),
            ("cost_per_win", "Cost per win"),
        ],
    )
    for name in sorted(groups, key=str.casefold):
        sqls, won = groups[name]
        source = configured.get(name.casefold())
        cost = source.cost if source else None
        table.add(
            {
                "source": name,
                "scalable": "yes" if source and source.scalable else "no",
                "sqls": sqls,
                "won": won,
                "close_rate_pct": percent(won, sqls),
                "cost": cost,
                "cost_per_win": round(cost / won, 2) if cost is not None and won else None,
            }
        )
    return _grouped_metric(
        "per-source",
        "Per source",
        table,
        "source",
        "SQLs and wins as milestone 6 counts them; cost per win is the source's cost in kb.toml ÷ its wins.",
    )


def _per_owner(company: Company) -> Metric:
    groups = _grouped_close_rate(company, lambda c: (c.owner or "").strip() or "(no owner)")
    founders = {f.strip().casefold() for f in company.settings.founders or []}
    table = Table(
        "Per owner",
        [("owner", "Owner"), ("role", "Role"), ("sqls", "SQLs"), ("won", "Won"), ("close_rate_pct", "Close rate %")],
    )
    for name in sorted(groups, key=str.casefold):
        sqls, won = groups[name]
        role = (
            ""
            if name == "(no owner)" or company.settings.founders is None
            else ("founder" if name.casefold() in founders else "rep")
        )
        table.add({"owner": name, "role": role, "sqls": sqls, "won": won, "close_rate_pct": percent(won, sqls)})
    return _grouped_metric("per-owner", "Per owner", table, "owner", "SQLs and wins as milestone 6 counts them.")


def _grouped_metric(key: str, title: str, table: Table, name_key: str, note: str) -> Metric:
    rows = table.rows
    labels = []
    for row in rows:
        extra = [_pct_label(row["close_rate_pct"])]
        if row.get("cost") is not None:
            extra.append(f"cost {shown_text(row['cost'])}")
        if row.get("cost_per_win") is not None:
            extra.append(f"{shown_text(row['cost_per_win'])} per win")
        labels.append(f"{row[name_key]}: {', '.join(extra)}")
    return Metric(
        key,
        title,
        note,
        table,
        {
            "kind": "bar",
            "labels": labels,
            "series": [("SQLs", [r["sqls"] for r in rows]), ("won", [r["won"] for r in rows])],
        },
    )


def _churn(company: Company) -> Metric:

    day = company.day
    ever_won = company.won()
    churned = [c for c in ever_won if churned_by(c, day)]
    ratio = percent(len(churned), len(ever_won))
    per_month = Counter(c.churned_on.strftime("%Y-%m") for c in churned if c.churned_on is not None)
    table = Table("Churn", [("month", "Month"), ("churned", "Churned")])
    if ever_won:
        for month in _months(min(c.won_on for c in ever_won if c.won_on is not None), day):
            table.add({"month": month, "churned": per_month.get(month, 0)})
    undated = len(churned) - sum(per_month.values())
    note = (
        f"{len(churned)} of {len(ever_won)} customers ever won have churned ({_pct_label(ratio)})"
        + (f"; {undated} of them with stage churned and no churned_on, so in no month" if undated else "")
        + "."
    )
    return Metric(
        "churn",
        f"Churn: {len(churned)} of {len(ever_won)} ever won ({_pct_label(ratio)})",
        note,
        table,
        {
            "kind": "bar",
            "labels": [r["month"] for r in table.rows],
            "series": [("churned", [r["churned"] for r in table.rows])],
        },
    )
