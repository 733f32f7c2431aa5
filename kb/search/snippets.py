"""Highlighted snippets from stored text, by the stems a query matched.

Whoosh's highlighter runs every stored text through the whole analyzer again, which costs more than
the search itself. Here a regex finds candidate words by their first letters, the stemmer confirms
them, and the densest window of matches becomes the snippet.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kb.search.analyzer import WORD_REST, stem_word

MARK_START, MARK_END = "\x02", "\x03"
WIDTH = 220  # characters of context in a snippet


@lru_cache(maxsize=4096)
def _candidates(stems: frozenset[str]) -> re.Pattern | None:
    # Porter stems are the word's beginning, but for a changed last letter ("happi" for "happy").
    heads = sorted({s[:-1] if len(s) > 3 else s for s in stems if s}, key=len, reverse=True)
    if not heads:
        return None
    # A candidate is a whole word of the analyzer's pattern that begins with one of the heads.
    return re.compile(r"\b(?:" + "|".join(re.escape(h) for h in heads) + ")" + WORD_REST, re.I)


def matches(text: str, stems: frozenset[str]) -> list[tuple[int, int]]:
    """Spans of the words in `text` whose stem is one of `stems`."""
    pattern = _candidates(stems)
    if pattern is None:
        return []
    return [m.span() for m in pattern.finditer(text) if stem_word(m.group(0).lower()) in stems]


def snippet(text: str, stems: frozenset[str], width: int = WIDTH) -> str | None:
    """The window of `text` with the most matched words, matches between MARK_START and MARK_END."""
    spans = matches(text, stems)
    if not spans:
        return None
    best, best_count = 0, 0
    end_index = 0
    for first, (start, _end) in enumerate(spans):
        while end_index < len(spans) and spans[end_index][1] - start <= width:
            end_index += 1
        if end_index - first > best_count:
            best, best_count = first, end_index - first
    start = spans[best][0]
    # Centre the window on its matches, then widen it to whole words.
    last = spans[best + best_count - 1][1]
    left = max(0, start - (width - (last - start)) // 2)
    right = min(len(text), left + width)
    left = max(0, min(left, right - width))
    while left > 0 and text[left - 1].isalnum():
        left -= 1
    while right < len(text) and text[right].isalnum():
        right += 1
    pieces, cursor = [], left
    for span_start, span_end in spans:
        if span_start < left or span_end > right:
            continue
        pieces += [text[cursor:span_start], MARK_START, text[span_start:span_end], MARK_END]
        cursor = span_end
    pieces.append(text[cursor:right])
    body = " ".join("".join(pieces).split())
    return ("… " if left > 0 else "") + body + (" …" if right < len(text) else "")
