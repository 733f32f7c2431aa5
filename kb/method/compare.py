"""The compare view: per question, what hell-yes answers share and the others lack, then every answer.

Never gated: comparing the stories is the work that earns the metrics.

- The hell-yes side holds every story whose status is `hell-yes`, counting or not (each says which); the
  contrast side holds the `meh` stories, then the `churned` ones. Drafts stay out. A filter
  (`compare_filters.CompareFilter`) narrows both sides, and everything below is computed on what it keeps.
- Per question, the terms hell-yes answers use and the others do not, and the reverse (`synthesis`), each
  with its counts of answers; then one line per story: the summary the author wrote for that answer, else
  its first sentence, and the quotes it cites.
- Tags are compared case-insensitively. *Shared by hell-yes stories*: a tag on at least two hell-yes
  stories (with only one hell-yes story, its tags). *Only the others*: a tag on meh or churned stories
  that no hell-yes story carries. Each comes with how many stories of each side carry it.
- The people and the triggers: the ONE person's role, the source and the tags of each side, as counts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain
from sys import intern

from kb.method.company import Company
from kb.method.compare_filters import CompareFilter, Options, People, options_of, people_of, sides_of
from kb.method.compare_reading import CitedQuote, customer_segments, read_answers
from kb.method.synthesis import Distinguishing, TermScore, distinguishing, terms_of
from kb.records.fields import QUESTIONS
from kb.search.plain import plain_text
from kb.store.catalog import Catalog
from kb.table import Table

SIDES = ("hell-yes", "contrast")
FIRST_SENTENCE_CHARS = 240
_SENTENCE_RE = re.compile(r"^(.+?[.!?])(?=\s|$)", re.S)
# A citation written bare ([[2026-01-12-acme-discovery]]): the line names the quotes it cites beside it.
_BARE_LINK_RE = re.compile(r"\s*\[\[[^\]|]+\]\]")


def reading_text(text: str) -> str:
    """An answer's words as a reader reads them: links as their labels, bare citations left out."""
    return plain_text(_BARE_LINK_RE.sub("", text))


@lru_cache(maxsize=32_768)  # kept by text, as answer_terms: a first compare at 10,000 records reads 3,700
def first_sentence(text: str) -> str:
    """An answer's first sentence as a reader reads it (links as their labels, bare citations left out), at
    most 240 characters."""
    shown = " ".join(reading_text(text).split("\n\n")[0].split())
    match = _SENTENCE_RE.match(shown)
    if match:
        shown = match.group(1)
    return shown if len(shown) <= FIRST_SENTENCE_CHARS else shown[: FIRST_SENTENCE_CHARS - 1].rstrip() + "…"


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
    cites: list[str] = field(default_factory=list)  # the calls it cites
    line: str = ""  # the author's summary of it, else its first sentence
    quotes: list[CitedQuote] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # the question's distinguishing terms it uses, as shown
    summarised: bool = False  # `line` is the author's summary

    @property
    def answered(self) -> bool:
        return bool(self.text.strip())

    @property
    def not_counting(self) -> bool:
        """A hell-yes story whose customer is not (yet) a hell-yes customer."""
        return self.status == "hell-yes" and not self.counts


@dataclass
class QuestionRow:
    key: str
    heading: str
    question: str
    hell_yes: list[ComparedAnswer]
    contrast: list[ComparedAnswer]
    terms: Distinguishing = field(default_factory=lambda: Distinguishing([], [], 0, 0))

    def side(self, name: str) -> list[ComparedAnswer]:
        """The answers of one side (`hell-yes` or `contrast`)."""
        return self.hell_yes if name == "hell-yes" else self.contrast

    def quotes_behind(self) -> list[tuple[ComparedAnswer, CitedQuote]]:
        """The quotes the hell-yes answers cite, each once, with the first answer citing it."""
        seen: set[str] = set()
        found = []
        for answer in self.hell_yes:
            for quote in answer.quotes:
                if quote.ref not in seen:
                    seen.add(quote.ref)
                    found.append((answer, quote))
        return found


@dataclass
class TagCount:
    tag: str
    hell_yes: int
    others: int


ANSWER_COLUMNS = [
    ("question", "Question"),
    ("side", "Side"),
    ("status", "Status"),
    ("story", "Story"),
    ("customer", "Customer"),
    ("person", "Person"),
    ("counts", "Counts yet"),
    ("line", "Line"),
    ("answer", "Answer"),
    ("cites", "Cites calls"),
    ("quotes", "Quotes cited"),
    ("terms", "Distinguishing terms used"),
]


