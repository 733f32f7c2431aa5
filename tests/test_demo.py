"""The demo KB at the repository root reads as the issue promises, on any day."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections import Counter

import pytest

from kb.config import Kb
from kb.method.as_of import resolve_as_of
from kb.method.hell_yes_rule import hell_yes
from kb.store.catalog import Catalog
from kb.workspace import Workspace


@pytest.fixture(scope="module")
def demo(demo_root):
    workspace = Workspace(Kb(demo_root))
    workspace.refresh()
    with workspace.session() as session:
        catalog = Catalog(session)
        yield workspace, catalog
    workspace.close()


def judged(workspace, catalog):
    as_of = resolve_as_of(None, workspace.settings)
    return as_of, hell_yes(
        catalog.stories(), catalog.customers(), as_of.date, workspace.settings.thresholds["settle_days"]
    )


def test_check_prints_only_the_one_warning_of_the_almost_counting_story(demo_root, runner):
    result = runner(demo_root, "check")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "casestudies/orchard-controller.md:4: warning: hell-yes story does not count (as of 2026-03-18, pinned "
        "in kb.toml): orchard-hr: hell-yes story is missing an answer to “Why are they renewing?”"
    ]


def test_four_hell_yes_customers_and_one_story_one_answer_away(demo):
    workspace, catalog = demo
    as_of, verdicts = judged(workspace, catalog)
    assert as_of.pinned and as_of.date == dt.date(2026, 3, 18)
    assert len(verdicts.customers) == 4, verdicts.customers
    closest = verdicts.closest
    assert [v.story.slug for v in closest] == ["orchard-controller"]
    assert closest[0].failed_rules == 1 and closest[0].story.missing == ["renewal"]
    orchard = catalog.customers()["orchard-hr"]
    assert (as_of.date - orchard.won_on).days > 30


def test_counting_stories_cite_a_call_in_every_answer(demo):
    workspace, catalog = demo
    _, verdicts = judged(workspace, catalog)
    citations = catalog.citations()
    for verdict in verdicts.verdicts:
        if verdict.counts:
            cites = citations[verdict.story.path]
            assert all(cites.get(q) for q in ("why_change", "success", "options", "fit", "renewal")), cites


def test_every_stage_source_and_status_is_shown(demo):
    _, catalog = demo
    customers = catalog.customers().values()
    assert {c.stage for c in customers} == {"lead", "qualified", "customer", "churned"}
    assert len({c.source for c in customers if c.source}) >= 4
    assert sum(c.won_on is not None for c in customers) >= 6
    assert {s.status for s in catalog.stories()} == {"draft", "meh", "churned", "hell-yes"}
    assert 10 <= len(customers) <= 16 and 35 <= len(catalog.interviews()) <= 50


def test_at_least_five_sales_calls_in_each_of_the_four_weeks_before_as_of(demo):
    workspace, catalog = demo
    as_of = resolve_as_of(None, workspace.settings).date
    this_monday = as_of - dt.timedelta(days=as_of.weekday())
    weeks = Counter(
        i.date - dt.timedelta(days=i.date.weekday())
        for i in catalog.interviews()
        if i.kind in workspace.settings.sales_kinds
    )
    for back in range(1, 5):
        monday = this_monday - dt.timedelta(weeks=back)
        assert weeks[monday] >= 5, (monday, weeks[monday])
    calls = [i.date for i in catalog.interviews()]
    assert min(calls) >= as_of - dt.timedelta(weeks=10) and max(calls) < as_of


def test_audit_is_in_hell_yes_stories_a_meh_one_and_calls(demo, demo_root):
    workspace, catalog = demo
    _, verdicts = judged(workspace, catalog)

    def says_audit(path):
        return re.search(r"\baudit\b", (demo_root / path).read_text(encoding="utf-8"), re.I)

    counting = [v.story.path for v in verdicts.verdicts if v.counts]
    assert sum(bool(says_audit(p)) for p in counting) >= 2
    assert any(says_audit(s.path) for s in catalog.stories() if s.status == "meh")
    assert sum(bool(says_audit(i.path)) for i in catalog.interviews()) >= 3


def test_answering_the_missing_question_makes_five(demo_root, tmp_path):
    root = tmp_path / "demo"
    shutil.copytree(demo_root, root, ignore=shutil.ignore_patterns(".kb"))
    story = root / "casestudies/orchard-controller.md"
    text = story.read_text(encoding="utf-8")
    head, _, _ = text.partition("## Why are they renewing?")
    story.write_text(
        head + "## Why are they renewing?\nThey passed the audit in a week [[2026-02-17-orchard-hr-check-in]].\n",
        encoding="utf-8",
    )
    workspace = Workspace(Kb(root))
    workspace.refresh()
    with workspace.session() as session:
        _, verdicts = judged(workspace, Catalog(session))
    workspace.close()
    assert len(verdicts.customers) == 5


def test_search_finds_audit_in_the_demo(demo_root, runner):
    result = runner(demo_root, "search", "audit", "status:hell-yes", "--json")
    assert result.exit_code == 0, result.output
    assert '"total": ' in result.stdout and '"casestudy"' in result.stdout
