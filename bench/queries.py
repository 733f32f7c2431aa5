"""The query set, chosen from the corpus itself so that every query finds something, whatever vocabulary
bench/corpus.py generates.

The words come from a reference KB of REFERENCE_RECORDS records made by the same generator with the same
seed (not from the sizes being measured), so the same seed always gives the same queries at every size
and in every run. Counts are document frequencies over the records' body text, headings left out.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import corpus
from .baselines import record_files

REFERENCE_RECORDS = 500
CLASSES = ("single", "and", "phrase", "field", "filter")
# Rare words: in 1% to 3% of the records (the long tail); common: the domain's most frequent words.
RARE_SHARE = (0.01, 0.03)
_WORD = re.compile(r"[a-z]+")
_SENTENCE = re.compile(r"[.!?;:]+|\n")


@dataclass(frozen=True)
class Query:
    cls: str
    text: str  # what kb gets
    filters: dict = field(default_factory=dict)  # kb's Filters(...), dates as ISO strings
    base: str | None = None  # the same words for the baselines (the text part); None: kb only

    def as_dict(self) -> dict:
        return {"class": self.cls, "text": self.text, "filters": self.filters, "base": self.base}


def _stop_words() -> frozenset[str]:
    from whoosh.analysis import STOP_WORDS

    return frozenset(STOP_WORDS) | {"and", "or", "not", "near", "to"}


def statistics(root: Path) -> tuple[int, Counter, Counter]:
    """Files, and in how many files each word and each pair of adjacent words (within a sentence) occurs."""
    words, pairs, files = Counter(), Counter(), 0
    for _, path in record_files(root):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---"):
            end = text.find("\n---", 3)
            text = text[end + 4 :] if end >= 0 else text
        body = "\n".join(line for line in text.lower().splitlines() if not line.lstrip().startswith("#"))
        seen, adjacent = set(), set()
        for sentence in _SENTENCE.split(body):
            tokens = _WORD.findall(sentence)
            seen.update(tokens)
            adjacent.update(zip(tokens, tokens[1:], strict=False))
        words.update(seen)
        pairs.update(adjacent)
        files += 1
    return files, words, pairs


def choose(root: Path) -> tuple[list[Query], dict]:
    """The query set from the reference KB at `root`, and the share of records each chosen word is in."""
    files, df, pairs = statistics(root)
    stop = _stop_words()

    def ok(word: str) -> bool:
        return len(word) >= 3 and word not in stop and df[word] > 0

    domain = sorted({w for w in corpus.DOMAIN if w.isalpha() and ok(w)}, key=lambda w: (-df[w], w))
    if len(domain) < 6:  # a generator without the domain words: the most frequent words stand in
        domain += [w for w, _ in sorted(df.items(), key=lambda item: (-item[1], item[0])) if ok(w) and w not in domain][
            : 6 - len(domain)
        ]
    common = domain[:3]
    low, high = RARE_SHARE
    rare_pool = sorted(w for w in df if ok(w) and w not in domain and low <= df[w] / files <= high)
    if len(rare_pool) < 3:
        rare_pool = sorted((w for w in df if ok(w) and w not in domain and df[w] >= 2), key=lambda w: (df[w], w))[:30]
    rare = [rare_pool[len(rare_pool) * k // 6] for k in (1, 3, 5)]

    usable = {p: n for p, n in pairs.items() if p[0] != p[1] and ok(p[0]) and ok(p[1])}
    by_count = sorted(usable, key=lambda p: (-usable[p], p))
    in_domain = set(domain) | set(corpus.DOMAIN)
    phrases: list[tuple[str, str]] = []

    def take(candidates) -> None:
        for pair in candidates:
            if pair not in phrases:
                phrases.append(pair)
                return

    take(p for p in by_count if p[0] in in_domain and p[1] in in_domain)  # like "audit evidence"
    take(by_count)  # the most frequent pair: the heaviest phrase
    take(sorted(usable, key=lambda p: (abs(usable[p] / files - 0.02), p)))  # in about 2% of the records
    take(p for p in by_count if (p[0] in in_domain) != (p[1] in in_domain))
    take(by_count)

    c1, c2, c3 = common
    d4, d5, d6 = domain[3:6]
    queries = [
        *(Query("single", w, base=w) for w in common + rare),
        Query("and", f"{c1} AND {c2}", base=f"{c1} AND {c2}"),
        Query("and", f"{d4} {d5}", base=f"{d4} {d5}"),
        Query("and", f"{rare[0]} AND {c1}", base=f"{rare[0]} AND {c1}"),
        Query("and", f"{c3} {d6}", base=f"{c3} {d6}"),
        *(Query("phrase", f'"{a} {b}"', base=f'"{a} {b}"') for a, b in phrases[:4]),
        Query("field", f"why_change:{c1}", base=c1),
        Query("field", "customer:customer-00007"),
        Query("field", f"kind:demo {c1}", base=c1),
        Query("field", f"success:{c2}", base=c2),
        Query("filter", c1, {"type": "interview"}, base=c1),
        Query("filter", c2, {"kind": "demo"}, base=c2),
        Query("filter", c3, {"since": "2025-06-01", "until": "2025-12-31"}, base=c3),
        Query("filter", d4, {"type": "casestudy"}, base=d4),
    ]
    shares = {w: round(df[w] / files, 4) for w in [*common, *rare, d4, d5, d6]}
    shares.update({f"{a} {b}": round(usable[(a, b)] / files, 4) for a, b in phrases[:4]})
    return queries, {"records": files, "share": shares}
