"""The compare view: per question, hell-yes answers side by side, meh and churned for contrast.

Never gated: comparing the stories is the work that earns the metrics.

- The hell-yes column holds every story whose status is `hell-yes`, counting or not (each says which);
  the contrast column holds the `meh` stories, then the `churned` ones. Drafts stay out.
- Tags are compared case-insensitively. *Shared by hell-yes stories*: a tag on at least two hell-yes
  stories (with only one hell-yes story, its tags). *Only the others*: a tag on meh or churned stories
  that no hell-yes story carries. Each comes with how many stories of each side carry it.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import col

from kb.errors import UsageError
from kb.method.company import Company
from kb.records.fields import QUESTIONS
from kb.records.parse import COMMENT_RE
from kb.search.plain import plain_text
from kb.store.catalog import RESOLUTION_ORDER, Catalog
from kb.store.models import AnswerRow, FileState, LinkRow
from kb.table import Table

CONTRAST_STATUSES = ("meh", "churned")


@dataclass
class ComparedAnswer:
    """One story's answer to one question."""

    story: str
    path: str
    status: str
    customer: str | None
    customer_name: str | None
    person: str | None
    counts: bool  # a hell-yes story that makes its customer a hell-yes customer
    text: str  # "" when not answered
    cites: list[str] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return bool(self.text.strip())


@dataclass
class QuestionRow:
    key: str
    heading: str
    question: str
    hell_yes: list[ComparedAnswer]
    contrast: list[ComparedAnswer]


@dataclass
class TagCount:
    tag: str
    hell_yes: int
    others: int


@dataclass
class Comparison:
    rows: list[QuestionRow]
    shared_tags: list[TagCount]
    other_tags: list[TagCount]
    hell_yes_stories: int
    contrast_stories: int
    as_of_text: str = ""  # "as of 2026-03-18, pinned in kb.toml": every view names D

    def answers_table(self) -> Table:
        """Every answer as one row: the question, then the hell-yes answers, then the contrast ones."""
        table = Table(
            "Compare: the five questions",
            [
                ("question", "Question"),
                ("side", "Side"),
                ("status", "Status"),
                ("story", "Story"),
                ("customer", "Customer"),
                ("person", "Person"),
                ("answer", "Answer"),
                ("cites", "Cites calls"),
            ],
        )
        for row in self.rows:
            for side, answers in (("hell-yes", row.hell_yes), ("contrast", row.contrast)):
                for answer in answers:
                    table.add(
                        {
                            "question": row.key,
                            "side": side,
                            "status": answer.status,
                            "story": answer.story,
                            "customer": answer.customer,
                            "person": answer.person,
                            "answer": answer.text,
                            "cites": list(answer.cites),
                        }
                    )
        return table

    def tags_table(self) -> Table:
        table = Table(
            "Compare: tags",
            [
                ("group", "Group"),
                ("tag", "Tag"),
                ("hell_yes", "Hell-yes stories"),
                ("others", "Meh and churned stories"),
            ],
        )
        for group, tags in (("shared by hell-yes", self.shared_tags), ("only the others", self.other_tags)):
            for tag in tags:
                table.add({"group": group, "tag": tag.tag, "hell_yes": tag.hell_yes, "others": tag.others})
        return table

    def to_markdown(self) -> str:
        """The compare view as a Markdown document: per question, then the tags."""
        lines = [
            "# Compare the stories",
            "",
            f"{self.hell_yes_stories} hell-yes stories side by side; {self.contrast_stories} meh and "
            f"churned stories for contrast; {self.as_of_text}.",
            "",
        ]
        for row in self.rows:
            lines += [f"## {row.heading}", "", f"*{row.question}*", ""]
            for title, answers in (("Hell-yes", row.hell_yes), ("For contrast: meh and churned", row.contrast)):
                lines += [f"### {title}", ""]
                if not answers:
                    lines += ["No stories.", ""]
                for answer in answers:
                    who = ", ".join(x for x in (answer.customer_name or answer.customer, answer.person) if x)
                    flag = "" if answer.status != "hell-yes" or answer.counts else " (does not count yet)"
                    lines += [f"**{answer.story}** — {who} — {answer.status}{flag}", ""]
                    lines += [_quote(answer.text) if answer.answered else "> (not answered)", ""]
                    if answer.cites:
                        lines += [f"Cites: {', '.join(f'[[{c}]]' for c in answer.cites)}", ""]
        lines += ["## Tags", ""] + self.tags_table().to_markdown().splitlines()[2:]
        return "\n".join(lines).rstrip() + "\n"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


