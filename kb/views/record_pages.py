"""The page of one record: a case study, a customer or an interview, with its links both ways.

Each function takes the catalog, the slug and the interface's `Urls`, and returns a plain dataclass
(`as_json` turns it into JSON values). An unknown slug raises `UnknownRecord`. Bodies stay Markdown:
the interface renders them through `kb.render`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from kb.errors import Problem
from kb.records.fields import QUESTIONS, missing_answers, title_of
from kb.records.parse import split_sections
from kb.store.catalog import BATCH, Catalog
from kb.store.models import RECORD_TABLES, CaseStudy, Customer, Interview
from kb.table import cell_text, shown_text
from kb.views.evidence import QuoteView, cited_quotes
from kb.views.lists import NO_PROFILE, UnknownRecord, Urls, record_of_path

PROFILE_FIELDS = (
    ("stage", "Stage"),
    ("source", "Source"),
    ("owner", "Owner"),
    ("qualified_on", "Qualified on"),
    ("won_on", "Won on"),
    ("lost_on", "Lost on"),
    ("churned_on", "Churned on"),
    ("acv", "ACV"),
)
EVENTS = (
    ("qualified_on", "became a qualified lead"),
    ("won_on", "won: signed and paid"),
    ("lost_on", "lost"),
    ("churned_on", "churned"),
)


@dataclass
class RecordRef:
    """A link to another record, as a page lists it."""

    type: str
    slug: str
    title: str
    url: str | None
    note: str | None = None


@dataclass
class AnswerView:
    """One of the five questions on a story's page: its text(s), and whether it cites a call."""

    key: str
    heading: str
    prompt: str
    texts: list[str]
    state: str  # "cited", "answered" or "missing"
    cites: list[RecordRef] = field(default_factory=list)
    quotes: list[QuoteView] = field(default_factory=list)  # the quotes it cites, in full


@dataclass
class CaseStudyPage:
    slug: str
    path: str
    customer: RecordRef
    person: str | None
    status: str | None
    intro: str
    answers: list[AnswerView]
    sections: list[tuple[str, str]]  # the other `##` sections: (heading, text)
    calls: list[RecordRef]
    tags: list[str]
    extra: list[tuple[str, str]]  # unknown front-matter keys
    backlinks: list[RecordRef]
    problems: list[Problem]


@dataclass
class TimelineEntry:
    date: dt.date | None
    what: str
    call: RecordRef | None = None


@dataclass
class CustomerPage:
    slug: str
    path: str | None  # None: records name this customer, but it has no file ("no profile yet")
    name: str
    profile: list[tuple[str, str]]
    extra: list[tuple[str, str]]
    body: str
    stories: list[RecordRef]
    calls: list[RecordRef]
    timeline: list[TimelineEntry]
    backlinks: list[RecordRef]
    problems: list[Problem]

    @property
    def has_profile(self) -> bool:
        return self.path is not None


@dataclass
class InterviewPage:
    slug: str
    path: str
    date: dt.date | None
    kind: str | None
    customer: RecordRef
    people: list[str]
    owner: str | None
    extra: list[tuple[str, str]]
    body: str
    backlinks: list[RecordRef]
    problems: list[Problem]


def _extra(values: dict[str, Any]) -> list[tuple[str, str]]:
    shown = []
    for key, value in (values or {}).items():
        if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            text = cell_text([str(v) for v in value])
        elif isinstance(value, (dict, list)):
            text = json.dumps(value, ensure_ascii=False)
        else:
            text = cell_text(value)
        shown.append((key, text))
    return shown


