"""The evidence beside a story being written: the customer's calls, newest first, each with its quotes and the
citation to copy (`[[call]]`, `[[call#^id]]`); and the links of a story's text that point to no record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import col

from kb.authoring.new_customers import customer_for
from kb.records.document import clean_line
from kb.records.parse import parse_bytes
from kb.records.quotes import BLOCK_SEPARATOR, anchor
from kb.store.catalog import Catalog
from kb.store.cross_problems import BROKEN, link_problems
from kb.store.engine import link_values
from kb.store.models import Interview, LinkRow
from kb.views.lists import Urls

# A quote's title in the `[[` completion list: its first words.
TITLE_WORDS = 12


@dataclass
class PanelQuote:
    """A quote of a call as the panel shows it, with the citation that cites it."""

    block: str
    text: str
    speaker: str | None
    cite: str
    url: str | None
    tags: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        """Its first words and who said them, for the completion list."""
        words = self.text.split()
        shown = " ".join(words[:TITLE_WORDS]) + ("…" if len(words) > TITLE_WORDS else "")
        return f"{shown} — {self.speaker}" if self.speaker else shown


@dataclass
class PanelCall:
    """A call of the customer: when, what kind, who was on it, its page, its citation and its quotes."""

    slug: str
    date: dt.date | None
    kind: str | None
    people: list[str]
    url: str | None
    quotes: list[PanelQuote] = field(default_factory=list)

    @property
    def cite(self) -> str:
        """The link that cites the whole call."""
        return f"[[{self.slug}]]"

    @property
    def title(self) -> str:
        """`2026-01-09 discovery · Laura Chen, Controller`, for the panel's heading and the completion list."""
        when = " ".join(part for part in (self.date.isoformat() if self.date else "undated", self.kind) if part)
        return f"{when} · {'; '.join(self.people)}" if self.people else when


@dataclass
class EvidencePanel:
    """The calls of the customer a story is about (`customer` empty: none chosen yet)."""

    customer: str
    name: str
    calls: list[PanelCall] = field(default_factory=list)
    known: bool = False  # the customer has a file or at least one call

    @property
    def quote_count(self) -> int:
        """How many quotes the calls hold."""
        return sum(len(call.quotes) for call in self.calls)


def customer_of(catalog: Catalog, typed: str) -> tuple[str, str]:
    """The slug and display name of the customer typed in a form: a slug, a customer's name, or a new name."""
    typed = clean_line(typed)[:200]
    if not typed:
        return "", ""
    named = catalog.customer_names([typed])
    if typed in named:
        return typed, named[typed]
    if _has_calls(catalog, typed):
        return typed, typed
    names = catalog.customer_names(None)
    for slug, name in names.items():
        if name.casefold() == typed.casefold():
            return slug, name
    slug, new_name = customer_for(typed, set(names))
    return slug, names.get(slug) or new_name or typed


def _has_calls(catalog: Catalog, slug: str) -> bool:
    query = select(col(Interview.path)).where(col(Interview.customer) == slug).limit(1)
    return catalog.session.execute(query).first() is not None


def evidence_panel(catalog: Catalog, urls: Urls, typed_customer: str) -> EvidencePanel:
    """The panel for the customer typed in the form: their calls newest first, each with its quotes."""
    slug, name = customer_of(catalog, typed_customer)
    if not slug:
        return EvidencePanel("", "")
    # Only the columns the panel shows: a call's body stays in the store.
    columns = [col(getattr(Interview, name)) for name in ("path", "slug", "date", "kind", "people")]
    found = catalog.session.execute(select(*columns).where(col(Interview.customer) == slug)).all()
    rows = sorted(found, key=lambda r: (r.date or dt.date.min, r.path), reverse=True)
    quotes = catalog.quotes_of(row.path for row in rows)
    calls = []
    for row in rows:
        page = urls.record("interview", row.slug)
        call = PanelCall(row.slug, row.date, row.kind, list(row.people or []), page)
        call.quotes = [
            PanelQuote(
                quote.block,
                quote.text,
                quote.speaker,
                f"[[{row.slug}{BLOCK_SEPARATOR}{quote.block}]]",
                f"{page}#{anchor(quote.block)}" if page else None,
                list(quote.tags or []),
            )
            for quote in quotes.get(row.path, [])
        ]
        calls.append(call)
    known = bool(calls) or bool(catalog.customer_names([slug]))
    return EvidencePanel(slug, name, calls, known)


def broken_links(catalog: Catalog, text: str, path: str) -> list[str]:
    """What is wrong with each link of a story's text that points to no record, or cites a quote its call
    lacks (with a "did you mean"), judged as `kb check` would once it is saved at `path`."""
    record = parse_bytes(text.encode("utf-8"), path, "casestudy")
    # `customer:` is left out: saving makes the file of a new customer.
    links = [LinkRow(**link_values(path, link)) for link in record.links if link.source_field != "customer"]
    catalog.prefetch(link.slug for link in links)
    return [found.problem.message for found in link_problems(links, catalog) if found.kind == BROKEN]
