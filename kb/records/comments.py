"""The author's HTML comments in an answer: what a form shows of a `##` section, and the section written
back from a changed answer with every comment of the author's kept byte for byte.

A form shows an answer's text without its comments. Comments are of two kinds: placeholders (the
skeleton's prompt, which the caller recognizes) go away once the answer is written; every other comment
is the author's note and stays where it sat: before the text, after it, or inside it, anchored to the
line it sat on (a comment on a line of its own stays a line of its own).
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from kb.records.parse import COMMENT_RE, FENCED_RE, INLINE_CODE_RE

WORDS_RE = re.compile(r"\s+|\S+")
IsPlaceholder = Callable[[str], bool]  # told a comment's inner text, says whether it is the skeleton's


@dataclass(frozen=True)
class Kept:
    """Comments taken out of an answer's text: where they sat in what the form shows, and their bytes."""

    offset: int
    raw: str  # a comment on a line of its own carries that whole line, its line break included
    own_line: bool


@dataclass(frozen=True)
class Answer:
    """A section's text split for a form: the comments before and after its text, and the text with
    the comments inside it taken out (what the form shows)."""

    head: str
    shown: str
    inner: tuple[Kept, ...]
    tail: str


def _comment_spans(text: str) -> list[tuple[int, int]]:
    """Where the comments are; `<!--` inside code is code, not a comment."""
    visible = text
    for code in (FENCED_RE, INLINE_CODE_RE):
        visible = code.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), visible)
    return [match.span() for match in COMMENT_RE.finditer(visible)]


def _inner_text(comment: str) -> str:
    return comment.removeprefix("<!--").removesuffix("-->")


@dataclass(frozen=True)
class _Chunk:
    """One piece taken out: a lone comment, or whole lines holding only comments (and spaces)."""

    start: int
    end: int
    own_line: bool
    placeholder: bool


def _chunks(text: str, spans: list[tuple[int, int]], at_line_start: bool, is_placeholder: IsPlaceholder):
    """The comments of `text` grouped into chunks; `at_line_start` says whether `text` begins a line."""
    found: list[_Chunk] = []
    index = 0
    while index < len(spans):
        start, end = spans[index]
        line_start = text.rfind("\n", 0, start) + 1
        group = [spans[index]]
        own_line = False
        if (line_start > 0 or at_line_start) and not text[line_start:start].strip(" \t"):
            cursor, follow = end, index + 1
            while True:
                while cursor < len(text) and text[cursor] in " \t":
                    cursor += 1
                if follow < len(spans) and spans[follow][0] == cursor:
                    group.append(spans[follow])
                    cursor, follow = spans[follow][1], follow + 1
                    continue
                own_line = cursor == len(text) or text[cursor] == "\n"
                break
        if own_line:
            end = min(cursor + 1, len(text))
            start = line_start
            if _blank_before(text, line_start, at_line_start):
                # A comment standing as a paragraph of its own takes the blank lines after it along, so
                # that what the form shows has one blank line where the comment was, not two.
                end = _after_blank_lines(text, end)
        else:
            group = group[:1]
        placeholder = all(is_placeholder(_inner_text(text[s:e])) for s, e in group)
        found.append(_Chunk(start, end, own_line, placeholder))
        index += len(group)
    return found


def _blank_before(text: str, line_start: int, at_line_start: bool) -> bool:
    if line_start == 0:
        return at_line_start
    previous = text.rfind("\n", 0, line_start - 1) + 1
    return not text[previous : line_start - 1].strip()


def _after_blank_lines(text: str, end: int) -> int:
    while True:
        newline = text.find("\n", end)
        if newline < 0 or text[end:newline].strip():
            return end
        end = newline + 1


def _without(text: str, chunks: list[_Chunk], keep_authors: bool) -> str:
    """`text` with its placeholder chunks taken out (and the author's too, unless `keep_authors`)."""
    pieces, cursor = [], 0
    for chunk in chunks:
        pieces.append(text[cursor : chunk.start])
        if keep_authors and not chunk.placeholder:
            pieces.append(text[chunk.start : chunk.end])
        cursor = chunk.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def split_answer(text: str, is_placeholder: IsPlaceholder) -> Answer:
    """The parts of a section's text (as `split_sections` gives it, without its heading line)."""
    spans = _comment_spans(text)
    covered = [False] * len(text)
    for start, end in spans:
        covered[start:end] = [True] * (end - start)
    visible = [i for i, char in enumerate(text) if not covered[i] and not char.isspace()]
    if not visible:
        return Answer(text, "", (), "")
    first, last = visible[0], visible[-1] + 1
    head_end = first
    while head_end > 0 and text[head_end - 1] in " \t" and not covered[head_end - 1]:
        head_end -= 1
    if head_end > 0 and text[head_end - 1] != "\n":
        head_end = first  # a comment sits before the text on its first line: the spaces after it go with it
    body = text[head_end:last]
    body_spans = [(s - head_end, e - head_end) for s, e in spans if head_end <= s < last]
    shown: list[str] = []
    inner: list[Kept] = []
    cursor = 0
    for chunk in _chunks(body, body_spans, at_line_start=True, is_placeholder=is_placeholder):
        shown.append(body[cursor : chunk.start])
        if not chunk.placeholder:
            inner.append(Kept(sum(map(len, shown)), body[chunk.start : chunk.end], chunk.own_line))
        cursor = chunk.end
    shown.append(body[cursor:])
    return Answer(text[:head_end], "".join(shown), tuple(inner), text[last:])


