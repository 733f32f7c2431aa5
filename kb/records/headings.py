"""The headings of a Markdown body and the sections they make: which heading answers which question.

The rule: a heading is a line of one to six `#`s and its title (up to three spaces before it), or a
title line underlined with `===` (level 1) or `---` (level 2); headings inside code fences are text. A
`---` line is an underline only right under a one-line paragraph (after a blank line, a heading or the
start of the body), so front matter and a thematic break (`---` after a blank line) stay what they are.
kb reads the questions at one level: the level at which headings name the most of the five questions
(the higher level on a tie; `##` when no heading names one). Every heading at that level starts a
section, and so does every higher heading after the first section; a higher heading before the first
section (a document's `# title`) belongs with the text before the sections. A section whose heading is
in a question's words (any wording the aliases accept, numbered or not: `## 1. Why now?`, `### Q1: ...`)
is that question's answer, running until the next section. Deeper headings are part of the text of the
section they sit in. No text is dropped: every line is in the text before the sections, in a section's
text, or is a section's heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.records.fields import QUESTIONS, question_for

FENCE_RE = re.compile(r"^\s{0,3}(```|~~~)")
UNDERLINE_RE = re.compile(r" {0,3}(?:=+|-+)[ \t]*")
BREAK_RE = re.compile(r" {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})")
# Lines that do not start a paragraph, so cannot be underlined into a heading: quotes, ATX headings,
# HTML, table rows, list items, indented code, and rules made only of -, =, * or _.
NOT_PARAGRAPH_RE = re.compile(r" {0,3}(?:[>#<|]|[-+*](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$))| {4}|\t|[-=*_ \t]+$")
# A line that looks like a question but is not a heading: bold or italic alone, or ending in '?'.
LOOKALIKE_RE = re.compile(
    r"\s{0,3}(?:\d{1,3}[.)]\s*)?(?:(\*\*|__|\*|_)(?P<em>[^*_\n]{1,100})\1:?|(?P<ask>[^#\n]{1,100}\?))\s*"
)
SHOWN = 8  # headings a message names before "and N more"


@dataclass(frozen=True)
class Heading:
    """One heading: its title line (from 0), level 1–6, title, whether underlined, and its question."""

    at: int
    level: int
    title: str
    underlined: bool = False
    question: str | None = None

    @property
    def written(self) -> str:
        """The heading as a message shows it."""
        title = self.title if len(self.title) <= 60 else self.title[:59] + "…"
        if self.underlined:
            return f"`{title}` underlined with {'===' if self.level == 1 else '---'}"
        return f"`{'#' * self.level} {title}`"


def atx_heading(line: str) -> tuple[int, str] | None:
    """The level and title of a `## title ##` line (spaces and closing #s dropped), or None.

    Cut by hand, not by one regex: a pattern that also drops the closing run, `#+[ \\t]+(.+?)[ \\t#]*$`,
    backtracks over every long run of spaces or #s in the line, which takes seconds on a 16 KB line.
    The #s need a space or tab after them and something after that (`## ` alone is no heading);
    a title of only #s keeps its first.
    """
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3 or not stripped.startswith("#"):
        return None
    after = stripped.lstrip("#")
    level = len(stripped) - len(after)
    rest = after.lstrip(" \t")
    spaces = len(after) - len(rest)
    if level > 6 or not spaces or not (rest or spaces > 1):
        return None
    return level, (rest.rstrip(" \t#") or rest[:1]).strip()


def _comment_open_after(line: str, open_: bool) -> bool:
    """Whether an HTML comment is still open at the end of `line`, given whether one was at its start."""
    at = 0
    while True:
        if open_:
            end = line.find("-->", at)
            if end < 0:
                return True
            open_, at = False, end + 3
        else:
            start = line.find("<!--", at)
            if start < 0:
                return False
            open_, at = True, start + 4


def find_headings(lines: list[str], questions: bool = True) -> list[Heading]:
    """Every heading of a body's lines, in order; with `questions`, each knows the question it names."""
    found: list[Heading] = []
    in_fence = in_comment = False
    # Whether the line before can be underlined into a heading (a one-line paragraph, outside comments).
    paragraph = False
    ends_block = True  # the line before ends a block: the start, a blank line, a heading or a break
    for at, line in enumerate(lines):
        if FENCE_RE.match(line):
            in_fence = not in_fence
            paragraph, ends_block = False, False
            continue
        if in_fence:
            continue
        commented = in_comment
        if in_comment or "<!--" in line:
            in_comment = _comment_open_after(line, in_comment)
        atx = atx_heading(line) if "#" in line[:4] else None
        if atx is not None:
            level, title = atx
        elif paragraph and not commented and line[:4].lstrip(" ")[:1] in ("=", "-") and UNDERLINE_RE.fullmatch(line):
            level, title = (1 if "=" in line else 2), lines[at - 1].strip()
            found.append(Heading(at - 1, level, title, True, question_for(title) if questions else None))
            paragraph, ends_block = False, True
            continue
        else:
            blank = not line.strip()
            paragraph = (
                ends_block and not blank and not commented and not in_comment and not NOT_PARAGRAPH_RE.match(line)
            )
            ends_block = blank or BREAK_RE.fullmatch(line) is not None
            continue
        found.append(Heading(at, level, title, False, question_for(title) if questions else None))
        paragraph, ends_block = False, True
    return found


def question_level(headings: list[Heading]) -> int:
    """The level the questions sit at: where headings name the most of them (the higher on a tie; 2 if none)."""
    named: dict[int, set[str]] = {}
    for heading in headings:
        if heading.question:
            named.setdefault(heading.level, set()).add(heading.question)
    if not named:
        return 2
    return min(named, key=lambda level: (-len(named[level]), level))


def section_starts(headings: list[Heading]) -> list[Heading]:
    """The headings that start sections: those at the questions' level, and higher ones after the first."""
    level = question_level(headings)
    starts: list[Heading] = []
    for heading in headings:
        if heading.level == level or (heading.level < level and starts):
            starts.append(heading)
    return starts


def missing_note(
    lines: list[str], headings: list[Heading], starts: list[Heading], first_line: int
) -> tuple[int, str] | None:
    """Why a story has no section for some of the five questions, as (line, message); None when every
    question has one, or when kb read every heading as written (a story with some answers and other
    sections, such as `## Notes`, is only incomplete): the note is for headings in a missing question's
    words that answer nothing, lines that read like one, and stories with headings but no answer at all."""
    named = {heading.question for heading in starts if heading.question}
    missing = [q for q in QUESTIONS if q.key not in named]
    if not missing:
        return None
    answers = {heading.at for heading in starts if heading.question}
    others = [heading for heading in headings if heading.at not in answers]
    lookalikes = _lookalikes(lines, {q.key for q in missing}, {heading.at for heading in headings})
    astray = any(heading.question in {q.key for q in missing} for heading in others)
    if not (astray or lookalikes or (others and not answers)):
        return None
    level = question_level(headings)
    asked = " and ".join(f"'{q.heading}'" for q in missing[:2])
    if len(missing) == len(QUESTIONS):
        asked = "any of the five questions"
    elif len(missing) > 2:
        asked = f"{len(missing)} questions ({'; '.join(q.heading for q in missing)})"
    where = f"at the level of the other questions (here {'#' * level})" if named else "at any level (# to ######)"
    rule = (
        f"kb reads an answer under a heading in its question's words, e.g. `{'#' * level} {missing[0].heading}`, "
        f"{where}, written with #s or underlined"
    )
    hint = "".join(
        f"; line {first_line + at} ({shown}) reads like a question but is not a heading" for at, shown in lookalikes
    )
    if not others:
        first = lookalikes[0][0] if lookalikes else next((at for at, line in enumerate(lines) if line.strip()), 0)
        found = "no other headings" if headings else "no headings"
        return first_line + first, f"no answer found for {asked}: the story has {found}; {rule}{hint}"
    seen = [_seen(heading, starts, level, first_line) for heading in others[:SHOWN]]
    if len(others) > SHOWN:
        seen.append(f"and {len(others) - SHOWN} more")
    besides = f" besides the {len(answers)} answer{'s' if len(answers) != 1 else ''}" if answers else ""
    none = "" if any(h.question for h in others) else ", none in the words of a question"
    listed = f"headings seen{besides}: {', '.join(seen)}{none}"
    return first_line + others[0].at, f"no answer found for {asked}: {listed}; {rule}{hint}"


def _seen(heading: Heading, starts: list[Heading], level: int, first_line: int) -> str:
    """A heading as the message lists it, with why it answers no question when that is not its words."""
    shown = f"{heading.written} (line {first_line + heading.at}"
    if heading in starts:
        return shown + ")"
    holder = next((start for start in reversed(starts) if start.at < heading.at), None)
    if holder is None:
        why = "above the questions' level, before them" if heading.level < level else "in the text before the sections"
        return shown + f", {why})"
    return shown + f", inside {holder.written} of line {first_line + holder.at}, so part of its text)"


def _lookalikes(lines: list[str], missing: set[str], titles: set[int]) -> list[tuple[int, str]]:
    """Lines outside code that read as a missing question but are no heading's (bold alone, or a question)."""
    found: list[tuple[int, str]] = []
    in_fence = False
    for at, line in enumerate(lines):
        if FENCE_RE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence or len(line) > 120 or at in titles else LOOKALIKE_RE.fullmatch(line)
        if match and question_for(match.group("em") or match.group("ask")) in missing:
            found.append((at, f"`{line.strip()}`"))
            if len(found) == 3:
                break
    return found
