"""Problems across files, kept in the store: a slug two files share, links to no record or to several,
`customer:` without a customer file, `interviews:` naming no interview.

They are judged from scratch when the store is built; after that each write of the store judges again
only what its files can change (`update`): the links of the files written or gone, the links and the
duplicates of every slug that appeared or went away, and the broken links whose "did you mean" such a
slug can change. `kb check`, the Problems page and a record's page read them back (`stored`).
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from kb.errors import ERROR, WARNING, Problem, did_you_mean
from kb.store.catalog import RESOLUTION_ORDER, Catalog
from kb.store.models import CrossProblem, FileState, LinkRow, Meta

TYPE_WORDS = {"customer": "customers", "casestudy": "case studies", "interview": "interviews"}
DUPLICATE, AMBIGUOUS, BROKEN = "duplicate", "ambiguous", "broken"
# Past this many files written or gone in one refresh, the whole KB is judged again: a few whole-table
# reads then cost less than the same reads slug by slug.
WHOLE_AT = 2000
# The store's `Meta` key of its generation: a new value at each write that changed a file's rows.
GENERATION = "generation"
# Where a session keeps, until `update`, the (type, slug) each file written or deleted had before.
BEFORE = "kb_cross_before"
BATCH = 500


@dataclass(frozen=True)
class Found:
    """A cross-file problem, what kind it is, the slug it depends on, and the slug its hint names."""

    problem: Problem
    kind: str
    slug: str
    hint: str | None = None


class _Pools:
    """The slugs a "did you mean" chooses from, read once per judging and only if a link is broken."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self._by_type: dict[str, list[str]] = {}

    def of(self, record_type: str | None) -> list[str]:
        key = record_type or ""
        if key not in self._by_type:
            if record_type:
                self._by_type[key] = self.catalog.slugs(record_type)
            else:
                self._by_type[key] = [s for t in self.catalog.paths for s in self.catalog.slugs(t)]
        return self._by_type[key]


def duplicates(paths: dict[str, dict[str, list[str]]]) -> list[Found]:
    """A problem for each file of a slug that two or more files of one type use (`paths`: type -> slug -> files)."""
    found = []
    for record_type, slugs in paths.items():
        for slug, files in slugs.items():
            if len(files) > 1:
                for path in files:
                    others = ", ".join(p for p in files if p != path)
                    used = f"slug '{slug}' is used by {len(files)} {TYPE_WORDS[record_type]}"
                    message = f"{used}: also {others}; rename one file"
                    found.append(Found(Problem(path, 1, ERROR, message), DUPLICATE, slug))
    return found


def link_problems(links: Iterable[LinkRow], catalog: Catalog) -> list[Found]:
    """The problem of each link that resolves to no record, or to records of two types, and of each
    citation of a quote that its call does not have."""
    found = []
    pools = _Pools(catalog)
    links = list(links)
    cited: dict[str, list[str]] = {}  # the quote ids of each call a citation names
    for link in links:
        if link.block:
            targets = catalog.resolve(link.slug, link.target_type)
            if targets:
                cited[targets[0].path] = []
    for path, quotes in catalog.quotes_of(cited).items():
        cited[path] = [quote.block for quote in quotes]
    for link in links:
        targets = catalog.resolve(link.slug, link.target_type)
        if link.source_field == "customer":
            if not targets:
                found.append(_missing_customer(link, pools.of("customer")))
            continue
        block = f"#^{link.block}" if link.block else ""
        written = f"[[{link.target_type + ':' if link.target_type else ''}{link.slug}{block}]]"
        if link.source_field == "interviews":
            if not targets:
                hint = _closest(link.slug, pools.of("interview"))
                message = f"interviews: '{link.slug}' is not an interview{_hint_text(link.slug, hint)}"
                found.append(Found(Problem(link.path, link.line, ERROR, message), BROKEN, link.slug, hint))
            continue
        if not targets:
            hint = _closest(link.slug, pools.of(link.target_type))
            message = f"link {written} points to no record{_hint_text(link.slug, hint)}"
            found.append(Found(Problem(link.path, link.line, ERROR, message), BROKEN, link.slug, hint))
        elif len(targets) > 1:
            kinds = " and ".join(f"a {t.type} ({t.path})" for t in targets)
            message = (
                f"link {written} matches {kinds}; it goes to the {targets[0].type}: write "
                f"[[{targets[-1].type}:{link.slug}{block}]] to mean the other"
            )
            found.append(Found(Problem(link.path, link.line, WARNING, message), AMBIGUOUS, link.slug))
        if targets and link.block:
            found += _quote_problem(link, written, targets[0], cited.get(targets[0].path, []))
    return found


