"""What one query may cost: forms that read every word of the index are refused before the search, and
the matching stops after a time budget, answering with what it found by then.

On 3,000 records a bare `*`, `?*` or `*t` (a wildcard with no letter before it) and a range of words
(`[a to z]`) each took 2 to 4 seconds, since each reads every word of the index and every posting of
each; a prefix such as `aud*` reads only the words that begin so. Ranges of dates are numbers, cheap
with one end or both.
"""

from __future__ import annotations

import time
from itertools import islice

from whoosh import collectors, fields, matching
from whoosh import query as wq
from whoosh.searching import Results, ResultsPage, Searcher, TimeLimit

from kb.errors import QueryError
from kb.search.matched import matched_search

TIME_BUDGET = 2.0  # seconds of matching per query
# Indexed words that one query's prefixes, wildcards, fuzzy words and ranges may stand for together:
# each costs its postings in every matched field (about 50 µs), so this bounds the matching's set-up.
MAX_EXPANDED_WORDS = 5000
_CHECK_EVERY = 64  # documents collected between two looks at the clock
LITERAL_BEFORE_WILDCARD = 1  # letters or digits a wildcard needs before it
# A filter is stepped through beside the query when it allows fewer than this share of the query's
# records (at 10,000 records: kind=demo or type=casestudy); past it, each match is checked against it.
_STEP_THROUGH_BELOW = 4


def check_cost(parsed: wq.Query, searcher: Searcher, text: str) -> None:
    """Refuse a query whose matching would read every word of the index (QueryError, with how to narrow it)."""
    schema = searcher.schema
    expandable: list[wq.Query] = []
    for leaf in _leaves(parsed):
        if isinstance(leaf, wq.Every) and leaf.fieldname:
            raise QueryError(
                f"cannot search for {text!r}: '*' alone stands for every word of every record; put letters "
                "before it, as in aud*, or give a field or filter alone (type:interview)"
            )
        if isinstance(leaf, wq.Wildcard) and len(_literal_start(leaf.text)) < LITERAL_BEFORE_WILDCARD:
            raise QueryError(
                f"cannot search for {text!r}: a wildcard needs a letter or digit before it, as in aud* or "
                f"a?dit ({leaf.text!r} would read every word of the index)"
            )
        if isinstance(leaf, wq.TermRange) and isinstance(schema[leaf.fieldname], fields.TEXT):
            raise QueryError(
                f"cannot search for {text!r}: a range of words reads every word of the index; ranges are "
                "for dates (date:[2026-03-01 to 2026-03-31], date:>2026-03-01); for words, use a prefix (aud*)"
            )
        if isinstance(leaf, wq.MultiTerm):
            expandable.append(leaf)
    reader = searcher.reader()
    total = 0
    for leaf in expandable:
        total += sum(1 for _ in islice(leaf.expanded_terms(reader), MAX_EXPANDED_WORDS + 1 - total))
        if total > MAX_EXPANDED_WORDS:
            raise QueryError(
                f"cannot search for {text!r}: its wildcards stand for more than {MAX_EXPANDED_WORDS:,} "
                "different words of the records; give more letters before each *"
            )


def _leaves(q: wq.Query):
    if q.is_leaf():
        yield q
    else:
        for child in q.children():
            yield from _leaves(child)


def _literal_start(pattern: str) -> str:
    for at, char in enumerate(pattern):
        if char in "*?[":
            return pattern[:at]
    return pattern


class _Budget(collectors.WrappingCollector):
    """Hands on its child's matches and raises TimeLimit once the budget is spent (the collectors keep
    what they collected by then). It sits right around the collector that scores or sorts, so that the
    filter and facet collectors around it draw every document through it.

    Whoosh's TimeLimitCollector starts a timer thread per search (or a signal, which only the main
    thread may set), and wrapped around a filter it would bypass the filter; a look at the clock every
    few documents does here."""

    def __init__(self, child: collectors.Collector, seconds: float):
        super().__init__(child)
        self.seconds = seconds
        self.deadline = 0.0

    def prepare(self, top_searcher, q, context) -> None:
        self.deadline = time.monotonic() + self.seconds
        self.child.prepare(top_searcher, q, context)

    def set_subsearcher(self, subsearcher, offset) -> None:
        if time.monotonic() > self.deadline:
            raise TimeLimit
        super().set_subsearcher(subsearcher, offset)

    def computes_count(self) -> bool:
        return self.child.computes_count()

    def matches(self):
        for count, sub_docnum in enumerate(self.child.matches()):
            if count % _CHECK_EVERY == 0 and time.monotonic() > self.deadline:
                raise TimeLimit
            yield sub_docnum


