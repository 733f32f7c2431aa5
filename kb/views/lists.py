"""Browsing the KB: the lists of case studies, customers, interviews and problems, as Tables.

Each list takes a `Catalog` (the store, read back) and a `Urls` (how the interface links a record or
a filtered list), and returns a `ListPage`: its `Table` and the choices its filters offer. The pages
of single records are in `kb.pages`. No Flask here: the web layer passes its URL builders in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from kb.config import Settings
from kb.errors import KbError, UsageError
from kb.method.as_of import AsOf
from kb.method.problems import find_problems
from kb.records.fields import QUESTIONS
from kb.store.catalog import RESOLUTION_ORDER, Catalog
from kb.store.models import AnswerRow, CaseStudy, Customer, FileState, Interview, LinkRow, Tag
from kb.table import Table
from kb.views.customer_list import CUSTOMER_SORTS, customers
from kb.views.lists_filters import NO_PROFILE, ListPage, Urls, folded_values, parse_week, weeks
from kb.views.paging import DEFAULT_PER, Paging, Sorts, choices_of, page_of, page_of_query
from kb.vocabulary import INTERVIEW_KINDS, STATUSES

__all__ = ["CUSTOMER_SORTS", "NO_PROFILE", "ListPage", "Urls", "customers", "parse_week"]

STATUS_ORDER = {"hell-yes": 0, "meh": 1, "churned": 2, "draft": 3}


class UnknownRecord(KbError):
    """No record of that type has that slug."""

    http_status = 404


def customer_names(catalog: Catalog, slugs: Iterable[str] | None = None) -> dict[str, str]:
    """Each customer slug with a file, to its display name (only these slugs, when given)."""
    if slugs is not None:
        return catalog.customer_names(slugs)
    return {slug: facts.name or slug for slug, facts in catalog.customers().items()}


def record_of_path(catalog: Catalog, paths: Iterable[str] | None = None) -> dict[str, tuple[str, str]]:
    """Each record's path to its (type, slug) (only these paths, when given)."""
    if paths is not None:
        return catalog.record_of_paths(paths)
    return {
        path: (record_type, slug)
        for record_type, slugs in catalog.paths.items()
        for slug, paths in slugs.items()
        for path in paths
    }


def _question_pairs() -> list[tuple[str, str]]:
    labels = {
        "why_change": "Why change",
        "success": "Success",
        "options": "Options",
        "fit": "Fit",
        "renewal": "Renewal",
    }
    return [(q.key, labels.get(q.key, q.key)) for q in QUESTIONS]


def _sorts() -> tuple[Sorts, Sorts]:
    story, call = CaseStudy, Interview
    story_name = func.coalesce(_customer_name_of(story.customer), story.customer)
    call_name = func.coalesce(_customer_name_of(call.customer), call.customer)
    # NULL for a story without a status, so that it goes last either way, as every sort's empty values do.
    rank = case(STATUS_ORDER, value=col(story.status))
    stories = Sorts(
        {
            "story": (col(story.slug),),
            "customer": (func.lower(story_name),),
            "person": (func.lower(col(story.person)),),
            "status": (rank,),
        },
        {"story": "story", "customer": "customer", "person": "person", "status": "status"},
    )
    calls = Sorts(
        {
            "date": (col(call.date),),
            "call": (col(call.slug),),
            "customer": (func.lower(call_name),),
            "kind": (col(call.kind),),
            "owner": (func.lower(col(call.owner)),),
        },
        {"date": "date", "call": "call", "customer": "customer", "kind": "kind", "owner": "owner"},
    )
    return stories, calls


