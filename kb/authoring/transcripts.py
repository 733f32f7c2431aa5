"""Call transcripts and notes read into speaker turns, in memory (nothing here touches the disk): WebVTT from
Zoom, Teams or without speakers, SRT, Otter text, plain text or Markdown with `Name:` turns (the notes exports
of Granola, Fathom and Notion among them), and Word or Google Docs `.docx`."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from kb.authoring.transcript_text import TextCall, Turn, find_date, read_text, speaker_of
from kb.errors import KbError

__all__ = ["EXPECTED", "Transcript", "Turn", "UnreadableTranscript", "merged_turns", "read_transcript"]

EXPECTED = "a call transcript or notes: .vtt (WebVTT), .srt, .txt, .md or .docx"
# A 2-hour transcript is a few hundred kilobytes; a file this large is not a call's transcript.
LARGEST_FILE = 20 * 1024 * 1024
# Cues without a speaker (a plain VTT or SRT) are written as paragraphs of about this many seconds.
PARAGRAPH_SECONDS = 60.0


class UnreadableTranscript(KbError):
    """A file that cannot be imported: the message names it and says what was expected."""

    def __init__(self, name: str, expected: str, found: str = ""):
        self.name = name
        super().__init__(f"{name}: not imported: expected {expected}" + (f"; {found}" if found else ""))


@dataclass
class Transcript(TextCall):
    """One call as a file told it: its name and content hash, speaker turns in order, notes written beside
    them, and what the file says of the call (title, day, attendees)."""

    name: str = ""
    sha256: str = ""

    @property
    def people(self) -> list[str]:
        """Who was on the call: the speakers in the order they first spoke, then attendees who never spoke."""
        seen: dict[str, None] = {}
        for name in [*(t.speaker for t in self.turns if t.speaker), *self.attendees]:
            seen.setdefault(name, None)
        return list(seen)


def merged_turns(turns: list[Turn]) -> list[Turn]:
    """Consecutive turns of one speaker as one turn (from the first one's start); turns without a speaker as
    paragraphs of about a minute."""
    merged: list[Turn] = []
    for turn in turns:
        last = merged[-1] if merged else None
        if last is not None and last.speaker == turn.speaker and _joinable(last, turn):
            merged[-1] = Turn(last.speaker, last.start, f"{last.text} {turn.text}".strip())
        else:
            merged.append(turn)
    return merged


def _joinable(last: Turn, turn: Turn) -> bool:
    if last.speaker is not None:
        return True
    if last.start is None or turn.start is None:
        return last.start is None and turn.start is None
    return turn.start - last.start < PARAGRAPH_SECONDS


def read_transcript(name: str, data: bytes) -> Transcript:
    """The call in a file's bytes, its format told by its name's extension and its content; raises
    UnreadableTranscript, naming the file and what was expected."""
    if len(data) > LARGEST_FILE:
        raise UnreadableTranscript(name, f"{EXPECTED} under {LARGEST_FILE // 2**20} MB", f"found {len(data):,} bytes")
    reader = _reader_for(name, data)
    transcript = Transcript(name=name, format="", sha256=hashlib.sha256(data).hexdigest())
    reader(name, data, transcript)
    if not any(turn.text for turn in transcript.turns) and not transcript.notes.strip():
        raise UnreadableTranscript(name, EXPECTED, f"found no {transcript.format} text in it")
    if transcript.date is None:
        transcript.date = _date_in_name(name)
    return transcript


def _reader_for(name: str, data: bytes) -> Callable[[str, bytes, Transcript], None]:
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    head = data[:200].removeprefix(b"\xef\xbb\xbf").lstrip()
    if suffix == ".docx" or (suffix not in TEXT_SUFFIXES and head.startswith(b"PK\x03\x04")):
        return _read_docx
    if suffix == ".vtt" or head.startswith(b"WEBVTT"):
        return _read_vtt
    if suffix == ".srt" or SRT_START.match(head.decode("utf-8", "replace")):
        return _read_srt
    if suffix in TEXT_SUFFIXES:
        return _read_text
    if suffix == ".doc":
        raise UnreadableTranscript(name, "a .docx file (Word 2007 or later; save the .doc as .docx)")
    raise UnreadableTranscript(name, EXPECTED, f"found a {suffix} file" if suffix else "found no extension")


TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown")
# What SRT writers put around words: <i>, <b>, <u>, <font color=…> and positioning such as {\an8}.
SRT_MARKUP = re.compile(r"</?(?:i|b|u|font)\b[^>]*>|\{\\[^}]*\}", re.I)
SRT_START = re.compile(r"\d+\s*\n\s*\d+:\d\d:\d\d[,.]\d+\s*-->")
ZOOM_NAME = re.compile(r"GMT(\d{4})(\d\d)(\d\d)-\d{6}")


def _text_of(name: str, data: bytes, what: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableTranscript(name, f"{what} in UTF-8", f"byte {exc.start:,} is not UTF-8") from None
    if "\x00" in text:
        raise UnreadableTranscript(name, what, "found binary data (a NUL byte)")
    return text


def _read_vtt(name: str, data: bytes, transcript: Transcript) -> None:
    # webvtt-py only when a VTT is read: `kb --help` and the commands that read the KB stay fast.
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    text = _text_of(name, data, "a WebVTT file")
    try:
        captions = webvtt.WebVTT.from_string(text, strict=True).captions
    except MalformedFileError:
        raise UnreadableTranscript(name, "a WebVTT file, its first line WEBVTT") from None
    except MalformedCaptionError as exc:
        raise UnreadableTranscript(
            name, "WebVTT cues with timings such as 00:01:02.000 --> 00:01:05.000", str(exc)
        ) from None
    # Teams writes cues out of order (their ids are GUIDs, not numbers): the call is told by start time.
    captions = sorted(captions, key=lambda caption: caption.start_time.in_milliseconds())
    voiced = [caption.voice for caption in captions]
    # webvtt-py drops the cue's tags but leaves its character references (`&amp;`) as written.
    cues = [(c.start_time.in_milliseconds() / 1000, html.unescape(" ".join(c.text.split()))) for c in captions]
    if any(voiced):
        transcript.format = "Teams WebVTT"
        transcript.turns = [Turn(voice, start, text) for voice, (start, text) in zip(voiced, cues, strict=True)]
    else:
        transcript.turns, named = _named_cues(cues)
        transcript.format = "Zoom WebVTT" if named else "WebVTT"


def _named_cues(cues: list[tuple[float, str]]) -> tuple[list[Turn], bool]:
    """Cues as turns, each cue's `Name: text` read as its speaker when enough cues are written so (Zoom writes
    every cue so; other tools only the first cue of a turn, the next ones continuing it). A caption that merely
    starts with "Note: " does not make a speaker."""
    split = [speaker_of(text) for _start, text in cues]
    count = sum(speaker is not None for speaker, _text in split)
    if not (count * 2 >= len(cues) > 0 or (count >= 3 and count * 4 >= len(cues))):
        return [Turn(None, start, text) for start, text in cues], False
    turns: list[Turn] = []
    for (start, _), (speaker, text) in zip(cues, split, strict=True):
        turns.append(Turn(speaker or (turns[-1].speaker if turns else None), start, text))
    return turns, True


def _read_srt(name: str, data: bytes, transcript: Transcript) -> None:
    import srt

    text = _text_of(name, data, "an SRT file")
    try:
        subtitles = sorted(srt.parse(text), key=lambda s: s.start)
    except srt.SRTParseError as exc:
        raise UnreadableTranscript(
            name, "SRT subtitles: a number, a timing line such as 00:01:02,000 --> …, text", str(exc)
        ) from None
    cues = [(s.start.total_seconds(), " ".join(SRT_MARKUP.sub("", s.content).split())) for s in subtitles]
    transcript.turns, _named = _named_cues(cues)
    transcript.format = "SRT"


def _read_text(name: str, data: bytes, transcript: Transcript) -> None:
    markdown = PurePosixPath(name).suffix.lower() in (".md", ".markdown")
    transcript.format = "Markdown" if markdown else "text"
    read_text(_text_of(name, data, "text"), transcript)


def _read_docx(name: str, data: bytes, transcript: Transcript) -> None:
    # python-docx (and lxml under it) only when a .docx is read.
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # a damaged zip or package raises any of a dozen kinds, each saying what is wrong
        raise UnreadableTranscript(name, "a Word .docx file (a zip package)", f"{type(exc).__name__}: {exc}") from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            # Kept as lines so that no text of the document is lost; a notes table is rare in a call's notes.
            lines.extend(" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows)
            lines.append("")
            continue
        style = (block.style.name if block.style is not None else "") or ""
        text = block.text.strip()
        level = re.fullmatch(r"Heading (\d)", style)
        if style == "Title" and text:
            text = f"# {text}"
        elif level and text:
            text = f"{'#' * min(int(level.group(1)) + 1, 6)} {text}"
        elif style.startswith("List") and text:
            text = f"- {text}"
        lines.extend([text, ""])
    read_text("\n".join(lines), transcript)
    transcript.format = "Word document"
    created = document.core_properties.created
    if transcript.date is None and created is not None:
        transcript.date = created.date()


def _date_in_name(name: str) -> dt.date | None:
    """The day a file's name tells (a Zoom recording's GMT20260112-150312, or 2026-01-12)."""
    zoom = ZOOM_NAME.search(name)
    if zoom:
        try:
            return dt.date(*map(int, zoom.groups()))
        except ValueError:
            return None
    return find_date(PurePosixPath(name).name, iso_only=True)
