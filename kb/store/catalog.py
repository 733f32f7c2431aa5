"""Read the store back: slugs by type, link resolution, and the facts the method layer needs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col

from kb.errors import KbError, Problem
from kb.records.fields import QUESTION_KEYS
from kb.records.parse import COMMENT_RE
from kb.store.models import AnswerRow, CaseStudy, Customer, FileProblem, FileState, Interview, LinkRow, QuoteRow

# Values an `IN (...)` list holds at most: well under any database's limit on bound parameters.
BATCH = 500
# A bare [[slug]] resolves to a customer, else a case study, else an interview.
RESOLUTION_ORDER = ("customer", "casestudy", "interview")
# The content hash stored for a file kb could not read (a file that can be read has its SHA-256).
NOT_READ = ""


class UnreadableRecord(KbError):
    """A record whose file kb cannot read: its pages say so rather than show it empty."""

    http_status = 409


@dataclass
class CustomerFacts:
    """What the method needs of a customer (a customer file's fields)."""

    slug: str
    name: str | None = None
    stage: str | None = None
    source: str | None = None
    owner: str | None = None
    qualified_on: dt.date | None = None
    won_on: dt.date | None = None
    lost_on: dt.date | None = None
    churned_on: dt.date | None = None
    acv: float | None = None
    path: str | None = None


@dataclass
class StoryFacts:
    """What the method needs of a case study."""

    slug: str
    path: str
    customer: str | None
    person: str | None
    status: str | None
    missing: list[str] = field(default_factory=list)  # question keys not answered
    status_line: int = 1  # where `status:` is written, for messages


@dataclass(frozen=True)
class Target:
    type: str
    slug: str
    path: str


class Catalog:
    """Every record's slug and path by type, read from the store when first asked.

    A page reads only the slugs it shows (`resolve`, `paths_of`, `prefetch`: `WHERE slug IN (...)`);
    whole-KB users (`kb check`, status, metrics, compare) read `paths`, every file at once, then.
    """

    def __init__(self, session: Session, names: Callable[[], dict[str, str]] | None = None):
        self.session = session
        # Every customer's display name by slug, when the caller keeps them (a server, once per change of
        # the files): customer_names then reads no table.
        self._names = names
        self._paths: dict[str, dict[str, list[str]]] | None = None
        self._unreadable: set[str] = set()  # files kb could not read: they exist, their content is unknown
        self._slugs: dict[str, dict[str, list[str]]] = {}  # slug -> type -> paths, for the slugs looked up
        self._checked: set[str] = set()  # files whose readability is known without another query
        self._calls: dict[str, tuple[dt.date | None, str | None]] = {}  # a call's path -> (date, kind)

    @property
    def paths(self) -> dict[str, dict[str, list[str]]]:
        """Type -> slug -> its files (sorted), for every file of the KB."""
        if self._paths is None:
            self._paths = {t: defaultdict(list) for t in RESOLUTION_ORDER}
            columns = (col(FileState.type), col(FileState.slug), col(FileState.path), col(FileState.sha256))
            for row in self.session.execute(select(*columns)).all():
                self._paths[row.type][row.slug].append(row.path)
                if row.sha256 == NOT_READ:
                    self._unreadable.add(row.path)
            for slugs in self._paths.values():
                for found in slugs.values():
                    found.sort()
        return self._paths

    @property
    def unreadable(self) -> set[str]:
        """The files kb could not read, every one of the KB."""
        self.paths  # noqa: B018 (reading every file's state fills the set)
        return self._unreadable

    def prefetch(self, slugs: Iterable[str]) -> None:
        """Read the files of these slugs in a few queries, so that resolving them asks the store no more."""
        if self._paths is not None:
            return
        wanted = sorted({s for s in slugs if s not in self._slugs})
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            for slug in chunk:
                self._slugs[slug] = defaultdict(list)
            columns = (col(FileState.type), col(FileState.slug), col(FileState.path), col(FileState.sha256))
            query = select(*columns).where(col(FileState.slug).in_(chunk)).order_by(col(FileState.path))
            for row in self.session.execute(query).all():
                self._slugs[row.slug][row.type].append(row.path)
                self._checked.add(row.path)
                if row.sha256 == NOT_READ:
                    self._unreadable.add(row.path)

    def paths_of(self, record_type: str, slug: str) -> list[str]:
        """The files of one record type with this slug, sorted (two or more: a duplicated slug)."""
        if self._paths is not None:
            return list(self._paths[record_type].get(slug) or [])
        self.prefetch([slug])
        return list(self._slugs[slug].get(record_type) or [])

    def resolve(self, slug: str, target_type: str | None = None) -> list[Target]:
        """Where a link points: one target, none, or (for an ambiguous bare slug) several."""
        types = (target_type,) if target_type else RESOLUTION_ORDER
        found = []
        for record_type in types:
            paths = self.paths_of(record_type, slug)
            if paths:
                found.append(Target(record_type, slug, paths[0]))
        return found

    def call_date_kind(self, path: str) -> tuple[dt.date | None, str | None]:
        """A call's date and kind (what a citation of it shows), read once per catalog."""
        if path not in self._calls:
            query = select(col(Interview.date), col(Interview.kind)).where(col(Interview.path) == path)
            row = self.session.execute(query).first()
            self._calls[path] = (row.date, row.kind) if row is not None else (None, None)
        return self._calls[path]

    def record_of_paths(self, paths: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Each of these files (that the store holds) to its record's (type, slug)."""
        wanted = sorted(set(paths))
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(wanted), BATCH):
            query = select(col(FileState.path), col(FileState.type), col(FileState.slug)).where(
                col(FileState.path).in_(wanted[start : start + BATCH])
            )
            found.update({row.path: (row.type, row.slug) for row in self.session.execute(query).all()})
        return found

    def require_readable(self, path: str) -> None:
        """Raise UnreadableRecord when kb could not read the file at `path`: its content is not known."""
        if self._paths is not None or path in self._checked:
            unreadable = path in self._unreadable
        else:
            query = select(col(FileState.sha256)).where(col(FileState.path) == path)
            unreadable = self.session.execute(query).scalar() == NOT_READ
        if unreadable:
            query = select(col(FileProblem.message)).where(col(FileProblem.path) == path).order_by(col(FileProblem.id))
            messages = self.session.execute(query).scalars().all()
            why = next((m for m in messages if m.startswith("cannot be read")), "cannot be read")
            raise UnreadableRecord(f"{path} {why} (check the file's permissions and owner)")

    def slugs(self, record_type: str) -> list[str]:
        return sorted(s for s, p in self.paths[record_type].items() if p)

    def links(self, slug: str | None = None) -> list[LinkRow]:
        """The links written in records, in the order they were stored; only those to `slug`, when given."""
        query = select(LinkRow).order_by(col(LinkRow.id))
        if slug is not None:
            query = query.where(col(LinkRow.slug) == slug)
        return list(self.session.execute(query).scalars())

    def links_of(self, path: str) -> list[LinkRow]:
        """The links written in the record at `path`, in the order they were stored."""
        query = select(LinkRow).where(col(LinkRow.path) == path).order_by(col(LinkRow.id))
        return list(self.session.execute(query).scalars())

    def names_customer(self, slug: str) -> bool:
        """Some record names this customer (in front matter or a typed link)."""
        query = (
            select(col(LinkRow.id))
            .where(
                col(LinkRow.slug) == slug,
                or_(col(LinkRow.target_type) == "customer", col(LinkRow.source_field) == "customer"),
            )
            .limit(1)
        )
        return self.session.execute(query).first() is not None

    def file_problems(self) -> list[FileProblem]:
        return list(self.session.execute(select(FileProblem)).scalars())

    def file_problems_of(self, path: str | None = None) -> list[Problem]:
        """The problems found in each file on its own (only the file at `path`, when given), as Problems."""
        query = select(
            col(FileProblem.path), col(FileProblem.line), col(FileProblem.severity), col(FileProblem.message)
        )
        if path is not None:
            query = query.where(col(FileProblem.path) == path)
        return [Problem(*row) for row in self.session.execute(query).all()]

    def customers(self, slugs: Iterable[str] | None = None) -> dict[str, CustomerFacts]:
        """Customers by slug (the first file of a duplicated slug wins); only these slugs, when given."""
        # Only the columns CustomerFacts holds: never a body nor the extra keys of a thousand files.
        query = select(
            col(Customer.slug),
            col(Customer.name),
            col(Customer.stage),
            col(Customer.source),
            col(Customer.owner),
            col(Customer.qualified_on),
            col(Customer.won_on),
            col(Customer.lost_on),
            col(Customer.churned_on),
            col(Customer.acv),
            col(Customer.path),
        ).order_by(col(Customer.path))
        found: dict[str, CustomerFacts] = {}
        for chunk in _chunks(slugs):
            chosen = query if chunk is None else query.where(col(Customer.slug).in_(chunk))
            for row in self.session.execute(chosen).all():
                found.setdefault(row.slug, CustomerFacts(**row._asdict()))
        return found

    def customer_names(self, slugs: Iterable[str] | None) -> dict[str, str]:
        """Each of these slugs (None: every slug) that has a customer file, to its display name (the first
        file's, if two)."""
        if self._names is not None:
            every = self._names()
            return dict(every) if slugs is None else {slug: every[slug] for slug in slugs if slug in every}
        found: dict[str, str] = {}
        query = select(col(Customer.slug), col(Customer.name)).order_by(col(Customer.path))
        for chunk in _chunks(slugs):
            chosen = query if chunk is None else query.where(col(Customer.slug).in_(chunk))
            for row in self.session.execute(chosen).all():
                found.setdefault(row.slug, row.name or row.slug)
        return found

    def stories(
        self, status: str | None = None, paths: Iterable[str] | None = None, customer: str | None = None
    ) -> list[StoryFacts]:
        """Case studies with what the method needs: status, person, and the questions not answered.

        Every one by default; only those with this status, at these paths or of this customer, when given.
        """
        # Only the columns the method reads: a story's body can be long, and there may be thousands.
        query = select(
            col(CaseStudy.slug),
            col(CaseStudy.path),
            col(CaseStudy.customer),
            col(CaseStudy.person),
            col(CaseStudy.status),
            col(CaseStudy.key_lines),
        ).order_by(col(CaseStudy.path))
        if status is not None:
            query = query.where(col(CaseStudy.status) == status)
        if customer is not None:
            query = query.where(col(CaseStudy.customer) == customer)
        rows: list[Any] = []
        for chunk in _chunks(paths):
            rows += self.session.execute(query if chunk is None else query.where(col(CaseStudy.path).in_(chunk))).all()
        answered: dict[str, set[str]] = defaultdict(set)
        answers = select(col(AnswerRow.path), col(AnswerRow.question)).where(col(AnswerRow.answered).is_(True))
        whole = status is None and paths is None and customer is None
        for chunk in [None] if whole else _chunks([row.path for row in rows]):
            chosen = answers if chunk is None else answers.where(col(AnswerRow.path).in_(chunk))
            for path, question in self.session.execute(chosen).all():
                answered[path].add(question)
        return [
            StoryFacts(
                slug=row.slug,
                path=row.path,
                customer=row.customer,
                person=row.person,
                status=row.status,
                missing=[q for q in QUESTION_KEYS if q not in answered[row.path]],
                status_line=(row.key_lines or {}).get("status", 1),
            )
            for row in (rows if paths is None else sorted(rows, key=lambda r: r.path))
        ]

    def sales_call_dates(self, kinds) -> list:
        """The dates of the interviews whose kind counts as a sales call (no kind reads as `other`)."""
        rows = self.session.execute(
            select(col(Interview.date), col(Interview.kind)).where(col(Interview.date).is_not(None))
        ).all()
        return [row.date for row in rows if (row.kind or "other") in kinds]

    def answer_texts(self) -> dict[str, dict[str, list[str]]]:
        """Per case study and question, the text of each section answering it, in file order."""
        found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        rows = self.session.execute(
            select(col(AnswerRow.path), col(AnswerRow.question), col(AnswerRow.text), col(AnswerRow.answered)).order_by(
                col(AnswerRow.path), col(AnswerRow.line)
            )
        ).all()
        for row in rows:
            found[row.path][row.question].append(COMMENT_RE.sub("", row.text).strip() if row.answered else "")
        return found

    def story_tags(self) -> dict[str, list[str]]:
        """Per case study, its tags as written."""
        rows = self.session.execute(select(col(CaseStudy.path), col(CaseStudy.tags))).all()
        return {row.path: list(row.tags or []) for row in rows}

    def recent_calls(self, as_of, limit: int = 8) -> list[Interview]:
        """The latest calls on or before D, newest first."""
        query = (
            select(Interview)
            .where(col(Interview.date).is_not(None), col(Interview.date) <= as_of)
            .order_by(col(Interview.date).desc(), col(Interview.path).desc())
            .limit(limit)
        )
        return list(self.session.execute(query).scalars())

    def interviews(self) -> list[Interview]:
        return list(
            self.session.execute(select(Interview).order_by(col(Interview.date), col(Interview.path))).scalars()
        )

    def quotes_of(self, paths: Iterable[str]) -> dict[str, list[QuoteRow]]:
        """The quotes of each of these interview files, in the order they come in the file."""
        found: dict[str, list[QuoteRow]] = defaultdict(list)
        for chunk in _chunks(paths):
            query = select(QuoteRow).where(col(QuoteRow.path).in_(chunk or [])).order_by(col(QuoteRow.id))
            for quote in self.session.execute(query).scalars():
                found[quote.path].append(quote)
        return found

    def citations(self, path: str | None = None) -> dict[str, dict[str, list[str]]]:
        """Per case study and question, the calls its answer cites (links that resolve to interviews).

        Every case study's by default; only the one at `path`, when given.
        """
        found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        query = select(LinkRow).where(col(LinkRow.question).is_not(None))
        if path is not None:
            query = query.where(col(LinkRow.path) == path)
        links = list(self.session.execute(query.order_by(col(LinkRow.id))).scalars())
        if path is not None:
            self.prefetch(link.slug for link in links)
        for link in links:
            targets = self.resolve(link.slug, link.target_type)
            if targets and targets[0].type == "interview" and link.slug not in found[link.path][link.question]:
                found[link.path][link.question].append(link.slug)
        return found


def _chunks(values: Iterable[str] | None) -> list[list[str] | None]:
    """`values` as lists of at most BATCH (none when empty); [None] (no filter) when `values` is None."""
    if values is None:
        return [None]
    ordered = sorted(set(values))
    return [ordered[start : start + BATCH] for start in range(0, len(ordered), BATCH)]
