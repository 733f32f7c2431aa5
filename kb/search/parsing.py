"""Reading a query: the fields it may name, what Whoosh would misread (refused with the reason), and kb's
parser, which ranks a record that has the very word typed above one that has only a word of the same
stem ("experiment" above "experience")."""

from __future__ import annotations

import re
from itertools import islice

from whoosh import fields, matching, qparser
from whoosh import query as wq
from whoosh.matching.binary import IntersectionMatcher
from whoosh.util import make_binary_tree

from kb.errors import QueryError, did_you_mean
from kb.records.fields import QUESTION_KEYS
from kb.search.analyzer import PAIR_SEPARATOR, is_common, stem_word
from kb.search.index import DEFAULT_FIELD, EXACT_FIELD, PAIRS_FIELD

# Fields a query may name, beyond the five questions.
QUERY_FIELDS = (
    "type",
    "slug",
    "customer",
    "status",
    "stage",
    "kind",
    "tag",
    "owner",
    "person",
    "people",
    "speaker",
    "name",
    "source",
    "title",
    "content",
    "date",
)
# How much more a word as typed weighs than a word of the same stem. BM25 gives a word at most about
# 2.2 times what one mention gives, however often it comes: 10 puts a record that has the word typed
# ahead of one with only other words of its stem, unless the first is many times the longer.
EXACT_BOOST = 10.0
# Words of the `exact` field looked at for the other forms of a stem: a short stem begins many words.
_MAX_FORMS_SCANNED = 2000
_COMPARISON = re.compile(r"(?<=\w:)(?:[<>]=?|=[<>])")


class ExactFirst(wq.WrappingQuery):
    """A free word: the records that have its stem (the child, a term of `all`), those that have the word
    as typed weighing more.

    The `exact` field holds a record's words as written only where its stem alone does not tell them
    apart (kb.search.analyzer.varied_words). So a word unlike its stem ("experiment") is found there
    as typed; a word that is its own stem ("audit") is in a record as typed when the record has it
    there, or has none of the stem's other forms at all.
    """

    def __init__(self, child: wq.Query, word: str):
        super().__init__(child)
        self.word = word

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.child == self.child and other.word == self.word

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.child, self.word))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.child!r}, {self.word!r})"

    @property
    def boost(self) -> float:
        """The word's boost (word^2), the child's."""
        return self.child.boost

    @boost.setter
    def boost(self, value: float) -> None:
        self.child.boost = value

    def _rewrap(self, child: wq.Query) -> ExactFirst:
        return type(self)(child, self.word)

    def matcher(self, searcher, context=None):
        """The matcher of the stem or, weighing more, the word as typed."""
        q = self.expanded(searcher.reader())
        if isinstance(q, wq.Or) and len(q.subqueries) == 2 and q.boost == 1.0:
            # The stem and the word as typed: every record with the word has its stem (both fields are
            # made from the same words), so the stem's records, each plus the typed word's score where
            # it has it: the sum Whoosh's union makes, without stepping two matchers together.
            stem, typed = q.subqueries
            return _with_bonus(stem.matcher(searcher, context), typed.matcher(searcher, context))
        return q.matcher(searcher, context)

    def expanded(self, reader) -> wq.Query:
        """The query in plain Whoosh terms, for this reader's words."""
        stem = self.child
        if not isinstance(stem, wq.Term) or EXACT_FIELD not in reader.schema:
            return stem
        boost = stem.boost * EXACT_BOOST
        typed = wq.Term(EXACT_FIELD, self.word, boost=boost)
        if self.word != stem.text:
            return wq.Or([stem, typed])
        others = [form for form in _forms(reader, stem.text) if form != self.word]
        if not others:  # no record has another form: every record with the stem has the word as typed
            return stem
        only_itself = wq.AndNot(
            wq.Term(DEFAULT_FIELD, stem.text, boost=boost), wq.Or([wq.Term(EXACT_FIELD, o) for o in others])
        )
        return wq.Or([stem, typed, only_itself])


def _with_bonus(stem: matching.Matcher, typed: matching.Matcher) -> matching.Matcher:
    return _Bonus(stem, typed) if typed.is_active() else stem


class _Bonus(matching.WrappingMatcher):
    """A matcher's records, each scored its own score plus the typed word's score where the record has
    it (as a union adds two scores). The typed word's matcher is moved on only when a record is scored,
    to that record: a query that scores few of its matches reads few of the word's postings."""

    def __init__(self, child: matching.Matcher, typed: matching.Matcher):
        super().__init__(child)
        self.typed = typed

    def copy(self):
        """A copy at the same record."""
        return _Bonus(self.child.copy(), self.typed.copy())

    def replace(self, minquality=0):
        """Itself while active (every record is counted)."""
        return self if self.is_active() else matching.NullMatcher()

    def supports_block_quality(self) -> bool:
        """No: the bonus is not in the child's blocks."""
        return False

    def max_quality(self) -> float:
        """At most the child's best plus the typed word's best."""
        return self.child.max_quality() + self.typed.max_quality()

    def score(self) -> float:
        """The child's score, plus the typed word's score in this record."""
        docnum = self.child.id()
        typed = self.typed
        if typed.is_active() and typed.id() < docnum:
            typed.skip_to(docnum)
        if typed.is_active() and typed.id() == docnum:
            return self.child.score() + typed.score()
        return self.child.score()


