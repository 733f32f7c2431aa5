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
        self.last_document = 0
        # Every posting came with a document number no lower than the one before (Whoosh's -1, a word for
        # the spelling graph and not a posting, is lower than any).
        self.in_order = True

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

    def iter_terms(self) -> Iterator[TermPostings]:
        """Each term (field, term, its postings as one flat list of document, weight, value), sorted by
        field and term, its postings by document number."""
        if self.runs:
            self.save()
            runs, self.runs = self.runs, []
            terms = self._merged(runs)
        else:
            terms = self._sorted_terms()
        if self.in_order:
            return terms
        return self._sorted_postings(terms)

    def iter_postings(self) -> Iterator[Posting]:
        """Every posting, sorted by field, term and document number, as Whoosh's codec takes them (less
        the words for a spelling graph, which it skips)."""
        for fieldname, term, flat in self.iter_terms():
            triples = iter(flat)
            for docnum, weight, value in zip(triples, triples, triples, strict=True):
                yield fieldname, term, docnum, weight, value

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

    @staticmethod
    def _sorted_postings(terms: Iterable[TermPostings]) -> Iterator[TermPostings]:
        """Postings added out of document order (a merged segment) sorted as Whoosh sorts them, without
        the words for a spelling graph (document -1), which Whoosh's writer skips."""
        for fieldname, term, flat in terms:
            triples = iter(flat)
            postings = sorted(posting for posting in zip(triples, triples, triples, strict=True) if posting[0] != -1)
            if postings:
                yield fieldname, term, [one for posting in postings for one in posting]


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
    """Whoosh's segment writer with its postings gathered by term (TermPool), and written term by term."""

    def __init__(self, ix, limitmb: int = 128, **kwargs):
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = TermPool(self._tempstorage.folder, limitmb)

    def _flush_segment(self) -> None:
        """SegmentWriter._flush_segment, with the postings handed over a term at a time."""
        self.perdocwriter.close()
        lengths = self.per_document_reader() if self.codec.length_stats else None
        write_terms(self.fieldwriter, self.schema, lengths, self.pool.iter_terms())
        self.fieldwriter.close()
        if lengths is not None:
            lengths.close()


def write_terms(fieldwriter, schema, lengths, terms: Iterable[TermPostings]) -> None:
    """Whoosh's FieldWriter.add_postings for terms in order with their postings: the same calls, without
    finding each term's first posting again among all of them."""
    length_of = lengths.doc_field_length if lengths is not None else (lambda docnum, fieldname: 0)
    field = None
    for fieldname, term, flat in terms:
        if fieldname != field:
            if field is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            field = fieldname
        fieldwriter.start_term(term)
        add = fieldwriter.add
        triples = iter(flat)
        for docnum, weight, value in zip(triples, triples, triples, strict=True):
            add(docnum, weight, b"" if value is None else value, length_of(docnum, fieldname))
        fieldwriter.finish_term()
    if field is not None:
        fieldwriter.finish_field()
