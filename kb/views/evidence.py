"""The evidence an answer cites: the quotes of calls (`[[call#^block]]`), each in full with who said it,
when, and a link to its place in the call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlmodel import col, select

from kb.records.quotes import anchor
from kb.store.catalog import Catalog
from kb.store.models import Interview, LinkRow
from kb.views.lists import Urls


@dataclass
class QuoteView:
    """A quote as a page shows it: its words, who said them, its call and where in it."""

    block: str
    text: str
    speaker: str | None
    call_slug: str
    date: dt.date | None
    kind: str | None
    url: str | None  # the call's page, at the quote
    tags: list[str] = field(default_factory=list)

    @property
    def when(self) -> str:
        """The call's date and kind, as `2026-01-12 discovery`."""
        return " ".join(part for part in (self.date.isoformat() if self.date else "undated", self.kind) if part)


def cited_quotes(catalog: Catalog, urls: Urls, path: str) -> dict[str, list[QuoteView]]:
    """Per question, the quotes the answers of the story at `path` cite, in the order they are cited (each
    once); a citation of a quote that does not exist is `kb check`'s to report, not shown here."""
    query = (
        select(LinkRow)
        .where(col(LinkRow.path) == path, col(LinkRow.block).is_not(None), col(LinkRow.question).is_not(None))
        .order_by(col(LinkRow.id))
    )
    links = list(catalog.session.execute(query).scalars())
    if not links:
        return {}
    catalog.prefetch(link.slug for link in links)
    calls = {}
    for link in links:
        targets = catalog.resolve(link.slug, link.target_type)
        if targets and targets[0].type == "interview":
            calls[link.slug] = targets[0].path
    quotes = catalog.quotes_of(calls.values())
    facts = {
        row.path: row
        for row in catalog.session.execute(
            select(col(Interview.path), col(Interview.date), col(Interview.kind)).where(
                col(Interview.path).in_(sorted(calls.values()))
            )
        ).all()
    }
    found: dict[str, list[QuoteView]] = {}
    for link in links:
        call_path = calls.get(link.slug)
        quote = next((q for q in quotes.get(call_path or "", []) if q.block == link.block), None)
        if call_path is None or quote is None or link.question is None:
            continue
        shown = found.setdefault(link.question, [])
        if any(view.call_slug == link.slug and view.block == quote.block for view in shown):
            continue
        row = facts.get(call_path)
        page = urls.record("interview", link.slug)
        shown.append(
            QuoteView(
                quote.block,
                quote.text,
                quote.speaker,
                link.slug,
                row.date if row else None,
                row.kind if row else None,
                f"{page}#{anchor(quote.block)}" if page else None,
                list(quote.tags or []),
            )
        )
    return found