def shown_answer(text: str, is_placeholder: IsPlaceholder) -> str:
    """What a form shows of a section's text: the text without any comment."""
    return split_answer(text, is_placeholder).shown


def _starts(pieces: list[str]) -> list[int]:
    """The offset where each piece of a text begins, and the text's length."""
    starts = [0]
    for piece in pieces:
        starts.append(starts[-1] + len(piece))
    return starts


def _moved(old: str, new: str, offsets: list[tuple[int, bool]]) -> list[int]:
    """Where each offset of `old` lands in `new`: the same place on a line left as it was; at the start
    of what replaced the lines around it if it sat at their start, else at its end."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    old_starts, new_starts = _starts(old_lines), _starts(new_lines)
    blocks = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes()
    moved = []
    for offset, own_line in offsets:
        line = bisect.bisect_right(old_starts, offset) - 1
        column = offset - old_starts[line]
        target = len(new)
        for tag, i1, i2, j1, j2 in blocks:
            if not i1 <= line < i2:
                continue
            if tag == "equal":
                target = new_starts[j1 + line - i1] + column
            elif column == 0 and line == i1:
                target = new_starts[j1]
            elif own_line:
                target = new_starts[j2]
            else:  # a comment within a line: find its place among the characters of the changed lines
                old_block, new_block = old[old_starts[i1] : old_starts[i2]], new[new_starts[j1] : new_starts[j2]]
                target = new_starts[j1] + _moved_within(old_block, new_block, offset - old_starts[i1])
            break
        moved.append(target)
    return moved


def _moved_within(old: str, new: str, offset: int) -> int:
    """Where an offset of changed lines lands in what replaced them, matching them word by word."""
    old_words, new_words = WORDS_RE.findall(old), WORDS_RE.findall(new)
    old_starts, new_starts = _starts(old_words), _starts(new_words)
    word = bisect.bisect_right(old_starts, offset) - 1
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if i1 <= word < i2:
            if tag == "equal":
                return new_starts[j1 + word - i1] + offset - old_starts[word]
            if offset == old_starts[i1]:
                return new_starts[j1]
            if j2 < len(new_words):
                return new_starts[j2]
            break
    return len(new.rstrip("\n"))  # after the changed words, on their line


def _with_inner(new: str, old: str, inner: tuple[Kept, ...]) -> str:
    places = _moved(old, new, [(kept.offset, kept.own_line) for kept in inner])
    pieces: list[str] = []
    cursor = 0
    for place, kept in sorted(zip(places, inner, strict=True), key=lambda pair: pair[0]):
        pieces.append(new[cursor:place])
        cursor = place
        written = "".join(pieces)
        if kept.own_line and written and not written.endswith("\n"):
            pieces.append("\n")
        pieces.append(kept.raw)
    pieces.append(new[cursor:])
    return "".join(pieces).rstrip("\n")


def answer_with_comments(old_text: str, typed: str, is_placeholder: IsPlaceholder, placeholder: str) -> str:
    """The section text for a changed answer: `typed` with the author's comments of `old_text` where they
    sat, the placeholders dropped; `placeholder` stands in for an empty answer."""
    old = split_answer(old_text, is_placeholder)
    typed = typed.strip("\n").rstrip()
    if typed:
        body = _with_inner(typed, old.shown, old.inner)
    else:
        body = "\n".join([placeholder, *(kept.raw.strip("\n") for kept in old.inner)])
    head_spans = _comment_spans(old.head)
    head = _without(old.head, _chunks(old.head, head_spans, True, is_placeholder), keep_authors=True).lstrip("\n")
    if head and not head[-1].isspace():
        head += "\n"  # the comments of a section that held nothing else go on the lines above the answer
    tail_spans = _comment_spans(old.tail)
    tail = _without(old.tail, _chunks(old.tail, tail_spans, False, is_placeholder), keep_authors=True).rstrip()
    return (head + body + tail).strip("\n")
