"""Read the store back: slugs by type, link resolution, and the facts the method layer needs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session, col

from kb.errors import KbError
from kb.records.fields import QUESTION_KEYS
from kb.records.parse import COMMENT_RE
from kb.store.models import AnswerRow, CaseStudy, Customer, FileProblem, FileState, Interview, LinkRow

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
    """Every record's slug and path by type, read once from the store."""

    def __init__(self, session: Session):
        self.session = session
        self.paths: dict[str, dict[str, list[str]]] = {t: defaultdict(list) for t in RESOLUTION_ORDER}
        self.unreadable: set[str] = set()  # files kb could not read: they exist, their content is unknown
        columns = (col(FileState.type), col(FileState.slug), col(FileState.path), col(FileState.sha256))
        for row in session.execute(select(*columns)).all():
            self.paths[row.type][row.slug].append(row.path)
            if row.sha256 == NOT_READ:
                self.unreadable.add(row.path)
        for slugs in self.paths.values():
            for found in slugs.values():
                found.sort()

    def resolve(self, slug: str, target_type: str | None = None) -> list[Target]:
        """Where a link points: one target, none, or (for an ambiguous bare slug) several."""
        types = (target_type,) if target_type else RESOLUTION_ORDER
        found = [Target(t, slug, self.paths[t][slug][0]) for t in types if self.paths[t].get(slug)]
        return found

    def require_readable(self, path: str) -> None:
        """Raise UnreadableRecord when kb could not read the file at `path`: its content is not known."""
        if path in self.unreadable:
            query = select(col(FileProblem.message)).where(col(FileProblem.path) == path).order_by(col(FileProblem.id))
            messages = self.session.execute(query).scalars().all()
            why = next((m for m in messages if m.startswith("cannot be read")), "cannot be read")
            raise UnreadableRecord(f"{path} {why} (check the file's permissions and owner)")

    def slugs(self, record_type: str) -> list[str]:
        return sorted(s for s, p in self.paths[record_type].items() if p)

    def links(self) -> list[LinkRow]:
        return list(self.session.execute(select(LinkRow)).scalars())

    def file_problems(self) -> list[FileProblem]:
        return list(self.session.execute(select(FileProblem)).scalars())

    def customers(self) -> dict[str, CustomerFacts]:
        """Customers by slug (the first file of a duplicated slug wins)."""
        rows = self.session.execute(select(Customer).order_by(col(Customer.path))).scalars()
        found: dict[str, CustomerFacts] = {}
        for row in rows:
            found.setdefault(
                row.slug,
                CustomerFacts(
                    slug=row.slug,
                    name=row.name,
                    stage=row.stage,
                    source=row.source,
                    owner=row.owner,
                    qualified_on=row.qualified_on,
                    won_on=row.won_on,
                    lost_on=row.lost_on,
                    churned_on=row.churned_on,
                    acv=row.acv,
                    path=row.path,
                ),
            )
        return found

    def stories(self) -> list[StoryFacts]:
        """Every case study with what the method needs: status, person, and the questions not answered."""
        answered: dict[str, set[str]] = defaultdict(set)
        query = select(col(AnswerRow.path), col(AnswerRow.question)).where(col(AnswerRow.answered).is_(True))
        for path, question in self.session.execute(query).all():
            answered[path].add(question)
        # Only the columns the method reads: a story's body can be long, and there may be thousands.
        rows = self.session.execute(
            select(
                col(CaseStudy.slug),
                col(CaseStudy.path),
                col(CaseStudy.customer),
                col(CaseStudy.person),
                col(CaseStudy.status),
                col(CaseStudy.key_lines),
            ).order_by(col(CaseStudy.path))
        ).all()
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
            for row in rows
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

    def recent_edits(self, limit: int = 8) -> list[FileState]:
        """The files changed last on disk, newest first."""
        query = select(FileState).order_by(col(FileState.mtime_ns).desc(), col(FileState.path)).limit(limit)
        return list(self.session.execute(query).scalars())

    def interviews(self) -> list[Interview]:
        return list(
            self.session.execute(select(Interview).order_by(col(Interview.date), col(Interview.path))).scalars()
        )

    def citations(self) -> dict[str, dict[str, list[str]]]:
        """Per case study and question, the calls its answer cites (links that resolve to interviews)."""
        found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for link in self.session.execute(select(LinkRow).where(col(LinkRow.question).is_not(None))).scalars():
            targets = self.resolve(link.slug, link.target_type)
            if targets and targets[0].type == "interview" and link.slug not in found[link.path][link.question]:
                found[link.path][link.question].append(link.slug)
        return found
