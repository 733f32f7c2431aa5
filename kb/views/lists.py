"""Browsing the KB: the lists of case studies, customers, interviews and problems, as Tables.

Each list takes a `Catalog` (the store, read back) and a `Urls` (how the interface links a record or
a filtered list), and returns a `ListPage`: its `Table` and the choices its filters offer. The pages
of single records are in `kb.pages`. No Flask here: the web layer passes its URL builders in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from kb.config import Settings
from kb.errors import KbError, Problem, UsageError
from kb.method.as_of import AsOf
from kb.method.company import week_label
from kb.method.problems import find_problems
from kb.records.fields import QUESTION_KEYS, QUESTIONS
from kb.store.catalog import Catalog
from kb.store.models import CaseStudy, Interview
from kb.table import Table
from kb.vocabulary import INTERVIEW_KINDS, STATUSES

STATUS_ORDER = {"hell-yes": 0, "meh": 1, "churned": 2, "draft": 3}
NO_PROFILE = "no profile yet"
WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


class UnknownRecord(KbError):
    """No record of that type has that slug."""

    http_status = 404


@dataclass
class Urls:
    """How the interface links things: a record's page, and this list with other filters."""

    record: Callable[[str, str], str]
    filtered: Callable[..., str] = field(default=lambda **filters: "")


@dataclass
class ListPage:
    """A list's rows, and the values each of its filters can take (for the filter form)."""

    table: Table
    choices: dict[str, list[str]] = field(default_factory=dict)
    filters: dict[str, str | None] = field(default_factory=dict)


def customer_names(catalog: Catalog) -> dict[str, str]:
    """Each customer slug with a file, to its display name."""
    return {slug: facts.name or slug for slug, facts in catalog.customers().items()}


def record_of_path(catalog: Catalog) -> dict[str, tuple[str, str]]:
    """Each record's path to its (type, slug)."""
    return {
        path: (record_type, slug)
        for record_type, slugs in catalog.paths.items()
        for slug, paths in slugs.items()
        for path in paths
    }


def completeness(catalog: Catalog) -> dict[str, dict[str, str]]:
    """Per case study path and question: "cited" (answered, cites a call), "answered" or "missing"."""
    answered = {story.path: set(QUESTION_KEYS) - set(story.missing) for story in catalog.stories()}
    citations = catalog.citations()
    found = {}
    for path, done in answered.items():
        cites = citations.get(path, {})
        found[path] = {
            key: ("cited" if key in done and cites.get(key) else "answered" if key in done else "missing")
            for key, _label in _question_pairs()
        }
    return found


def _question_pairs() -> list[tuple[str, str]]:
    labels = {
        "why_change": "Why change",
        "success": "Success",
        "options": "Options",
        "fit": "Fit",
        "renewal": "Renewal",
    }
    return [(q.key, labels.get(q.key, q.key)) for q in QUESTIONS]


def case_studies(catalog: Catalog, urls: Urls, status: str | None = None, tag: str | None = None) -> ListPage:
    """Every case study: customer, person, status, which answers are there and cite a call, tags."""
    if status is not None and status not in STATUSES:
        raise UsageError(f"status: expected one of {', '.join(STATUSES)}; got {status!r}")
    tag = tag.strip().lower() if tag else None
    names = customer_names(catalog)
    marks = completeness(catalog)
    table = Table(
        "Case studies",
        [
            ("story", "Story"),
            ("customer", "Customer"),
            ("person", "Person"),
            ("status", "Status"),
            *_question_pairs(),
            ("tags", "Tags"),
        ],
    )
    rows = catalog.session.execute(select(CaseStudy)).scalars().all()
    all_tags: Counter[str] = Counter()
    for row in rows:
        all_tags.update(row.tags or [])
    chosen = [
        row for row in rows if (status is None or row.status == status) and (tag is None or tag in (row.tags or []))
    ]
    chosen.sort(
        key=lambda r: (
            STATUS_ORDER.get(r.status or "", 9),
            names.get(r.customer or "", r.customer or ""),
            r.slug,
            r.path,
        )
    )
    for row in chosen:
        customer = row.customer or ""
        tags = list(row.tags or [])
        table.add(
            {
                "story": row.slug,
                "customer": names.get(customer, customer) or None,
                "person": row.person,
                "status": row.status,
                **marks.get(row.path, {}),
                "tags": tags,
            },
            {
                "story": urls.record("casestudy", row.slug),
                **({"customer": urls.record("customer", customer)} if customer else {}),
                "tags": [urls.filtered(tag=t) for t in tags],
            },
        )
    return ListPage(table, {"status": list(STATUSES), "tag": sorted(all_tags)}, {"status": status, "tag": tag})


