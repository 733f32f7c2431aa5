"""The text analyzer of the index: Whoosh's StemmingAnalyzer, fused into one pass.

Whoosh's analyzer chains a tokenizer and three filters as generators, each touching every token;
indexing spends a third of its time there. This does the same work (the same word pattern,
lowercase, the same stop words and minimum size, the Porter stemmer) in one loop. The word pattern
and the cached stemmer are the ones the snippets use too.

Common-word pairs (after Lucene's "common grams"): a phrase of very frequent words ("was they") would
walk every position of both words in most records. So beside the words, the index holds each pair of
adjacent words that are both common words (COMMON_WORDS, a fixed list of frequent English words that are
not stop words) as one term: such a phrase is then one posting list, and a longer phrase checks
positions only in the records that have all its pairs. Pairs with one common word only would make every
word of the vocabulary a pair term too: on 10,000 generated records the index 32% larger and the
rebuild about 25% more work, for phrases that the position check answers in a few times a word's time.
The analyzer of `all` remembers the words it just indexed, so that the pairs are made without reading
the text again.

Words joined by a slash are words each ("client/server"), unless one of them would be dropped (a stop
word or one letter): then the whole is one word, as written ("A/B", "and/or", "24/7"), so that a query
for it finds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from whoosh.analysis import Analyzer, Token
from whoosh.analysis.filters import STOP_WORDS
from whoosh.lang.porter import stem

# A word is letters and digits, with the dots inside it kept ("soc2", "v1.2", "e.g"); WORD_REST is
# what follows its first letter, for a pattern that fixes how a word begins (the snippets' candidates).
WORD_REST = r"\w*(?:\.?\w+)*"
WORD = re.compile(r"\w" + WORD_REST)
# A word, or words joined by slashes: WORD with `/` as well as `.` inside (the same words where there is none).
_WORDS = re.compile(r"\w+(?:[./]\w+)*")


# About a hundred of the most frequent English words, less Whoosh's stop words (dropped before this).
# Fixed, not read from the records: which pairs the index holds must not change from one commit to the
# next, and a pair is paired the same way wherever it occurs. A longer list makes more phrases one
# lookup but the index larger; these are the words whose positions run into the thousands per record.
COMMON_WORDS = frozenset(
    """
    about after again all also any because been before being both but could did do does down each even
    every first get go had has he her here him his how into its just know like made make me more most
    much must my never new no now one only other our out over own said same see she should since so
    some still such than their them then there these they think those through too under up upon very
    was way well were what where which while who whom why would
    """.split()
)
# A pair's two words in one term: no word holds a space.
PAIR_SEPARATOR = " "


@lru_cache(maxsize=100_000)
def stem_word(word: str) -> str:
    """The Porter stem of a lowercased word, cached: indexing and snippets ask for the same words again and again."""
    return stem(word)


# The terms of the common words (their stems, and as written), as the analyzer makes them.
_COMMON_TERMS = frozenset(COMMON_WORDS | {stem_word(word) for word in COMMON_WORDS})


def is_common(term: str) -> bool:
    """Whether an analysed word is one of the common words, whose pairs the index holds."""
    return term in _COMMON_TERMS


def common_pairs(terms: Iterable[str]) -> list[str]:
    """The pair terms of a sequence of adjacent analysed words: each adjacent two that are both common."""
    pairs: list[str] = []
    before: str | None = None
    for term in terms:
        if term in _COMMON_TERMS:
            if before is not None:
                pairs.append(before + PAIR_SEPARATOR + term)
            before = term
        else:
            before = None
    return pairs


# The value the pairing analyzer last indexed, and its words in order (one document at a time per process).
_last_indexed: tuple[str, list[str]] = ("", [])


class FastStemmingAnalyzer(Analyzer):
    """Words, lowercased, without stop words and one-letter words, Porter-stemmed (unless `stem` is off).

    With `remember`, it keeps the words of the last text it indexed, for PairAnalyzer (the `all` field's)."""

    remember = False  # an index written before `remember` existed unpickles its analyzers without it

    def __init__(
        self, stoplist: frozenset[str] = STOP_WORDS, minsize: int = 2, stem: bool = True, remember: bool = False
    ):
        self.stoplist = frozenset(stoplist)
        self.minsize = minsize
        self.stem = stem
        self.remember = remember

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        stoplist, minsize = self.stoplist, self.minsize
        stemmed = stem_word if self.stem else str
        matches = _WORDS.finditer(value) if tokenize else [re.match(r"(?s).*", value)]
        position = start_pos
        remembered: list[str] | None = [] if self.remember and mode == "index" and removestops else None
        for match in matches:
            original = match.group(0)
            if tokenize and "/" in original:
                for text, piece, start, end in self._slashed(match, stemmed):
                    token.stopped = False
                    token.text = text
                    token.boost = 1.0
                    if keeporiginal:
                        token.original = piece
                    if positions:
                        token.pos = position
                        position += 1
                    if chars:
                        token.startchar, token.endchar = start_char + start, start_char + end
                    if remembered is not None:
                        remembered.append(text)
                    yield token
                continue
            word = original.lower()
            stopped = len(word) < minsize or word in stoplist
            if stopped and removestops:
                continue
            token.stopped = stopped
            token.text = word if stopped else stemmed(word)
            token.boost = 1.0
            if keeporiginal:
                token.original = original
            if positions:
                token.pos = position
                position += 1
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            if remembered is not None:
                remembered.append(token.text)
            yield token
        if remembered is not None:
            global _last_indexed
            _last_indexed = (value, remembered)

    def _slashed(self, match: re.Match, stemmed) -> list[tuple[str, str, int, int]]:
        """(term, text, start, end) of words joined by slashes: each word, or the whole as one word as
        written when one of them would be dropped."""
        whole, offset = match.group(0), match.start()
        parts = [(p.group(0), offset + p.start(), offset + p.end()) for p in WORD.finditer(whole)]
        if all(len(text) >= self.minsize and text.lower() not in self.stoplist for text, _, _ in parts):
            return [(stemmed(text.lower()), text, start, end) for text, start, end in parts]
        return [(whole.lower(), whole, match.start(), match.end())]


class PairAnalyzer(Analyzer):
    """The pairs of common words of a text (common_pairs of its words as `words` analyses them), each once."""

    def __init__(self, words: FastStemmingAnalyzer):
        self.words = words

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other.words == self.words

    def __call__(self, value, positions=False, chars=False, removestops=True, mode="", **kwargs):
        last_value, last_words = _last_indexed
        # Whoosh indexes a document's fields in name order: `all` just before, the same text.
        if value is last_value or value == last_value:
            terms = last_words
        else:
            terms = [token.text for token in self.words(value, mode=mode)]
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pairs = common_pairs(terms)
        for text in dict.fromkeys(pairs):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            yield token


def varied_words(text: str, stoplist: frozenset[str] = STOP_WORDS, minsize: int = 2) -> str:
    """The words of `text` (lowercased, once each) whose stem has another form in `text` or is not the
    word itself: what a query needs to rank the very word typed above another of the same stem.

    A stem met only as itself ("audit", and no "audits" or "auditing") is left out: the stem says it all.
    """
    by_stem: dict[str, list[str]] = {}
    for word in set(_WORDS.findall(text.lower())).difference(stoplist):
        if len(word) >= minsize and "/" not in word:
            by_stem.setdefault(stem_word(word), []).append(word)
    return " ".join(word for stem, words in by_stem.items() if len(words) > 1 or words[0] != stem for word in words)
