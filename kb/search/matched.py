"""A ranked query made only of words joined by AND, OR and NOT (AndNot): its matched records from the words'
posting lists as sets, and its best hits scored by Whoosh's own matchers, only where they can rank.

Whoosh's collector steps every word's postings together in Python and scores every match, some thirty
calls a match (at 10,000 records, `access AND policy` matched 4,354 records, 40 ms). Here each word's
postings are read whole, its records and term frequencies (kb.search.decoded, once per segment), the
matched records are set operations on them, and each matched record gets an estimate of its BM25 score
(the same formula, summed in another order: equal but for the last bits). Only the records whose
estimate comes within a margin far wider than those bits of the best `wanted` estimates are then scored
by the query's own matcher, as Whoosh's collector scores them: the same hits, scores, order and total.

Any other query (phrases, prefixes, ranges, another weighting) answers None: the caller searches as before.
"""

from __future__ import annotations

import heapq
import math
import time
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from itertools import chain

from whoosh import query as wq
from whoosh.matching import ListMatcher, ReadTooFar
from whoosh.reading import SegmentReader
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.searching import Results, Searcher
from whoosh.util.numeric import byte_to_length

from kb.search.codec import LengthsReader
from kb.search.decoded import decode, keep, kept
from kb.search.parsing import ExactFirst

# Different words (and forms of them) a query may read here: past it, the collector's time budget is the safer way.
MAX_WORDS = 32
# How far below the last ranked estimate a record is still scored exactly, relative to the best
# estimate: summing the same positive scores in another order changes only the last bits (about
# 1e-16 of the sum each), so any record that could rank is within it.
MARGIN = 1e-9

_LENGTHS = [byte_to_length(b) if b else 0 for b in range(256)]


class _Unsupported(Exception):
    """The query has a part this path does not evaluate."""


class _OutOfTime(Exception):
    """The query's time budget ran out before a segment was read."""


class _Segment:
    """One segment's postings and field lengths, read once per query."""

    def __init__(self, searcher: Searcher, deadline: float = math.inf):
        self.searcher = searcher
        self.deadline = deadline
        self.reader = searcher.reader()
        if not isinstance(self.reader, SegmentReader):
            raise _Unsupported
        self.deleted = self.reader.deleted_docs_set
        self.postings: dict[tuple[str, bytes], dict[int, float]] = {}
        self.lengths: dict[str, Sequence[int] | None] = {}
        self.expansions: dict[ExactFirst, wq.Query] = {}

    def live(self) -> set[int]:
        """Every record of the segment but the deleted ones."""
        return set(range(self.reader.doc_count_all())) - self.deleted

    def expanded(self, q: ExactFirst) -> wq.Query:
        """The word's query in plain Whoosh terms for this segment (as its matcher expands it)."""
        found = self.expansions.get(q)
        if found is None:
            found = self.expansions[q] = q.expanded(self.reader)
        return found

    def term(self, fieldname: str, text) -> dict[int, float]:
        """The live records that have the word, with its frequency in each."""
        schema = self.searcher.schema
        if fieldname not in schema:
            return {}
        try:
            btext = schema[fieldname].to_bytes(text)
        except ValueError:
            return {}
        return self.term_bytes(fieldname, btext)

    def term_bytes(self, fieldname: str, btext: bytes) -> dict[int, float]:
        """`term`, of the word as the index stores it."""
        key = (fieldname, btext)
        found = self.postings.get(key)
        if found is None:
            if len(self.postings) >= MAX_WORDS:
                raise _Unsupported
            found = self.postings[key] = self._read(fieldname, btext)
        return found

    def _read(self, fieldname: str, btext: bytes) -> dict[int, float]:
        if (fieldname, btext) not in self.reader:
            return {}
        key = (self.reader.segment().segment_id(), self.reader.doc_count_all(), fieldname, btext)
        decoded = kept(key)
        if decoded is None:
            if time.monotonic() > self.deadline:
                raise _OutOfTime
            decoded = decode(self.reader, fieldname, btext)
            keep(key, decoded)
        found = dict(zip(*decoded, strict=True))
        for docnum in self.deleted & found.keys() if self.deleted else ():
            del found[docnum]
        return found

    def length_bytes(self, fieldname: str) -> Sequence[int] | None:
        """Each record's length of the field as a byte (Whoosh's coding of lengths), or None when the
        reader has no such column to hand: then ask it record by record."""
        if fieldname not in self.lengths:
            column = None
            perdoc = getattr(self.reader, "_perdoc", None)
            if isinstance(perdoc, LengthsReader):
                perdoc.doc_field_length(0, fieldname)  # loads the column
                column = perdoc._lengths.get(fieldname)
            self.lengths[fieldname] = column
        return self.lengths[fieldname]