def _forms(reader, stem: str) -> list[str]:
    """The words of the `exact` field whose stem is `stem`."""
    # A Porter stem begins its words but for a changed last letter ("happi" of "happy").
    start = stem[:-1] if len(stem) > 3 else stem
    words = islice(reader.expand_prefix(EXACT_FIELD, start), _MAX_FORMS_SCANNED)
    found = (word.decode("utf-8") if isinstance(word, bytes) else word for word in words)
    return [word for word in found if stem_word(word) == stem]


class KbPhrase(wq.Phrase):
    """An exact phrase (Whoosh's Phrase: the same records in the same order), that looks up its pairs of
    adjacent common words (the `pairs` field) instead of walking those words' positions.

    A phrase of two common words is its pair's records, no position read; any other reads positions only
    in the records that have all its words and pairs, and compares them as sets (Whoosh makes an object
    of every position). The score is
    Whoosh's: the sum of each word's score, in the same order. A phrase with slop, or on another field,
    is Whoosh's own.
    """

    def matcher(self, searcher, context=None):
        """The records that have the words one after the other, each scored as Whoosh's phrase scores it."""
        schema = searcher.schema
        if self.slop != 1 or self.fieldname != DEFAULT_FIELD or PAIRS_FIELD not in schema or len(self.words) < 2:
            return super().matcher(searcher, context)
        reader = searcher.reader()
        field = schema[self.fieldname]
        try:
            words = [field.to_bytes(word) for word in self.words]
        except ValueError:
            return matching.NullMatcher()
        if any((self.fieldname, word) not in reader for word in words):
            return matching.NullMatcher()
        texts = [word.decode("utf-8") if isinstance(word, bytes) else word for word in words]
        pairs = list(
            dict.fromkeys(
                a + PAIR_SEPARATOR + b for a, b in zip(texts, texts[1:], strict=False) if is_common(a) and is_common(b)
            )
        )
        if any((PAIRS_FIELD, pair) not in reader for pair in pairs):
            return matching.NullMatcher()
        # Each word's matcher as Whoosh's phrase makes it, summed in the same tree: the same scores.
        scored = [wq.Term(self.fieldname, word).matcher(searcher, context) for word in words]
        found = [wq.Term(PAIRS_FIELD, pair).matcher(searcher, context) for pair in pairs]
        if len(words) == 2 and pairs:
            # Two words and their pair: the pair says they are adjacent, no position to read.
            m = _pair_matcher(found[0], scored)
        else:
            m = _PhraseMatcher(scored, found)
        return matching.WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


def _pair_matcher(pair, scored: list) -> matching.Matcher:
    """The records of a pair of words, each scored as Whoosh's phrase scores it (the first word's score
    plus the second's), all at once: stepping three matchers together cost three times as much."""
    first, second = scored
    ids, scores = [], []
    while pair.is_active():
        docnum = pair.id()
        first.skip_to(docnum)
        second.skip_to(docnum)
        ids.append(docnum)
        scores.append(first.score() + second.score())
        pair.next()
    return _Scored(ids, scores)


class _Scored(matching.ListMatcher):
    """Records with their scores, each counted: never replaced by a null matcher for scoring too low."""

    def replace(self, minquality=0):
        """Itself while active."""
        return self if self.is_active() else matching.NullMatcher()

    def supports_block_quality(self) -> bool:
        """No: every record is counted."""
        return False

    def copy(self):
        """A copy at the same record."""
        return _Scored(self._ids, self._weights, position=self._i)


