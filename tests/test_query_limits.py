"""What one query may cost: a form that would read every word of the index is refused with how to narrow
it (exit 2, HTTP 400), and a search that runs out of its time budget answers with what it found by then
and says so."""

from __future__ import annotations

import json

import pytest

from kb.search import limits
from tests.helpers import KbFolder


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> KbFolder:
    """Two customers and a dozen calls about audits."""
    folder = KbFolder(tmp_path_factory.mktemp("limits") / "kb")
    folder.customer("acme", stage="customer", won_on="2026-01-10")
    folder.customer("globex")
    for day in range(1, 13):
        folder.interview(
            f"2026-02-{day:02d}-acme-call", "acme", f"2026-02-{day:02d}", body=f"Audit number {day}, audits galore."
        )
    return folder


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("*", "'*' alone stands for every word of every record"),
        ("title:*", "'*' alone stands for every word of every record"),
        ("audit *", "'*' alone stands for every word of every record"),
        ("**", "a wildcard needs a letter or digit before it"),
        ("?*", "a wildcard needs a letter or digit before it"),
        ("*dit", "a wildcard needs a letter or digit before it"),
        ("?udit", "a wildcard needs a letter or digit before it"),
        ("[a to z]", "a range of words reads every word of the index"),
        ("[a to]", "a range of words reads every word of the index"),
        ("why_change:{a to m}", "a range of words reads every word of the index"),
    ],
)
def test_a_query_that_would_read_every_word_is_refused(kb, runner, query, reason):
    result = runner(kb, "search", query)
    assert result.exit_code == 2, result.output
    assert reason in result.stderr and f"cannot search for {query!r}" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ("aud*", 12),
        ("a?dit", 12),
        ("date:[2026-02-10 to]", 3),
        ("date:[to 2026-02-02]", 3),  # acme is dated by its win, 2026-01-10
        ("customer:[a to b]", 13),  # a range of a keyword field reads only its few values
    ],
)
def test_narrow_wildcards_and_ranges_of_dates_answer(kb, runner, query, total):
    result = runner(kb, "search", query, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == total


def test_wildcards_that_stand_for_too_many_words_are_refused(kb, runner, monkeypatch):
    monkeypatch.setattr(limits, "MAX_EXPANDED_WORDS", 1)
    result = runner(kb, "search", "a*")  # acme, audit
    assert result.exit_code == 2, result.output
    assert "its wildcards stand for more than 1 different words of the records; give more letters" in result.stderr
    assert runner(kb, "search", "audit*").exit_code == 0


def test_a_search_past_its_time_budget_answers_what_it_found_and_says_so(kb, runner, monkeypatch):
    monkeypatch.setattr(limits, "TIME_BUDGET", 0.0)
    result = runner(kb, "search", "audit", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["notice"] == "search stopped after 0 s; narrow the query"
    assert answer["total"] < 12 and answer["suggestion"] is None
    text = runner(kb, "search", "audit")
    assert text.exit_code == 0 and "kb: search stopped after 0 s; narrow the query" in text.stderr


def test_a_search_within_its_budget_has_no_notice(kb, runner):
    assert json.loads(runner(kb, "search", "audit", "--json").stdout)["notice"] is None


def test_did_you_mean_looks_up_a_few_unknown_words_not_a_page_of_them(kb, runner):
    typo = json.loads(runner(kb, "search", "audti galroe", "--json").stdout)
    assert typo["suggestion"] == "audit galore"
    page = " ".join(f"audti{letter}" for letter in "bcdfghjkmnpq")  # twelve unknown words
    assert json.loads(runner(kb, "search", page, "--json").stdout)["suggestion"] is None
