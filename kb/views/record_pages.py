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

from kb.errors import Problem
from kb.records.fields import QUESTIONS, title_of
from kb.records.parse import split_sections
from kb.store.catalog import Catalog
from kb.store.models import RECORD_TABLES, CaseStudy, Customer, Interview
from kb.table import cell_text
from kb.views.lists import NO_PROFILE, UnknownRecord, Urls, backlinks, customer_names

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
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return cell_text(value)


def _first(catalog: Catalog, record_type: str, slug: str):
    paths = catalog.paths[record_type].get(slug)
    if not paths:
        raise UnknownRecord(f"there is no {record_type.replace('casestudy', 'case study')} '{slug}'")
    catalog.require_readable(paths[0])
    return catalog.session.get(RECORD_TABLES[record_type], paths[0])


def _customer_ref(catalog: Catalog, urls: Urls, slug: str | None) -> RecordRef:
    names = customer_names(catalog)
    if not slug:
        return RecordRef("customer", "", "no customer", None)
    return RecordRef(
        "customer", slug, names.get(slug, slug), urls.record("customer", slug), None if slug in names else NO_PROFILE
    )


def _call_ref(catalog: Catalog, urls: Urls, slug: str) -> RecordRef:
    paths = catalog.paths["interview"].get(slug)
    if not paths:
        return RecordRef("interview", slug, slug, None, "no such call")
    row = catalog.session.get(Interview, paths[0])
    if row is None:
        return RecordRef("interview", slug, slug, None, "no such call")
    when = row.date.isoformat() if row.date else "undated"
    return RecordRef(
        "interview",
        slug,
        f"{when} · {row.kind or 'call'}",
        urls.record("interview", slug),
        ", ".join(row.people or []) or None,
    )


def _title(catalog: Catalog, record_type: str, slug: str, names: dict[str, str]) -> str:
    """How a page names another record: a customer's name, a story's customer and person, a call's day."""
    row = _first(catalog, record_type, slug)
    customer = getattr(row, "customer", None)
    name = names.get(customer or "") if record_type == "casestudy" else None
    return title_of(record_type, slug, row.model_dump(), name, dated=True)


def _backlink_refs(catalog: Catalog, urls: Urls, record_type: str, slug: str) -> list[RecordRef]:
    names = customer_names(catalog)  # read once, not once per backlink
    return [
        RecordRef(
            t,
            s,
            _title(catalog, t, s, names),
            urls.record(t, s),
            {"casestudy": "case study"}.get(t, t) + (f", as “{label}”" if label else ""),
        )
        for t, s, label in backlinks(catalog, record_type, slug)
    ]


def case_study(catalog: Catalog, slug: str, urls: Urls, problems: list[Problem]) -> CaseStudyPage:
    """A story: the five answers with what they cite, the person, customer, calls, tags and backlinks."""
    row: CaseStudy = _first(catalog, "casestudy", slug)
    intro, sections = split_sections(row.body or "")
    cites = catalog.citations().get(row.path, {})
    answers = []
    for question in QUESTIONS:
        mine = [s for s in sections if s.question == question.key]
        texts = [s.text for s in mine if s.answered]
        cited = [_call_ref(catalog, urls, call) for call in cites.get(question.key, [])]
        state = "cited" if texts and cited else "answered" if texts else "missing"
        answers.append(AnswerView(question.key, question.heading, question.prompt, texts, state, cited))
    calls = [_call_ref(catalog, urls, call) for call in row.interviews or []]
    listed = {call.slug for call in calls}
    for answer in answers:
        for call in answer.cites:
            if call.slug not in listed:
                listed.add(call.slug)
                calls.append(call)
    return CaseStudyPage(
        slug=row.slug,
        path=row.path,
        customer=_customer_ref(catalog, urls, row.customer),
        person=row.person,
        status=row.status,
        intro=intro,
        answers=answers,
        sections=[(s.heading, s.text) for s in sections if not s.question],
        calls=calls,
        tags=list(row.tags or []),
        extra=_extra(row.extra),
        backlinks=_backlink_refs(catalog, urls, "casestudy", row.slug),
        problems=problems,
    )


def customer(catalog: Catalog, slug: str, urls: Urls, problems: list[Problem]) -> CustomerPage:
    """A customer's profile, stories, calls in date order and backlinks; "no profile yet" without a file."""
    facts = catalog.customers().get(slug)
    stories = [s for s in catalog.stories() if s.customer == slug]
    calls = [i for i in catalog.interviews() if i.customer == slug]
    if facts is None and not stories and not calls and not _named_anywhere(catalog, slug):
        raise UnknownRecord(f"there is no customer '{slug}'")
    if facts is not None and facts.path:
        catalog.require_readable(facts.path)
    row = catalog.session.get(Customer, facts.path) if facts else None
    profile: list[tuple[str, str]] = []
    timeline: list[TimelineEntry] = []
    if row is not None:
        for key, label in PROFILE_FIELDS:
            value = getattr(row, key)
            if value is not None and value != "":
                profile.append((label, _shown(value)))
        timeline = [TimelineEntry(getattr(row, key), what) for key, what in EVENTS if getattr(row, key)]
    call_refs = [
        _call_ref(catalog, urls, call.slug) for call in sorted(calls, key=lambda c: (c.date or dt.date.min, c.slug))
    ]
    for call, ref in zip(sorted(calls, key=lambda c: (c.date or dt.date.min, c.slug)), call_refs, strict=True):
        timeline.append(TimelineEntry(call.date, f"{call.kind or 'call'} call", ref))
    timeline.sort(key=lambda e: (e.date or dt.date.min, e.call is not None))
    story_refs = [
        RecordRef(
            "casestudy",
            s.slug,
            s.person or s.slug,
            urls.record("casestudy", s.slug),
            f"{s.status or 'no status'}; " + ("complete" if not s.missing else f"missing {', '.join(s.missing)}"),
        )
        for s in sorted(stories, key=lambda s: s.slug)
    ]
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
        backlinks=_backlink_refs(catalog, urls, "customer", slug),
        problems=problems,
    )


def _named_anywhere(catalog: Catalog, slug: str) -> bool:
    """Some record names this customer (in front matter or a typed link)."""
    for link in catalog.links():
        if link.slug == slug and (link.target_type == "customer" or link.source_field == "customer"):
            return True
    return False


def interview(catalog: Catalog, slug: str, urls: Urls, problems: list[Problem]) -> InterviewPage:
    """A call note: its facts, body, customer and backlinks."""
    row = _first(catalog, "interview", slug)
    return InterviewPage(
        slug=row.slug,
        path=row.path,
        date=row.date,
        kind=row.kind,
        customer=_customer_ref(catalog, urls, row.customer),
        people=list(row.people or []),
        owner=row.owner,
        extra=_extra(row.extra),
        body=row.body or "",
        backlinks=_backlink_refs(catalog, urls, "interview", row.slug),
        problems=problems,
    )


def path_of(catalog: Catalog, record_type: str, slug: str) -> str | None:
    """The file of a record (the first one when a slug is used twice)."""
    paths = catalog.paths[record_type].get(slug)
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
