"""Quotes: the evidence inside a call.

In an interview, a quote is a Markdown blockquote (one `>` line, or a paragraph of them) whose last line
ends in an Obsidian-style block id:

    > We failed the audit twice, and the #audit cost us a quarter. — Maya Chen ^failed-audit

The text after a closing dash (`—`, `–` or `--`) names who said it; `#words` inside it tag it. A record
cites it as `[[2026-01-12-acme-discovery#^failed-audit]]`, the syntax Obsidian, Foam and markdown-oxide
resolve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.errors import ERROR, WARNING, Problem

# A block id as Obsidian writes it: letters, digits and dashes, after ` ^` at the very end of the line.
BLOCK_ID = r"[A-Za-z0-9][A-Za-z0-9-]*"
_ENDS_IN_ID = re.compile(rf"(?:^|\s)\^({BLOCK_ID})\s*$")
_QUOTE_LINE = re.compile(r"^ {0,3}>")
_SPEAKER = re.compile(r"\s(?:—|–|--)\s*([^—–]+?)\s*$")
_TAG = re.compile(r"(?<![\w#&/])#([A-Za-z][\w-]*)")
_QUOTED = re.compile(r'^["“”]|["“”]$')
# Where a citation names a quote: `[[slug#^block-id]]`.
BLOCK_SEPARATOR = "#^"


@dataclass
class Quote:
    """One quote of an interview: its block id, its words, who said them, its tags and its first line."""

    block: str
    text: str
    line: int
    speaker: str | None = None
    tags: list[str] = field(default_factory=list)


def anchor(block: str) -> str:
    """The HTML id of a quote's place on its call's page."""
    return "q-" + block


def split_target(target: str) -> tuple[str, str | None]:
    """A link's target as (slug, block id): `2026-01-12-acme#^failed-audit` is the call and the quote."""
    slug, separator, block = target.partition(BLOCK_SEPARATOR)
    if not separator or not re.fullmatch(BLOCK_ID, block.strip()):
        return target, None
    return slug.strip(), block.strip()


def find_quotes(visible: str, first_line: int, path: str) -> tuple[list[Quote], list[Problem]]:
    """The quotes of a body whose comments and code are blanked out (`visible`, as links are looked for),
    and the problems of their ids: an id used twice, an id on a line that is no quote."""
    quotes: list[Quote] = []
    problems: list[Problem] = []
    lines = visible.split("\n")
    start = None  # the first line of the blockquote paragraph under way
    for number, line in enumerate(lines):
        if _QUOTE_LINE.match(line) and line.lstrip(" >").strip():
            if start is None:
                start = number
            ends = _ENDS_IN_ID.search(line)
            if ends:
                quotes.append(_quote(lines[start : number + 1], ends, first_line + start))
                start = None
            continue
        start = None
        ends = _ENDS_IN_ID.search(line)
        if ends and line.strip() != f"^{ends.group(1)}":
            message = (
                f"^{ends.group(1)} ends a line that is no quote: a quote is a blockquote line, "
                f"`> words — Who ^{ends.group(1)}`"
            )
            problems.append(Problem(path, first_line + number, WARNING, message))
    seen: dict[str, int] = {}
    for quote in quotes:
        if quote.block in seen:
            message = f"quote id ^{quote.block} is used twice (lines {seen[quote.block]} and {quote.line}): rename one"
            problems.append(Problem(path, quote.line, ERROR, message))
        else:
            seen[quote.block] = quote.line
    return quotes, problems


def _quote(lines: list[str], ends: re.Match, line: int) -> Quote:
    """The quote of a blockquote paragraph whose last line ends in a block id."""
    lines = [*lines[:-1], lines[-1][: ends.start()]]
    text = " ".join(part.strip() for part in (re.sub(r"^ {0,3}>+ ?", "", each) for each in lines) if part.strip())
    speaker = None
    said = _SPEAKER.search(text)
    if said and len(said.group(1)) <= 80:
        speaker, text = said.group(1).strip(), text[: said.start()].rstrip()
    if _QUOTED.match(text) and _QUOTED.search(text[1:]):  # "in quotation marks" as a whole
        text = _QUOTED.sub("", text).strip()
    tags = sorted({tag.lower() for tag in _TAG.findall(text)})
    return Quote(ends.group(1), text, line, speaker, tags)