def _matches(q: wq.Query, seg: _Segment) -> AbstractSet[int]:
    """The live records of the segment that `q` matches."""
    kind = type(q)
    if kind is ExactFirst:
        return _matches(seg.expanded(q), seg)
    if kind is wq.Term:
        if q.minquality:
            raise _Unsupported
        return seg.term(q.fieldname, q.text).keys()
    if kind is wq.And or kind is wq.Or:
        if kind is wq.Or and (q.minmatch or q.scale):
            raise _Unsupported
        parts = [_matches(sub, seg) for sub in q.subqueries]
        if len(parts) < 2:
            return parts[0] if parts else set()
        if kind is wq.And:
            parts.sort(key=len)
            every = parts[0] & parts[1]
            for part in parts[2:]:
                every &= part
            return every
        anyone = parts[0] | parts[1]
        for part in parts[2:]:
            anyone |= part
        return anyone
    if kind is wq.AndNot:
        return _matches(q.a, seg) - _matches(q.b, seg)
    if kind is wq.Not:
        return seg.live() - _matches(q.query, seg)
    raise _Unsupported


def _estimates(q: wq.Query, seg: _Segment, within: AbstractSet[int]) -> dict[int, float]:
    """An estimate of the score `q` gives each record of `within` that it matches (BM25, as Whoosh's)."""
    kind = type(q)
    if kind is ExactFirst:
        return _estimates(seg.expanded(q), seg, within)
    if kind is wq.Term:
        found = seg.term(q.fieldname, q.text)
        if not found:
            return {}
        searcher = seg.searcher
        field = searcher.schema[q.fieldname]
        scorer = searcher.weighting.scorer(searcher, q.fieldname, field.to_bytes(q.text))
        if type(scorer) is not BM25FScorer:
            raise _Unsupported
        k1, b, boost = scorer.K1, scorer.B, q.boost
        if boost <= 0 or scorer.idf < 0:
            raise _Unsupported
        top = boost * scorer.idf * (k1 + 1)
        base, per_length = k1 * (1 - b), k1 * b / scorer.avgfl
        column = seg.length_bytes(q.fieldname)
        # The length's part of the denominator: by length byte, or by record when there is no column.
        below: Mapping[int, float] | Sequence[float]
        key: Mapping[int, int] | Sequence[int]
        if column is None:
            length, name = seg.reader.doc_field_length, q.fieldname
            below = {d: base + per_length * length(d, name, 1) for d in within & found.keys()}
            key = {d: d for d in below}
        else:
            below, key = [base + per_length * n for n in _LENGTHS], column
        if 2 * len(within) < len(found):
            return {d: top * found[d] / (found[d] + below[key[d]]) for d in within & found.keys()}
        return {d: top * w / (w + below[key[d]]) for d, w in found.items() if d in within}
    if kind is wq.And or kind is wq.Or:
        parts = [_estimates(sub, seg, within) for sub in q.subqueries]
        summed = _summed(parts, kind is wq.And)
        if q.boost != 1.0:
            if q.boost <= 0:
                raise _Unsupported
            summed = {d: s * q.boost for d, s in summed.items()}
        return summed
    if kind is wq.AndNot:
        return _estimates(q.a, seg, within - _matches(q.b, seg))
    if kind is wq.Not:  # Whoosh's inverse matcher scores each record it matches 1
        return dict.fromkeys(within - _matches(q.query, seg), 1.0)
    raise _Unsupported


def _summed(parts: list[dict[int, float]], every: bool) -> dict[int, float]:
    """The scores of the parts added: of the records in every part (`every`), or in any."""
    if not parts:
        return {}
    first, rest = parts[0], parts[1:]
    if every:
        keep: AbstractSet[int] = first.keys()
        for part in rest:
            if len(part) < len(keep) or not keep <= part.keys():
                keep = keep & part.keys()
        total = {d: first[d] for d in keep} if len(keep) < len(first) else dict(first)
    else:
        total = dict(first)
    for part in rest:
        if every:
            for d in total:
                total[d] += part[d]
        else:
            get = total.get
            for d, s in part.items():
                total[d] = get(d, 0.0) + s
    return total


class _Counted(Results):
    """Results whose total is known without a collector."""

    def __init__(self, searcher: Searcher, q: wq.Query, top_n: list, matched: Iterable[int]):
        super().__init__(searcher, q, top_n, docset=set(matched))
        self._total = len(self.docset)


def _words_only(q: wq.Query, schema) -> bool:
    # Words of fields scored by their frequency and length (BM25): a keyword field (customer:, kind:)
    # scores otherwise, and is left to the collector.
    kind = type(q)
    if kind is ExactFirst:
        return _words_only(q.child, schema)
    if kind is wq.Term:
        return q.fieldname in schema and schema[q.fieldname].scorable
    if kind is wq.And or kind is wq.Or:
        return all(_words_only(sub, schema) for sub in q.subqueries)
    if kind is wq.AndNot:
        return _words_only(q.a, schema) and _words_only(q.b, schema)
    return kind is wq.Not and _words_only(q.query, schema)


