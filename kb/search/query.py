"""Queries over the index: parsing and checking a query, filters, ranked or dated hits with snippets,
facet counts, and "did you mean" when nothing is found."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain

from whoosh import index, qparser, sorting
from whoosh import query as wq
from whoosh.query.qcore import QueryError as WhooshQueryError
from whoosh.searching import Searcher

from kb.errors import KbError, QueryError
from kb.records.fields import QUESTION_KEYS
from kb.search.codec import KbIndex
from kb.search.index import DEFAULT_FIELD, STORED_TEXT_FIELDS
from kb.search.limits import budgeted_search, check_cost, stopped_notice
from kb.search.parsing import check_fields, check_query, make_parser
from kb.search.searchers import searchers
from kb.search.snippets import snippet
from kb.search.suggest import did_you_mean

FACETS = ("type", "customer", "status", "kind", "tag")


@dataclass
class Hit:
    """One record a query found: its stored facts, its score and the snippet of the field that matched."""

    path: str
    type: str
    slug: str
    customer: str
    title: str
    person: str  # a case study's person, as written
    date: dt.date | None
    status: str
    kind: str
    tags: list[str]
    score: float
    field: str
    snippet: str  # matched words between MARK_START and MARK_END


@dataclass
class SearchResult:
    """A query's hits (one page of them, or all), their total and facet counts."""

    query: str
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None  # "did you mean", when the query found nothing
    notice: str | None = None  # the search stopped at its time budget: the hits are those found by then


@dataclass
class Filters:
    """Filters beside the query: exact facet values and a date range."""

    type: str | None = None
    customer: str | None = None
    status: str | None = None
    kind: str | None = None
    tag: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def query(self) -> wq.Query | None:
        """The filters as one Whoosh query, or None when none is set."""
        terms: list[wq.Query] = []
        for name in ("type", "customer", "status", "kind", "tag"):
            value = getattr(self, name)
            if value:
                terms.append(wq.Term(name, value.lower()))
        if self.since or self.until:
            start = dt.datetime.combine(self.since, dt.time()) if self.since else None
            end = dt.datetime.combine(self.until, dt.time.max) if self.until else None
            terms.append(wq.DateRange("date", start, end))
        return wq.And(terms) if terms else None


def _parser(ix: index.Index | Searcher) -> qparser.QueryParser:
    return make_parser(ix.schema)


def parse_query(ix: index.Index | Searcher, text: str) -> wq.Query:
    """Parse a query (with an index's schema, or a searcher's); a query that cannot be read raises
    QueryError with the reason."""
    check_query(text)
    date_hint = (
        f"cannot read the dates in {text!r}: write date:2026-03-02, date:[2026-03-01 to 2026-03-31] or date:>2026-03-01"
    )
    with index_failures():
        parser = _parser(ix)  # reads the schema from the index's table of contents
    try:
        parsed = parser.parse(text)
    except Exception as exc:  # Whoosh raises bare ValueError or TimeError for a date range it cannot read
        raise QueryError(date_hint if "date:" in text else f"cannot read the query {text!r}: {exc}") from None
    if "date:" in text and _mentions_null_date(parsed):
        raise QueryError(date_hint)
    return parsed


def _mentions_null_date(q: wq.Query) -> bool:
    # An unreadable date becomes a fresh _NullQuery carrying the error, not the NullQuery singleton.
    if isinstance(q, type(wq.NullQuery)):
        return True
    if q.is_leaf():
        return False
    children = list(q.children())
    return len(children) == 0 or any(_mentions_null_date(child) for child in children)


class IndexUnreadable(KbError):
    """The index failed to read: one of its files is damaged. Rebuilding `.kb/` mends it."""

    http_status = 503


@contextmanager
def index_failures() -> Iterator[None]:
    """Turn any failure to read the index into IndexUnreadable.

    A damaged file fails in many ways (pickle, struct, zlib, UTF-8, even AttributeError from a garbled
    table of contents), so every exception counts but kb's own errors and a file that another kb
    process's commit removed meanwhile (opening the index again finds its new state).
    """
    try:
        yield
    except (KbError, FileNotFoundError):
        raise
    except Exception as exc:
        raise IndexUnreadable(f"the search index cannot be read ({type(exc).__name__})") from exc