@dataclass
class Comparison:
    rows: list[QuestionRow]
    shared_tags: list[TagCount]
    other_tags: list[TagCount]
    hell_yes_stories: int
    contrast_stories: int
    as_of_text: str = ""  # "as of 2026-03-18, pinned in kb.toml": every view names D
    people: People = field(default_factory=lambda: People([], [], []))
    filters: CompareFilter = field(default_factory=CompareFilter)
    options: Options = field(default_factory=Options)

    def answers_table(self, per_side: int | None = None) -> Table:
        """Every answer as one row (the first `per_side` of each side, when given): the question, then the
        hell-yes answers, then the contrast ones."""
        table = Table("Compare: the five questions", list(ANSWER_COLUMNS))
        for row in self.rows:
            for side in SIDES:
                for answer in row.side(side)[:per_side]:
                    counts = ("yes" if answer.counts else "not yet") if answer.status == "hell-yes" else None
                    table.add(
                        {
                            "question": row.key,
                            "side": side,
                            "status": answer.status,
                            "story": answer.story,
                            "customer": answer.customer,
                            "person": answer.person,
                            "counts": counts,
                            "line": answer.line,
                            "answer": answer.text,
                            "cites": list(answer.cites),
                            "quotes": [q.ref for q in answer.quotes],
                            "terms": list(answer.terms),
                        }
                    )
        return table

    def terms_table(self) -> Table:
        """Per question, the terms hell-yes answers use more, then those the others use more, with counts."""
        table = Table(
            "Compare: distinguishing terms",
            [
                ("question", "Question"),
                ("side", "Used more by"),
                ("term", "Term"),
                ("stem", "Stem"),
                ("hell_yes", "Hell-yes answers using it"),
                ("hell_yes_of", "Hell-yes answers"),
                ("others", "Other answers using it"),
                ("others_of", "Other answers"),
                ("z", "Score (z)"),
            ],
        )
        for row in self.rows:
            for side, terms in (("hell-yes", row.terms.hell_yes), ("contrast", row.terms.others)):
                for term in terms:
                    table.add({"question": row.key, "side": side, **term.as_dict()})
        return table

    def tags_table(self) -> Table:
        """The tags hell-yes stories share, then those only the others carry, with counts of stories."""
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

    def people_table(self) -> Table:
        """The ONE person's role, the source and the tags of each side, as counts of stories."""
        table = Table(
            "Compare: people and triggers",
            [("group", "Group"), ("value", "Value"), ("hell_yes", "Hell-yes stories"), ("others", "Other stories")],
        )
        for group, _title, counts in self.people.groups():
            for count in counts:
                table.add({"group": group, "value": count.value, "hell_yes": count.hell_yes, "others": count.others})
        return table

    def to_markdown(self) -> str:
        """The compare view as one Markdown document."""
        return markdown_document(self)

    @property
    def answer_chars(self) -> int:
        """How long every answer is, together: whether a page can carry them all."""
        return sum(len(a.text) for row in self.rows for side in SIDES for a in row.side(side))


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


def term_counts(term: TermScore) -> str:
    """A term with its plain counts: `auditor: 9 of 12 hell-yes, 1 of 10 others`."""
    return f"{term.shown}: {term.hell_yes} of {term.hell_yes_of} hell-yes, {term.others} of {term.others_of} others"


