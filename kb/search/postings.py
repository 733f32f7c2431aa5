"""The postings of a new segment, gathered by term while a rebuild writes it.

Whoosh's writer keeps every posting as its own tuple (field, term, document, weight, value) in one list,
sorts the list, and past its memory limit writes it to a run file one pickled posting at a time, then
merges the runs posting by posting: at 10,000 records that is most of the index writer's time. `TermPool`
keeps each term once, with its postings in one flat list (document numbers grow as documents are added,
so a term's postings are in order already); it sorts the terms, not the postings, and a run holds whole
terms, written and read in marshalled chunks and merged term by term. The segment it writes holds the
same postings in the same order: only the way to them changed.
"""

from __future__ import annotations

import heapq
import marshal
import os
from collections.abc import Iterable, Iterator
from operator import itemgetter

from whoosh.writing import SegmentWriter

# What a term and a posting cost in memory (64-bit CPython, 3.11), to write a run past `limitmb`: a new
# term its key, its list and a dictionary slot; each posting three slots of a list (and its value, when
# it has one, counted apart).
TERM_BYTES = 190
POSTING_BYTES = 28
VALUE_BYTES = 33  # a bytes object, beside its length
# Terms a marshalled chunk of a run holds: one chunk of each run is in memory while they are merged.
CHUNK_TERMS = 2048

Posting = tuple[str, bytes, int, float, bytes | None]
TermPostings = tuple[str, bytes, list]

_TERM_KEY = itemgetter(0, 1)


class TermPool:
    """A segment's postings by field and term, in place of Whoosh's PostingPool (`add`, `iter_postings`,
    `fieldnames`, `cleanup`)."""

    def __init__(self, folder: str, limitmb: int):
        self.folder = folder
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.fields: dict[str, dict[bytes, list]] = {}
        self.fieldnames: set[str] = set()
        self.runs: list[str] = []
        # One float object per weight: most weights are the same few numbers.
        self.weights: dict[float, float] = {}
        self.last_document = -1
        self.in_order = True  # every posting came with a document number no lower than the one before

    def add(self, item: Posting) -> None:
        """Add one posting (field, term, document number, weight, value)."""
        fieldname, term, docnum, weight, value = item
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        if weight.__class__ is float:
            weight = self.weights.setdefault(weight, weight)
        postings = terms.get(term)
        if postings is None:
            terms[term] = [docnum, weight, value]
            self.size += TERM_BYTES + len(term)
        else:
            postings += (docnum, weight, value)
            self.size += POSTING_BYTES
        if value:
            self.size += VALUE_BYTES + len(value)
        if docnum < self.last_document:
            self.in_order = False
        else:
            self.last_document = docnum
        if self.size > self.limit:
            self.save()

    def save(self) -> None:
        """Write the terms in memory to a run file, in order, and forget them."""
        if not self.fields:
            return
        path = os.path.join(self.folder, f"{os.getpid()}-{os.urandom(8).hex()}.terms")
        with open(path, "wb") as run:
            chunk: list[TermPostings] = []
            for one in self._sorted_terms():
                chunk.append(one)
                if len(chunk) >= CHUNK_TERMS:
                    marshal.dump(chunk, run)
                    chunk = []
            if chunk:
                marshal.dump(chunk, run)
        self.runs.append(path)
        self.fields = {}
        self.size = 0

    def iter_postings(self) -> Iterator[Posting]:
        """Every posting, sorted by field, term and document number, as Whoosh's codec takes them."""
        if not self.runs:
            return self._postings(self._sorted_terms())
        self.save()
        runs, self.runs = self.runs, []
        return self._postings(self._merged(runs))

    def cleanup(self) -> None:
        """Remove the run files not read."""
        for path in self.runs:
            try:
                os.remove(path)
            except OSError:
                pass
        self.runs = []

    def _sorted_terms(self) -> Iterator[TermPostings]:
        for fieldname in sorted(self.fields):
            terms = self.fields[fieldname]
            for term in sorted(terms):
                yield fieldname, term, terms[term]

    def _merged(self, runs: list[str]) -> Iterator[TermPostings]:
        """The terms of the runs in order, a term's postings joined: heapq.merge keeps the order of the runs
        for equal keys, and a later run holds later documents."""
        last: TermPostings | None = None
        for one in heapq.merge(*(_read_run(path) for path in runs), key=_TERM_KEY):
            if last is not None and last[0] == one[0] and last[1] == one[1]:
                last[2].extend(one[2])
                continue
            if last is not None:
                yield last
            last = one
        if last is not None:
            yield last

    def _postings(self, terms: Iterable[TermPostings]) -> Iterator[Posting]:
        in_order = self.in_order
        for fieldname, term, flat in terms:
            triples = iter(flat)
            postings: Iterable[tuple] = zip(triples, triples, triples, strict=True)
            if not in_order:  # documents added out of order (a merged segment): sorted as Whoosh sorts them
                postings = sorted(postings)
            for docnum, weight, value in postings:
                yield fieldname, term, docnum, weight, value


def _read_run(path: str) -> Iterator[TermPostings]:
    try:
        with open(path, "rb") as run:
            while True:
                try:
                    chunk = marshal.load(run)
                except EOFError:
                    return
                yield from chunk
    finally:
        os.remove(path)


class TermPoolWriter(SegmentWriter):
    """Whoosh's segment writer with its postings gathered by term (TermPool)."""

    def __init__(self, ix, limitmb: int = 128, **kwargs):
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = TermPool(self._tempstorage.folder, limitmb)
