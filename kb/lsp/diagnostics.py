"""Diagnostics: the problems `kb check` reports for an open file, judged on its unsaved text.

The file's own problems come from parsing the editor's text (kb.records.parse); its links and its story's
hell-yes verdict are judged against the store as `kb check` judges them (kb.store.cross_problems,
kb.method.problems); a slug another file shares is read from the store, as saved.
"""

from __future__ import annotations

import re

from lsprotocol import types
from sqlalchemy import select
from sqlmodel import col

from kb.errors import ERROR, WARNING, Problem
from kb.lsp.state import Document, KbState
from kb.method.problems import problem_order, story_warnings
from kb.records.fields import QUESTIONS
from kb.store import cross_problems
from kb.store.catalog import Catalog, StoryFacts
from kb.store.engine import link_values
from kb.store.models import CrossProblem, LinkRow

INFORMATION = "information"
SEVERITIES = {
    ERROR: types.DiagnosticSeverity.Error,
    WARNING: types.DiagnosticSeverity.Warning,
    INFORMATION: types.DiagnosticSeverity.Information,
}
SOURCE = "kb"
_WRITTEN_LINK = re.compile(r"\[\[[^\[\]\n]*\]\]")
_KEY = re.compile(r"^([A-Za-z_]+): ")


def problems_of(state: KbState, catalog: Catalog, doc: Document) -> list[Problem]:
    """Every problem `kb check` would report for this document if it were saved as it is."""
    record = doc.record
    problems = list(record.problems)
    links = [LinkRow(**link_values(doc.shown, link)) for link in record.links]
    catalog.prefetch(link.slug for link in links)
    problems += [found.problem for found in cross_problems.link_problems(links, catalog)]
    problems += _duplicates(catalog, doc.shown)
    if record.type == "casestudy":
        story = StoryFacts(
            slug=record.slug,
            path=doc.shown,
            customer=record.fields.get("customer"),
            person=record.fields.get("person"),
            status=record.fields.get("status"),
            missing=record.missing_answers,
            status_line=record.line_of("status"),
        )
        problems += story_warnings(state.settings, catalog, state.as_of, [story])
    return sorted(set(problems), key=problem_order)


def _duplicates(catalog: Catalog, shown: str) -> list[Problem]:
    """The stored "slug used by two files" problems of this file (a slug is its file name: saving changes none)."""
    query = select(
        col(CrossProblem.path), col(CrossProblem.line), col(CrossProblem.severity), col(CrossProblem.message)
    ).where(col(CrossProblem.path) == shown, col(CrossProblem.kind) == cross_problems.DUPLICATE)
    return [Problem(*row) for row in catalog.session.execute(query).all()]


def missing_answers(doc: Document) -> list[Problem]:
    """A story's unanswered questions, as information on their headings (on the first line when it has none)."""
    if doc.type != "casestudy":
        return []
    found = []
    for key in doc.record.missing_answers:
        question = next(q for q in QUESTIONS if q.key == key)
        sections = doc.record.answers(key)
        if sections:
            found.append(Problem(doc.shown, sections[0].line, INFORMATION, f"no answer yet: {question.prompt}"))
        else:
            message = f"no '{question.heading}' section yet: {question.prompt}"
            found.append(Problem(doc.shown, 1, INFORMATION, message))
    return found


def span(line: str, message: str) -> tuple[int, int]:
    """The columns a problem's message points at on its line: the link it names, a key's value, or the line."""
    for written in _WRITTEN_LINK.findall(message):
        at = line.find(written)
        if at >= 0:
            return at, at + len(written)
    start = len(line) - len(line.lstrip())
    key = _KEY.match(message)
    if key and line.lstrip().startswith(key.group(1) + ":"):
        value = line.find(":", start) + 1
        value += len(line[value:]) - len(line[value:].lstrip())
        if value < len(line.rstrip()):
            return value, len(line.rstrip())
    return start, max(len(line.rstrip()), start)


def to_diagnostics(doc: Document, problems: list[Problem]) -> list[types.Diagnostic]:
    """Problems as LSP diagnostics, each at its line and the columns it is about."""
    lines = doc.lines
    found = []
    for problem in problems:
        number = min(max(problem.line - 1, 0), max(len(lines) - 1, 0))
        start, end = span(lines[number] if lines else "", problem.message)
        found.append(
            types.Diagnostic(
                range=types.Range(types.Position(number, start), types.Position(number, end)),
                message=problem.message,
                severity=SEVERITIES.get(problem.severity, types.DiagnosticSeverity.Warning),
                source=SOURCE,
            )
        )
    return found


def diagnose(state: KbState, doc: Document) -> list[types.Diagnostic]:
    """The diagnostics of an open document: its problems, then its story's missing answers."""
    with state.catalog() as catalog:
        problems = problems_of(state, catalog, doc)
    return to_diagnostics(doc, problems + missing_answers(doc))
