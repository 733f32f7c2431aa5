"""What compare reads of some stories, in a few queries per 500 of them: each answer's text, the calls and
the quotes it cites, and the one-line summaries the author wrote.

A story may carry, in its front matter, a `summary` per question (`summary: {why_change: "..."}`): the line
compare shows for that answer in place of its first sentence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from kb.records.parse import COMMENT_RE
from kb.store.catalog import RESOLUTION_ORDER, Catalog, StoryFacts
from kb.store.models import AnswerRow, CaseStudy, Customer, FileState, Interview, LinkRow, QuoteRow

BATCH = 500


@dataclass(frozen=True)
class CitedQuote:
    """A quote an answer cites: its call, its block id, its words and who said them (None: the call lacks it)."""

    call: str
    block: str
    text: str | None = None
    speaker: str | None = None
    date: str | None = None

    @property
    def ref(self) -> str:
        """The citation as written: `call#^block`."""
        return f"{self.call}#^{self.block}"


@dataclass
class Read:
    """Per story path and question: the answer's text, the calls and the quotes it cites; per path, summaries."""

    texts: dict[str, dict[str, str]]
    calls: dict[str, dict[str, list[str]]]
    quotes: dict[str, dict[str, list[CitedQuote]]]
    summaries: dict[str, dict[str, str]]


def read_answers(catalog: Catalog, stories: Sequence[StoryFacts], keys: Sequence[str]) -> Read:
    """The answers to `keys` of these stories, what they cite, and their authors' summaries."""
    texts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    calls: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    cited: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    summaries: dict[str, dict[str, str]] = {}
    session = catalog.session
    paths = [s.path for s in stories]
    for start in range(0, len(paths), BATCH):
        chunk = paths[start : start + BATCH]
        rows = session.execute(
            select(col(AnswerRow.path), col(AnswerRow.question), col(AnswerRow.text), col(AnswerRow.answered))
            .where(col(AnswerRow.path).in_(chunk), col(AnswerRow.question).in_(keys))
            .order_by(col(AnswerRow.path), col(AnswerRow.line))
        ).all()
        for row in rows:
            if row.answered:
                texts[row.path][row.question].append(COMMENT_RE.sub("", row.text).strip())
        links = session.execute(
            select(
                col(LinkRow.path),
                col(LinkRow.question),
                col(LinkRow.slug),
                col(LinkRow.target_type),
                col(LinkRow.block),
            )
            .where(col(LinkRow.path).in_(chunk), col(LinkRow.question).in_(keys))
            .order_by(col(LinkRow.id))
        ).all()
        kinds = _record_types(catalog, {link.slug for link in links})
        for link in links:
            have = kinds.get(link.slug, set())
            # Where the link resolves, by the catalog's rule: a bare slug is a customer, else a story, else a call.
            target = link.target_type if link.target_type in have else None
            if link.target_type is None:
                target = next((t for t in RESOLUTION_ORDER if t in have), None)
            if target != "interview":
                continue
            if link.slug not in calls[link.path][link.question]:
                calls[link.path][link.question].append(link.slug)
            if link.block and (link.slug, link.block) not in cited[link.path][link.question]:
                cited[link.path][link.question].append((link.slug, link.block))
        for path, extra in session.execute(
            select(col(CaseStudy.path), col(CaseStudy.extra)).where(col(CaseStudy.path).in_(chunk))
        ).all():
            summary = (extra or {}).get("summary")
            if isinstance(summary, dict):
                summaries[path] = {str(k): " ".join(str(v).split()) for k, v in summary.items() if v and str(v).strip()}
    joined = {
        path: {key: "\n\n".join(t for t in found if t) for key, found in by.items()} for path, by in texts.items()
    }
    return Read(joined, calls, _quotes(catalog, cited), summaries)


def _quotes(
    catalog: Catalog, cited: dict[str, dict[str, list[tuple[str, str]]]]
) -> dict[str, dict[str, list[CitedQuote]]]:
    """The words of every cited quote (a quote the call lacks is kept with no words: `kb check` reports it)."""
    slugs = sorted({slug for by in cited.values() for refs in by.values() for slug, _block in refs})
    found: dict[tuple[str, str], CitedQuote] = {}
    for start in range(0, len(slugs), BATCH):
        chunk = slugs[start : start + BATCH]
        dates = {
            row.slug: row.date.isoformat() if row.date else None
            for row in catalog.session.execute(
                select(col(Interview.slug), col(Interview.date)).where(col(Interview.slug).in_(chunk))
            ).all()
        }
        query = select(QuoteRow).where(col(QuoteRow.slug).in_(chunk)).order_by(col(QuoteRow.id))
        for quote in catalog.session.execute(query).scalars():
            key = (quote.slug, quote.block)
            if key not in found:
                found[key] = CitedQuote(quote.slug, quote.block, quote.text, quote.speaker, dates.get(quote.slug))
    return {
        path: {key: [found.get(ref) or CitedQuote(*ref) for ref in refs] for key, refs in by.items()}
        for path, by in cited.items()
    }


def customer_segments(catalog: Catalog, slugs: Sequence[str]) -> dict[str, str]:
    """Each of these customers' `segment`, as its file writes it (those with none left out)."""
    wanted = sorted(set(slugs))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), BATCH):
        query = select(col(Customer.slug), col(Customer.extra)).where(
            col(Customer.slug).in_(wanted[start : start + BATCH])
        )
        for slug, extra in catalog.session.execute(query).all():
            segment = (extra or {}).get("segment")
            if isinstance(segment, str | int | float) and str(segment).strip():
                found.setdefault(slug, str(segment).strip())
    return found


def _record_types(catalog: Catalog, slugs: set[str]) -> dict[str, set[str]]:
    """Per slug, the record types that have a file of that slug."""
    found: dict[str, set[str]] = defaultdict(set)
    wanted = sorted(slugs)
    for start in range(0, len(wanted), BATCH):
        query = select(col(FileState.slug), col(FileState.type)).where(
            col(FileState.slug).in_(wanted[start : start + BATCH])
        )
        for slug, record_type in catalog.session.execute(query).all():
            found[slug].add(record_type)
    return found
