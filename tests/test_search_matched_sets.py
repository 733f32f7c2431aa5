"""A query of words joined by AND, OR and NOT is answered from sets of postings (kb.search.matched), its best
hits scored only where they can rank: the same hits, in the same order, with the same scores, total and
facet counts as stepping every match through Whoosh's collector, whatever the words, filters and page,
on an index of one segment and on one of several segments with records edited since (deleted in the
older segments), with records that tie."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.config import Kb
from kb.search import limits, matched
from kb.search.query import Filters, parse_query, search
from kb.search.searchers import searchers
from kb.workspace import Workspace
from tests.helpers import KbFolder

PROPERTIES = settings(
    derandomize=True, database=None, max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Forms of one stem (audit, audits, auditing), words that are their own stem, a rare one, a missing one.
WORDS = ["audit", "audits", "auditing", "policy", "policies", "access", "sample", "ticket", "zebra", "nowhere"]
FILLER = ["the", "team", "asked", "about", "during", "review", "call", "notes", "evidence", "control"]
CUSTOMERS = ["acme", "globex", "initech"]
KINDS = ["discovery", "demo", "support"]


def _body(rng: random.Random) -> str:
    words = [rng.choice(WORDS[:-2]) for _ in range(rng.randint(0, 6))] + ["zebra"] * (rng.random() < 0.05)
    words += [rng.choice(FILLER) for _ in range(rng.randint(1, 30))]
    rng.shuffle(words)
    return " ".join(words) + "."


def _build(root, seed: int, edits: int) -> Workspace:
    rng = random.Random(seed)
    kb = KbFolder(root)
    for slug in CUSTOMERS:
        kb.customer(slug)
    same = _body(rng)
    for n in range(60):
        # Every fifth call has the same words as the others of its kind: records that tie.
        body = same if n % 5 == 0 else _body(rng)
        kb.interview(f"call-{n}", CUSTOMERS[n % 3], f"2026-01-{n % 28 + 1:02d}", kind=KINDS[n % 3], body=body)
    workspace = Workspace(Kb(root))
    workspace.refresh()
    for edit in range(edits):  # each refresh writes a segment; the edited records are deleted in the older ones
        for n in rng.sample(range(60), 4):
            kb.interview(f"call-{n}", CUSTOMERS[n % 3], "2026-02-01", kind=KINDS[n % 3], body=_body(rng))
        kb.interview(f"new-{edit}", "acme", "2026-02-02", body=same)
        workspace.refresh()
    return workspace


@pytest.fixture(scope="module", params=[(1, 0), (2, 5)], ids=["one-segment", "segments-with-deletions"])
def workspace(request, tmp_path_factory):
    seed, edits = request.param
    workspace = _build(tmp_path_factory.mktemp("matched") / "kb", seed, edits)
    yield workspace
    workspace.close()


def _segments(workspace: Workspace) -> list[tuple[int, bool]]:
    with searchers(workspace.index()).searcher() as searcher:
        return [(sub.doc_count_all(), sub.reader().has_deletions()) for sub, _ in searcher.leaf_searchers()]


def test_the_second_index_has_segments_with_deleted_records(workspace, request):
    found = _segments(workspace)
    if request.node.callspec.id == "segments-with-deletions":
        assert len(found) > 1 and any(deleted for _, deleted in found), found
    else:
        assert found and not any(deleted for _, deleted in found), found


word = st.sampled_from(WORDS)
boosted = st.tuples(word, st.sampled_from(["", "", "^2", "^0.5"])).map("".join)


@st.composite
def queries(draw, depth: int = 0) -> str:
    """Words joined by AND, OR, NOT or nothing, in parentheses at times."""
    parts = [draw(boosted)]
    for _ in range(draw(st.integers(0, 3))):
        joint = draw(st.sampled_from([" ", " AND ", " OR ", " NOT ", " AND NOT "]))
        part = draw(queries(depth + 1)) if depth < 2 and draw(st.booleans()) else draw(boosted)
        parts.append(joint + (f"({part})" if " " in part else part))
    return "".join(parts)


filters = st.sampled_from(
    [
        None,
        Filters(kind="demo"),
        Filters(customer="acme"),
        Filters(type="interview"),
        Filters(customer="acme", kind="demo"),
    ]
)


def _both(workspace: Workspace, text: str, flt: Filters | None, limit: int, page: int):
    with searchers(workspace.index()).searcher() as searcher:
        parsed = parse_query(searcher, text)
        query = flt.query() if flt else None
        fast_matched: list[int] = []
        slow_matched: list[int] = []
        fast = limits.budgeted_search(searcher, parsed, limit, page, filter=query, matched=fast_matched)
        slow = limits.collected_search(searcher, parsed, limit, page, filter=query, matched=slow_matched)
        assert matched.matched_search(searcher, parsed, limit * page, query) is not None, text  # the sets path
        every = set(searcher.docs_for_query(parsed))
        if query is not None:
            every &= set(searcher.docs_for_query(query))
        return (
            ([(hit.docnum, hit.score) for hit in fast[1]], len(fast[0]), sorted(fast_matched)),
            ([(hit.docnum, hit.score) for hit in slow[1]], len(slow[0]), sorted(slow_matched)),
            sorted(every),
        )


@PROPERTIES
@given(text=queries(), flt=filters, limit=st.sampled_from([1, 3, 10]), page=st.integers(1, 4))
def test_words_answer_as_the_collector_does(workspace, text, flt, limit, page):
    fast, slow, every = _both(workspace, text, flt, limit, page)
    assert fast == slow, text
    assert fast[2] == every and fast[1] == len(every), text  # every match counted, none twice


@pytest.mark.parametrize(
    "text", ["audit", "audits OR zebra", "access AND policy", "(audit OR sample) AND NOT ticket", "zebra^2 access"]
)
def test_words_take_the_sets_path(workspace, text):
    with searchers(workspace.index()).searcher() as searcher:
        assert matched.matched_search(searcher, parse_query(searcher, text), 10) is not None


@pytest.mark.parametrize(
    "text", ['"audit policy"', "aud*", "audit?", "date:>2026-01-10", "customer:acme audit", "kind:demo"]
)
def test_other_queries_are_left_to_the_collector(workspace, text):
    with searchers(workspace.index()).searcher() as searcher:
        assert matched.matched_search(searcher, parse_query(searcher, text), 10) is None


def test_ties_are_ranked_by_record_number(workspace):
    result = search(workspace.index(), "policy OR access OR sample OR ticket OR audit", limit=60)
    ranked = [(-hit.score, hit.path) for hit in result.hits]
    with searchers(workspace.index()).searcher() as searcher:
        parsed = parse_query(searcher, "policy OR access OR sample OR ticket OR audit")
        hits = limits.budgeted_search(searcher, parsed, 60, 1)[1]
        numbers = [(-hit.score, hit.docnum) for hit in hits]
    assert numbers == sorted(numbers)
    assert len({score for score, _ in ranked}) < len(ranked), "the KB has records that tie"


def test_a_rare_word_or_a_common_one_counts_every_record_and_facet(workspace):
    # The collector once left out of the total the records only the rare, low-scoring word matched.
    ix = workspace.index()
    both = search(ix, "zebra OR access")
    alone = search(ix, "zebra").total + search(ix, "access").total - search(ix, "zebra AND access").total
    assert both.total == alone
    assert sum(both.facets["kind"].values()) == both.total


def test_the_time_budget_stops_a_query_of_words(workspace, monkeypatch):
    ix = workspace.index()
    whole = search(ix, "audit OR access", limit=5)
    assert whole.notice is None and whole.total > 0
    monkeypatch.setattr(limits, "TIME_BUDGET", 0.0)
    stopped = search(ix, "audit OR access", limit=5)
    assert stopped.notice == limits.stopped_notice() and stopped.total < whole.total


def test_a_word_kept_decoded_answers_for_the_records_as_they_are_now(tmp_path):
    kb = KbFolder(tmp_path)
    kb.customer("acme")
    for n in range(12):
        kb.interview(f"call-{n}", "acme", "2026-01-05", body=f"Call {n}: the audit of access.")
    workspace = Workspace(Kb(tmp_path))
    workspace.refresh()
    assert search(workspace.index(), "audit access", limit=3).total == 12
    kb.interview("call-3", "acme", "2026-01-05", body="Call 3: nothing of the kind.")  # deleted in the old segment
    workspace.refresh()
    with searchers(workspace.index()).searcher() as searcher:
        parsed = parse_query(searcher, "audit access")
        fast = limits.budgeted_search(searcher, parsed, 3, 1)
        slow = limits.collected_search(searcher, parsed, 3, 1)
        assert len(fast[0]) == len(slow[0]) == 11
        assert [(h.docnum, h.score) for h in fast[1]] == [(h.docnum, h.score) for h in slow[1]]
    workspace.close()
