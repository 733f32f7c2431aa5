"""Marking a quote in a call: what is written into the file when a reader selects words on its page.

`mark_quote(text, selection, block, tags)` returns the call's new text, changed in one place only:

- The selection is the page's rendered text, so it is matched leniently: word by word, ignoring case,
  punctuation, Markdown markup (`**`, `_`, backticks), line breaks, a link's target when the link shows a
  label, and HTML entities. It must be found exactly once in the body, never in front matter, code or an
  HTML comment, and within one paragraph or one quote; otherwise nothing is written and the message says
  why.
- Inside a blockquote that has no block id: ` #tags ^id` is added at the end of its last line (the tags go
  before a closing `— Speaker`, where kb reads tags, not at the end, where they would read as the name).
- Inside a quote that has an id already: refused, "already quoted as ^id".
- Inside any other paragraph (a note, a transcript turn `**Maya Chen** (00:12:04): words`): a quote
  paragraph `> words #tags — Maya Chen ^id` is inserted after it, set off by a blank line, the speaker
  being the turn's bold name when it has one; the paragraph itself is left as it was. The words are the
  selection on one line, without the turn's name and time, made to read as plain words in a quote (no
  `[[` link, no HTML, no list or heading mark; without a speaker, no dash that would read as one).
- The id, when none is given: the first four words of the selection in lowercase ASCII letters and
  digits, joined by dashes, made unique in the file with -2, -3...; a given id must be letters, digits
  and dashes, and not be the id of another block of the file.

Every other line of the file is kept byte for byte, its line ends included.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kb.errors import KbError
from kb.records.parse import COMMENT_RE, FENCED_RE, LINK_RE, visible_text
from kb.records.quotes import BLOCK_ID

ID_WORDS = 4  # a suggested id is this many words of the selection
MAX_ID = 64
MAX_SPEAKER = 80  # a longer name after the dash is not read as a speaker
# The words a page shows: letters and digits (markup and punctuation are not compared).
_WORD = re.compile(r"[^\W_]+")
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);")
_LINK_URL = re.compile(r"(?<=\])\([^()\s]*(?:\s+\"[^\"\n]*\")?\)")  # [words](url "title"): the url is not shown
# As kb.records.quotes reads a quote: a `>` line, ending in ` ^id`, its speaker after a closing dash.
_QUOTE_LINE = re.compile(r"^ {0,3}>")
_ENDS_IN_ID = re.compile(rf"(?:^|\s)\^({BLOCK_ID})\s*$")
_SPEAKER = re.compile(r"\s(?:—|–|--)\s*([^—–]+?)\s*$")
_TIME = r"\(\d{1,2}:\d{2}(?::\d{2})?\)"
# A transcript turn as `kb import` writes it: `**Maya Chen** (00:12:04): words`.
_TURN = re.compile(rf"^ {{0,3}}\*\*([^*\n]+?)\*\*(?:\s*{_TIME})?\s*:")
_TAG = re.compile(r"[A-Za-z][\w-]*")
_GIVEN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")


class CannotMark(KbError):
    """The selection cannot be marked as a quote (not found, ambiguous, quoted already, a bad id or tag)."""

    http_status = 400


@dataclass(frozen=True)
class MarkedQuote:
    """The file's new text, the quote's block id, its line (from 1) in the new text, and whether it is new."""

    text: str
    block: str
    line: int
    added: bool


@dataclass
class _Unit:
    """A paragraph of the body (lines `first` to `last`), or a quote: `>` lines up to one ending in an id."""

    first: int
    last: int
    quote: bool
    block: str | None = None


def mark_quote(text: str, selection: str, block: str = "", tags: str | Sequence[str] = ()) -> MarkedQuote:
    """The call's text with the selected words marked as a quote (the rule is in this module's docstring)."""
    lines = text.split("\n")  # each keeps a "\r" of a CRLF file: written back as it was
    start = _body_start(lines)
    body = "\n".join(line.removesuffix("\r") for line in lines[start:])
    # Words in inline code are shown on the page, and can be selected; ids in it are no ids.
    visible, readable = visible_text(body).split("\n"), _readable(body).split("\n")
    units = _units(readable, visible)
    unit = _unit_of(readable, units, selection)
    tag_words = parse_tags(tags)
    taken = block_ids(text)
    if unit.quote and unit.block:
        raise CannotMark(f"those words are already quoted as ^{unit.block}")
    last = start + unit.last
    line = lines[last].removesuffix("\r")
    eol = "\r" if lines[last].endswith("\r") else ""
    first_line = visible[unit.first]
    speaker = None if unit.quote else _speaker_of(first_line)
    words = _quote_words(selection, speaker, unit.quote)
    block = check_id(block, taken) if block.strip() else suggest_id(words, taken)
    if unit.quote:
        quoted = " ".join(visible[unit.first : unit.last + 1]).lower()
        fresh = [tag for tag in tag_words if not re.search(rf"#{re.escape(tag.lower())}(?![\w-])", quoted)]
        return MarkedQuote(
            _with_line(lines, last, _ended(line, visible[unit.last], fresh, block) + eol), block, last + 1, False
        )
    if not words:
        raise CannotMark("select some words of the call to quote")
    quote = " ".join(
        ["> " + words, *(f"#{tag}" for tag in tag_words), *([f"— {speaker}"] if speaker else []), f"^{block}"]
    )
    after = lines[last + 1] if last + 1 < len(lines) else None
    added = ["" + eol, quote + eol] + (["" + eol] if after is None or after.strip() else [])
    return MarkedQuote("\n".join([*lines[: last + 1], *added, *lines[last + 1 :]]), block, last + 3, True)


def block_ids(text: str) -> set[str]:
    """The block ids (`^id` ending a line outside front matter, code and comments) of a file, in lowercase."""
    lines = text.split("\n")
    visible = visible_text("\n".join(line.removesuffix("\r") for line in lines[_body_start(lines) :]))
    return {match.group(1).lower() for line in visible.split("\n") if (match := _ENDS_IN_ID.search(line))}


def suggest_id(words: str, taken: Iterable[str] = ()) -> str:
    """An id from the first words of a quote (lowercase ASCII, dashes), made unique among `taken` with -2, -3..."""
    plain = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode("ascii").lower()
    plain = re.sub(r"(?<=[a-z0-9])['’](?=[a-z])", "", plain)  # "I'd" is one word: id, not i-d
    base = "-".join(re.findall(r"[a-z0-9]+", plain)[:ID_WORDS])[: MAX_ID - 4].strip("-") or "quote"
    used = {each.lower() for each in taken}
    block, number = base, 1
    while block in used:
        number += 1
        block = f"{base}-{number}"
    return block


def check_id(given: str, taken: Iterable[str] = ()) -> str:
    """A block id typed by the user, refused unless it is letters, digits and dashes and new in the file."""
    block = given.strip().removeprefix("^")
    if not _GIVEN_ID.fullmatch(block) or len(block) > MAX_ID:
        raise CannotMark(
            f"quote id {given.strip()!r}: use letters, digits and dashes (up to {MAX_ID}), "
            "starting with a letter or digit, like failed-audit"
        )
    if block.lower() in {each.lower() for each in taken}:
        raise CannotMark(f"^{block} is already an id in this call: choose another")
    return block


def parse_tags(tags: str | Sequence[str]) -> list[str]:
    """Tags as typed (`audit, #pricing`), each checked to be a word kb reads as a tag."""
    words = (
        re.split(r"[\s,]+", tags) if isinstance(tags, str) else [w for tag in tags for w in re.split(r"[\s,]+", tag)]
    )
    found: list[str] = []
    for word in (w.removeprefix("#") for w in words if w.strip()):
        if not _TAG.fullmatch(word):
            raise CannotMark(f"tag {word!r}: a tag is one word of letters, digits, '-' or '_', starting with a letter")
        if word.lower() not in {each.lower() for each in found}:
            found.append(word)
    return found


def _body_start(lines: list[str]) -> int:
    """The index of the body's first line: after the front matter, as kb's parser reads it."""
    if not lines or lines[0].removeprefix("\ufeff").strip() != "---":
        return 0
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    return 1 if end is None else end + 1


def _readable(body: str) -> str:
    """The body with its code blocks and comments blanked out, every position kept (inline code stays)."""
    for hidden in (FENCED_RE, COMMENT_RE):
        body = hidden.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), body)
    return body


def _units(readable: list[str], visible: list[str]) -> list[_Unit]:
    """The body's paragraphs and quotes, as kb.records.quotes splits them."""
    units: list[_Unit] = []
    current: _Unit | None = None
    for number, line in enumerate(readable):
        quote = _QUOTE_LINE.match(line) is not None
        if not line.strip() or (quote and not line.lstrip(" >").strip()):
            current = None
            continue
        if current is None or current.quote != quote:
            current = _Unit(number, number, quote)
            units.append(current)
        current.last = number
        ends = _ENDS_IN_ID.search(visible[number]) if quote else None
        if ends:  # a quote ends at its id; the next `>` line starts another
            current.block, current = ends.group(1), None
    return units


