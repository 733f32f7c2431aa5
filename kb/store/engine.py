"""The one engine factory, and keeping the database in step with parsed records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import delete, event, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, create_engine

from kb.config import STATE_VERSION, Kb, Settings
from kb.errors import Problem
from kb.records.parse import Link, Record
from kb.store import cross_problems
from kb.store.models import (
    PER_FILE_TABLES,
    RECORD_TABLES,
    AnswerRow,
    FileProblem,
    FileState,
    LinkRow,
    Meta,
    QuoteRow,
    Tag,
)

SCHEMA_VERSION = STATE_VERSION
DATABASE_FILE = "kb.sqlite3"


class StaleStore(Exception):
    """The database is missing, unreadable or from another schema version; rebuild it."""


def database_url(kb: Kb, settings: Settings) -> str:
    return settings.database_url or f"sqlite:///{kb.state_dir / DATABASE_FILE}"


def make_engine(url: str) -> Engine:
    """The one place an engine is made; SQLite gets its pragmas in a connect listener."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    """Make every table from nothing and record the schema version."""
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Meta(key="schema_version", value=SCHEMA_VERSION))
        session.commit()


def check_schema(engine: Engine) -> None:
    """Raise StaleStore unless the database has this version's tables."""
    try:
        with Session(engine) as session:
            row = session.get(Meta, "schema_version")
    except Exception as exc:  # any driver error means the cache cannot be trusted
        raise StaleStore(f"the database cannot be read ({type(exc).__name__})") from exc
    if row is None or row.value != SCHEMA_VERSION:
        found = row.value if row else "none"
        raise StaleStore(f"the database is from schema version {found}, this kb uses {SCHEMA_VERSION}")


def fingerprints(session: Session, paths: list[str] | None = None) -> dict[str, tuple[str, int, int, str]]:
    """What the database holds of each file (of these paths, when given): (type, size, mtime_ns, sha256) by path."""
    # Plain rows through the connection, not the ORM's session: a refresh reads every file's row, and the
    # ORM's handling of rows costs several times the query.
    columns = (col(FileState.path), col(FileState.type), col(FileState.size), col(FileState.mtime_ns))
    query = select(*columns, col(FileState.sha256))
    connection = session.connection()
    found = {}
    chunks = [None] if paths is None else [paths[start : start + 500] for start in range(0, len(paths), 500)]
    for chunk in chunks:
        chosen = query if chunk is None else query.where(col(FileState.path).in_(chunk))
        for row in connection.execute(chosen):
            found[row[0]] = (row[1], row[2], row[3], row[4])
    return found


def delete_paths(session: Session, paths: Iterable[str]) -> None:
    """Forget everything stored for these files."""
    paths = list(paths)
    # What these files were (type, slug) decides which cross-file problems the next `update` judges again.
    cross_problems.note_before(session, paths)
    for start in range(0, len(paths), 500):
        chunk = paths[start : start + 500]
        for table in PER_FILE_TABLES:
            session.execute(delete(table).where(col(table.path).in_(chunk)))


def replace_scan_problems(session: Session, problems: Iterable[Problem]) -> None:
    """Store the problems of the entries the scan of the folders left out (links out of the KB, loops,
    names that are not UTF-8), instead of those stored before: they are the problems at paths no file holds."""
    session.execute(delete(FileProblem).where(col(FileProblem.path).not_in(select(col(FileState.path)))))
    rows = [dict(path=p.path, line=p.line, severity=p.severity, message=p.message) for p in problems]
    if rows:
        session.execute(insert(FileProblem), rows)


def touch(session: Session, path: str, size: int, mtime_ns: int) -> None:
    """A file whose content is unchanged but whose size/mtime moved: remember the new stat."""
    row = session.get(FileState, path)
    if row is not None:
        row.size, row.mtime_ns = size, mtime_ns
        session.add(row)


def link_values(path: str, link: Link) -> dict:
    """The columns of a link's row (`LinkRow`) in the file at `path`."""
    return dict(
        path=path,
        slug=link.slug,
        target_type=link.target_type,
        label=link.label,
        line=link.line,
        question=link.question,
        source_field=link.source_field,
        block=link.block,
    )


def write_records(session: Session, records: Iterable[Record], fresh: bool = False) -> None:
    """Replace the stored rows of each record's file with what the record says now.

    `fresh`: the database was empty when this run began, so there is nothing to replace.
    """
    records = list(records)
    if not fresh:
        delete_paths(session, [r.path for r in records])
    rows: dict[type[SQLModel], list[dict]] = defaultdict(list)
    for record in records:
        rows[FileState].append(
            dict(
                path=record.path,
                type=record.type,
                slug=record.slug,
                size=record.size,
                mtime_ns=record.mtime_ns,
                sha256=record.sha256,
            )
        )
        rows[RECORD_TABLES[record.type]].append(
            dict(
                path=record.path,
                slug=record.slug,
                extra=record.extra,
                body=record.body,
                key_lines=record.key_lines,
                **record.fields,
            )
        )
        for section in record.sections:
            if section.question:
                rows[AnswerRow].append(
                    dict(
                        path=record.path,
                        question=section.question,
                        heading=section.heading,
                        line=section.line,
                        answered=section.answered,
                        text=section.text,
                    )
                )
        for tag in record.fields.get("tags") or [] if record.type == "casestudy" else []:
            rows[Tag].append(dict(path=record.path, tag=tag))
        for link in record.links:
            rows[LinkRow].append(link_values(record.path, link))
        for quote in record.quotes:
            rows[QuoteRow].append(
                dict(
                    path=record.path,
                    slug=record.slug,
                    block=quote.block,
                    line=quote.line,
                    text=quote.text,
                    speaker=quote.speaker,
                    tags=quote.tags,
                )
            )
        for problem in record.problems:
            rows[FileProblem].append(
                dict(path=problem.path, line=problem.line, severity=problem.severity, message=problem.message)
            )
    # Core inserts, many rows a statement: the ORM's unit of work costs ten times as much here.
    for table, values in rows.items():
        session.execute(insert(table), values)
