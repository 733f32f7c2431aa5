"""Completion: records after `[[`, a call's quotes after `#^`, front-matter keys and values, question headings.

Everything is read from the store with the typed part as a filter and a limit, never the whole KB, so that
an answer stays quick at ten thousand records; the list says it is incomplete and the editor asks again.
"""

from __future__ import annotations

import re

from lsprotocol import types
from sqlalchemy import select
from sqlmodel import col

from kb.lsp.state import Document
from kb.records.fields import FIELDS, QUESTIONS, title_of
from kb.store.catalog import Catalog
from kb.store.models import CaseStudy, Customer, Interview
from kb.vocabulary import INTERVIEW_KINDS, STAGES, STATUSES

ESCAPE = "\\"
LIMIT = 100  # items of one kind an answer holds at most
ENUMS = {"status": STATUSES, "kind": INTERVIEW_KINDS, "stage": STAGES}
_OPEN_LINK = re.compile(r"\[\[(?:(customer|casestudy|interview):)?([^\[\]|#\n]*)$")
_OPEN_QUOTE = re.compile(r"\[\[(?:(?:customer|casestudy|interview):)?([^\[\]|#\n]+)#\^([A-Za-z0-9-]*)$")
_KEY_VALUE = re.compile(r"^([A-Za-z_]+):\s*(.*)$")
_LIST_ITEM = re.compile(r"^\s*-\s*(\S*)$")
_TYPED = re.compile(r"[^\s\[\]^:,#|]+$")


def complete(catalog: Catalog, doc: Document, position: types.Position) -> types.CompletionList | None:
    """What may be typed at `position` of an open document, or None when kb has nothing to offer there."""
    found = _offered(catalog, doc, position)
    if found is not None:
        # Each item replaces exactly the part typed so far: editors differ on where a word starts (`-`, `:`).
        typed = _TYPED.search(doc.lines[position.line][: position.character])
        start = typed.start() if typed else position.character
        place = types.Range(types.Position(position.line, start), position)
        for item in found.items:
            if item.text_edit is None:
                item.text_edit = types.TextEdit(place, item.insert_text or item.label)
                item.insert_text = None
    return found


def _offered(catalog: Catalog, doc: Document, position: types.Position) -> types.CompletionList | None:
    lines = doc.lines
    if position.line >= len(lines):
        return None
    before = lines[position.line][: position.character]
    end = doc.front_matter_end()
    if 0 < position.line < end:
        return _front_matter(catalog, doc, lines, position.line, before)
    quote = _OPEN_QUOTE.search(before)
    if quote:
        return _quotes(catalog, quote.group(1).strip(), quote.group(2))
    link = _OPEN_LINK.search(before)
    if link:
        return _records(catalog, link.group(1), link.group(2).strip())
    if doc.type == "casestudy" and re.fullmatch(r"#{1,6} ?[^#]*", before) and position.line > end:
        return _headings(before, position.line)
    return None


def _listing(items: list[types.CompletionItem], incomplete: bool = False) -> types.CompletionList:
    return types.CompletionList(is_incomplete=incomplete, items=items)


def _front_matter(catalog: Catalog, doc: Document, lines: list[str], number: int, before: str):
    pair = _KEY_VALUE.match(before)
    if pair is None:
        item = _LIST_ITEM.match(before)
        if item and doc.type == "casestudy" and _list_key(lines, number) == "interviews":
            return _slugs(catalog, "interview", item.group(1))
        if re.fullmatch(r"[A-Za-z_]*", before):
            present = set(doc.record.key_lines)
            spec = FIELDS[doc.type]
            items = [
                types.CompletionItem(
                    label=key,
                    kind=types.CompletionItemKind.Field,
                    detail=("required: " if spec[key].required else "") + (spec[key].hint or ""),
                    insert_text=f"{key}: ",
                )
                for key in spec
                if key not in present
            ]
            return _listing(items)
        return None
    key, typed = pair.group(1), pair.group(2)
    if key in ENUMS and key in FIELDS[doc.type]:
        items = [types.CompletionItem(label=v, kind=types.CompletionItemKind.EnumMember) for v in ENUMS[key]]
        return _listing(items)
    if key == "customer" and doc.type != "customer":
        return _slugs(catalog, "customer", typed.strip())
    if key == "interviews" and doc.type == "casestudy":
        return _slugs(catalog, "interview", re.split(r"[\[,]\s*", typed)[-1].strip())
    return None


