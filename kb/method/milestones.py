"""The eight milestones as of D, and the ONE goal: the lowest-numbered milestone not reached.

No rate or ratio leaves this module while the gate is shut: milestones 5 to 8 then carry their name,
condition and whether they are reached, never a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from kb.method.company import WEEK, Company, Week, meets, percent, week_start
from kb.store.catalog import CustomerFacts
from kb.table import number_text


@dataclass
class Milestone:
    """One of the eight milestones as of D."""

    number: int
    name: str
    condition: str
    reached: bool
    progress: str | None = None  # one line in the founder's words; None while it is behind the gate
    counts: dict = field(default_factory=dict)  # the numbers behind `progress`, for --json
    notes: list[str] = field(default_factory=list)  # what keeps it from being reached, when kb can say
    meter: tuple[int, int] | None = None  # (done, needed) for a progress bar: milestones 1 to 4 only
    setup: list[str] = field(default_factory=list)  # settings kb.toml lacks: asked for even behind the gate

    def as_dict(self, current: bool) -> dict:
        found = {
            "number": self.number,
            "name": self.name,
            "condition": self.condition,
            "reached": self.reached,
            "current": current,
        }
        if self.progress is not None:
            found.update(progress=self.progress, counts=self.counts, notes=self.notes)
        if self.setup:
            found["setup"] = self.setup
        return found


@dataclass
class SalesCalls:
    """Milestone 1's evidence: when it was first reached, and the weeks a founder watches."""

    reached_with: Week | None  # the last week of the first run of good weeks
    recent: list[Week]
    this_week: Week
    per_week: int

    @property
    def short_weeks(self) -> list[Week]:
        return [w for w in self.recent if w.calls < self.per_week]


def sales_calls(company: Company) -> SalesCalls:
    """Milestone 1: some run of `weeks` consecutive complete weeks each with `calls_per_week` or more."""
    per_week, needed = company.t("calls_per_week"), company.t("weeks")
    current = week_start(company.day)
    counts = company.calls_by_week
    reached_with = None
    if needed == 0:
        reached_with = Week(current - WEEK, counts.get(current - WEEK, 0))
    elif counts:
        run, monday = 0, min(counts)
        while monday < current:
            run = run + 1 if counts.get(monday, 0) >= per_week else 0
            if run >= needed:
                reached_with = Week(monday, counts[monday])
                break
            monday += WEEK
    return SalesCalls(reached_with, company.weeks(max(needed, 1)), company.this_week(), per_week)


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def milestones(company: Company, calls: SalesCalls | None = None) -> list[Milestone]:
    """The eight milestones as of D; 5 to 8 carry numbers only once the gate is open."""
    calls = calls or sales_calls(company)
    gate_open = len(company.hell_yes.customers) >= company.gate_needed
    found = [_milestone_1(company, calls), *_milestones_2_to_4(company)]
    for build in (_milestone_5, _milestone_6, _milestone_7, _milestone_8):
        milestone = build(company)
        if not gate_open:
            milestone.progress, milestone.counts, milestone.notes = None, {}, []
        found.append(milestone)
    return found


def current_milestone(found: list[Milestone]) -> Milestone | None:
    """The ONE goal: the lowest-numbered milestone not reached (None when all eight are)."""
    return next((m for m in found if not m.reached), None)


def _milestone_1(company: Company, calls: SalesCalls) -> Milestone:
    per_week, needed = company.t("calls_per_week"), company.t("weeks")
    first = calls.reached_with
    reached = first is not None
    good = 0
    for week in reversed(calls.recent):
        if week.calls < per_week:
            break
        good += 1
    if first is not None:
        progress = f"reached: {needed} good weeks in a row by {first.label}"
    else:
        progress = f"{good} of {needed} good weeks in a row"
    progress += f"; this week so far: {calls.this_week.calls} of {per_week}"
    counts = {
        "calls_per_week": per_week,
        "weeks_needed": needed,
        "reached_in_week": first.label if first is not None else None,
        "recent_weeks": [{"week": w.label, "start": w.start.isoformat(), "sales_calls": w.calls} for w in calls.recent],
        "this_week": {
            "week": calls.this_week.label,
            "start": calls.this_week.start.isoformat(),
            "sales_calls_so_far": calls.this_week.calls,
        },
    }
    return Milestone(
        1,
        f"{per_week}+ sales calls per week, every week",
        f"{needed} consecutive complete weeks (Monday–Sunday) with at least {per_week} sales "
        "calls each; once reached, it stays reached",
        reached,
        progress,
        counts,
        meter=(needed if reached else min(good, needed), needed),
    )


