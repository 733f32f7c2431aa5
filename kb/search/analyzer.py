"""The text analyzer of the index: Whoosh's StemmingAnalyzer, fused into one pass.

Whoosh's analyzer chains a tokenizer and three filters as generators, each touching every token;
indexing spends a third of its time there. This does the same work (the same word pattern,
lowercase, the same stop words and minimum size, the Porter stemmer) in one loop. The word pattern
and the cached stemmer are the ones the snippets use too.
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


@lru_cache(maxsize=100_000)
def stem_word(word: str) -> str:
    """The Porter stem of a lowercased word, cached: indexing and snippets ask for the same words again and again."""
    return stem(word)


class FastStemmingAnalyzer(Analyzer):
    """Words, lowercased, without stop words and one-letter words, Porter-stemmed."""

    def __init__(self, stoplist: frozenset[str] = STOP_WORDS, minsize: int = 2):
        self.stoplist = frozenset(stoplist)
        self.minsize = minsize

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
        matches = WORD.finditer(value) if tokenize else [re.match(r"(?s).*", value)]
        position = start_pos
        for match in matches:
            original = match.group(0)
            word = original.lower()
            stopped = len(word) < minsize or word in stoplist
            if stopped and removestops:
                continue
            token.stopped = stopped
            token.text = word if stopped else stem_word(word)
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