def _list_key(lines: list[str], number: int) -> str | None:
    """The key a YAML list item (`- value`) belongs to: the nearest unindented key above it."""
    for line in reversed(lines[1:number]):
        pair = _KEY_VALUE.match(line)
        if pair:
            return pair.group(1)
    return None


def _slugs(catalog: Catalog, record_type: str, typed: str) -> types.CompletionList:
    found = titles(catalog, record_type, typed)
    kind = types.CompletionItemKind.Reference
    items = [types.CompletionItem(label=slug, kind=kind, detail=title) for slug, title in found]
    return _listing(items, incomplete=len(found) >= LIMIT)


def titles(catalog: Catalog, record_type: str, typed: str = "") -> list[tuple[str, str]]:
    """Up to LIMIT records of one type whose slug holds `typed`, with their titles, by slug."""
    # LIKE's wildcards are escaped: a slug may hold an underscore.
    pattern = "%" + typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if record_type == "customer":
        query = select(col(Customer.slug), col(Customer.name))
        rows = catalog.session.execute(
            query.where(col(Customer.slug).like(pattern, escape=ESCAPE)).order_by(col(Customer.slug)).limit(LIMIT)
        ).all()
        return [(row.slug, title_of("customer", row.slug, {"name": row.name})) for row in rows]
    if record_type == "interview":
        calls = select(col(Interview.slug), col(Interview.date), col(Interview.kind), col(Interview.customer))
        rows = catalog.session.execute(
            calls.where(col(Interview.slug).like(pattern, escape=ESCAPE)).order_by(col(Interview.slug)).limit(LIMIT)
        ).all()
        return [(row.slug, title_of("interview", row.slug, row._asdict(), dated=True)) for row in rows]
    stories = select(col(CaseStudy.slug), col(CaseStudy.customer), col(CaseStudy.person))
    rows = catalog.session.execute(
        stories.where(col(CaseStudy.slug).like(pattern, escape=ESCAPE)).order_by(col(CaseStudy.slug)).limit(LIMIT)
    ).all()
    return [(row.slug, title_of("casestudy", row.slug, row._asdict())) for row in rows]


def _records(catalog: Catalog, record_type: str | None, typed: str) -> types.CompletionList:
    items = []
    incomplete = False
    for kind_of, kind in (
        ("customer", types.CompletionItemKind.Class),
        ("casestudy", types.CompletionItemKind.File),
        ("interview", types.CompletionItemKind.Event),
    ):
        if record_type and record_type != kind_of:
            continue
        found = titles(catalog, kind_of, typed)
        incomplete = incomplete or len(found) >= LIMIT
        items += [
            types.CompletionItem(label=slug, kind=kind, detail=title, filter_text=f"{slug} {title}")
            for slug, title in found
        ]
    return _listing(items, incomplete)


def _quotes(catalog: Catalog, slug: str, typed: str) -> types.CompletionList | None:
    targets = catalog.resolve(slug, "interview")
    if not targets:
        return None
    quotes = catalog.quotes_of([targets[0].path]).get(targets[0].path, [])
    items = [
        types.CompletionItem(
            label=quote.block,
            kind=types.CompletionItemKind.Text,
            detail=quote.text if not quote.speaker else f"{quote.text} — {quote.speaker}",
            documentation=quote.text,
        )
        for quote in quotes
        if quote.block.startswith(typed)
    ]
    return _listing(items)


def _headings(before: str, number: int) -> types.CompletionList:
    marks = before.split(" ", 1)[0]
    items = [
        types.CompletionItem(
            label=question.heading,
            kind=types.CompletionItemKind.Snippet,
            detail=question.prompt,
            text_edit=types.TextEdit(
                range=types.Range(types.Position(number, 0), types.Position(number, len(before))),
                new_text=f"{marks} {question.heading}",
            ),
        )
        for question in QUESTIONS
    ]
    return _listing(items)