def _milestones_2_to_4(company: Company) -> list[Milestone]:
    won = company.won()
    paying = company.t("paying_customers")
    count = len(company.hell_yes.customers)
    gate = company.gate_needed
    return [
        Milestone(
            2,
            "1 paying customer",
            "at least 1 customer with won_on on or before the as-of date (churned ones included)",
            len(won) >= 1,
            f"{_plural(len(won), 'paying customer')}",
            {"paying_customers": len(won), "needed": 1},
            meter=(min(len(won), 1), 1),
        ),
        Milestone(
            3,
            f"{paying} paying customers, 1 of them hell-yes",
            f"at least {paying} customers won (churned included), and at least 1 hell-yes customer",
            len(won) >= paying and count >= 1,
            f"{_plural(len(won), 'paying customer')} ({paying} needed), {count} hell-yes (1 needed)",
            {"paying_customers": len(won), "needed": paying, "hell_yes_customers": count, "hell_yes_needed": 1},
            meter=(min(len(won), paying), paying),
        ),
        Milestone(
            4,
            f"{gate} hell-yes customers",
            f"at least {gate} hell-yes customers (the metrics gate)",
            count >= gate,
            f"{count} of {gate} so far",
            {"hell_yes_customers": count, "needed": gate},
            meter=(min(count, gate), gate),
        ),
    ]


def _conversion(company: Company, pool=None) -> tuple[int, int]:
    cohort = company.settled(pool)
    return sum(c.slug in company.hell_yes_customers for c in cohort), len(cohort)


def _close_rate(company: Company, pool=None) -> tuple[int, int, list[CustomerFacts]]:
    cohort = company.sql_cohort(pool)
    wins = [c for c in cohort if company.closed_in_time(c)]
    return len(wins), len(cohort), wins


def _rate_text(part: int, whole: int) -> str:
    shown = percent(part, whole)
    return "not enough data" if shown is None else f"{number_text(shown)}%"


def _milestone_5(company: Company) -> Milestone:
    pct, floor, days = company.t("conversion_pct"), company.t("conversion_min_n"), company.t("settle_days")
    hell, n = _conversion(company)
    return Milestone(
        5,
        f"{pct}%+ post-sale conversion to hell-yes, N > {floor}",
        f"of the customers won at least {days} days ago (churned included), more than {floor}, "
        f"and at least {pct}% of them hell-yes",
        n > floor and meets(hell, n, pct),
        f"{hell} of {n} settled customers hell-yes ({_rate_text(hell, n)}); N must be more than {floor}",
        {"hell_yes": hell, "n": n, "pct": percent(hell, n), "min_n": floor},
    )


def _milestone_6(company: Company) -> Milestone:
    pct, floor, days = company.t("close_rate_pct"), company.t("sql_min_n"), company.t("close_days")
    wins, n, _ = _close_rate(company)
    return Milestone(
        6,
        f"{pct}%+ close rate of qualified leads, N > {floor} SQLs",
        f"of the SQLs qualified at least {days} days ago, more than {floor}, and at least {pct}% "
        f"won within {days} days of qualifying",
        n > floor and meets(wins, n, pct),
        f"{wins} of {n} SQLs won within {days} days ({_rate_text(wins, n)}); N must be more than {floor}",
        {"won": wins, "n": n, "pct": percent(wins, n), "min_n": floor},
    )


def _matches_source(customer: CustomerFacts, name: str) -> bool:
    return (customer.source or "").strip().casefold() == name.casefold()


