"""The text analyzer of the index: Whoosh's StemmingAnalyzer, fused into one pass.

Whoosh's analyzer chains a tokenizer and three filters as generators, each touching every token;
indexing spends a third of its time there. This does the same work (the same word pattern,
lowercase, the same stop words and minimum size, the Porter stemmer) in one loop. The word pattern
and the cached stemmer are the ones the snippets use too.

Words joined by a slash are words each ("client/server"), unless one of them would be dropped (a stop
word or one letter): then the whole is one word, as written ("A/B", "and/or", "24/7"), so that a query
for it finds it.
"""

from __future__ import annotations

import re
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


@lru_cache(maxsize=100_000)
def stem_word(word: str) -> str:
    """The Porter stem of a lowercased word, cached: indexing and snippets ask for the same words again and again."""
    return stem(word)


class FastStemmingAnalyzer(Analyzer):
    """Words, lowercased, without stop words and one-letter words, Porter-stemmed (unless `stem` is off)."""

    def __init__(self, stoplist: frozenset[str] = STOP_WORDS, minsize: int = 2, stem: bool = True):
        self.stoplist = frozenset(stoplist)
        self.minsize = minsize
        self.stem = stem

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
            yield token

    def _slashed(self, match: re.Match, stemmed) -> list[tuple[str, str, int, int]]:
        """(term, text, start, end) of words joined by slashes: each word, or the whole as one word as
        written when one of them would be dropped."""
        whole, offset = match.group(0), match.start()
        parts = [(p.group(0), offset + p.start(), offset + p.end()) for p in WORD.finditer(whole)]
        if all(len(text) >= self.minsize and text.lower() not in self.stoplist for text, _, _ in parts):
            return [(stemmed(text.lower()), text, start, end) for text, start, end in parts]
        return [(whole.lower(), whole, match.start(), match.end())]


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