def markdown_document(comparison: Comparison) -> str:
    """The compare view as a Markdown document: per question its terms and answers, then the tags."""
    c = comparison
    filtered = f" Filtered: {c.filters.describe()}." if c.filters.active else ""
    lines = [
        "# Compare the stories",
        "",
        f"{c.hell_yes_stories} hell-yes stories side by side; {c.contrast_stories} meh and "
        f"churned stories for contrast; {c.as_of_text}.{filtered}",
        "",
    ]
    for row in c.rows:
        lines += [f"## {row.heading}", "", f"*{row.question}*", ""]
        lines += _terms_markdown(row.terms)
        for title, answers in (("Hell-yes", row.hell_yes), ("For contrast: meh and churned", row.contrast)):
            lines += [f"### {title}", ""]
            if not answers:
                lines += ["No stories.", ""]
            for answer in answers:
                who = ", ".join(x for x in (answer.customer_name or answer.customer, answer.person) if x)
                flag = " (does not count yet)" if answer.not_counting else ""
                lines += [f"**{answer.story}** — {who} — {answer.status}{flag}", ""]
                lines += [_quote(answer.text) if answer.answered else "> (not answered)", ""]
                if answer.cites:
                    lines += [f"Cites: {', '.join(f'[[{c}]]' for c in answer.cites)}", ""]
                for quote in answer.quotes:
                    said = f" — {quote.speaker}" if quote.speaker else ""
                    lines += [f"- [[{quote.ref}]]: {quote.text or '(no such quote)'}{said}"]
                if answer.quotes:
                    lines.append("")
    lines += ["## People and triggers", ""] + c.people_table().to_markdown().splitlines()[2:] + [""]
    lines += ["## Tags", ""] + c.tags_table().to_markdown().splitlines()[2:]
    return "\n".join(lines).rstrip() + "\n"


def _terms_markdown(terms: Distinguishing) -> list[str]:
    if terms.notice:
        return [terms.notice, ""]
    lines = ["Hell-yes answers share: " + ("; ".join(term_counts(t) for t in terms.hell_yes) or "no term stands out.")]
    lines += ["", "Only the others: " + ("; ".join(term_counts(t) for t in terms.others) or "no term stands out."), ""]
    return lines


@lru_cache(maxsize=32_768)
def answer_terms(text: str) -> dict[str, str]:
    """The terms of an answer as written (`terms_of` its reading text), kept by text: after an edit only the
    answers that changed are analysed again (all of them took 2.4 s of a first compare at 10,000 records).
    Shared: never change what it returns. Its words interned: answers share most of them (a third of the
    memory at 10,000 records)."""
    return {intern(term): intern(written) for term, written in terms_of(reading_text(text)).items()}


def comparison_of(catalog: Catalog, company: Company, filters: CompareFilter | None = None) -> Comparison:
    """The compare view of a company as the store holds it, as of D, of the stories `filters` keeps."""
    filters = filters or CompareFilter()
    tags = catalog.story_tags()
    segments = customer_segments(catalog, sorted({s.customer for s in company.stories if s.customer}))
    sides = sides_of(company, tags, filters, segments)
    stories = sides["hell-yes"] + sides["contrast"]
    keys = [q.key for q in QUESTIONS]
    read = read_answers(catalog, stories, keys)
    counting = {v.story.path for v in company.hell_yes.verdicts if v.counts}
    terms = {s.path: {k: answer_terms(t) for k, t in read.texts.get(s.path, {}).items() if t} for s in stories}
    background = Counter(chain.from_iterable(found for by in terms.values() for found in by.values()))
    answers_total = sum(len(by) for by in terms.values())

    def answer(story, key: str) -> ComparedAnswer:
        customer = company.customers.get(story.customer or "")
        text = read.texts.get(story.path, {}).get(key, "")
        summary = read.summaries.get(story.path, {}).get(key, "")
        return ComparedAnswer(
            story.slug,
            story.path,
            story.status,
            story.customer,
            customer.name if customer else None,
            story.person,
            story.path in counting,
            text,
            list(read.calls.get(story.path, {}).get(key, [])),
            summary or (first_sentence(text) if text else ""),
            list(read.quotes.get(story.path, {}).get(key, [])),
            summarised=bool(summary),
        )

    rows = []
    for q in QUESTIONS:
        row = QuestionRow(
            q.key,
            q.heading,
            q.prompt,
            [answer(s, q.key) for s in sides["hell-yes"]],
            [answer(s, q.key) for s in sides["contrast"]],
        )
        used = {side: [terms[a.path][q.key] for a in row.side(side) if q.key in terms[a.path]] for side in SIDES}
        row.terms = distinguishing(used["hell-yes"], used["contrast"], background, answers_total)
        shown = row.terms.hell_yes + row.terms.others
        for a in row.hell_yes + row.contrast:
            mine = terms[a.path].get(q.key, {})
            a.terms = [t.shown for t in shown if t.term in mine]
        rows.append(row)
    shared, others = _tags_compared(sides["hell-yes"], sides["contrast"], tags)
    return Comparison(
        rows,
        shared,
        others,
        len(sides["hell-yes"]),
        len(sides["contrast"]),
        company.as_of.describe(),
        people_of(company, sides, tags),
        filters,
        options_of(company, tags, segments),
    )


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
