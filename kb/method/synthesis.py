"""What hell-yes answers share and the others lack: the distinguishing terms of one question's answers.

The terms of an answer are its words and its two-word phrases as search reads them (the index's analyzer:
lowercased, stop words, the index's common words and one-letter words out, Porter-stemmed), each counted
once per answer: a story
that says "auditor" ten times is one story that says it. Numbers alone are not terms, and a phrase never
spans the end of a sentence.

A term is ranked by the log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi and Quinn,
2008, "Fightin' Words"), applied to answers that use the term against answers that do not: for a term
used by y of the n hell-yes answers and z of the m others,

    delta = log((y + a) / (n - y + b)) - log((z + a) / (m - z + b))
    variance = 1/(y + a) + 1/(n - y + b) + 1/(z + a) + 1/(m - z + b)

with the prior (a, b) = s x (p, 1 - p): s = min(PRIOR_ANSWERS, max(2, (n + m) / 4)) answers, and p the
share of every compared answer (all five questions) that uses the term. The prior pulls a rare term's odds
toward what the KB's answers usually say, so that 3 stories of 30 against none is not a discovery;
`delta / sqrt(variance)` (a z-score) ranks, and only terms past Z_MIN on a side are shown. With fewer than
MIN_STORIES answers on a side nothing is ranked: the page says so instead of ranking noise.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import NamedTuple

from whoosh.analysis.filters import STOP_WORDS

from kb.search.analyzer import COMMON_WORDS, FastStemmingAnalyzer

PRIOR_ANSWERS = 10.0  # the prior weighs as much as ten answers at most, a quarter of the answers compared below 40
Z_MIN = 2.33  # one-sided 1 %: with hundreds of terms tried, a laxer cut shows chance differences
MIN_STORIES = 2  # answers needed on each side before terms are ranked
SHOWN_TERMS = 8  # terms shown per side of a question
PAIR_SEPARATOR = " "
_SENTENCE_END = re.compile(r"[.!?;:\n]")
# The index's stop words and its common words ("was", "what", "they"): frequent in every answer, telling none apart.
_ANALYZER = FastStemmingAnalyzer(stoplist=STOP_WORDS | COMMON_WORDS)


class Word(NamedTuple):
    """One analysed word of a text: its term (stem), as written, and where."""

    term: str
    written: str
    start: int
    end: int


def words_of(text: str) -> list[Word]:
    """The words of `text` as the search index analyses them, with their places (numbers alone left out)."""
    found = []
    for token in _ANALYZER(text, chars=True, keeporiginal=True):
        if token.text.replace(".", "").isdigit():
            continue
        found.append(Word(token.text, token.original.lower(), token.startchar, token.endchar))
    return found


def _pairs(text: str, words: Sequence[Word]) -> Iterable[tuple[Word, Word]]:
    """Adjacent words not parted by the end of a sentence (or a clause's colon or semicolon)."""
    for first, second in zip(words, words[1:], strict=False):
        if not _SENTENCE_END.search(text, first.end, second.start):
            yield first, second


def terms_of(text: str) -> dict[str, str]:
    """The one- and two-word terms of a text, each with how it is written there (its first occurrence)."""
    words = words_of(text)
    found: dict[str, str] = {}
    for word in words:
        found.setdefault(word.term, word.written)
    for first, second in _pairs(text, words):
        found.setdefault(first.term + PAIR_SEPARATOR + second.term, first.written + PAIR_SEPARATOR + second.written)
    return found


def term_spans(text: str, term: str) -> list[tuple[int, int]]:
    """Where a term occurs in `text` (start, end), for highlighting it."""
    words = words_of(text)
    parts = term.split(PAIR_SEPARATOR)
    if len(parts) == 1:
        return [(w.start, w.end) for w in words if w.term == term]
    return [(a.start, b.end) for a, b in _pairs(text, words) if (a.term, b.term) == (parts[0], parts[1])]


@dataclass(frozen=True)
class TermScore:
    """A term that sets one side apart, with its plain counts of answers."""

    term: str  # the stem, or two stems joined by a space
    shown: str  # as the answers most often write it
    hell_yes: int  # hell-yes answers using it
    hell_yes_of: int  # hell-yes answers compared
    others: int
    others_of: int
    z: float  # > 0: hell-yes answers use it more

    def as_dict(self) -> dict:
        """The term as JSON: its words, its counts and its score."""
        return {
            "term": self.shown,
            "stem": self.term,
            "hell_yes": self.hell_yes,
            "hell_yes_of": self.hell_yes_of,
            "others": self.others,
            "others_of": self.others_of,
            "z": round(self.z, 2),
        }


@dataclass(frozen=True)
class Distinguishing:
    """One question's distinguishing terms on each side, or why there are none."""

    hell_yes: list[TermScore]
    others: list[TermScore]
    hell_yes_answers: int
    other_answers: int

    @property
    def notice(self) -> str | None:
        """Why no term is ranked, when too few answers are on a side."""
        short = [
            f"{n} {side} {'answer' if n == 1 else 'answers'}"
            for side, n in (("hell-yes", self.hell_yes_answers), ("meh or churned", self.other_answers))
            if n < MIN_STORIES
        ]
        if not short:
            return None
        return f"Too few answers to tell terms apart: {' and '.join(short)} (at least {MIN_STORIES} a side)."


def log_odds_z(y: int, n: int, z: int, m: int, prior_share: float, strength: float = PRIOR_ANSWERS) -> float:
    """The z-score of the log-odds ratio of y of n against z of m, with a Dirichlet prior of `strength`
    answers at the rate `prior_share`."""
    a = strength * prior_share
    b = strength - a
    delta = math.log((y + a) / (n - y + b)) - math.log((z + a) / (m - z + b))
    variance = 1 / (y + a) + 1 / (n - y + b) + 1 / (z + a) + 1 / (m - z + b)
    return delta / math.sqrt(variance)


def distinguishing(
    hell_yes: Sequence[dict[str, str]],
    others: Sequence[dict[str, str]],
    background: Counter[str],
    background_answers: int,
    shown: int = SHOWN_TERMS,
) -> Distinguishing:
    """The terms that set hell-yes answers (`terms_of` each) apart from the others' and the reverse.

    `background` counts, per term, the answers of every question that use it (of `background_answers`)."""
    n, m = len(hell_yes), len(others)
    if n < MIN_STORIES or m < MIN_STORIES:
        return Distinguishing([], [], n, m)
    on_hell, on_others = Counter(chain.from_iterable(hell_yes)), Counter(chain.from_iterable(others))
    total = max(background_answers, n + m)
    strength = min(PRIOR_ANSWERS, max(2.0, (n + m) / 4))
    scores: dict[str, float] = {}
    # Shown only when at least MIN_STORIES answers of its side use it: most terms are in one answer alone.
    candidates = {t for t, c in on_hell.items() if c >= MIN_STORIES}
    candidates.update(t for t, c in on_others.items() if c >= MIN_STORIES)
    for term in candidates:
        y, z = on_hell.get(term, 0), on_others.get(term, 0)
        share = (max(background[term], y + z) + 0.5) / (total + 1)
        score = log_odds_z(y, n, z, m, share, strength)
        if abs(score) >= Z_MIN:
            scores[term] = score
    # How each term shown is most often written (read only for those).
    written: dict[str, Counter[str]] = {term: Counter() for term in scores}
    for answer in (*hell_yes, *others):
        for term in scores.keys() & answer.keys():
            written[term][answer[term]] += 1
    found = [
        TermScore(
            term,
            min(written[term].items(), key=lambda item: (-item[1], item[0]))[0],
            on_hell[term],
            n,
            on_others[term],
            m,
            score,
        )
        for term, score in scores.items()
    ]
    ranked_hell = _without_repeats(sorted((s for s in found if s.z > 0 and s.hell_yes >= MIN_STORIES), key=_rank))
    ranked_others = _without_repeats(sorted((s for s in found if s.z < 0 and s.others >= MIN_STORIES), key=_rank))
    return Distinguishing(ranked_hell[:shown], ranked_others[:shown], n, m)


def _rank(score: TermScore) -> tuple:
    return (-abs(score.z), -max(score.hell_yes, score.others), score.term)


def _without_repeats(ranked: list[TermScore]) -> list[TermScore]:
    """A phrase and a word of it say the same when the same answers use them: the word is kept ("auditor",
    not "auditor asked"; when both of its words go with the phrase everywhere, the first of them)."""
    by_term = {s.term: s for s in ranked}

    def same(a: TermScore, b: TermScore | None) -> bool:
        return b is not None and (a.hell_yes, a.others) == (b.hell_yes, b.others)

    dropped: set[str] = set()
    for score in ranked:
        parts = score.term.split(PAIR_SEPARATOR)
        if len(parts) != 2:
            continue
        matching = [part for part in parts if same(score, by_term.get(part))]
        if matching:
            dropped.add(score.term)
        if len(matching) == 2:
            dropped.add(matching[1])
    return [s for s in ranked if s.term not in dropped]
