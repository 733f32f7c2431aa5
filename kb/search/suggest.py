"""Did you mean: for a query that found nothing, the query with each word the index does not know
replaced by the closest one it does, and each value of a keyword field (customer:, status:, tag:...)
that no record has replaced by the closest value records have; offered only when that finds something."""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable
from itertools import islice

from whoosh import query as wq
from whoosh.searching import Searcher

from kb.records.fields import QUESTION_KEYS
from kb.search import limits
from kb.search.analyzer import stem_word
from kb.search.index import DEFAULT_FIELD, STORED_TEXT_FIELDS

# Fields whose value is one word of a closed set: a value no record has gets the closest one records have.
KEYWORD_FIELDS = ("customer", "status", "kind", "type", "stage", "tag")
# A free word of the query: not a field name, a field's value, a prefix* or part of a range.
_FREE_WORD = re.compile(r"(?<![\w:*\[{-])[^\W\d_]{3,}(?![\w:*-])")
_FIELD_VALUE = re.compile(r"(?<![\w:])(" + "|".join(KEYWORD_FIELDS) + r"):([^\s\"'()\[\]{}<>*?~^]+)(?=[\s)]|$)")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}
# Unknown words looked up at most: a query of more is not a typo, and each costs a scan of the words.
MAX_UNKNOWN_WORDS = 8


def did_you_mean(
    searcher: Searcher, text: str, parse: Callable[[str], wq.Query], filter_query: wq.Query | None
) -> str | None:
    """The query corrected word by word and value by value, if that corrected query finds hits."""
    reader = searcher.reader()
    corrected = _FIELD_VALUE.sub(lambda match: _closest_value(reader, match), text)
    corrector = _WordCorrector(searcher, time.monotonic() + limits.TIME_BUDGET)
    corrected = _FREE_WORD.sub(corrector, corrected)
    if corrected == text or corrector.gave_up:
        return None
    again, _, _ = limits.budgeted_search(searcher, parse(corrected), 1, 1, filter=filter_query)
    return corrected if len(again) else None


def _closest_value(reader, match: re.Match) -> str:
    name, value = match.group(1), match.group(2).lower()
    if name not in reader.indexed_field_names() or reader.doc_frequency(name, value):
        return match.group(0)
    values = [v.decode("utf-8") if isinstance(v, bytes) else v for v in reader.lexicon(name)]
    # A value typed short ("northwind" for "northwind-traders") is the beginning of the one meant.
    longer = sorted((v for v in values if v.startswith(value)), key=lambda v: (-reader.doc_frequency(name, v), v))
    close = longer[:1] or difflib.get_close_matches(value, values, n=1, cutoff=0.6)
    return f"{name}:{close[0]}" if close else match.group(0)


class _WordCorrector:
    """Replaces a word the index does not know by the closest known one (called on each word's match).

    The index holds stems, so a word is stemmed, the nearest stems (edit distance 1, then 2; ties
    to the more frequent) are looked up, and the suggestion shows a real word of a record with that stem.
    It gives up past MAX_UNKNOWN_WORDS unknown words or past the deadline.
    """

    def __init__(self, searcher: Searcher, deadline: float):
        self.reader = searcher.reader()
        present = set(self.reader.indexed_field_names())
        self.names = [name for name in (DEFAULT_FIELD, *QUESTION_KEYS, "title", "person") if name in present]
        self.analyzer = searcher.schema[DEFAULT_FIELD].analyzer
        self.deadline = deadline
        self.unknown = 0
        self.gave_up = False

    def frequency(self, stem: str) -> int:
        return sum(self.reader.doc_frequency(name, stem) for name in self.names)

    def __call__(self, match: re.Match) -> str:
        word = match.group(0)
        stems = [token.text for token in self.analyzer(word.lower())]
        if word in _OPERATORS or not stems or self.frequency(stems[0]):
            return word
        self.unknown += 1
        if self.unknown > MAX_UNKNOWN_WORDS or time.monotonic() > self.deadline:
            self.gave_up = True
        if self.gave_up:
            return word
        stem, reader = stems[0], self.reader
        for distance in (1, 2):
            # Typos seldom touch the first letter: holding it keeps the search among few terms.
            found = {t for name in self.names for t in reader.terms_within(name, stem, distance, prefix=1)}
            found.discard(stem)
            if found:
                best = max(sorted(found), key=self.frequency)
                return _surface_word(reader, self.names, best, word.lower()) or word
        return word


def _surface_word(reader, names: list[str], stem: str, typed: str) -> str | None:
    """The word, as written in the records, whose stem is `stem` and that is closest to what was
    typed ("spreadsheats" → "spreadsheets", not "spreadsheet")."""
    forms: set[str] = set()
    for name in names:
        if not reader.doc_frequency(name, stem):
            continue
        for docnum in islice(reader.postings(name, stem).all_ids(), 20):
            stored = reader.stored_fields(docnum)
            text = " ".join(stored.get(field) or "" for field in STORED_TEXT_FIELDS).lower()
            forms.update(word for word in re.findall(r"\w+", text) if stem_word(word) == stem)
        if forms:
            break
    if not forms:
        return None
    return max(sorted(forms), key=lambda form: difflib.SequenceMatcher(None, typed, form).ratio())