def _shown(value: Any) -> str:
    """A profile value as text: ISO dates, numbers with thousands separators."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return shown_text(value)


def _first(catalog: Catalog, record_type: str, slug: str):
    paths = catalog.paths_of(record_type, slug)
    if not paths:
        raise UnknownRecord(f"there is no {record_type.replace('casestudy', 'case study')} '{slug}'")
    catalog.require_readable(paths[0])
    return catalog.session.get(RECORD_TABLES[record_type], paths[0])


def _customer_ref(urls: Urls, slug: str | None, names: dict[str, str]) -> RecordRef:
    if not slug:
        return RecordRef("customer", "", "no customer", None)
    return RecordRef(
        "customer", slug, names.get(slug, slug), urls.record("customer", slug), None if slug in names else NO_PROFILE
    )


def _call_refs(catalog: Catalog, urls: Urls, slugs: list[str]) -> dict[str, RecordRef]:
    """The refs of these calls (each slug's first file), read in one query of the columns a ref shows."""
    wanted = sorted(set(slugs))
    found: dict[str, RecordRef] = {slug: RecordRef("interview", slug, slug, None, "no such call") for slug in wanted}
    seen: set[str] = set()
    for start in range(0, len(wanted), BATCH):
        query = (
            select(col(Interview.slug), col(Interview.date), col(Interview.kind), col(Interview.people))
            .where(col(Interview.slug).in_(wanted[start : start + BATCH]))
            .order_by(col(Interview.path))
        )
        for row in catalog.session.execute(query).all():
            if row.slug in seen:
                continue  # a slug two calls share: its first file, as a link to it resolves
            seen.add(row.slug)
            when = row.date.isoformat() if row.date else "undated"
            found[row.slug] = RecordRef(
                "interview",
                row.slug,
                f"{when} · {row.kind or 'call'}",
                urls.record("interview", row.slug),
                ", ".join(row.people or []) or None,
            )
    return found


# The columns that name a record on another's page (kb.records.fields.title_of), by type.
TITLE_COLUMNS = {
    "customer": (Customer.name,),
    "casestudy": (CaseStudy.customer, CaseStudy.person),
    "interview": (Interview.customer, Interview.date, Interview.kind),
}


def _titles(catalog: Catalog, refs: list[tuple[str, str, str | None]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The fields `title_of` reads of each (type, slug), from its first file: a few columns, one query a type."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for record_type, table in RECORD_TABLES.items():
        slugs = sorted({s for t, s, _label in refs if t == record_type})
        if not slugs:
            continue
        catalog.prefetch(slugs)
        firsts = {}
        for slug in slugs:
            paths = catalog.paths_of(record_type, slug)
            if not paths:
                raise UnknownRecord(f"there is no {record_type.replace('casestudy', 'case study')} '{slug}'")
            catalog.require_readable(paths[0])
            firsts[paths[0]] = slug
        columns = [col(table.path), *(col(c) for c in TITLE_COLUMNS[record_type])]
        chosen = sorted(firsts)
        for start in range(0, len(chosen), BATCH):
            query = select(*columns).where(col(table.path).in_(chosen[start : start + BATCH]))
            for row in catalog.session.execute(query).all():
                fields = row._asdict()
                found[(record_type, firsts[fields.pop("path")])] = fields
    return found


def _backlinks_and_names(
    catalog: Catalog, record_type: str, slug: str, customers: list[str | None]
) -> tuple[list[tuple[str, str, str | None]], dict[tuple[str, str], dict[str, Any]], dict[str, str]]:
    """This record's backlinks, the fields that title them, and the names of the customers the page shows
    (these `customers` and the backlinks'), each read once."""
    found = backlinks(catalog, record_type, slug)
    titles = _titles(catalog, found)
    wanted = {c for c in customers if c} | {f.get("customer") for (t, _s), f in titles.items() if t != "customer"}
    return found, titles, catalog.customer_names(c for c in wanted if c)


def _backlink_refs(
    urls: Urls,
    found: list[tuple[str, str, str | None]],
    titles: dict[tuple[str, str], dict[str, Any]],
    names: dict[str, str],
) -> list[RecordRef]:
    refs = []
    for t, s, label in found:
        fields = titles.get((t, s), {})
        name = names.get(fields.get("customer") or "") if t == "casestudy" else None
        refs.append(
            RecordRef(
                t,
                s,
                title_of(t, s, fields, name, dated=True),
                urls.record(t, s),
                {"casestudy": "case study"}.get(t, t) + (f", as “{label}”" if label else ""),
            )
        )
    return refs


def case_study(catalog: Catalog, slug: str, urls: Urls, problems: list[Problem]) -> CaseStudyPage:
    """A story: the five answers with what they cite, the person, customer, calls, tags and backlinks."""
    row: CaseStudy = _first(catalog, "casestudy", slug)
    intro, sections = split_sections(row.body or "")
    # The story's own links (its [[links]] too, which its Markdown resolves): one query for all their slugs.
    catalog.prefetch(link.slug for link in catalog.links_of(row.path))
    cites = catalog.citations(row.path).get(row.path, {})
    refs = _call_refs(catalog, urls, [*(row.interviews or []), *(c for q in cites.values() for c in q)])
    quoted = cited_quotes(catalog, urls, row.path)
    answers = []
    for question in QUESTIONS:
        mine = [s for s in sections if s.question == question.key]
        texts = [s.text for s in mine if s.answered]
        cited = [refs[call] for call in cites.get(question.key, [])]
        state = "cited" if texts and cited else "answered" if texts else "missing"
        answers.append(
            AnswerView(
                question.key, question.heading, question.prompt, texts, state, cited, quoted.get(question.key, [])
            )
        )
    calls = [refs[call] for call in row.interviews or []]
    listed = {call.slug for call in calls}
    for answer in answers:
        for call in answer.cites:
            if call.slug not in listed:
                listed.add(call.slug)
                calls.append(call)
    found, titles, names = _backlinks_and_names(catalog, "casestudy", row.slug, [row.customer])
    return CaseStudyPage(
        slug=row.slug,
        path=row.path,
        customer=_customer_ref(urls, row.customer, names),
        person=row.person,
        status=row.status,
        intro=intro,
        answers=answers,
        sections=[(s.heading, s.text) for s in sections if not s.question],
        calls=calls,
        tags=list(row.tags or []),
        extra=_extra(row.extra),
        backlinks=_backlink_refs(urls, found, titles, names),
        problems=problems,
    )


def customer(catalog: Catalog, slug: str, urls: Urls, problems: list[Problem]) -> CustomerPage:
    """A customer's profile, stories, calls in date order and backlinks; "no profile yet" without a file."""
    facts = catalog.customers([slug]).get(slug)
    stories = catalog.stories(customer=slug)
    # Only the columns the page shows of its calls: a call's body stays in the store.
    calls = catalog.session.execute(
        select(col(Interview.slug), col(Interview.date), col(Interview.kind))
        .where(col(Interview.customer) == slug)
        .order_by(col(Interview.date), col(Interview.path))
    ).all()
    if facts is None and not stories and not calls and not catalog.names_customer(slug):
        raise UnknownRecord(f"there is no customer '{slug}'")
    if facts is not None and facts.path:
        catalog.require_readable(facts.path)
    row = catalog.session.get(Customer, facts.path) if facts else None
    if row is not None:
        catalog.prefetch(link.slug for link in catalog.links_of(row.path))  # what its Markdown resolves
    profile: list[tuple[str, str]] = []
    timeline: list[TimelineEntry] = []
    if row is not None:
        for key, label in PROFILE_FIELDS:
            value = getattr(row, key)
            if value is not None and value != "":
                profile.append((label, _shown(value)))
        timeline = [TimelineEntry(getattr(row, key), what) for key, what in EVENTS if getattr(row, key)]
    in_order = sorted(calls, key=lambda c: (c.date or dt.date.min, c.slug))
    refs = _call_refs(catalog, urls, [call.slug for call in in_order])
    call_refs = [refs[call.slug] for call in in_order]
    for call, ref in zip(in_order, call_refs, strict=True):
        timeline.append(TimelineEntry(call.date, f"{call.kind or 'call'} call", ref))
    timeline.sort(key=lambda e: (e.date or dt.date.min, e.call is not None))
    story_refs = [
        RecordRef(
            "casestudy",
            s.slug,
            s.person or s.slug,
            urls.record("casestudy", s.slug),
            f"{s.status or 'no status'}; " + ("complete" if not s.missing else missing_answers(s.missing)),
        )
        for s in sorted(stories, key=lambda s: s.slug)
    ]
    found, titles, names = _backlinks_and_names(catalog, "customer", slug, [])
    return CustomerPage(
        slug=slug,
        path=row.path if row else None,
        name=(row.name or slug) if row else slug,
        profile=profile,
        extra=_extra(row.extra) if row else [],
        body=row.body if row else "",
        stories=story_refs,
        calls=call_refs,
        timeline=timeline,
        backlinks=_backlink_refs(urls, found, titles, names),
        problems=problems,
    )


def interview(catalog: Catalog, slug: str, urls: Urls, problems: list[Problem]) -> InterviewPage:
    """A call note: its facts, body, customer and backlinks."""
    row = _first(catalog, "interview", slug)
    catalog.prefetch(link.slug for link in catalog.links_of(row.path))  # what its Markdown resolves
    found, titles, names = _backlinks_and_names(catalog, "interview", row.slug, [row.customer])
    return InterviewPage(
        slug=row.slug,
        path=row.path,
        date=row.date,
        kind=row.kind,
        customer=_customer_ref(urls, row.customer, names),
        people=list(row.people or []),
        owner=row.owner,
        extra=_extra(row.extra),
        body=row.body or "",
        backlinks=_backlink_refs(urls, found, titles, names),
        problems=problems,
    )


def path_of(catalog: Catalog, record_type: str, slug: str) -> str | None:
    """The file of a record (the first one when a slug is used twice)."""
    paths = catalog.paths_of(record_type, slug)
    return paths[0] if paths else None


def as_json(page) -> Any:
    """A page as JSON values: dataclasses as objects, dates as ISO text, pairs as lists."""
    if isinstance(page, dt.date):
        return page.isoformat()
    if dataclasses.is_dataclass(page) and not isinstance(page, type):
        return {f.name: as_json(getattr(page, f.name)) for f in dataclasses.fields(page)}
    if isinstance(page, dict):
        return {str(k): as_json(v) for k, v in page.items()}
    if isinstance(page, (list, tuple)):
        return [as_json(v) for v in page]
    return page


def backlinks(catalog: Catalog, record_type: str, slug: str) -> list[tuple[str, str, str | None]]:
    """The records whose links resolve to this one: (type, slug, label).

    A record's `customer:` key is not counted: the customer's page lists its stories and calls already.
    """
    links = [link for link in catalog.links(slug) if link.source_field != "customer"]
    where = record_of_path(catalog, [link.path for link in links])
    found: dict[str, tuple[str, str, str | None]] = {}
    paths_here = set(catalog.paths_of(record_type, slug))
    for link in links:
        if link.path in paths_here or link.path not in where:
            continue
        targets = catalog.resolve(link.slug, link.target_type)
        if targets and targets[0].type == record_type:
            found.setdefault(link.path, (*where[link.path], link.label))
    order = {"casestudy": 0, "customer": 1, "interview": 2}
    return sorted(found.values(), key=lambda item: (order[item[0]], item[1]))