def matched_search(
    searcher: Searcher,
    parsed: wq.Query,
    wanted: int,
    filter: wq.Query | None = None,
    deadline: float = math.inf,
) -> tuple[Results, list[int], bool] | None:
    """The best `wanted` hits of a query of words (by score, then record number, as Whoosh's collector
    ranks them), the number of every record it matches (of those the `filter` query allows, when given),
    and whether the clock (time.monotonic) passed `deadline`: then the segments read by then answer.
    None when the query is not only words joined by AND, OR and NOT: then search as before."""
    if (
        type(searcher.weighting) is not BM25F
        or searcher.weighting.use_final
        or not _words_only(parsed, searcher.schema)
    ):
        return None
    allowed = None if filter is None else set(searcher.docs_for_query(filter))
    stopped = False
    try:
        segments = [(_Segment(sub, deadline), offset) for sub, offset in searcher.leaf_searchers()]
        matched: list[int] = []
        per_segment: list[tuple[_Segment, int, AbstractSet[int], dict[int, float]]] = []
        for seg, offset in segments:
            try:
                if time.monotonic() > deadline:
                    raise _OutOfTime
                found = _matches(parsed, seg)
            except _OutOfTime:
                stopped = True
                break
            if allowed is not None:
                found = {d for d in found if d + offset in allowed}
            if not found:
                continue
            guess = _estimates(parsed, seg, found)
            if guess.keys() != found:  # the two readings disagree: let Whoosh answer
                return None
            matched.extend(map(offset.__add__, found))
            per_segment.append((seg, offset, found, guess))
    except _Unsupported:
        return None
    top_n: list[tuple[float, int]] = []
    if matched:
        ranked = heapq.nlargest(wanted, chain.from_iterable(guess.values() for _, _, _, guess in per_segment))
        best, last = ranked[0], ranked[-1]
        bar = last - MARGIN * max(abs(best), abs(last))
        scored: list[tuple[float, int]] = []
        context = searcher.context()
        for seg, offset, _, guess in per_segment:
            candidates = sorted(d for d, s in guess.items() if s >= bar)
            if not candidates:
                continue
            try:
                exact = _exact_scores(parsed, seg, context, candidates)
            except _Unsupported:
                return None
            if exact is None:
                return None
            scored.extend((s, d + offset) for d, s in exact)
        scored.sort(key=lambda item: (-item[0], item[1]))
        top_n = scored[:wanted]
    return _Counted(searcher, parsed, top_n, matched), matched, stopped


class _ReadSearcher:
    """A segment's searcher whose postings are those the segment read already, as a list matcher with the
    scorer Whoosh's own `Searcher.postings` gives the word: the query's own matcher built on it steps
    through the same records with the same frequencies, and so scores as it does on the index, without
    decoding each block again."""

    def __init__(self, seg: _Segment):
        self._seg = seg
        self._searcher = seg.searcher

    def __getattr__(self, name: str):
        return getattr(self._searcher, name)

    def postings(self, fieldname: str, text: bytes, weighting=None, qf=1) -> _Postings:
        """The word's live records and frequencies, scored by the weighting's scorer for this segment."""
        searcher = self._searcher
        scorer = (weighting or searcher.weighting).scorer(searcher, fieldname, text, qf=qf)
        found = self._seg.term_bytes(fieldname, text)
        terminfo = searcher.reader().term_info(fieldname, text)
        return _Postings(list(found), list(found.values()), scorer=scorer, term=(fieldname, text), terminfo=terminfo)


class _Postings(ListMatcher):
    """Whoosh's list matcher, skipping ahead by bisection (its own steps one record at a time)."""

    def skip_to(self, id) -> None:
        """To the first record from `id` on."""
        if not self.is_active():
            raise ReadTooFar
        at: int = self._i  # type: ignore[has-type]  # Whoosh's attribute, set in its __init__
        if id > self._ids[at]:
            self._i = bisect_left(self._ids, id, at)


def _exact_scores(parsed: wq.Query, seg: _Segment, context, docs: list[int]) -> list[tuple[int, float]] | None:
    """The score the query's own matcher gives each of `docs` (in increasing order), or None when the
    matcher does not match one of them."""
    m = parsed.matcher(_ReadSearcher(seg), context)
    found = []
    for docnum in docs:
        if not m.is_active():
            return None
        if m.id() < docnum:
            m.skip_to(docnum)
            if not m.is_active():
                return None
        if m.id() != docnum:
            return None
        found.append((docnum, m.score()))
    return found
