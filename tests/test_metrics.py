"""`kb metrics`: shut until five hell-yes customers, then every number as SPEC 4 defines it, and charts.

The KB of `ledger` is worked out by hand below (D = 2026-03-18); every expected value comes from
that table and SPEC 4's definitions, not from kb's code.
"""

from __future__ import annotations

import json
import re
import shutil
from xml.etree import ElementTree

import pytest

from kb.cli import metrics as metrics_command
from kb.config import Kb
from kb.errors import GateShut
from kb.method.as_of import resolve_as_of
from kb.method.company import company_of
from kb.method.metrics import metrics
from kb.store.catalog import Catalog
from kb.table import cell_text
from kb.views.charts import metric_svg
from kb.workspace import Workspace

D = "2026-03-18"
NUMBER = re.compile(r"\d+(?:\.\d+)?")
SHOWN_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")

# slug: (source, owner, qualified_on, won_on, churned_on, stage, acv, story status)
#   days to close (won_on − qualified_on): h1 20, h2 30, h3 40, h4 31, h5 44, m1 70 (late), m2 25
LEDGER = {
    "h1": ("Cold Email", "Maya Okafor", "2025-09-01", "2025-09-21", None, "customer", 12000, "hell-yes"),
    "h2": ("cold email", "Maya Okafor", "2025-09-15", "2025-10-15", None, "customer", 8000, "hell-yes"),
    "h3": ("Referral", "Riley Rep", "2025-10-01", "2025-11-10", None, "customer", None, "hell-yes"),
    "h4": ("Referral", "Riley Rep", "2025-10-20", "2025-11-20", None, "customer", None, "hell-yes"),
    "h5": ("Cold Email", "Riley Rep", "2025-11-01", "2025-12-15", None, "customer", None, "hell-yes"),
    "m1": ("Cold Email", "Maya Okafor", "2025-11-01", "2026-01-10", "2026-02-20", "churned", None, "meh"),
    "m2": ("Referral", "Riley Rep", "2025-11-10", "2025-12-05", None, "churned", None, "churned"),
    "c3": (None, None, None, "2025-10-05", "2026-03-30", "churned", None, None),  # churns after D
    "d1": ("Cold Email", "Maya Okafor", None, "2026-01-20", None, "customer", None, None),  # won, never an SQL
    "w3": ("Conference", "Riley Rep", None, "2026-03-02", None, "customer", None, "hell-yes"),  # won 16 days ago
    "o1": ("Cold Email", "Maya Okafor", "2025-12-20", None, None, "qualified", None, None),  # open SQL
    "o2": ("Referral", "Riley Rep", "2026-01-10", None, None, "lead", None, None),  # lost SQL
    "l1": (None, None, None, None, None, "lead", None, None),
    "l2": ("Conference", None, None, None, None, "lead", None, None),
}
TOML = """\
founders = ["Maya Okafor"]

[sources."cold email"]
scalable = true
cost = 24000

[sources."Referral"]
scalable = false
cost = 6000
"""
# Sales calls: W08 1 (its Sunday), W10 1, W11 3; D's own week 2 (never counted).
CALL_DAYS = ["2026-02-22", "2026-03-02", "2026-03-09", "2026-03-11", "2026-03-15", "2026-03-16", "2026-03-17"]


def write_ledger(kb) -> None:
    kb.write("kb.toml", TOML)
    for slug, (source, owner, qualified, won, churned, stage, acv, story) in LEDGER.items():
        fields = {
            "source": source,
            "owner": owner,
            "qualified_on": qualified,
            "won_on": won,
            "churned_on": churned,
            "stage": stage,
            "acv": acv,
        }
        kb.customer(slug, **{k: v for k, v in fields.items() if v is not None})
        if story:
            kb.casestudy(f"{slug}-story", slug, status=story)
    kb.customer(
        "o2", source="Referral", owner="Riley Rep", qualified_on="2026-01-10", lost_on="2026-02-01", stage="lead"
    )
    for i, day in enumerate(CALL_DAYS):
        kb.interview(f"{day}-call-{i}", "o1", day, "discovery")


