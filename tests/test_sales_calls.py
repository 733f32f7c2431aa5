"""Milestone 1, 5+ sales calls per week, every week, at the edges of ISO weeks (SPEC 3).

Expected values are worked out by hand, as of D = 2026-03-18 (Wednesday of 2026-W12) unless a test
says otherwise: the last four complete weeks are then W08 to W11, and D's own week never counts.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tests.helpers import D, milestone, status_json

LONG_AGO = "2025-06-01"
_numbers = itertools.count(1)


def hell_yes_customer(kb, slug: str, won_on: str = LONG_AGO, **fields) -> None:
    kb.customer(slug, stage=fields.pop("stage", "customer"), won_on=won_on, **fields)
    kb.casestudy(f"{slug}-story", slug)


def calls(kb, *days: str, kind: str = "discovery", customer: str = "acme") -> None:
    """One interview of `kind` on each day (a day may repeat)."""
    if not (kb.root / f"content/customers/{customer}.md").exists():
        kb.customer(customer, stage="lead")
    for day in days:
        kb.interview(f"{day}-{customer}-{kind}-{next(_numbers)}", customer, day, kind)


def week(monday: str, count: int, kind: str = "discovery") -> list[str]:
    """`count` call days spread over the ISO week that starts on `monday`."""
    start = dt.date.fromisoformat(monday)
    assert start.weekday() == 0, monday
    return [(start + dt.timedelta(days=i % 7)).isoformat() for i in range(count)]


def good_weeks(kb, *mondays: str, per_week: int = 5, kind: str = "discovery") -> None:
    for monday in mondays:
        calls(kb, *week(monday, per_week), kind=kind)


def names_week(text: str, monday: str) -> bool:
    """A week is named by its ISO label (2026-W24) or by its Monday's date."""
    year, number, _ = dt.date.fromisoformat(monday).isocalendar()
    return f"{year}-W{number:02d}" in text or monday in text


# Last four complete weeks before D's week (2026-03-16..22): W08, W09, W10, W11.
W08, W09, W10, W11 = "2026-02-16", "2026-02-23", "2026-03-02", "2026-03-09"


# --- milestone 1: sales calls at ISO-week edges ------------------------------------------------------


def recent(data: dict) -> list[int]:
    return [w["sales_calls"] for w in data["sales_calls"]["recent_weeks"]]


@pytest.mark.parametrize(
    ("fifth_call", "reached", "last_weeks", "this_week"),
    [
        ("2026-03-15", True, [5, 5, 5, 5], 0),  # Sunday: the last day of W11
        ("2026-03-16", False, [5, 5, 5, 4], 1),  # the next Monday: D's own week
    ],
    ids=["sunday", "next-monday"],
)
def test_a_call_on_sunday_versus_the_next_monday(kb_root, runner, fifth_call, reached, last_weeks, this_week):
    good_weeks(kb_root, W08, W09, W10)
    calls(kb_root, *week(W11, 4), fifth_call)

    data = status_json(runner, kb_root)

    assert [w["start"] for w in data["sales_calls"]["recent_weeks"]] == [W08, W09, W10, W11]
    assert recent(data) == last_weeks
    assert data["sales_calls"]["this_week"]["sales_calls_so_far"] == this_week
    assert milestone(data, 1)["reached"] is reached
    assert (data["goal"]["milestone"] == 1) is not reached


def test_the_week_that_contains_D_never_counts_however_busy(kb_root, runner):
    good_weeks(kb_root, W09, W10, W11)
    calls(kb_root, "2026-03-16", "2026-03-16", "2026-03-17", "2026-03-17", "2026-03-18", "2026-03-18", "2026-03-18")
    calls(kb_root, "2026-03-20")  # later in D's week, but after D: not "so far"

    data = status_json(runner, kb_root)
    assert recent(data) == [0, 5, 5, 5]
    assert data["sales_calls"]["this_week"]["sales_calls_so_far"] == 7
    assert milestone(data, 1)["reached"] is False

    # The next Monday, that week is complete (7 + 1 = 8 calls) and the run of four is there.
    later = status_json(runner, kb_root, as_of="2026-03-23")
    assert recent(later) == [5, 5, 5, 8]
    assert milestone(later, 1)["reached"] is True


def test_D_on_a_sunday_its_week_still_does_not_count(kb_root, runner):
    good_weeks(kb_root, W08, W09, W10, W11)  # W11's calls fall on Monday to Friday, before Sunday D

    data = status_json(runner, kb_root, as_of="2026-03-15")  # the Sunday that ends W11

    assert [w["start"] for w in data["sales_calls"]["recent_weeks"]] == ["2026-02-09", W08, W09, W10]
    assert recent(data) == [0, 5, 5, 5]
    assert data["sales_calls"]["this_week"]["sales_calls_so_far"] == 5
    assert milestone(data, 1)["reached"] is False
    assert milestone(status_json(runner, kb_root, as_of="2026-03-16"), 1)["reached"] is True


@pytest.mark.parametrize(
    ("fifth_call", "reached"),
    [("2026-01-04", True), ("2026-01-05", False)],
    ids=["sunday-of-2026-W01", "monday-of-2026-W02"],
)
def test_weeks_across_the_new_year(kb_root, runner, fifth_call, reached):
    good_weeks(kb_root, "2025-12-08", "2025-12-15", "2025-12-22")  # 2025-W50..W52
    calls(kb_root, "2025-12-29", "2025-12-30", "2025-12-31", "2026-01-02", fifth_call)  # 2026-W01 starts Dec 29

    data = status_json(runner, kb_root, as_of="2026-01-07")  # Wednesday of 2026-W02

    assert recent(data) == [5, 5, 5, 5 if reached else 4]
    assert milestone(data, 1)["reached"] is reached