def compare(
    company,
    answers: dict[str, dict[str, list[str]]],
    citations: dict[str, dict[str, list[str]]],
    tags: dict[str, list[str]],
) -> Comparison:
    """Build the compare view from the company's stories, their answer texts, citations and tags by path."""
    counting = {v.story.path for v in company.hell_yes.verdicts if v.counts}
    hell = sorted((s for s in company.stories if s.status == "hell-yes"), key=lambda s: (s.customer or "", s.slug))
    contrast = sorted(
        (s for s in company.stories if s.status in CONTRAST_STATUSES),
        key=lambda s: (CONTRAST_STATUSES.index(s.status), s.customer or "", s.slug),
    )

    def answer(story, key: str) -> ComparedAnswer:
        customer = company.customers.get(story.customer or "")
        texts = [t.strip() for t in answers.get(story.path, {}).get(key, []) if t.strip()]
        return ComparedAnswer(
            story.slug,
            story.path,
            story.status,
            story.customer,
            customer.name if customer else None,
            story.person,
            story.path in counting,
            "\n\n".join(texts),
            list(citations.get(story.path, {}).get(key, [])),
        )

    rows = [
        QuestionRow(q.key, q.heading, q.prompt, [answer(s, q.key) for s in hell], [answer(s, q.key) for s in contrast])
        for q in QUESTIONS
    ]
    shared, others = _tags_compared(hell, contrast, tags)
    return Comparison(rows, shared, others, len(hell), len(contrast), company.as_of.describe())


def _tags_compared(hell, contrast, tags: dict[str, list[str]]) -> tuple[list[TagCount], list[TagCount]]:
    """The tags shared by hell-yes stories, and those only the others carry, each with its counts."""
    on_hell, on_others = _tag_counts(hell, tags), _tag_counts(contrast, tags)
    floor = 1 if len(hell) == 1 else 2
    shared = [
        TagCount(shown, n, on_others.get(key, (shown, 0))[1]) for key, (shown, n) in on_hell.items() if n >= floor
    ]
    others = [TagCount(shown, 0, n) for key, (shown, n) in on_others.items() if key not in on_hell]
    shared.sort(key=lambda t: (-t.hell_yes, t.others, t.tag.casefold()))
    others.sort(key=lambda t: (-t.others, t.tag.casefold()))
    return shared, others


def _tag_counts(stories, tags: dict[str, list[str]]) -> dict[str, tuple[str, int]]:
    """Per tag (case-folded): how it is first written and how many of `stories` carry it."""
    written: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for story in stories:
        mine = {t.strip().casefold(): t.strip() for t in tags.get(story.path, []) if t and t.strip()}
        for key, shown in mine.items():
            written.setdefault(key, shown)
            counts[key] += 1
    return {key: (written[key], n) for key, n in counts.items()}


def comparison_of(catalog: Catalog, company: Company) -> Comparison:
    """The compare view of a company as the store holds it, as of D."""
    catalog.paths  # noqa: B018 (every file's slug read at once: each citation then resolves without a query)
    return compare(company, catalog.answer_texts(), catalog.citations(), catalog.story_tags())


# -- the compare page: a summary per question, and each question's answers a page at a time ----------------

# Stories a question's summary shows per side; the rest are on that question's own pages.
SHOWN_PER_SIDE = 5
FIRST_SENTENCE_CHARS = 240
SIDES = ("hell-yes", "contrast")
_SENTENCE_RE = re.compile(r"^(.+?[.!?])(?=\s|$)", re.S)


def first_sentence(text: str) -> str:
    """An answer's first sentence as a reader reads it (links as their labels), at most 240 characters."""
    shown = " ".join(plain_text(text).split("\n\n")[0].split())
    match = _SENTENCE_RE.match(shown)
    if match:
        shown = match.group(1)
    return shown if len(shown) <= FIRST_SENTENCE_CHARS else shown[: FIRST_SENTENCE_CHARS - 1].rstrip() + "…"


@dataclass
class SideSummary:
    """One side of one question: how many stories of each status answer it, and the first few answers."""

    side: str
    stories: int
    answered: dict[str, int]  # status → stories of that status that answer the question
    of_status: dict[str, int]  # status → stories of that status on this side
    shown: list[ComparedAnswer]

    @property
    def answered_total(self) -> int:
        return sum(self.answered.values())


@dataclass
class QuestionSummary:
    key: str
    heading: str
    question: str
    sides: dict[str, SideSummary]


@dataclass
class CompareSummary:
    """The compare page: per question, each side's counts and first answers; the tags; as of D."""

    rows: list[QuestionSummary]
    shared_tags: list[TagCount]
    other_tags: list[TagCount]
    hell_yes_stories: int
    contrast_stories: int
    as_of_text: str = ""

    def tags_table(self) -> Table:
        """The tags compared, as `Comparison.tags_table`."""
        return Comparison(
            [], self.shared_tags, self.other_tags, self.hell_yes_stories, self.contrast_stories
        ).tags_table()

    def shown_table(self) -> Table:
        """The answers the page shows, as rows of `Comparison.answers_table` (same columns, same order)."""
        shown = Comparison(
            [
                QuestionRow(r.key, r.heading, r.question, r.sides["hell-yes"].shown, r.sides["contrast"].shown)
                for r in self.rows
            ],
            [],
            [],
            self.hell_yes_stories,
            self.contrast_stories,
        )
        return shown.answers_table()