@pytest.fixture
def ledger(kb_root):
    write_ledger(kb_root)
    return kb_root


def metrics_json(runner, kb, *args) -> dict[str, dict]:
    result = runner(kb, "metrics", "--as-of", D, "--json", *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["as_of"] == D
    return {m["key"]: m for m in data["metrics"]}


def rows(metric: dict) -> list[dict]:
    return metric["table"]["rows"]


def by(metric: dict, key: str) -> dict[str, dict]:
    return {row[key]: row for row in rows(metric)}


def close_to(value, expected: float) -> bool:
    return value is not None and abs(value - expected) < 0.051


# --- the numbers, by hand -----------------------------------------------------------------------------


def test_sales_calls_per_week_are_the_last_26_complete_weeks(ledger, runner):
    calls = rows(metrics_json(runner, ledger)["calls"])

    assert len(calls) == 26
    assert calls[0]["week"] in ("2025-W38", "2025-09-15") and calls[-1]["week"] in ("2026-W11", "2026-03-09")
    assert [r["sales_calls"] for r in calls[-4:]] == [1, 0, 1, 3]
    assert sum(r["sales_calls"] for r in calls) == 5


def test_funnel_counts_each_stage_or_a_later_one(ledger, runner):
    funnel = rows(metrics_json(runner, ledger)["funnel"])

    # 14 files; 12 reached qualified_on or a later stage (c3, d1, w3 won without one); 10 won; 5 hell-yes.
    assert [r["customers"] for r in funnel] == [14, 12, 10, 5]


def test_post_sale_conversion_by_month_won(ledger, runner):
    months = by(metrics_json(runner, ledger)["conversion"], "month")

    expected = {
        "2025-09": (1, 1, 100),
        "2025-10": (2, 1, 50),
        "2025-11": (2, 2, 100),
        "2025-12": (2, 1, 50),
        "2026-01": (2, 0, 0),
        "2026-03": (1, 0, 0),
    }
    assert {m for m, r in months.items() if r["won"]} == set(expected)
    for month, (won, hell_yes, pct) in expected.items():
        row = months[month]
        assert (row["won"], row["hell_yes"]) == (won, hell_yes), row
        assert close_to(row["conversion_pct"], pct), row


def test_sql_close_rate_and_days_to_close(ledger, runner):
    found = metrics_json(runner, ledger)

    # Cohort (qualified by 2026-02-01): h1-h5, m1, m2, o1, o2 = 9; won within 45 days: all but m1, o1, o2 = 6.
    [close] = rows(found["close-rate"])
    assert (close["sqls"], close["won"]) == (9, 6)
    assert close_to(close["close_rate_pct"], 66.67)
    # Won SQLs: 20, 25, 30, 31, 40, 44, 70 days.
    [days] = rows(found["days-to-close"])
    assert (days["won_sqls"], days["fastest"], days["median"], days["slowest"]) == (7, 20, 31, 70)


def test_per_source_and_per_owner(ledger, runner):
    found = metrics_json(runner, ledger)

    sources = {name.casefold(): row for name, row in by(found["per-source"], "source").items()}
    cold, referral = sources["cold email"], sources["referral"]  # "Cold Email" and "cold email" are one source
    assert (cold["sqls"], cold["won"], cold["cost_per_win"]) == (5, 3, 8000)  # 24000 ÷ 3
    assert close_to(cold["close_rate_pct"], 60)
    assert (referral["sqls"], referral["won"], referral["cost_per_win"]) == (4, 3, 2000)  # 6000 ÷ 3
    assert close_to(referral["close_rate_pct"], 75)
    if "conference" in sources:
        assert (sources["conference"]["sqls"], sources["conference"]["won"]) == (0, 0)
        assert sources["conference"]["close_rate_pct"] is None  # zero denominator: not enough data

    owners = by(found["per-owner"], "owner")
    assert (owners["Maya Okafor"]["sqls"], owners["Maya Okafor"]["won"]) == (4, 2)
    assert close_to(owners["Maya Okafor"]["close_rate_pct"], 50)
    assert (owners["Riley Rep"]["sqls"], owners["Riley Rep"]["won"]) == (5, 4)
    assert close_to(owners["Riley Rep"]["close_rate_pct"], 80)


def test_churn_per_month_and_churned_over_ever_won(ledger, runner):
    churn = metrics_json(runner, ledger)["churn"]

    per_month = {r["month"]: r["churned"] for r in rows(churn)}
    assert per_month.get("2026-02") == 1  # m1
    assert sum(per_month.values()) == 1  # m2 has no churned_on; c3 churns after D
    # Ever won by D: 10; churned by D: m1 and m2 (stage churned) = 2, so 20%.
    said = f"{churn['title']} {churn['note']}"
    assert re.search(r"\b2 of 10\b", said) and re.search(r"\b20(\.0)?\s*%", said), said


# --- the gate and exit codes ----------------------------------------------------------------------------


def shut_kb(kb) -> None:
    """Four hell-yes customers, and acme's story one answer short of the fifth."""
    for i in range(4):
        kb.customer(f"happy{i}", stage="customer", won_on="2025-06-01", qualified_on="2025-05-01")
        kb.casestudy(f"happy{i}-story", f"happy{i}")
    kb.customer("acme", stage="customer", won_on="2025-06-01")
    kb.casestudy("acme-story", "acme", answers={"why_change": "a", "success": "b", "fit": "c", "renewal": "d"})


def test_metrics_exit_3_while_the_gate_is_shut_and_say_what_is_missing(kb_root, runner, tmp_path):
    shut_kb(kb_root)

    result = runner(kb_root, "metrics", "--as-of", D)
    as_json = runner(kb_root, "metrics", "--as-of", D, "--json")
    svg = runner(kb_root, "metrics", "--as-of", D, "--svg", str(tmp_path / "charts"))

    assert result.exit_code == 3, result.output
    assert "4 of 5 hell-yes customers" in result.output
    assert "acme" in result.output and "options" in result.output  # the closest story and what it lacks
    assert as_json.exit_code == 3, as_json.output
    data = json.loads(as_json.stdout)
    assert "metrics" not in data
    assert set(_numbers(data)) <= {4, 5, 403}  # the gate's counts (and an HTTP-like status), nothing else
    assert "4 of 5 hell-yes customers" in json.dumps(data)
    assert svg.exit_code == 3, svg.output
    assert not list(tmp_path.glob("charts/*.svg"))


def test_the_shut_gate_message_names_D(kb_root, runner):
    """SPEC 3: every view names D (the gate is shut as of D, and may open by a later one)."""
    shut_kb(kb_root)

    result = runner(kb_root, "metrics", "--as-of", D)

    assert result.exit_code == 3, result.output
    assert D in result.output, result.output


def _numbers(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def test_metrics_exit_0_once_the_gate_opens(kb_root, runner):
    shut_kb(kb_root)
    kb_root.casestudy("acme-story", "acme")  # the missing answer is written

    result = runner(kb_root, "metrics", "--as-of", D)

    assert result.exit_code == 0, result.output


def test_the_domain_refuses_metrics_while_shut_and_has_no_switch(kb_root):
    shut_kb(kb_root)
    workspace = Workspace(Kb(kb_root.root))
    workspace.refresh()
    try:
        with workspace.session() as session:
            company = company_of(Catalog(session), workspace.settings, resolve_as_of(_day(D), workspace.settings))
            with pytest.raises(GateShut, match="4 of 5 hell-yes customers"):
                metrics(company)
    finally:
        workspace.close()
    assert {p.name for p in metrics_command.params} == {"as_of", "as_json", "svg_dir"}


def _day(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


@pytest.mark.parametrize("command", ["metrics", "status", "compare"])
def test_an_as_of_later_than_today_exits_2(kb_root, runner, command):
    shut_kb(kb_root)

    result = runner(kb_root, command, "--as-of", "2099-01-01")

    assert result.exit_code == 2, result.output
    assert "2099-01-01" in result.output


# --- charts ---------------------------------------------------------------------------------------------


def assert_chart_draws_its_table(svg: str, text_rows: list[list[str]], name: str) -> None:
    tree = ElementTree.fromstring(svg.encode("utf-8"))
    assert "<script" not in svg.lower(), name
    assert not [el for el in tree.iter() if isinstance(el.tag, str) and el.tag.lower().endswith("script")], name
    drawn = set()
    for el in tree.iter():
        for text in (el.text, el.tail):
            # A chart writes numbers as every page does (18,000); the table's cells are the plain values.
            drawn.update(number.replace(",", "") for number in SHOWN_NUMBER.findall(text or ""))
    for row in text_rows:
        for cell in row:
            if NUMBER.fullmatch(cell):
                assert cell in drawn, f"{name}: {cell} of row {row} is not drawn in the chart"


def test_svg_written_by_the_cli_parse_and_show_every_number_of_their_table(ledger, runner, tmp_path):
    charts = tmp_path / "charts"
    found = metrics_json(runner, ledger, "--svg", str(charts))

    assert {p.stem for p in charts.glob("*.svg")} == set(found)
    for key, metric in found.items():
        columns = [c["key"] for c in metric["table"]["columns"]]
        text_rows = [[cell_text(row.get(c)) for c in columns] for row in rows(metric)]
        assert_chart_draws_its_table((charts / f"{key}.svg").read_text(encoding="utf-8"), text_rows, key)


def opened_company_metrics(root):
    workspace = Workspace(Kb(root))
    workspace.refresh()
    try:
        with workspace.session() as session:
            settings = workspace.settings
            company = company_of(Catalog(session), settings, resolve_as_of(_day(D), settings))
            return metrics(company)
    finally:
        workspace.close()


def test_metric_svg_parses_and_shows_every_number_of_its_table(ledger):
    found = opened_company_metrics(ledger.root)

    assert len(found) == 8
    for metric in found:
        assert_chart_draws_its_table(metric_svg(metric), metric.table.text_rows(), metric.key)


# --- the demo KB ----------------------------------------------------------------------------------------


def test_demo_reads_milestone_4_and_a_gate_shut_at_4_of_5(demo_root, runner):
    result = runner(demo_root, "status", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)

    assert data["as_of"]["date"] == D and data["as_of"]["pinned"] is True
    assert data["goal"]["milestone"] == 4
    assert data["gate"]["open"] is False
    assert (data["gate"]["hell_yes_customers"], data["gate"]["needed"]) == (4, 5)
    closest = data["gate"]["closest"][0]
    assert closest["customer"] == "orchard-hr" and closest["path"] == "casestudies/orchard-controller.md"
    assert closest["missing_answers"] == ["renewal"]
    metrics_result = runner(demo_root, "metrics")
    assert metrics_result.exit_code == 3, metrics_result.output
    assert "4 of 5 hell-yes customers" in metrics_result.output and "orchard" in metrics_result.output


def test_demo_opens_when_orchard_hr_says_why_they_renew(demo_root, runner, tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(demo_root, root, ignore=shutil.ignore_patterns(".kb"))
    story = root / "casestudies/orchard-controller.md"
    story.write_text(
        story.read_text(encoding="utf-8").rstrip("\n") + "\nLaura renews because the auditor "
        "now asks for Ledgerline's evidence room first.\n",
        encoding="utf-8",
    )

    result = runner(root, "status", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["gate"]["open"] is True and data["gate"]["hell_yes_customers"] == 5
    assert "orchard-hr" in data["hell_yes"]["customers"]
    opened = runner(root, "metrics", "--svg", str(tmp_path / "charts"))
    assert opened.exit_code == 0, opened.output
    for metric in opened_company_metrics(root):
        assert_chart_draws_its_table(metric_svg(metric), metric.table.text_rows(), metric.key)