def case_studies(
    session: Session,
    urls: Urls,
    status: str | None = None,
    tag: str | None = None,
    sort: str | None = None,
    page: int | None = None,
    per: int = DEFAULT_PER,
    customer: str | None = None,
) -> ListPage:
    """Case studies: customer, person, status, which answers are there and cite a call, tags; filtered by
    status, tag and customer (its slug).

    With `page`, that page's rows only (and the completeness of those alone); without, every row.
    """
    if status is not None and status not in STATUSES:
        raise UsageError(f"status: expected one of {', '.join(STATUSES)}; got {status!r}")
    tag = tag.strip().lower() if tag else None
    story = CaseStudy
    customer_name = func.coalesce(_customer_name_of(story.customer), story.customer, "")
    conditions = []
    if status is not None:
        conditions.append(col(story.status) == status)
    if tag is not None:
        conditions.append(col(story.path).in_(select(col(Tag.path)).where(col(Tag.tag) == tag)))
    if customer is not None:
        conditions.append(col(story.customer) == customer)
    rank = case(STATUS_ORDER, value=col(story.status), else_=9)
    default = (rank, customer_name, col(story.slug), col(story.path))
    order = CASE_STUDY_SORTS.order(sort, default)
    query = (
        select(
            col(story.path),
            col(story.slug),
            col(story.customer),
            col(story.person),
            col(story.status),
            col(story.tags),
            customer_name.label("customer_name"),
        )
        .where(*conditions)
        .order_by(*order)
    )
    paging = page_of_query(session, story, conditions, page, per)
    rows = session.execute(page_of(query, paging)).all()
    marks = completeness_of(session, [row.path for row in rows])
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
    for row in rows:
        slug = row.customer or ""
        tags = list(row.tags or [])
        table.add(
            {
                "story": row.slug,
                "customer": row.customer_name or None,
                "person": row.person,
                "status": row.status,
                **marks.get(row.path, {}),
                "tags": tags,
            },
            {
                "story": urls.record("casestudy", row.slug),
                **({"customer": urls.record("customer", slug)} if slug else {}),
                "tags": [urls.filtered(tag=t, page=None) for t in tags],
            },
        )
    choices = {
        "status": list(STATUSES),
        "tag": choices_of(session, col(Tag.tag)),
        "customer": choices_of(session, col(story.customer)),
    }
    filters = {"status": status, "tag": tag, "customer": customer}
    everything = _count(session, story)
    return ListPage(table, choices, filters, paging, sort, CASE_STUDY_SORTS.columns, everything)


def _count(session: Session, table) -> int:
    """How many rows a table holds, counted by the database."""
    return session.execute(select(func.count()).select_from(table)).scalar_one()


def _customer_name_of(slug_column):
    """SQL: the display name of the customer a row names (its first file by path), NULL without a file."""
    first = aliased(Customer)
    shown = func.coalesce(func.nullif(col(first.name), ""), col(first.slug))
    return select(shown).where(col(first.slug) == slug_column).order_by(col(first.path)).limit(1).scalar_subquery()


def completeness_of(session: Session, paths: list[str]) -> dict[str, dict[str, str]]:
    """Per case study path of `paths`: each question "cited", "answered" or "missing" (as `completeness`)."""
    if not paths:
        return {}
    answered: dict[str, set[str]] = {path: set() for path in paths}
    query = select(col(AnswerRow.path), col(AnswerRow.question)).where(
        col(AnswerRow.path).in_(paths), col(AnswerRow.answered).is_(True)
    )
    for path, question in session.execute(query).all():
        answered[path].add(question)
    links = session.execute(
        select(col(LinkRow.path), col(LinkRow.question), col(LinkRow.slug), col(LinkRow.target_type)).where(
            col(LinkRow.path).in_(paths), col(LinkRow.question).is_not(None)
        )
    ).all()
    # Where each linked slug resolves, by the catalog's rule (a bare slug: customer, then story, then call).
    types: dict[str, set[str]] = {}
    if links:
        slugs = {link.slug for link in links}
        for kind, slug in session.execute(
            select(col(FileState.type), col(FileState.slug)).where(col(FileState.slug).in_(slugs))
        ).all():
            types.setdefault(slug, set()).add(kind)
    cited: dict[str, set[str]] = {path: set() for path in paths}
    for link in links:
        have = types.get(link.slug, set())
        resolved = link.target_type if link.target_type in have else None
        if link.target_type is None:
            resolved = next((t for t in RESOLUTION_ORDER if t in have), None)
        if resolved == "interview":
            cited[link.path].add(link.question)
    return {
        path: {
            key: "cited" if key in done and key in cited[path] else "answered" if key in done else "missing"
            for key, _label in _question_pairs()
        }
        for path, done in answered.items()
    }


