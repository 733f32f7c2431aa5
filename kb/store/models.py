"""SQLModel tables: the database is a cache of the files, keyed by each file's path."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel


class Meta(SQLModel, table=True):
    """Facts about the store itself, such as its schema version."""

    key: str = Field(primary_key=True)
    value: str


class FileState(SQLModel, table=True):
    """The fingerprint of a file as last indexed: size and mtime first, the content hash to confirm."""

    # The files changed last (home) are read through this index, never by sorting every file's row.
    __table_args__ = (Index("ix_filestate_mtime_path", "mtime_ns", "path"),)

    path: str = Field(primary_key=True)
    type: str
    slug: str = Field(index=True)
    size: int
    mtime_ns: int
    sha256: str = Field(index=True)


class Customer(SQLModel, table=True):
    path: str = Field(primary_key=True)
    slug: str = Field(index=True)
    name: str | None = None
    stage: str | None = None
    source: str | None = None
    owner: str | None = None
    qualified_on: dt.date | None = None
    won_on: dt.date | None = None
    lost_on: dt.date | None = None
    churned_on: dt.date | None = None
    acv: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    key_lines: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON))
    body: str = Field(default="", sa_column=Column(Text))


class Interview(SQLModel, table=True):
    # The latest calls (home) are read by date through this index, never by reading every call's row.
    __table_args__ = (Index("ix_interview_date_path", "date", "path"),)

    path: str = Field(primary_key=True)
    slug: str = Field(index=True)
    customer: str | None = Field(default=None, index=True)
    date: dt.date | None = None
    kind: str | None = None
    people: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    owner: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    key_lines: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON))
    body: str = Field(default="", sa_column=Column(Text))


class CaseStudy(SQLModel, table=True):
    path: str = Field(primary_key=True)
    slug: str = Field(index=True)
    customer: str | None = Field(default=None, index=True)
    person: str | None = None
    status: str | None = None
    interviews: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    key_lines: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON))
    body: str = Field(default="", sa_column=Column(Text))


class AnswerRow(SQLModel, table=True):
    """One `##` section of a case study that answers one of the five questions."""

    __tablename__ = "answer"

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(index=True)
    question: str = Field(index=True)
    heading: str
    line: int
    answered: bool
    text: str = Field(default="", sa_column=Column(Text))


class Tag(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(index=True)
    tag: str = Field(index=True)


class LinkRow(SQLModel, table=True):
    """A link written in a record, as written: resolved against all slugs when read."""

    __tablename__ = "link"

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(index=True)
    slug: str = Field(index=True)
    target_type: str | None = None
    label: str | None = None
    line: int
    question: str | None = None
    source_field: str | None = None
    block: str | None = None  # the quote it cites, `[[slug#^block]]`


class QuoteRow(SQLModel, table=True):
    """A quote of an interview (kb.records.quotes): a blockquote ending in a block id."""

    __tablename__ = "quote"

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(index=True)
    slug: str = Field(index=True)  # the interview's
    block: str
    line: int
    text: str = Field(sa_column=Column(Text))
    speaker: str | None = None
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON))


class FileProblem(SQLModel, table=True):
    """A problem found in one file on its own (those across files are `CrossProblem`s)."""

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(index=True)
    line: int
    severity: str
    message: str = Field(sa_column=Column(Text))


class CrossProblem(SQLModel, table=True):
    """A problem of one file that other files decide: a slug it shares, a link that resolves to no record or
    to several. Kept up to date at each write of the store (kb.store.cross_problems), never per page.

    `slug` is what it depends on (the duplicated slug, the link's slug); `hint` is the slug a "did you mean"
    names, so that the problem is judged again when that slug goes away.
    """

    __tablename__ = "cross_problem"

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(index=True)
    line: int
    severity: str
    message: str = Field(sa_column=Column(Text))
    kind: str  # "duplicate" or "link"
    slug: str = Field(index=True)
    hint: str | None = Field(default=None, index=True)


RECORD_TABLES: dict[str, type[Customer | Interview | CaseStudy]] = {
    "customer": Customer,
    "interview": Interview,
    "casestudy": CaseStudy,
}
PER_FILE_TABLES = (FileState, Customer, Interview, CaseStudy, AnswerRow, Tag, LinkRow, QuoteRow, FileProblem)
