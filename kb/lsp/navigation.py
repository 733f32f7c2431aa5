"""Hover, go to definition, references (backlinks) and document symbols, read from the store."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsprotocol import types
from sqlalchemy import select
from sqlmodel import col

from kb.lsp.state import Document, KbState, uri_of
from kb.method.hell_yes_rule import hell_yes
from kb.records.fields import QUESTIONS
from kb.records.parse import LINK_RE
from kb.records.quotes import split_target
from kb.store.catalog import Catalog, Target
from kb.store.models import Interview, LinkRow
from kb.vocabulary import slug_of

_SLUG_CHARS = re.compile(r"[^\s\[\],:|]+")
FIELD_TYPES = {"customer": "customer", "interviews": "interview"}
QUESTION_HEADINGS = {q.key: q.heading for q in QUESTIONS}


@dataclass(frozen=True)
class Pointer:
    """What the cursor is on: a slug (and the quote it cites), where it is written, and the type it names."""

    slug: str
    target_type: str | None
    block: str | None
    line: int  # 0-based
    start: int
    end: int  # columns of the slug itself


def pointer_at(doc: Document, position: types.Position) -> Pointer | None:
    """The link, `customer:` value or `interviews:` item under the cursor, if any."""
    lines = doc.lines
    if position.line >= len(lines):
        return None
    line, at = lines[position.line], position.character
    for match in LINK_RE.finditer(line):
        if match.start() <= at <= match.end():
            slug, block = split_target(match.group(2).strip())
            start = line.find(slug, match.start(2))
            return Pointer(slug, match.group(1), block, position.line, start, start + len(slug))
    if not 0 < position.line < doc.front_matter_end():
        return None
    key = _front_matter_key(lines, position.line)
    if key not in FIELD_TYPES or (key == "customer" and doc.type == "customer"):
        return None
    for word in _SLUG_CHARS.finditer(line):
        if word.start() <= at <= word.end() and not line[word.end() :].startswith(":"):
            return Pointer(word.group(0), FIELD_TYPES[key], None, position.line, word.start(), word.end())
    return None


def _front_matter_key(lines: list[str], number: int) -> str | None:
    for line in reversed(lines[1 : number + 1]):
        found = re.match(r"^([A-Za-z_]+):", line)
        if found:
            return found.group(1)
    return None


def resolve(catalog: Catalog, pointer: Pointer) -> Target | None:
    """The record a pointer names (the first one, as a link resolves), or None."""
    targets = catalog.resolve(pointer.slug, pointer.target_type)
    return targets[0] if targets else None


def hover(state: KbState, catalog: Catalog, doc: Document, position: types.Position) -> types.Hover | None:
    """The summary of the record (or quote) under the cursor."""
    pointer = pointer_at(doc, position)
    if pointer is None:
        return None
    target = resolve(catalog, pointer)
    if target is None:
        text = f"`{pointer.slug}`: no such record in this KB"
    elif pointer.block:
        text = _quote_summary(catalog, target, pointer.block)
    else:
        text = summary(state, catalog, target)
    place = types.Range(types.Position(pointer.line, pointer.start), types.Position(pointer.line, pointer.end))
    return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text), place)


def summary(state: KbState, catalog: Catalog, target: Target) -> str:
    """A record's summary as hover shows it."""
    if target.type == "customer":
        facts = catalog.customers([target.slug])[target.slug]
        lines = [f"**{facts.name or target.slug}** · customer `{target.slug}`", f"stage: {facts.stage or 'lead'}"]
        if facts.won_on:
            lines.append(f"won on {facts.won_on.isoformat()}")
        lines.append(_hell_yes_line(state, catalog, target.slug, facts))
        return "  \n".join(lines)
    if target.type == "interview":
        call = catalog.session.execute(select(Interview).where(col(Interview.path) == target.path)).scalars().first()
        if call is None:
            return f"call `{target.slug}`"
        people = ", ".join(call.people or []) or "no one named"
        day = call.date.isoformat() if call.date else "undated"
        return f"**{day} · {call.kind or 'other'} call** with `{call.customer}`  \npeople: {people}"
    story = catalog.stories(paths=[target.path])
    if not story:
        return f"case study `{target.slug}`"
    told = story[0]
    missing = ", ".join(QUESTION_HEADINGS[k] for k in told.missing) or "none"
    return (
        f"**{told.customer}: {told.person}** · case study `{target.slug}`  \nstatus: {told.status}  \n"
        f"missing answers: {missing}"
    )