def _sides(company: Company) -> dict[str, list]:
    hell = sorted((s for s in company.stories if s.status == "hell-yes"), key=lambda s: (s.customer or "", s.slug))
    contrast = sorted(
        (s for s in company.stories if s.status in CONTRAST_STATUSES),
        key=lambda s: (CONTRAST_STATUSES.index(s.status), s.customer or "", s.slug),
    )
    return {"hell-yes": hell, "contrast": contrast}


def _answers_of(catalog: Catalog, company: Company, stories: list, keys: list[str]) -> dict[str, list[ComparedAnswer]]:
    """Per question key, the answers of these stories only (in their order): texts and citations read for them alone."""
    paths = [s.path for s in stories]
    texts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    cites: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    session = catalog.session
    for start in range(0, len(paths), 500):
        chunk = paths[start : start + 500]
        rows = session.execute(
            select(col(AnswerRow.path), col(AnswerRow.question), col(AnswerRow.text), col(AnswerRow.answered))
            .where(col(AnswerRow.path).in_(chunk), col(AnswerRow.question).in_(keys))
            .order_by(col(AnswerRow.path), col(AnswerRow.line))
        ).all()
        for row in rows:
            texts[row.path][row.question].append(COMMENT_RE.sub("", row.text).strip() if row.answered else "")
        links = session.execute(
            select(col(LinkRow.path), col(LinkRow.question), col(LinkRow.slug), col(LinkRow.target_type))
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
            if target == "interview" and link.slug not in cites[link.path][link.question]:
                cites[link.path][link.question].append(link.slug)
    counting = {v.story.path for v in company.hell_yes.verdicts if v.counts}
    found: dict[str, list[ComparedAnswer]] = {}
    for key in keys:
        found[key] = []
        for story in stories:
            customer = company.customers.get(story.customer or "")
            written = [t.strip() for t in texts[story.path][key] if t.strip()]
            found[key].append(
                ComparedAnswer(
                    story.slug,
                    story.path,
                    story.status,
                    story.customer,
                    customer.name if customer else None,
                    story.person,
                    story.path in counting,
                    "\n\n".join(written),
                    list(cites[story.path][key]),
                )
            )
    return found


def _record_types(catalog: Catalog, slugs: set[str]) -> dict[str, set[str]]:
    """Per slug, the record types that have a file of that slug."""
    found: dict[str, set[str]] = defaultdict(set)
    wanted = sorted(slugs)
    for start in range(0, len(wanted), 500):
        query = select(col(FileState.slug), col(FileState.type)).where(
            col(FileState.slug).in_(wanted[start : start + 500])
        )
        for slug, record_type in catalog.session.execute(query).all():
            found[slug].add(record_type)
    return found


def summary_of(catalog: Catalog, company: Company, shown: int = SHOWN_PER_SIDE) -> CompareSummary:
    """The compare page as of D: per question and side, stories by status that answer it and the first `shown`."""
    sides = _sides(company)
    keys = [q.key for q in QUESTIONS]
    first = {side: _answers_of(catalog, company, stories[:shown], keys) for side, stories in sides.items()}
    rows = []
    for q in QUESTIONS:
        summaries = {}
        for side, stories in sides.items():
            of_status = Counter(s.status for s in stories)
            answered = Counter(s.status for s in stories if q.key not in s.missing)
            summaries[side] = SideSummary(side, len(stories), dict(answered), dict(of_status), first[side][q.key])
        rows.append(QuestionSummary(q.key, q.heading, q.prompt, summaries))
    shared, others = _tags_compared(sides["hell-yes"], sides["contrast"], catalog.story_tags())
    return CompareSummary(
        rows, shared, others, len(sides["hell-yes"]), len(sides["contrast"]), company.as_of.describe()
    )


class UnknownQuestion(UsageError):
    """No question has that key: a page about it does not exist (404 on the web)."""

    http_status = 404


@dataclass
class QuestionPage:
    """One question's answers, a page of each side at a time, in full."""

    key: str
    heading: str
    question: str
    answers: dict[str, list[ComparedAnswer]]
    totals: dict[str, int]
    page: int
    per: int
    as_of_text: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-max(self.totals.values(), default=0) // self.per))


def question_page(catalog: Catalog, company: Company, key: str, page: int = 1, per: int = 10) -> QuestionPage:
    """Question `key`'s answers on page `page`: `per` of the hell-yes stories and `per` of the others."""
    question = next((q for q in QUESTIONS if q.key == key), None)
    if question is None:
        raise UnknownQuestion(f"question: expected one of {', '.join(q.key for q in QUESTIONS)}; got {key[:40]!r}")
    sides = _sides(company)
    start = (page - 1) * per
    answers = {
        side: _answers_of(catalog, company, stories[start : start + per], [key])[key] for side, stories in sides.items()
    }
    totals = {side: len(stories) for side, stories in sides.items()}
    return QuestionPage(key, question.heading, question.prompt, answers, totals, page, per, company.as_of.describe())