def customers(catalog: Catalog, urls: Urls) -> ListPage:
    """Every customer with a file, and every customer slug records name without one."""
    facts = catalog.customers()
    calls: Counter[str] = Counter(i.customer for i in catalog.interviews() if i.customer)
    stories: Counter[str] = Counter(s.customer for s in catalog.stories() if s.customer)
    table = Table(
        "Customers",
        [
            ("name", "Customer"),
            ("stage", "Stage"),
            ("source", "Source"),
            ("owner", "Owner"),
            ("calls", "Calls"),
            ("stories", "Stories"),
        ],
    )
    slugs = set(facts) | set(calls) | set(stories)
    for slug in sorted(slugs, key=lambda s: ((facts[s].name or s).lower() if s in facts else s.lower(), s)):
        known = facts.get(slug)
        table.add(
            {
                "name": (known.name or slug) if known else slug,
                "stage": known.stage if known else NO_PROFILE,
                "source": known.source if known else None,
                "owner": known.owner if known else None,
                "calls": calls[slug],
                "stories": stories[slug],
            },
            {"name": urls.record("customer", slug)},
        )
    return ListPage(table)


def parse_week(text: str) -> tuple[dt.date, dt.date]:
    """An ISO week such as 2026-W09 as its Monday and Sunday."""
    match = WEEK_RE.match(text.strip())
    try:
        if not match:
            raise ValueError
        monday = dt.date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        return monday, monday + dt.timedelta(days=6)
    except (ValueError, OverflowError):
        raise UsageError(f"week: expected an ISO week such as 2026-W09; got {text[:40]!r}") from None


def interviews(
    catalog: Catalog,
    urls: Urls,
    kind: str | None = None,
    customer: str | None = None,
    owner: str | None = None,
    week: str | None = None,
) -> ListPage:
    """Every call, newest first, filtered by kind, customer, owner and ISO week."""
    if kind is not None and kind not in INTERVIEW_KINDS:
        raise UsageError(f"kind: expected one of {', '.join(INTERVIEW_KINDS)}; got {kind!r}")
    span = parse_week(week) if week else None
    names = customer_names(catalog)
    rows = catalog.interviews()
    table = Table(
        "Interviews",
        [
            ("date", "Date"),
            ("call", "Call"),
            ("customer", "Customer"),
            ("kind", "Kind"),
            ("owner", "Owner"),
            ("people", "People"),
        ],
    )

    def keep(row: Interview) -> bool:
        return (
            (kind is None or row.kind == kind)
            and (customer is None or row.customer == customer)
            and (owner is None or (row.owner or "").lower() == owner.lower())
            and (span is None or (row.date is not None and span[0] <= row.date <= span[1]))
        )

    chosen = sorted((r for r in rows if keep(r)), key=lambda r: (r.date or dt.date.min, r.slug), reverse=True)
    for row in chosen:
        slug = row.customer or ""
        table.add(
            {
                "date": row.date.isoformat() if row.date else None,
                "call": row.slug,
                "customer": names.get(slug, slug) or None,
                "kind": row.kind,
                "owner": row.owner,
                "people": list(row.people or []),
            },
            {
                "call": urls.record("interview", row.slug),
                "date": urls.record("interview", row.slug),
                **({"customer": urls.record("customer", slug)} if slug else {}),
            },
        )
    choices = {
        "kind": list(INTERVIEW_KINDS),
        "customer": sorted({r.customer for r in rows if r.customer}),
        "owner": sorted({r.owner for r in rows if r.owner}, key=str.lower),
        "week": sorted({week_label(r.date) for r in rows if r.date}, reverse=True),
    }
    return ListPage(table, choices, {"kind": kind, "customer": customer, "owner": owner, "week": week})


def problems(settings: Settings, catalog: Catalog, as_of: AsOf, urls: Urls) -> ListPage:
    """What `kb check` reports, each problem linked to its record."""
    where = record_of_path(catalog)
    table = Table("Problems", [("path", "File"), ("line", "Line"), ("severity", "Severity"), ("message", "Message")])
    for problem in find_problems(settings, catalog, as_of):
        target = where.get(problem.path)
        table.add(
            {"path": problem.path, "line": problem.line, "severity": problem.severity, "message": problem.message},
            {"path": urls.record(*target)} if target else {},
        )
    return ListPage(table)


def problems_in_file(settings: Settings, catalog: Catalog, as_of: AsOf, path: str) -> list[Problem]:
    """The problems `kb check` reports for one file."""
    return [p for p in find_problems(settings, catalog, as_of) if p.path == path]


def backlinks(catalog: Catalog, record_type: str, slug: str) -> list[tuple[str, str, str | None]]:
    """The records whose links resolve to this one: (type, slug, label).

    A record's `customer:` key is not counted: the customer's page lists its stories and calls already.
    """
    where = record_of_path(catalog)
    found: dict[str, tuple[str, str, str | None]] = {}
    paths_here = set(catalog.paths[record_type].get(slug, []))
    for link in catalog.links():
        if link.slug != slug or link.source_field == "customer" or link.path in paths_here or link.path not in where:
            continue
        targets = catalog.resolve(link.slug, link.target_type)
        if targets and targets[0].type == record_type:
            found.setdefault(link.path, (*where[link.path], link.label))
    order = {"casestudy": 0, "customer": 1, "interview": 2}
    return sorted(found.values(), key=lambda item: (order[item[0]], item[1]))
