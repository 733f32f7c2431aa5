"""The compare view: per question, hell-yes answers side by side, meh and churned for contrast.

Never gated: comparing the stories is the work that earns the metrics.

- The hell-yes column holds every story whose status is `hell-yes`, counting or not (each says which);
  the contrast column holds the `meh` stories, then the `churned` ones. Drafts stay out.
- Tags are compared case-insensitively. *Shared by hell-yes stories*: a tag on at least two hell-yes
  stories (with only one hell-yes story, its tags). *Only the others*: a tag on meh or churned stories
  that no hell-yes story carries. Each comes with how many stories of each side carry it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kb.method.company import Company
from kb.records.fields import QUESTIONS
from kb.store.catalog import Catalog
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
    on_hell, on_others = _tag_counts(hell, tags), _tag_counts(contrast, tags)
    floor = 1 if len(hell) == 1 else 2
    shared = [
        TagCount(shown, n, on_others.get(key, (shown, 0))[1]) for key, (shown, n) in on_hell.items() if n >= floor
    ]
    others = [TagCount(shown, 0, n) for key, (shown, n) in on_others.items() if key not in on_hell]
    shared.sort(key=lambda t: (-t.hell_yes, t.others, t.tag.casefold()))
    others.sort(key=lambda t: (-t.others, t.tag.casefold()))
    return Comparison(rows, shared, others, len(hell), len(contrast), company.as_of.describe())


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
    return compare(company, catalog.answer_texts(), catalog.citations(), catalog.story_tags())
