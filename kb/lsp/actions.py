"""Code actions: make the missing customer file, add the missing question headings, fix an enum value."""

from __future__ import annotations

import re

from lsprotocol import types

from kb.authoring.create import new_customer
from kb.lsp.state import Document, KbState
from kb.records.fields import QUESTIONS
from kb.store.catalog import Catalog
from kb.vocabulary import INTERVIEW_KINDS, STAGES, STATUSES

CREATE_CUSTOMER = "kb.createCustomer"
ENUMS = {"status": STATUSES, "kind": INTERVIEW_KINDS, "stage": STAGES}
_DID_YOU_MEAN = re.compile(r"^(status|kind|stage): expected one of .*\(did you mean '([^']+)'\?\)$")


def actions(catalog: Catalog, doc: Document, asked: types.Range) -> list[types.CodeAction]:
    """The fixes kb offers for the lines asked about."""
    found: list[types.CodeAction] = []
    lines = doc.lines
    for problem in doc.record.problems:
        number = problem.line - 1
        if not asked.start.line <= number <= asked.end.line or number >= len(lines):
            continue
        fix = _DID_YOU_MEAN.match(problem.message)
        if fix:
            line = lines[number]
            start = line.find(":") + 1
            start += len(line[start:]) - len(line[start:].lstrip())
            edit = types.TextEdit(
                types.Range(types.Position(number, start), types.Position(number, len(line.rstrip()))), fix.group(2)
            )
            found.append(_edit(f"Change {fix.group(1)} to '{fix.group(2)}'", doc, [edit], preferred=True))
    customer = doc.record.fields.get("customer") if doc.type != "customer" else None
    at = doc.record.line_of("customer") - 1
    if customer and asked.start.line <= at <= asked.end.line and not catalog.paths_of("customer", customer):
        found.append(
            types.CodeAction(
                title=f"Create content/customers/{customer}.md",
                kind=types.CodeActionKind.QuickFix,
                command=types.Command(
                    title=f"Create customer {customer}", command=CREATE_CUSTOMER, arguments=[customer]
                ),
            )
        )
    if doc.type == "casestudy":
        missing = [q for q in QUESTIONS if not doc.record.answers(q.key)]
        if missing:
            end = len(lines) - 1
            before = "" if not lines[end] else "\n"
            text = before + "".join(f"\n## {q.heading}\n\n<!-- {q.prompt} -->\n" for q in missing)
            edit = types.TextEdit(
                types.Range(types.Position(end, len(lines[end])), types.Position(end, len(lines[end]))), text
            )
            found.append(
                _edit(f"Add the {len(missing)} missing question heading{'s' * (len(missing) != 1)}", doc, [edit])
            )
    return found


def _edit(title: str, doc: Document, edits: list[types.TextEdit], preferred: bool = False) -> types.CodeAction:
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        is_preferred=preferred or None,
        edit=types.WorkspaceEdit(changes={doc.uri: edits}),
    )


def create_customer(state: KbState, slug: str) -> str:
    """Write the customer file from the `kb new customer` skeleton; what was made."""
    path = new_customer(state.kb, slug)
    state.refresh(changed=[path])
    return f"kb: made {state.kb.relative(path)}"