@pytest.mark.parametrize(("per_week", "reached"), [(4, False), (5, True)])
def test_four_versus_five_calls_a_week(kb_root, runner, per_week, reached):
    good_weeks(kb_root, W08, W09, W10, W11, per_week=per_week)

    data = status_json(runner, kb_root)

    assert recent(data) == [per_week] * 4
    assert milestone(data, 1)["reached"] is reached


def test_an_empty_week_breaks_the_run(kb_root, runner):
    good_weeks(kb_root, "2026-01-26", "2026-02-02", "2026-02-09", W10, W11)  # W05..W07, then W10, W11
    good_weeks(kb_root, W09, per_week=0)

    data = status_json(runner, kb_root)

    assert recent(data) == [0, 0, 5, 5]
    assert milestone(data, 1)["reached"] is False


@pytest.mark.parametrize(
    ("kind", "reached"),
    [
        ("discovery", True),
        ("sales", True),
        ("demo", True),
        ("onboarding", False),
        ("check-in", False),
        ("other", False),
        ("renewal", False),
        (None, False),
    ],
)
def test_only_sales_kinds_are_sales_calls(kb_root, runner, kind, reached):
    for monday in (W08, W09, W10, W11):
        calls(kb_root, *week(monday, 4), kind="sales")
        if kind:
            calls(kb_root, monday, kind=kind)
        else:  # no kind: read as `other`
            kb_root.write(f"content/interviews/{monday}-no-kind.md", f"---\ncustomer: acme\ndate: {monday}\n---\n")

    data = status_json(runner, kb_root)

    assert recent(data) == [5 if reached else 4] * 4
    assert milestone(data, 1)["reached"] is reached


def test_sales_kinds_set_in_kb_toml(kb_root, runner):
    kb_root.write("kb.toml", 'sales_kinds = ["discovery", "onboarding"]\n')
    good_weeks(kb_root, W08, W09, W10, W11, kind="onboarding")
    good_weeks(kb_root, W08, W09, W10, W11, per_week=3, kind="demo")  # demo no longer counts

    data = status_json(runner, kb_root)

    assert recent(data) == [5, 5, 5, 5]
    assert milestone(data, 1)["reached"] is True


def test_this_week_so_far_is_shown(kb_root, runner):
    calls(kb_root, "2026-03-16", "2026-03-18")

    data = status_json(runner, kb_root)
    text = runner(kb_root, "status", "--as-of", D)

    assert data["sales_calls"]["this_week"]["sales_calls_so_far"] == 2
    assert text.exit_code == 0, text.output
    assert D in text.output  # every view names D
    assert "this week" in text.output and "2 of 5" in text.output, text.output


def test_a_good_march_and_a_short_june_stay_at_milestone_4_with_the_warning(kb_root, runner):
    good_weeks(kb_root, "2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23")  # a good March
    calls(kb_root, *week("2026-06-01", 5), *week("2026-06-08", 3), *week("2026-06-15", 5))  # June; W26 empty
    hell_yes_customer(kb_root, "happy")  # milestone 3 needs one hell-yes customer...
    for i in range(4):  # ...and 5 paying ones; two of these have churned since
        kb_root.customer(
            f"paying{i}",
            stage="churned" if i < 2 else "customer",
            won_on="2025-09-01",
            **({"churned_on": "2026-01-15"} if i < 2 else {}),
        )

    data = status_json(runner, kb_root, as_of="2026-07-01")  # Wednesday of W27

    assert recent(data) == [5, 3, 5, 0]
    assert [milestone(data, n)["reached"] for n in (1, 2, 3, 4)] == [True, True, True, False]
    assert data["goal"]["milestone"] == 4
    [warning] = [w for w in data["warnings"] if "foot off the gas" in w.lower()]
    assert names_week(warning, "2026-06-08") and names_week(warning, "2026-06-22"), warning
    assert not names_week(warning, "2026-06-01") and not names_week(warning, "2026-06-15"), warning
    text = runner(kb_root, "status", "--as-of", "2026-07-01").output
    assert "foot off the gas" in text.lower() and names_week(text, "2026-06-08"), text


def test_no_warning_while_the_last_four_weeks_are_good(kb_root, runner):
    good_weeks(kb_root, W08, W09, W10, W11)

    data = status_json(runner, kb_root)

    assert milestone(data, 1)["reached"] is True
    assert not [w for w in data["warnings"] if "foot off the gas" in w.lower()]


def test_thresholds_set_in_kb_toml(kb_root, runner):
    kb_root.write("kb.toml", "[thresholds]\ncalls_per_week = 3\nweeks = 2\nsettle_days = 10\n")
    good_weeks(kb_root, W10, W11, per_week=3)
    hell_yes_customer(kb_root, "fresh", won_on="2026-03-06")  # 12 days before D

    data = status_json(runner, kb_root)

    assert recent(data)[-2:] == [3, 3]
    assert milestone(data, 1)["reached"] is True
    assert data["hell_yes"]["customers"] == ["fresh"]
