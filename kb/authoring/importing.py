"""A call's transcript or notes imported as an interview record: planned in memory (the path and the text it
would write, or the call it already is), then written as a logged call is, never over a file."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from kb.authoring.call_form import CALL_FIELDS, CallForm, call_text, calls_folder, save_new_call
from kb.authoring.form_checks import form_problems
from kb.authoring.new_customers import customer_for, make_customer
from kb.authoring.records_on_disk import RecordsOnDisk
from kb.authoring.saving import SLUG_RE, Saved
from kb.authoring.transcripts import Transcript, Turn, merged_turns, read_transcript
from kb.config import Kb
from kb.errors import KbError, UsageError, did_you_mean
from kb.records.document import Document, clean_line
from kb.vocabulary import INTERVIEW_KINDS, slug_of

# The front-matter key that keeps the imported file's SHA-256: the same file imported again writes nothing.
SOURCE_KEY = "source_sha256"
TRANSCRIPT_HEADING = "Transcript"


@dataclass(frozen=True)
class ImportPlan:
    """What importing one file would do: write `text` at `path` (and a customer file for a new customer), or
    nothing, the file being imported already as the call at `path`."""

    source: str
    customer: str
    path: str
    text: str = ""
    customer_name: str | None = None  # the display name of a customer with no file yet: one is written
    already_imported: bool = False


def check_kind(kind: str) -> None:
    """Refuse an interview kind kb does not know, with the ones it does."""
    if kind not in INTERVIEW_KINDS:
        raise UsageError(
            f"--kind: expected one of {', '.join(INTERVIEW_KINDS)}; got {kind!r}{did_you_mean(kind, INTERVIEW_KINDS)}"
        )


def imported_as(kb: Kb, sha256: str, on_disk: RecordsOnDisk | None = None) -> str | None:
    """The path of the call imported from a file of this SHA-256, if there is one."""
    on_disk = on_disk or RecordsOnDisk(kb)
    # The key is written by kb on one line: a bytes search finds it without parsing every call.
    needle = re.compile(rb"^" + SOURCE_KEY.encode() + rb":[ \t]*['\"]?" + sha256.encode() + rb"\b", re.M)
    for shown, file in on_disk.files.items():
        if file.type != "interview":
            continue
        try:
            with open(file.path, "rb") as stream:
                if needle.search(stream.read()):
                    return shown
        except OSError:
            continue  # a call kb cannot read is reported by `kb check`, not here
    return None


def plan_import(
    kb: Kb,
    transcript: Transcript,
    customer: str,
    kind: str = "other",
    date: dt.date | None = None,
    owner: str = "",
    on_disk: RecordsOnDisk | None = None,
) -> ImportPlan:
    """The interview a transcript would become (nothing is written): its path and text, or the call it
    already is; `date` wins over the day the file tells. Raises KbError saying what is missing."""
    check_kind(kind)
    on_disk = on_disk or RecordsOnDisk(kb)
    existing = imported_as(kb, transcript.sha256, on_disk)
    if existing is not None:
        return ImportPlan(transcript.name, customer, existing, already_imported=True)
    day = date or transcript.date
    if day is None:
        raise KbError(
            f"{transcript.name}: not imported: expected the day of the call in the file, its metadata or its name; "
            "found none: give it with --date YYYY-MM-DD"
        )
    slug, name = customer_for(customer, on_disk.slugs("customer"))
    if not SLUG_RE.fullmatch(slug):
        raise UsageError(f"--customer: cannot make a file name from {customer!r}: use letters or digits")
    text = interview_text(kb, transcript, slug, kind, day, owner)
    folder, base = calls_folder(kb, day), f"{day.isoformat()}-{slug}-{kind}"
    taken = on_disk.slugs("interview")
    number = next(n for n in range(1, len(taken) + 2) if (base if n == 1 else f"{base}-{n}") not in taken)
    path = f"{folder}/{base if number == 1 else f'{base}-{number}'}.md"
    errors = form_problems(text, path, "interview", CALL_FIELDS)
    if errors:  # a value from the file that the record cannot hold: said, never written half-right
        raise KbError(f"{transcript.name}: not imported: " + "; ".join(f"{e.field}: {e.message}" for e in errors))
    return ImportPlan(transcript.name, slug, path, text, name)


def write_import(kb: Kb, plan: ImportPlan, on_disk: RecordsOnDisk | None = None) -> Saved:
    """Write a planned interview (at the next free number if its name was taken meanwhile) and, after it, the
    file of a new customer; raises KbError for a file imported already."""
    if plan.already_imported:
        raise KbError(f"{plan.source}: already imported as {plan.path}")
    on_disk = on_disk or RecordsOnDisk(kb)
    folder, name = plan.path.rsplit("/", 1)
    path = save_new_call(kb, folder, slug_of(name), plan.text, set())
    made = make_customer(kb, plan.customer, plan.customer_name, on_disk.slugs("customer")) if plan.customer_name else []
    return Saved(path, slug_of(path), plan.text, made)


def import_transcript(
    kb: Kb,
    name: str,
    data: bytes,
    customer: str,
    kind: str = "other",
    date: dt.date | None = None,
    owner: str = "",
) -> tuple[ImportPlan, Saved | None]:
    """Read, plan and write one file's call; (the plan, None) when it was imported already."""
    on_disk = RecordsOnDisk(kb)  # a fresh look: a call written a moment ago counts as imported
    plan = plan_import(kb, read_transcript(name, data), customer, kind, date, owner, on_disk)
    if plan.already_imported:
        return plan, None
    return plan, write_import(kb, plan, on_disk)