class _PhraseMatcher(matching.WrappingMatcher):
    """The records that have every word (`scored`) and every pair (`found`), where the words come one after
    the other (read from their positions), scored as the sum of the words' scores."""

    def __init__(self, scored: list, found: list):
        self.scored, self.found = scored, found
        self.scorer = make_binary_tree(IntersectionMatcher, scored)
        child = IntersectionMatcher(make_binary_tree(IntersectionMatcher, found), self.scorer) if found else self.scorer
        super().__init__(child)
        self._find_next()

    def copy(self):
        """A copy at the same record."""
        return type(self)([m.copy() for m in self.scored], [m.copy() for m in self.found])

    def replace(self, minquality=0):
        """Itself while active (no block-quality skipping: every match is counted)."""
        return self if self.is_active() else matching.NullMatcher()

    def supports_block_quality(self) -> bool:
        """No: the positions decide, not the scores."""
        return False

    def score(self) -> float:
        """The words' scores summed."""
        return self.scorer.score()

    def _adjacent(self) -> bool:
        starts = set(self.scored[0].value_as("positions"))
        for offset, m in enumerate(self.scored[1:], start=1):
            starts.intersection_update([p - offset for p in m.value_as("positions")])
            if not starts:
                return False
        return True

    def _find_next(self) -> None:
        child = self.child
        while child.is_active() and not self._adjacent():
            child.next()

    def next(self):
        """The next record that has the phrase."""
        self.child.next()
        self._find_next()

    def skip_to(self, id):
        """The first record from `id` on that has the phrase."""
        self.child.skip_to(id)
        self._find_next()

    def all_ids(self):
        """Every record that has the phrase."""
        while self.is_active():
            yield self.id()
            self.next()

    def spans(self):
        """No spans: snippets mark the words themselves."""
        return []


class KbQueryParser(qparser.QueryParser):
    """Whoosh's parser, with each free word matched by its stem, and as typed weighing more."""

    def term_query(self, fieldname, text, termclass, boost=1.0, tokenize=True, removestops=True):
        """The query of one word: for a free word, its stem in `all`, the word as typed first."""
        q = super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        if fieldname != DEFAULT_FIELD or type(q) is not wq.Term or EXACT_FIELD not in self.schema:
            return q
        typed = list(self.schema[EXACT_FIELD].process_text(text, mode="query", tokenize=tokenize))
        return ExactFirst(q, typed[0]) if len(typed) == 1 else q


def make_parser(schema: fields.Schema) -> qparser.QueryParser:
    """kb's query parser over the index's schema: words side by side all required, `content:` for `all`,
    comparisons (date:>2026-03-01)."""
    parser = KbQueryParser(DEFAULT_FIELD, schema, group=qparser.AndGroup, phraseclass=KbPhrase)
    parser.add_plugin(qparser.FieldAliasPlugin({DEFAULT_FIELD: ["content"]}))
    parser.add_plugin(qparser.GtLtPlugin())
    return parser


def check_query(text: str) -> None:
    """Refuse what Whoosh would silently misread or fail on: unbalanced brackets or quotes, unknown
    fields, a field without a value, a comparison without a field."""
    if text.count('"') % 2:
        raise QueryError(f'cannot read the query {text!r}: a quote " is not closed')
    # A quoted phrase is a value whatever it holds (owner:"Maya Okafor"): keep its place, not its text;
    # empty quotes are no value.
    outside = re.sub(r'"[^"]*"', lambda quoted: '"…"' if len(quoted.group(0)) > 2 else "", text)
    outside = re.sub(r"(?<=:)''(?!\S)", "", outside)
    for opening, closing in ("()", "[]", "{}"):
        depth = 0
        for char in outside:
            depth += (char == opening) - (char == closing)
            if depth < 0:
                raise QueryError(f"cannot read the query {text!r}: '{closing}' without '{opening}'")
        if depth:
            raise QueryError(f"cannot read the query {text!r}: '{opening}' is not closed")
    known = set(QUERY_FIELDS) | set(QUESTION_KEYS)
    # Whoosh reads a field name after any character that is not part of a word (`x-date:`, `(date:`).
    for match in re.finditer(r"(?<!\w)([A-Za-z_]+):(?!//)(\S?)", outside):
        name, after = match.group(1), match.group(2)
        if name not in known:
            raise QueryError(
                f"cannot read the query {text!r}: there is no field '{name}'"
                f"{did_you_mean(name, known)}; fields: {', '.join(sorted(known))}"
            )
        if not after:
            raise QueryError(f"cannot read the query {text!r}: '{name}:' needs a value, as in {name}:word")
    if re.search("[<>]", _COMPARISON.sub("", outside)):
        raise QueryError(
            f"cannot read the query {text!r}: '<' and '>' compare a field with a value, as in date:>2026-03-01"
        )


def check_fields(parsed: wq.Query, schema: fields.Schema, text: str) -> None:
    """Refuse what the parsed query asks that the index cannot answer: a field kb does not offer, a date
    that is not one (`date:"someday"`)."""
    known = {*QUERY_FIELDS, *QUESTION_KEYS, DEFAULT_FIELD}
    for leaf in parsed.leaves():
        name = leaf.field()
        if name is not None and name not in known:
            raise QueryError(f"cannot read the query {text!r}: there is no field '{name}'")
        if name == "date" and isinstance(leaf, wq.Term):
            try:
                schema["date"].to_bytes(leaf.text)
            except Exception:  # Whoosh raises a bare Exception for a date it cannot read
                raise QueryError(
                    f"cannot read the dates in {text!r}: write date:2026-03-02, date:[2026-03-01 to 2026-03-31] "
                    "or date:>2026-03-01"
                ) from None
