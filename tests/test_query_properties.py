"""Properties of search over generated queries: whatever is typed (words, quotes of both kinds, fields
known and unknown, parentheses, brackets, wildcards, operators, any character), `search` answers or
raises QueryError with a message, never another exception, and within its time budget.

Hypothesis runs with a fixed seed (derandomize) and no example database, so every run, in CI too,
tries the same bounded set of queries.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.config import Kb
from kb.errors import QueryError
from kb.records.fields import QUESTION_KEYS
from kb.search import limits
from kb.search.parsing import QUERY_FIELDS
from kb.search.query import Filters, search
from kb.workspace import Workspace
from tests.helpers import KbFolder

PROPERTIES = settings(
    derandomize=True,
    database=None,
    max_examples=200,
    deadline=None,  # the time is checked against kb's own budget below
    suppress_health_check=[HealthCheck.too_slow],
)
SLACK = 3.0  # seconds beyond the budget: parsing, snippets, did-you-mean, a loaded CI machine

WORDS = ["audit", "audits", "Audit", "acme", "soc2", "A/B", "a/b", "24/7", "experiment", "maya", "okafor"]
WORDS += ["hell-yes", "hellyes", "discvery", "2026-03-02", "x", "é", "Ünïcode", "日本語", "🙂", "the", "a", "-"]
OPERATORS = ["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "and", "or"]
SYNTAX = list("\"'()[]{}*?~^<>=:/\\+-!&|@#%,.;") + ["**", "?*", "[a to z]", "{a TO}", "[to]", "~2", "^2", "//"]
FIELDS = [*QUERY_FIELDS, *QUESTION_KEYS, "region", "all", "exact", "https", "_", ""]
VALUES = [
    "2026-03-02",
    "[2026-03-01 to 2026-03-31]",
    "[2026-03-01 to]",
    "[to 2026-03-01]",
    ">2026-03-01",
    "<=2026",
    "banana",
    "*",
    "acme",
    '"Maya Okafor"',
    "'Maya Okafor'",
    '""',
    "''",
]


@st.composite
def terms(draw) -> str:
    """One piece of a query: a word, an operator, syntax, or field:value."""
    kind = draw(st.sampled_from(["word", "word", "operator", "syntax", "field", "wildcard", "quoted"]))
    if kind == "word":
        return draw(st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=8)))
    if kind == "operator":
        return draw(st.sampled_from(OPERATORS))
    if kind == "syntax":
        return draw(st.sampled_from(SYNTAX))
    if kind == "wildcard":
        return draw(st.sampled_from(["", "a", "au", "x"])) + draw(st.sampled_from(["*", "?", "*?", "?*t", "*a*"]))
    if kind == "quoted":
        quote = draw(st.sampled_from(['"', "'"]))
        return quote + " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=3))) + quote
    name = draw(st.sampled_from(FIELDS))
    value = draw(st.one_of(st.sampled_from(VALUES), st.sampled_from(WORDS), st.just("")))
    return f"{name}:{value}"


structured = st.lists(terms(), min_size=1, max_size=8).map(
    lambda pieces: "".join(piece + (" " if n % 3 else "") for n, piece in enumerate(pieces))
)
anything = st.text(max_size=40)


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    """A small real index: customers, calls and a story with names, tags, links and dates."""
    folder = KbFolder(tmp_path_factory.mktemp("properties") / "kb")
    folder.customer("acme", name="Acme Corp", stage="customer", won_on="2026-01-10", owner="Maya Okafor")
    folder.customer("globex", name="Globex")
    folder.interview(
        "2026-03-02-acme-discovery", "acme", "2026-03-02", body="The audit failed; an A/B test, 24/7 support."
    )
    folder.interview("2026-03-09-globex-sales", "globex", "2026-03-09", "sales", body="One experiment, no audits.")
    folder.casestudy(
        "acme-story",
        "acme",
        tags="[soc2, finance-led]",
        answers={"why_change": "See [[2026-03-02-acme-discovery|the call]] and [notes](https://acme.example/x)."},
    )
    workspace = Workspace(Kb(folder.root))
    workspace.refresh(need_store=False)
    index = workspace.index()
    yield index
    index.close()
    workspace.close()


def answers_or_refuses(ix, query: str, **options) -> None:
    started = time.monotonic()
    try:
        result = search(ix, query, **options)
    except QueryError as exc:
        assert str(exc), query
    else:
        assert result.total >= len(result.hits), query
    assert time.monotonic() - started < limits.TIME_BUDGET + SLACK, query


@PROPERTIES
@given(query=structured)
def test_a_structured_query_answers_or_is_refused(ix, query):
    answers_or_refuses(ix, query)


@PROPERTIES
@given(query=anything)
def test_any_text_answers_or_is_refused(ix, query):
    answers_or_refuses(ix, query)


@settings(PROPERTIES, max_examples=60)
@given(query=structured, sort=st.sampled_from(["relevance", "date"]), page=st.integers(1, 3))
def test_with_filters_pages_and_order(ix, query, sort, page):
    filters = Filters(customer="acme", since=None)
    answers_or_refuses(ix, query, filters=filters, sort=sort, limit=2, page=page, facets=True)