class _Recorder(collectors.WrappingCollector):
    """Hands on its child's matches, keeping the number of each record matched (past the filter)."""

    def __init__(self, child: collectors.Collector, into: list[int]):
        super().__init__(child)
        self.into = into

    def computes_count(self) -> bool:
        return self.child.computes_count()

    def collect(self, sub_docnum):
        self.into.append(self.offset + sub_docnum)
        return self.child.collect(sub_docnum)


class _Within(wq.Query):
    """The records a filter query matches, each scored 0: beside a query in an And, the matching steps
    from one allowed record to the next instead of scoring every record and dropping most of them (the
    same records, and the same scores, as a query plus 0)."""

    def __init__(self, allowed: wq.Query):
        self.allowed = allowed

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.allowed == self.allowed

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.allowed))

    def is_leaf(self) -> bool:
        return True

    def estimate_size(self, ixreader) -> int:
        return self.allowed.estimate_size(ixreader)

    def matcher(self, searcher, context=None):
        ids = sorted(searcher.docs_for_query(self.allowed))
        return _Listed(ids, [0.0] * len(ids)) if ids else matching.NullMatcher()


class _Listed(matching.ListMatcher):
    """Records with their scores, each counted: never replaced by a null matcher for scoring too low."""

    def replace(self, minquality=0):
        return self if self.is_active() else matching.NullMatcher()

    def supports_block_quality(self) -> bool:
        return False

    def copy(self):
        return _Listed(self._ids, self._weights, position=self._i)


def budgeted_search(
    searcher: Searcher,
    parsed: wq.Query,
    limit: int | None,
    page: int,
    filter: wq.Query | None = None,
    sortedby=None,
    matched: list[int] | None = None,
) -> tuple[Results, list, bool]:
    """Search within the time budget: the results, the hits of `page` (all of them with no limit), and
    whether the budget ran out (then the results are those found by then). The number of every record
    matched is added to `matched` when it is given (to count facets from)."""
    wanted = None if limit is None else page * limit
    if sortedby is None and wanted is not None and wanted < searcher.doc_count():
        # A query of words alone: its matches as sets of postings, only its best hits scored one by one.
        fast = matched_search(searcher, parsed, wanted, filter, deadline=time.monotonic() + TIME_BUDGET)
        if fast is not None:
            found, numbers, stopped = fast
            if matched is not None:
                matched.extend(numbers)
            return found, list(ResultsPage(found, page, limit)), stopped
    return collected_search(searcher, parsed, limit, page, filter, sortedby, matched)


def collected_search(
    searcher: Searcher,
    parsed: wq.Query,
    limit: int | None,
    page: int,
    filter: wq.Query | None = None,
    sortedby=None,
    matched: list[int] | None = None,
) -> tuple[Results, list, bool]:
    """`budgeted_search` through Whoosh's collectors, every match stepped through and scored (any query)."""
    wanted = None if limit is None else page * limit
    # Whoosh's Searcher.collector() with the budget inside, and no block-quality skipping: that leaves
    # the total unknown, and Whoosh would then count it by running the query again, outside any budget.
    if sortedby is not None:
        collector: collectors.Collector = collectors.SortingCollector(sortedby, limit=wanted)
    elif wanted is None or wanted >= searcher.doc_count():
        collector = collectors.UnlimitedCollector()
    else:
        # The same order as sorting them all: by score, then by record number. Every match counted: no
        # replacing the matcher by one without the parts that cannot reach the best score kept so far
        # (that would leave out of the total the records only those parts match).
        collector = collectors.TopCollector(wanted, usequality=False, replace=0)
    collector = _Budget(collector, TIME_BUDGET)
    if matched is not None:
        collector = _Recorder(collector, matched)
    if filter is not None:
        reader = searcher.reader()
        if filter.estimate_size(reader) * _STEP_THROUGH_BELOW < parsed.estimate_size(reader):
            parsed = wq.And([parsed, _Within(filter)])
        else:  # most of the query's records pass: checking each against the filter's set costs less
            collector = collectors.FilterCollector(collector, filter)
    stopped = False
    try:
        searcher.search_with_collector(parsed, collector)
    except TimeLimit:
        stopped = True
    results = collector.results()
    chosen = list(results) if limit is None else list(ResultsPage(results, page, limit))
    return results, chosen, stopped


def stopped_notice() -> str:
    """What a search says when its budget ran out."""
    return f"search stopped after {TIME_BUDGET:g} s; narrow the query"