def searcher_for(ix: KbIndex) -> None:
    """Hold the index object to the version of the index it reads now: every later query on it answers
    from that version, however many commits come meanwhile (open the index again to read a newer one).
    Otherwise each query reads the latest commit (kb.search.searchers). A searcher is opened now, so that
    a damaged file fails here (IndexUnreadable), not in the middle of a page."""
    with index_failures():
        ix.freeze()
        with searchers(ix).searcher() as searcher:
            searcher.doc_count()


def search(
    ix: index.Index,
    text: str,
    filters: Filters | None = None,
    sort: str = "relevance",
    limit: int | None = 10,
    page: int = 1,
    facets: bool = True,
) -> SearchResult:
    """Run a query: ranked (or dated) hits with snippets, facet counts and a "did you mean".

    Raises QueryError for a query that cannot be read, IndexUnreadable when the index fails to read.
    """
    text = text.strip()
    with index_failures(), searchers(ix).searcher() as searcher:
        # The searcher's schema, not the index's: that one reads the table of contents again, which a
        # commit meanwhile may have removed.
        parsed = parse_query(searcher, text) if text else wq.Every()
        check_fields(parsed, searcher.schema, text)
        check_cost(parsed, searcher, text)
        try:
            return _search(searcher, text, parsed, filters, sort, limit, page, facets)
        except WhooshQueryError as exc:  # the query's fault, not the index's: never a rebuild
            raise QueryError(f"cannot read the query {text!r}: {exc}") from None


def _search(
    searcher: Searcher,
    text: str,
    parsed: wq.Query,
    filters: Filters | None,
    sort: str,
    limit: int | None,
    page: int,
    facets: bool,
) -> SearchResult:
    filter_query = (filters or Filters()).query()
    options: dict = dict(filter=filter_query)
    matched: list[int] | None = [] if facets else None
    if sort == "date":
        # Newest first, and records without a date (case studies) after every dated one:
        # Whoosh alone would put them first, as if they were the newest.
        options["sortedby"] = sorting.MultiFacet(
            [
                sorting.QueryFacet({"dated": wq.Every("date")}, other="undated"),
                sorting.FieldFacet("date", reverse=True),
            ]
        )
    results, chosen, stopped = budgeted_search(searcher, parsed, limit, page, matched=matched, **options)
    stems = _query_stems(parsed, searcher.reader())
    hits = [_hit(hit, stems) for hit in chosen]
    facet_counts = _facet_counts(searcher, matched) if matched is not None else {}
    suggestion = None
    if not len(results) and text and not stopped:
        suggestion = did_you_mean(searcher, text, lambda corrected: parse_query(searcher, corrected), filter_query)
    notice = stopped_notice() if stopped else None
    return SearchResult(text, hits, len(results), facet_counts, suggestion, notice)


def _query_stems(parsed: wq.Query, reader) -> dict[str, frozenset[str]]:
    """The indexed terms the query can match, by field (prefixes and wildcards expanded)."""
    # Query.existing_terms would do, but in Whoosh 2.7 it stops looking after the first field.
    found: dict[str, set[str]] = {}
    for leaf in parsed.leaves():
        try:
            terms = leaf.expanded_terms(reader, phrases=True)
        except Exception:  # a leaf without terms (Every, ranges): nothing to highlight
            continue
        for name, value in terms:
            if name in STORED_TEXT_FIELDS or name == DEFAULT_FIELD:
                found.setdefault(name, set()).add(value.decode("utf-8") if isinstance(value, bytes) else value)
    return {name: frozenset(values) for name, values in found.items()}