CASE_STUDY_SORTS, INTERVIEW_SORTS = _sorts()


def interviews(
    session: Session,
    urls: Urls,
    kind: str | None = None,
    customer: str | None = None,
    owner: str | None = None,
    week: str | None = None,
    sort: str | None = None,
    page: int | None = None,
    per: int = DEFAULT_PER,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> ListPage:
    """Calls, newest first, filtered by kind, customer, owner (any case), ISO week and dates (inclusive)."""
    if kind is not None and kind not in INTERVIEW_KINDS:
        raise UsageError(f"kind: expected one of {', '.join(INTERVIEW_KINDS)}; got {kind!r}")
    span = parse_week(week) if week else None
    call = Interview
    conditions: list = []
    if kind is not None:
        conditions.append(col(call.kind) == kind)
    if customer is not None:
        conditions.append(col(call.customer) == customer)
    if owner is not None:
        conditions.append(col(call.owner).in_(folded_values(session, col(call.owner), owner)))
    if span is not None:
        conditions.append(col(call.date).between(*span))
    if since is not None:
        conditions.append(col(call.date) >= since)
    if until is not None:
        conditions.append(col(call.date) <= until)
    default = (col(call.date).is_(None), col(call.date).desc(), col(call.slug).desc(), col(call.path))
    query = (
        select(
            col(call.slug),
            col(call.date),
            col(call.customer),
            col(call.kind),
            col(call.owner),
            col(call.people),
            func.coalesce(_customer_name_of(call.customer), call.customer).label("customer_name"),
        )
        .where(*conditions)
        .order_by(*INTERVIEW_SORTS.order(sort, default))
    )
    paging = page_of_query(session, call, conditions, page, per)
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
    for row in session.execute(page_of(query, paging)).all():
        slug = row.customer or ""
        table.add(
            {
                "date": row.date.isoformat() if row.date else None,
                "call": row.slug,
                "customer": row.customer_name or None,
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
    owner_choices = choices_of(session, col(call.owner))
    choices = {
        "kind": list(INTERVIEW_KINDS),
        "customer": choices_of(session, col(call.customer)),
        "owner": sorted(owner_choices, key=str.lower) if owner_choices is not None else None,
        "week": weeks(session, week),
    }
    filters = {
        "kind": kind,
        "customer": customer,
        "owner": owner,
        "week": week,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }
    everything = _count(session, call)
    return ListPage(table, choices, filters, paging, sort, INTERVIEW_SORTS.columns, everything)


def problems(
    settings: Settings, catalog: Catalog, as_of: AsOf, urls: Urls, page: int | None = None, per: int = DEFAULT_PER
) -> ListPage:
    """What `kb check` reports, each problem linked to its record: one page's rows, or every row when `page`
    is None (the exports)."""
    found = find_problems(settings, catalog, as_of)
    paging = None
    if page is not None:
        paging = Paging(page, per, len(found))
        found = found[paging.offset : paging.offset + per]
    where = record_of_path(catalog, [p.path for p in found])
    table = Table("Problems", [("path", "File"), ("line", "Line"), ("severity", "Severity"), ("message", "Message")])
    for problem in found:
        target = where.get(problem.path)
        table.add(
            {"path": problem.path, "line": problem.line, "severity": problem.severity, "message": problem.message},
            {"path": urls.record(*target)} if target else {},
        )
    return ListPage(table, paging=paging)