def _quote_problem(link: LinkRow, written: str, target, blocks: list[str]) -> list[Found]:
    """The problem of a citation whose call has no quote of its block id (none when it has)."""
    if link.block in blocks:
        return []
    if target.type != "interview":
        why = f"{target.slug} is a {target.type}, and quotes are in interviews"
    elif not blocks:
        why = f"{target.slug} has no quotes (a quote is a blockquote ending in ^id: `> words — Who ^id`)"
    else:
        hint = _closest(link.block or "", blocks)
        shown = did_you_mean(f"^{link.block}", [f"^{hint}"]) if hint else f"; its quotes: ^{', ^'.join(blocks[:8])}"
        why = f"{target.slug} has no quote ^{link.block}{shown}"
    message = f"link {written} cites a quote that does not exist: {why}"
    return [Found(Problem(link.path, link.line, ERROR, message), BROKEN, link.slug)]


def _closest(word: str, pool: list[str]) -> str | None:
    """The slug `did_you_mean` would name, or None."""
    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return close[0] if close else None


def _hint_text(word: str, hint: str | None) -> str:
    return did_you_mean(word, [hint]) if hint else ""


def _missing_customer(link: LinkRow, customer_slugs: list[str]) -> Found:
    slug = link.slug
    # A slug is a file name, so case counts; but `Zealot` beside zealot.md is a typo, not a new customer.
    same = next((other for other in sorted(customer_slugs) if other.lower() == slug.lower()), None)
    hint: str | None
    if same:
        message, hint = f"customer: '{slug}' has no customer file; did you mean '{same}'?", same
    else:
        close = difflib.get_close_matches(slug.lower(), customer_slugs, n=1, cutoff=0.8)
        hint = close[0] if close else None
        message = (
            f"customer: '{slug}' has no customer file yet (content/customers/{slug}.md); "
            + (f"did you mean '{close[0]}'? Else make" if close else "make")
            + f" one with `kb new customer {slug}`"
        )
    return Found(Problem(link.path, link.line, WARNING, message), BROKEN, slug, hint)


def _could_name(word: str, slug: str) -> bool:
    """Whether `slug` could be the "did you mean" of a broken link to `word` (any of the three rules)."""
    return (
        slug.lower() == word.lower()
        or bool(difflib.get_close_matches(word, [slug], n=1, cutoff=0.6))
        or bool(difflib.get_close_matches(word.lower(), [slug], n=1, cutoff=0.8))
    )


def judge_all(catalog: Catalog) -> list[Found]:
    """Every cross-file problem of the KB, judged from scratch."""
    return duplicates(catalog.paths) + link_problems(catalog.links(), catalog)


def note_before(session: Session, paths: list[str]) -> None:
    """Remember the (type, slug) each of these files has in the store now, before its rows are replaced."""
    before: dict[str, tuple[str, str] | None] = session.info.setdefault(BEFORE, {})
    new = [p for p in paths if p not in before]
    for start in range(0, len(new), BATCH):
        chunk = new[start : start + BATCH]
        query = select(col(FileState.path), col(FileState.type), col(FileState.slug)).where(
            col(FileState.path).in_(chunk)
        )
        known = {row.path: (row.type, row.slug) for row in session.execute(query).all()}
        for path in chunk:
            before[path] = known.get(path)