def _facet_counts(searcher: Searcher, matched: list[int]) -> dict[str, dict[str, int]]:
    """How many of the `matched` records have each value of each facet, most first."""
    values = _facet_values(searcher)
    counts = {}
    for name in FACETS:
        of_record = values[name]
        if name == "tag":
            counted = Counter(chain.from_iterable(map(of_record.__getitem__, matched)))
        else:
            counted = Counter(map(of_record.__getitem__, matched))
        counts[name] = _counts(counted)
    return counts


# The facet values of each record of a segment, by the segment's id: a segment never changes once written
# (a deletion only hides records), so they are read once, not at each search, nor at each searcher.
_SEGMENT_FACETS: OrderedDict[tuple[str, int], dict[str, list]] = OrderedDict()
_SEGMENT_FACETS_KEPT = 64
_SEGMENT_FACETS_LOCK = threading.Lock()


def _facet_values(searcher: Searcher) -> dict[str, list]:
    """Each facet's value(s) of every record of the searcher, by record number, as Whoosh names them."""
    values: dict[str, list] = {name: [] for name in FACETS}
    for segment_searcher, offset in searcher.leaf_searchers():  # in record-number order
        reader = segment_searcher.reader()
        segment = reader.segment() if reader.is_atomic() else None
        key = (segment.segment_id(), reader.doc_count_all()) if segment is not None else None
        found = None
        if key is not None:
            with _SEGMENT_FACETS_LOCK:
                found = _SEGMENT_FACETS.get(key)
                if found is not None:
                    _SEGMENT_FACETS.move_to_end(key)
        if found is None:
            found = _read_facets(searcher, segment_searcher, offset)
            if key is not None:
                with _SEGMENT_FACETS_LOCK:
                    _SEGMENT_FACETS[key] = found
                    while len(_SEGMENT_FACETS) > _SEGMENT_FACETS_KEPT:
                        _SEGMENT_FACETS.popitem(last=False)
        for name in FACETS:
            values[name].extend(found[name])
    return values


def _read_facets(searcher: Searcher, segment_searcher: Searcher, offset: int) -> dict[str, list]:
    # Whoosh's own categorizers, as its facet collector uses them: the same names for the same records.
    found: dict[str, list] = {}
    records = range(segment_searcher.reader().doc_count_all())
    for name in FACETS:
        categorizer = sorting.FieldFacet(name, allow_overlap=(name == "tag")).categorizer(searcher)
        categorizer.set_searcher(segment_searcher, offset)
        to_name = categorizer.key_to_name
        if categorizer.allow_overlap:
            found[name] = [tuple(to_name(key) for key in categorizer.keys_for(None, d)) for d in records]
        else:
            found[name] = [to_name(categorizer.key_for(None, d)) for d in records]
    return found


def _counts(counted: Counter) -> dict[str, int]:
    kept = {str(k): n for k, n in counted.items() if k not in (None, "")}
    return dict(sorted(kept.items(), key=lambda item: (-item[1], item[0])))


def _hit(hit, stems: dict[str, frozenset[str]]) -> Hit:
    stored = hit.fields()
    text, matched = "", ""
    anywhere = stems.get(DEFAULT_FIELD, frozenset())
    for name in (*QUESTION_KEYS, "content", "person", "title"):
        wanted = anywhere | stems.get(name, frozenset())
        if wanted and stored.get(name):
            text = snippet(stored[name], wanted) or ""
            if text:
                matched = name
                break
    if not text:
        body = stored.get("content") or next((stored.get(k) for k in QUESTION_KEYS if stored.get(k)), "")
        text = " ".join(body.split())[:200]
    day = stored.get("date")
    return Hit(
        path=stored["path"],
        type=stored["type"],
        slug=stored["slug"],
        customer=stored.get("customer", ""),
        title=stored.get("title", ""),
        person=stored.get("person") or stored.get("speaker", ""),
        date=day.date() if day else None,
        status=stored.get("status", ""),
        kind=stored.get("kind", ""),
        tags=[t for t in (stored.get("tag") or "").split(",") if t],
        # Sorted by date, Whoosh puts the sort key where the score goes: no relevance then.
        score=float(hit.score) if isinstance(hit.score, (int, float)) else 0.0,
        field=matched,
        snippet=text,
    )
