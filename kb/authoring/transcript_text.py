"""A call written as text read into speaker turns and notes: `Name: words` lines, Otter's `Name  0:42` and
Fathom's `0:42 - Name` lines above the words, and the header of a notes export (Granola, Fathom, Notion: a
title, `Date:`, `Attendees:`, or YAML front matter). What is not a turn nor the header is kept as notes."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from kb.records.front_matter import FrontMatterError, load_yaml
from kb.records.headings import BREAK_RE, FENCE_RE, find_headings


class Turn(NamedTuple):
    """One speaker's words: who (None when the file does not say), from when in seconds (None when it does not
    say), and the words on one line."""

    speaker: str | None
    start: float | None
    text: str


@dataclass
class TextCall:
    """What a text told of a call: its turns, the notes beside them, its title, day and attendees."""

    format: str = "text"
    turns: list[Turn] = field(default_factory=list)
    notes: str = ""
    title: str = ""
    date: dt.date | None = None
    attendees: list[str] = field(default_factory=list)


TIME = r"\d{1,2}:\d\d(?::\d\d)?(?:[.,]\d+)?"
# A speaker's name: up to five words, the first starting with a letter, and a company in brackets after it.
NAME = r"[^\W\d_][\w.'’&-]*(?: [\w.'’&-]+){0,4}(?: \((?!\d)[^()\n]{1,40}\))?"
INLINE_TURN = re.compile(
    rf"^\s*(?:[\[(]?(?P<lead>{TIME})[\])]?\s*(?:-\s*)?)?(?:\*\*)?(?P<name>{NAME})(?:\*\*)?"
    rf"(?:\s*\((?P<time>{TIME})\))?\s*:(?:\*\*)?\s+(?P<text>\S.*)$"
)
OTTER_HEAD = re.compile(rf"^(?P<name>{NAME})\s+(?P<time>{TIME})\s*$")
FATHOM_HEAD = re.compile(rf"^@?(?P<time>{TIME})\s+-\s+(?P<name>{NAME})\s*$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
PROPERTY = re.compile(
    r"^\s*(?:[-*]\s+)?(?:\*\*)?(?P<key>[A-Za-z][A-Za-z ]{1,20}?)(?:\*\*)?\s*:(?:\*\*)?\s*(?P<value>.*)$"
)
DATE_KEYS = ("date", "meeting date", "when", "created", "created at", "time")  # the first found wins, in this order
PEOPLE_KEYS = ("attendees", "participants", "invitees", "people")
# Words a notes file puts before a colon that are never a speaker's name.
NOT_NAMES = {
    *DATE_KEYS,
    *PEOPLE_KEYS,
    "title", "meeting", "location", "tags", "type", "duration", "recording", "link", "url", "organizer",
    "note", "notes", "summary", "next steps", "action items", "agenda", "decision", "decisions", "todo",
    "subject", "from", "to", "cc", "http", "https", "view recording", "transcript",
}  # fmt: skip
# The line Otter adds at the end of every export: the tool's signature, not words of the call.
OTTER_SIGNATURE = re.compile(r"^\s*Transcribed by https://otter\.ai\s*$")
FULL_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d\d)-(\d\d)(?!\d)")
MONTH_FIRST = re.compile(r"\b([A-Za-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})\b")
DAY_FIRST = re.compile(r"\b(\d{1,2}) ([A-Za-z]{3,9})\.?,? (\d{4})\b")


def seconds_of(text: str) -> float:
    """Seconds from a time written as M:SS, H:MM:SS or either with a fraction."""
    parts = [float(p.replace(",", ".")) for p in text.split(":")]
    return sum(value * 60**power for power, value in enumerate(reversed(parts)))


def speaker_of(text: str) -> tuple[str | None, str]:
    """The speaker a line starts with (`Name: words`) and the words; (None, the line) when it names none."""
    match = INLINE_TURN.match(text)
    if match is None or match["name"].strip().lower() in NOT_NAMES:
        return None, text
    return match["name"].strip(), match["text"].strip()


def find_date(text: str, iso_only: bool = False) -> dt.date | None:
    """The first real day written in `text`: 2026-01-12, or (unless iso_only) January 12, 2026 or 12 Jan 2026."""
    candidates = [(m.start(), m.group(1), m.group(2), m.group(3)) for m in ISO_DATE.finditer(text)]
    if not iso_only:
        candidates += [(m.start(), m.group(3), m.group(1), m.group(2)) for m in MONTH_FIRST.finditer(text)]
        candidates += [(m.start(), m.group(3), m.group(2), m.group(1)) for m in DAY_FIRST.finditer(text)]
    for _at, year, month, day in sorted(candidates):
        number = int(month) if month.isdigit() else _month(month)
        try:
            return dt.date(int(year), number, int(day)) if number else None
        except ValueError:
            continue
    return None


def _month(word: str) -> int:
    word = word.lower()
    for number, full in enumerate(FULL_MONTHS, start=1):
        if word in (full, full[:3]) or (word == "sept" and number == 9):
            return number
    return 0


def read_text(text: str, call: TextCall | None = None) -> TextCall:
    """A call written as text or Markdown: its turns, and every other line as its notes."""
    call = call or TextCall()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = _front_matter(lines, call)
    heads = _standalone_heads(lines)
    has_transcript_heading = any(_is_transcript_heading(line) for line in lines)
    notes: list[str] = []
    dates: dict[str, dt.date] = {}
    in_fence = in_transcript = False
    turn: list[Any] | None = None  # the turn being read: [speaker, start, words]
    people_key = False

    def close() -> None:
        nonlocal turn
        if turn is not None:
            call.turns.append(Turn(turn[0], turn[1], " ".join(turn[2])))
            turn = None

    for line in lines:
        if FENCE_RE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else HEADING.match(line)
        if heading:
            close()
            people_key = False
            in_transcript = _is_transcript_heading(line)
            if in_transcript:
                continue
            if len(heading.group(1)) == 1 and not call.title and not call.turns and not _content(notes):
                call.title = heading.group(2)
                continue
            notes.append(line)
            continue
        reading_turns = not in_fence and (in_transcript or not has_transcript_heading)
        if reading_turns and OTTER_SIGNATURE.match(line):
            continue
        head = heads.get(line.strip()) if reading_turns else None
        inline = speaker_of(line) if reading_turns and head is None else (None, line)
        if head is not None:
            close()
            turn = [head[0], head[1], []]
            call.format = head[2]
            continue
        if inline[0] is not None:
            close()
            match = INLINE_TURN.match(line)
            assert match is not None
            when = match["time"] or match["lead"]
            turn = [inline[0], seconds_of(when) if when else None, [inline[1]]]
            continue
        if turn is not None:  # a turn's words run on to the next turn or heading, over blank lines
            if line.strip():
                turn[2].append(line.strip())
            continue
        taken = None if in_fence or call.turns else _header_value(line, dates, call)
        if taken:
            people_key = taken == "people to follow"
            continue
        if people_key and re.match(r"^\s*[-*]\s+\S", line):
            call.attendees.append(_person(line.strip()[1:]))
            continue
        people_key = False
        notes.append(line)
    close()
    call.turns = [t for t in call.turns if t.text]
    call.notes = demoted("\n".join(notes).strip("\n"))
    call.date = call.date or next((dates[key] for key in DATE_KEYS if key in dates), None) or find_date(call.title)
    return call


def _content(notes: list[str]) -> bool:
    return any(line.strip() for line in notes)


def _is_transcript_heading(line: str) -> bool:
    heading = HEADING.match(line)
    return heading is not None and heading.group(2).strip("*: ").lower() in {"transcript", "full transcript"}


def _standalone_heads(lines: list[str]) -> dict[str, tuple[str, float, str]]:
    """The lines that name a speaker above their words (Otter's `Name  0:42`, Fathom's `0:42 - Name`), when the
    file holds several (one "Call at 10:30" line in notes is no transcript)."""
    found: dict[str, tuple[str, float, str]] = {}
    for line in lines:
        stripped = line.strip()
        for pattern, label in ((OTTER_HEAD, "Otter text"), (FATHOM_HEAD, "Fathom transcript")):
            match = pattern.match(stripped)
            if match and match["name"].lower() not in NOT_NAMES:
                found[stripped] = (match["name"].strip(), seconds_of(match["time"]), label)
    return found if len(found) >= 2 else {}


def _header_value(line: str, dates: dict[str, dt.date], call: TextCall) -> str:
    """ "taken" when `line` is a header property of the call (its day, who attended), taken into `dates` or
    `call`; "people to follow" for an attendees key whose list is on the lines below; "" for any other line."""
    match = PROPERTY.match(line)
    if match is None:
        return ""
    key, value = match["key"].strip().lower(), match["value"].strip().strip("*").strip()
    if key in DATE_KEYS:
        day = find_date(value)
        if day is None:
            return ""
        dates.setdefault(key, day)
        return "taken"
    if key in PEOPLE_KEYS:
        call.attendees += [_person(p) for p in re.split(r"[,;]", value) if _person(p)]
        return "taken" if value else "people to follow"
    return ""


def _person(text: str) -> str:
    """An attendee as written, without Notion's @ or a Markdown link around the name."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).strip()
    return text.lstrip("@").strip()