def _hell_yes_line(state: KbState, catalog: Catalog, slug: str, facts) -> str:
    day = state.as_of.date.isoformat()
    stories = catalog.stories(status="hell-yes", customer=slug)
    verdicts = hell_yes(stories, {slug: facts}, state.as_of.date, state.settings.thresholds["settle_days"])
    if slug in verdicts.customers:
        return f"a hell-yes customer as of {day}"
    if not verdicts.verdicts:
        return f"not a hell-yes customer as of {day}: no story with status hell-yes"
    why = "; ".join(reason for verdict in verdicts.verdicts for reason in verdict.reasons)
    return f"not a hell-yes customer as of {day}: {why}"


def _quote_summary(catalog: Catalog, target: Target, block: str) -> str:
    quote = next((q for q in catalog.quotes_of([target.path]).get(target.path, []) if q.block == block), None)
    if quote is None:
        return f"`{target.slug}` has no quote ^{block}"
    said = f"  \n— {quote.speaker}" if quote.speaker else ""
    return f"> {quote.text}{said}  \n\nquote ^{block} of `{target.slug}`"


def definition(state: KbState, catalog: Catalog, doc: Document, position: types.Position) -> types.Location | None:
    """Where the record (or quote) under the cursor is written."""
    pointer = pointer_at(doc, position)
    target = resolve(catalog, pointer) if pointer else None
    if pointer is None or target is None:
        return None
    line = 0
    if pointer.block:
        quote = next(
            (q for q in catalog.quotes_of([target.path]).get(target.path, []) if q.block == pointer.block), None
        )
        line = quote.line - 1 if quote else 0
    place = types.Range(types.Position(line, 0), types.Position(line, 0))
    return types.Location(uri_of(state.file_of(target.path)), place)


def backlinks(catalog: Catalog, record_type: str, slug: str) -> list[LinkRow]:
    """The links of other records that go to the record of this type and slug."""
    found = []
    for link in catalog.links(slug):
        goes_to = FIELD_TYPES.get(link.source_field or "") or link.target_type
        if goes_to is None:
            targets = catalog.resolve(slug)
            goes_to = targets[0].type if targets else None
        if goes_to == record_type:
            found.append(link)
    return found


def link_range(state: KbState, link: LinkRow) -> types.Range:
    """The columns of a stored link on its line, read from its file (the whole line when not found)."""
    try:
        text = state.file_of(link.path).read_text(encoding="utf-8").split("\n")[link.line - 1]
    except (OSError, UnicodeDecodeError, IndexError):
        return types.Range(types.Position(link.line - 1, 0), types.Position(link.line - 1, 0))
    for match in LINK_RE.finditer(text):
        if split_target(match.group(2).strip())[0] == link.slug:
            return types.Range(types.Position(link.line - 1, match.start()), types.Position(link.line - 1, match.end()))
    word = re.search(rf"(?<![\w-]){re.escape(link.slug)}(?![\w-])", text)
    if word:
        return types.Range(types.Position(link.line - 1, word.start()), types.Position(link.line - 1, word.end()))
    return types.Range(types.Position(link.line - 1, 0), types.Position(link.line - 1, len(text)))


def references(state: KbState, catalog: Catalog, doc: Document, position: types.Position) -> list[types.Location]:
    """The backlinks of the record under the cursor, or of this document's record."""
    pointer = pointer_at(doc, position)
    target = resolve(catalog, pointer) if pointer else None
    record_type, slug = (target.type, target.slug) if target else (doc.type, slug_of(doc.shown))
    return [
        types.Location(uri_of(state.file_of(link.path)), link_range(state, link))
        for link in backlinks(catalog, record_type, slug)
    ]


def symbols(doc: Document) -> list[types.DocumentSymbol]:
    """The sections of a document, the five answers named by their question."""
    sections = doc.record.sections
    lines = doc.lines
    found = []
    for number, section in enumerate(sections):
        start = section.line - 1
        end = (sections[number + 1].line - 2) if number + 1 < len(sections) else len(lines) - 1
        end = max(end, start)
        title = lines[start] if start < len(lines) else section.heading
        found.append(
            types.DocumentSymbol(
                name=section.heading,
                detail=f"answers: {QUESTION_HEADINGS[section.question]}" if section.question else None,
                kind=types.SymbolKind.Namespace if section.question else types.SymbolKind.String,
                range=types.Range(
                    types.Position(start, 0), types.Position(end, len(lines[end]) if end < len(lines) else 0)
                ),
                selection_range=types.Range(types.Position(start, 0), types.Position(start, len(title))),
            )
        )
    return found