def update(session: Session, whole: bool = False) -> None:
    """Bring the stored cross-file problems in step with what this session wrote (`whole`: judge all again).

    Call it once the session's writes are done and before it commits.
    """
    before: dict[str, tuple[str, str] | None] = session.info.pop(BEFORE, {})
    if not before and not whole:
        return
    if whole or len(before) > WHOLE_AT:
        _new_generation(session, RESOLUTION_ORDER)
        session.execute(delete(CrossProblem))
        _store(session, judge_all(Catalog(session)))
        return
    touched = sorted(before)
    after = Catalog(session).record_of_paths(touched)
    _new_generation(session, {pair[0] for path in touched for pair in (before[path], after.get(path)) if pair})
    # A file written again with its type and slug as before moves no slug: only its own links are judged.
    affected = {
        pair[1]
        for path in touched
        if before[path] != after.get(path)
        for pair in (before[path], after.get(path))
        if pair
    }
    # A call written again may have other quotes now: the citations of it are judged again.
    calls = {pair[1] for pair in after.values() if pair[0] == "interview"}
    link_slugs = affected | calls | _hints_to_judge(session, affected)
    for chunk in _chunks(sorted(affected)):
        session.execute(
            delete(CrossProblem).where(col(CrossProblem.kind) == DUPLICATE, col(CrossProblem.slug).in_(chunk))
        )
    for chunk in _chunks(touched):
        session.execute(
            delete(CrossProblem).where(col(CrossProblem.kind) != DUPLICATE, col(CrossProblem.path).in_(chunk))
        )
    for chunk in _chunks(sorted(link_slugs)):
        session.execute(
            delete(CrossProblem).where(col(CrossProblem.kind) != DUPLICATE, col(CrossProblem.slug).in_(chunk))
        )
    links: dict[int | None, LinkRow] = {}
    for column, values in ((LinkRow.path, touched), (LinkRow.slug, sorted(link_slugs))):
        for chunk in _chunks(values):
            for link in session.execute(select(LinkRow).where(col(column).in_(chunk))).scalars():
                links[link.id] = link
    catalog = Catalog(session)
    catalog.prefetch(affected | {link.slug for link in links.values()})
    paths = {t: {s: catalog.paths_of(t, s) for s in sorted(affected)} for t in RESOLUTION_ORDER}
    _store(session, duplicates(paths) + link_problems([links[k] for k in sorted(links, key=_id_order)], catalog))


def _id_order(key: int | None) -> int:
    return key or 0


def _hints_to_judge(session: Session, affected: set[str]) -> set[str]:
    """The slugs of broken links whose "did you mean" a slug that appeared or went away can change."""
    if not affected:
        return set()
    query = select(col(CrossProblem.slug), col(CrossProblem.hint)).where(col(CrossProblem.kind) == BROKEN).distinct()
    found = set()
    for slug, hint in session.execute(query).all():
        if hint in affected or any(_could_name(slug, other) for other in affected):
            found.add(slug)
    return found


def _store(session: Session, found: list[Found]) -> None:
    rows = [
        dict(
            path=f.problem.path,
            line=f.problem.line,
            severity=f.problem.severity,
            message=f.problem.message,
            kind=f.kind,
            slug=f.slug,
            hint=f.hint,
        )
        for f in found
    ]
    if rows:
        session.execute(insert(CrossProblem), rows)


def stored(session: Session, path: str | None = None) -> list[Problem]:
    """The cross-file problems the store holds: every file's, or only the one at `path`."""
    query = select(
        col(CrossProblem.path), col(CrossProblem.line), col(CrossProblem.severity), col(CrossProblem.message)
    )
    if path is not None:
        query = query.where(col(CrossProblem.path) == path)
    return [Problem(*row) for row in session.execute(query).all()]


def generation(session: Session, record_type: str | None = None) -> str:
    """A value that changes at each write of the store that changed a file's rows ("" before the first);
    with `record_type`, at each that changed a file of that type (was or became one)."""
    key = GENERATION if record_type is None else f"{GENERATION}:{record_type}"
    found = session.execute(select(col(Meta.value)).where(col(Meta.key) == key)).scalar()
    return found or ""


def _new_generation(session: Session, record_types: Iterable[str]) -> None:
    """Change the store's generation, and that of each of these record types."""
    keys = [GENERATION, *(f"{GENERATION}:{record_type}" for record_type in sorted(record_types))]
    session.execute(delete(Meta).where(col(Meta.key).in_(keys)))
    session.execute(insert(Meta), [{"key": key, "value": uuid.uuid4().hex} for key in keys])


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[start : start + BATCH] for start in range(0, len(values), BATCH)]