def _front_matter(lines: list[str], call: TextCall) -> list[str]:
    """The lines after a YAML front matter (title, date, attendees taken from it); all lines when it has none."""
    if not lines or lines[0].strip() != "---":
        return lines
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return lines
    try:
        _node, data = load_yaml("\n".join(lines[1:end]))
    except FrontMatterError:
        return lines  # not front matter kb can read: every line is kept as notes
    if not isinstance(data, dict):
        return lines
    values = {str(k).lower(): v for k, v in data.items()}
    call.title = str(values.get("title") or "")
    for key in DATE_KEYS:
        value = values.get(key)
        day = value if isinstance(value, dt.date) else find_date(str(value)) if value else None
        if day is not None:
            call.date = day.date() if isinstance(day, dt.datetime) else day
            break
    for key in PEOPLE_KEYS:
        value = values.get(key)
        items = value if isinstance(value, list) else re.split(r"[,;]", str(value)) if value else []
        call.attendees += [_person(str(item)) for item in items if _person(str(item))]
    return lines[end + 1 :]


def demoted(notes: str) -> str:
    """Notes with their headings written `###` and below: inside a record's `## Notes`, a `#` or `##` heading
    of the export (or an underlined one) would start a section of its own. The headings are those kb's parser
    reads (kb.records.headings), so that none is missed and no other line is made one. A rule ending the
    notes is dropped."""
    lines = notes.split("\n")
    while lines and (not lines[-1].strip() or BREAK_RE.fullmatch(lines[-1])):
        lines.pop()
    headings = find_headings(lines, questions=False)
    shift = max(0, 3 - min(heading.level for heading in headings)) if headings else 0
    for heading in reversed(headings):  # from the end: an underlined heading's two lines become one
        if shift or heading.underlined:
            written = f"{'#' * min(heading.level + shift, 6)} {heading.title}"
            lines[heading.at : heading.at + (2 if heading.underlined else 1)] = [written]
    return "\n".join(lines)