def interview_text(kb: Kb, transcript: Transcript, customer: str, kind: str, day: dt.date, owner: str = "") -> str:
    """The Markdown of an imported call: the KB's interview skeleton with the call's values, its notes, the
    source's hash, and a `## Transcript` section of the turns, one speaker's consecutive turns merged."""
    form = CallForm(
        customer=customer,
        date=day.isoformat(),
        kind=kind,
        people="\n".join(transcript.people),
        owner=clean_line(owner),
        notes=transcript.notes,
    )
    document = Document(call_text(kb, form, customer))
    document.set_value(SOURCE_KEY, transcript.sha256)
    body = [f"## {TRANSCRIPT_HEADING}", _provenance(transcript), ""]
    for turn in merged_turns(transcript.turns):
        body += [turn_line(turn), ""]
    return document.text.rstrip("\n") + "\n\n" + "\n".join(body).rstrip("\n") + "\n"


def _provenance(transcript: Transcript) -> str:
    shown = transcript.name.replace("\\", "/").rsplit("/", 1)[-1].replace("`", "'")
    title = f": “{_inline(clean_line(transcript.title))}”" if transcript.title.strip() else ""
    return f"Imported from `{shown}` ({transcript.format}){title}."


def clock(seconds: float) -> str:
    """A time into the call as HH:MM:SS."""
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def turn_line(turn: Turn) -> str:
    """One turn as a paragraph: `**Maya Chen** (00:12:04): words`. The time is in round brackets after the
    bold name, so that no square bracket makes it read as a Markdown link."""
    when = f"({clock(turn.start)})" if turn.start is not None else ""
    if turn.speaker:
        lead = f"**{_inline(turn.speaker).replace('*', '')}**" + (f" {when}" if when else "")
        return f"{lead}: {_inline(turn.text)}"
    if when:
        return f"{when} {_inline(turn.text)}"
    return _block_safe(_inline(turn.text))


def _inline(text: str) -> str:
    """Words as plain text inside a paragraph: no `[[` read as a link to a record, no `<` opening a tag or an
    HTML comment that would hide the rest of the file."""
    text = clean_line(text).replace("[[", "[\\[")
    return re.sub(r"<(?=[A-Za-z!/?])", "&lt;", text)


def _block_safe(text: str) -> str:
    """A paragraph that starts as plain words, not as a heading, list, quote or rule."""
    number = re.match(r"\d+(?=[.)] )", text)
    if number:  # "1. words" would be a list: "1\. words" is the same words
        return f"{number.group()}\\{text[number.end() :]}"
    return "\\" + text if re.match(r"(#|>|[-+*] |[-*_]{3})", text) else text