def _milestone_7(company: Company) -> Milestone:
    pct, floor = company.t("close_rate_pct"), company.t("source_min_sqls")
    name = "ONE scalable pipeline source works and is cost-effective"
    condition = (
        f"a source marked scalable in kb.toml has more than {floor} SQLs in milestone 6's cohort, a "
        f"close rate of at least {pct}%, and its cost ÷ its wins at most the mean acv of those wins"
    )
    scalable = [s for s in company.settings.sources.values() if s.scalable]
    if not scalable:
        return Milestone(
            7,
            name,
            condition,
            False,
            "no source is marked scalable in kb.toml",
            {"sources": []},
            setup=[
                'mark the source you mean to scale in kb.toml: [sources."<name>"] with scalable = true and its cost'
            ],
        )
    reached, lines, notes, rows, setup = False, [], [], [], []
    for source in sorted(scalable, key=lambda s: s.name):
        pool = [c for c in company.customers.values() if _matches_source(c, source.name)]
        wins, n, won = _close_rate(company, pool)
        row = {
            "source": source.name,
            "sqls": n,
            "won": wins,
            "pct": percent(wins, n),
            "cost": source.cost,
            "cost_per_win": None,
            "mean_acv": None,
        }
        missing = []
        if source.cost is None:
            missing.append(f"{source.name}: no cost in kb.toml")
            setup.append(f'add cost = <what {source.name} costs> to [sources."{source.name}"] in kb.toml')
        if not won:
            missing.append(f"{source.name}: no wins in the cohort yet")
        no_acv = [c.slug for c in won if c.acv is None]
        if no_acv:
            missing.append(f"{source.name}: no acv for {', '.join(no_acv)}")
        cost_effective = False
        money = ""
        if not missing and source.cost is not None:
            # cost ÷ wins ≤ Σacv ÷ wins, compared exactly in decimal (both sides have the same wins).
            total_acv = sum(Decimal(str(c.acv)) for c in won)
            cost_effective = Decimal(str(source.cost)) <= total_acv
            per_win, mean_acv = round(source.cost / len(won), 2), round(float(total_acv) / len(won), 2)
            row["cost_per_win"], row["mean_acv"] = per_win, mean_acv
            money = f", cost per win {number_text(per_win)} vs mean acv {number_text(mean_acv)}"
        works = n > floor and meets(wins, n, pct) and cost_effective
        reached = reached or works
        rows.append(row)
        notes += missing
        lines.append(f"{source.name}: {wins} of {n} SQLs won ({_rate_text(wins, n)}){money}")
    return Milestone(7, name, condition, reached, "; ".join(lines), {"sources": rows}, notes, setup=setup)


def _milestone_8(company: Company) -> Milestone:
    pct, floor, conv = company.t("close_rate_pct"), company.t("rep_min_sqls"), company.t("conversion_pct")
    name = "sales and CS metrics held while handing sales to reps"
    condition = (
        f"among customers owned by a sales rep (owner set and not a founder): more than {floor} SQLs in "
        f"milestone 6's cohort, a close rate of at least {pct}%, and a conversion of at least {conv}%"
    )
    founders = company.settings.founders
    if founders is None:
        return Milestone(
            8,
            name,
            condition,
            False,
            "kb cannot tell reps from founders yet",
            {},
            setup=['set founders = ["…"] in kb.toml, so kb can tell the reps\' customers apart'],
        )
    known = {f.strip().casefold() for f in founders}
    reps = [c for c in company.customers.values() if c.owner and c.owner.strip().casefold() not in known]
    wins, n, _ = _close_rate(company, reps)
    hell, settled = _conversion(company, reps)
    reached = n > floor and meets(wins, n, pct) and meets(hell, settled, conv)
    owners = sorted({(c.owner or "").strip() for c in reps})
    return Milestone(
        8,
        name,
        condition,
        reached,
        f"reps' SQLs: {wins} of {n} won ({_rate_text(wins, n)}); reps' conversion: {hell} of "
        f"{settled} ({_rate_text(hell, settled)})",
        {
            "reps": owners,
            "won": wins,
            "sqls": n,
            "close_pct": percent(wins, n),
            "hell_yes": hell,
            "settled": settled,
            "conversion_pct": percent(hell, settled),
        },
        [] if reps else ["no customer has an owner who is not a founder yet"],
    )