def _norm(word: str) -> str:
    return unicodedata.normalize("NFKC", word).casefold()


def _shown(readable: str) -> str:
    """The body with what a page does not show as words blanked out, every position kept."""

    def label_only(match: re.Match) -> str:
        group = 3 if match.group(3) else 2
        return " " * (match.start(group) - match.start()) + match.group(group) + " " * (match.end() - match.end(group))

    shown = LINK_RE.sub(label_only, readable)
    for hidden in (_LINK_URL, _ENTITY):
        shown = hidden.sub(lambda m: " " * len(m.group(0)), shown)
    return shown


def _unit_of(readable: list[str], units: list[_Unit], selection: str) -> _Unit:
    """The one paragraph or quote that holds the selected words, or why there is none."""
    wanted = [_norm(word) for word in _WORD.findall(selection)]
    if not wanted:
        raise CannotMark("select some words of the call to quote")
    tokens = list(_WORD.finditer(_shown("\n".join(readable))))
    words = [_norm(token.group()) for token in tokens]
    size = len(wanted)
    found = [i for i in range(len(words) - size + 1) if words[i] == wanted[0] and words[i : i + size] == wanted]
    if not found:
        raise CannotMark(
            "the selected words are not in the call's notes as the page showed them (the file may have changed, "
            "or they run across a comment or code): select words within one paragraph"
        )
    if len(found) > 1:
        raise CannotMark(
            f"the selected words occur {len(found)} times in the call: select more of them, so that they name one place"
        )
    starts = [0]
    for line in readable[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    first = bisect_right(starts, tokens[found[0]].start()) - 1
    last = bisect_right(starts, tokens[found[0] + size - 1].start()) - 1
    unit = next((u for u in units if u.first <= first <= u.last), None)
    if unit is None or last > unit.last:
        raise CannotMark("the selection runs across paragraphs: select words within one paragraph or quote")
    return unit


def _speaker_of(line: str) -> str | None:
    """The speaker of a transcript turn (its bold name), cleaned to read as a quote's speaker."""
    turn = _TURN.match(line)
    if not turn:
        return None
    name = " ".join(re.sub(r"[—–#^<>\[\]]", " ", turn.group(1)).replace("--", " ").split())
    return name if 0 < len(name) <= MAX_SPEAKER else None


def _quote_words(selection: str, speaker: str | None, in_quote: bool) -> str:
    """The selected words as the text of a new quote: one line that Markdown and kb read as plain words."""
    words = " ".join(selection.split())
    if in_quote:
        return words
    name = rf"(?:{re.escape(speaker)}\s*)?" if speaker else ""
    lead = re.match(rf"{name}{_TIME}\s*:?\s*|{name}:\s*" if speaker else rf"{_TIME}\s*:?\s*", words)
    if lead and words[lead.end() :].strip():  # the turn's name and time are said by the dash, not quoted
        words = words[lead.end() :]
    words = words.replace("`", "'").replace("[[", "[\\[")
    words = re.sub(r"<(?=[A-Za-z!/?])", "&lt;", words)
    if not speaker:  # a dash would read as the start of the speaker's name
        words = re.sub(r"(?:(?<=\s)|^)(?:—|–|--)", "-", words)
    number = re.match(r"\d+(?=[.)](?:\s|$))", words)
    if number:  # "1. words" would be a list
        return f"{number.group()}\\{words[number.end() :]}"
    return "\\" + words if re.match(r"(#|>|[-+*](?:\s|$)|[-*_=]{3})", words) else words


def _ended(line: str, visible_line: str, tags: list[str], block: str) -> str:
    """A quote's last line with its tags (before a closing `— Speaker`) and ` ^id` added."""
    kept = len(visible_line.rstrip())
    line, rest = line[:kept], line[kept:]
    tagged = " ".join(f"#{tag}" for tag in tags)
    said = _SPEAKER.search(visible_line[:kept])
    if tagged and said and len(said.group(1)) <= MAX_SPEAKER:
        line = f"{line[: said.start()]} {tagged}{line[said.start() :]}"
    elif tagged:
        line = f"{line} {tagged}"
    return f"{line}{rest.rstrip()} ^{block}"


def _with_line(lines: list[str], number: int, line: str) -> str:
    return "\n".join([*lines[:number], line, *lines[number + 1 :]])
