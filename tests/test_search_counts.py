"""Facet counts, totals and hits of `search` are Whoosh's own (its facet collector, its filter), however
kb counts them: per segment, once, and the filter stepped through beside the query."""

from __future__ import annotations

import datetime as dt

import pytest
from whoosh import query as wq
from whoosh import sorting

from kb.config import Kb
from kb.search.index import open_index
from kb.search.query import FACETS, Filters, parse_query, search
from kb.workspace import Workspace
from tests.helpers import KbFolder

KINDS = ("discovery", "demo", "sales")
WORDS = ("audit evidence", "policy access", "audit policy", "they said the audit was late", "access")


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    root = tmp_path_factory.mktemp("counts")
    folder = KbFolder(root)
    for n in range(6):
        folder.customer(f"c{n}")
        folder.casestudy(
            f"c{n}-story",
            f"c{n}",
            status=("meh", "hell-yes")[n % 2],
            answers={"why_change": WORDS[n % len(WORDS)]},
            tags=f"[t{n % 3}, shared]",
        )
    workspace = Workspace(Kb(root))
    workspace.refresh()
    # A second commit: another segment, and a record rewritten (its old version deleted).
    for n in range(24):
        day = dt.date(2025, 1 + n % 12, 1 + n)
        folder.interview(
            f"{day}-c{n % 6}-{n}", f"c{n % 6}", day.isoformat(), kind=KINDS[n % 3], body=f"## Notes\n{WORDS[n % 5]}\n"
        )
    folder.casestudy("c0-story", "c0", status="meh", answers={"why_change": "audit again"}, tags="[t9]")
    workspace.refresh()
    workspace.close()
    ix = open_index(root / ".kb")
    yield ix
    ix.close()


def _whoosh(ix, text: str, filters: Filters) -> tuple[int, dict, list[str]]:
    """Whoosh's own answer: every hit, its facet collector's counts."""
    groupedby = {name: sorting.FieldFacet(name, allow_overlap=(name == "tag")) for name in FACETS}
    with ix.searcher() as searcher:
        parsed = parse_query(searcher, text) if text else wq.Every()
        results = searcher.search(parsed, limit=None, filter=filters.query(), groupedby=groupedby)
        facets = {}
        for name in FACETS:
            counted = {str(k): len(v) for k, v in results.groups(name).items() if k not in (None, "")}
            facets[name] = dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))
        return len(results), facets, [hit["path"] for hit in results]


@pytest.mark.parametrize("text", ["audit", "policy access", '"was late"', "audit OR access", ""])
@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(type="interview"),
        Filters(kind="demo"),
        Filters(tag="shared"),
        Filters(since=dt.date(2025, 3, 1), until=dt.date(2025, 8, 31)),
        Filters(type="casestudy", status="meh"),
    ],
)
def test_counts_and_hits_are_whooshs(kb, text: str, filters: Filters):
    total, facets, paths = _whoosh(kb, text, filters)
    result = search(kb, text, filters, limit=None)
    assert (result.total, result.facets) == (total, facets)
    if text:  # ranked: the same order (without words every record scores alike)
        assert [hit.path for hit in result.hits] == paths
    else:
        assert sorted(hit.path for hit in result.hits) == sorted(paths)
    page = search(kb, text, filters, limit=3, page=2)
    assert (page.total, page.facets) == (total, facets)
    if text and total > 3:  # a page past the last is the last (Whoosh's ResultsPage)
        assert [hit.path for hit in page.hits] == paths[3:6]
