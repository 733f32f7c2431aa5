"""A form's text checked as the record it would write: each error beside the form field it is about."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from kb.errors import ERROR, KbError
from kb.records.parse import parse_bytes


def form_value(data: Mapping[str, str], name: str) -> str:
    """A field as the browser sent it, with its line endings made `\n` (browsers send `\r\n`)."""
    return (data.get(name) or "").replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of a form (`form` for the form as a whole)."""

    field: str
    message: str


class Invalid(KbError):
    """The form's values do not make a valid record; nothing was written."""

    def __init__(self, errors: list[FieldProblem]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


def form_problems(
    text: str, shown_path: str, record_type: str, fields: tuple[str, ...], original: str | None = None
) -> list[FieldProblem]:
    """The errors a record's text would have, each beside the form field it is about."""
    record = parse_bytes(text.encode("utf-8"), shown_path, record_type)
    found = []
    for problem in record.problems:
        if problem.severity != ERROR:
            continue
        key, _, rest = problem.message.partition(": ")
        # "required key is missing (hint)" reads, beside a form field, as "required: hint".
        rest = re.sub(r"^required key is missing \((.*)\)", r"required: \1", rest)
        found.append(FieldProblem(key, rest) if key in fields else FieldProblem("form", problem.message))
    if original is not None and not found:
        before = parse_bytes(original.encode("utf-8"), shown_path, record_type)
        if before.extra != record.extra:  # the splice must never change a key the form does not show
            found.append(
                FieldProblem(
                    "form", "kb could not keep the other front-matter keys exactly; make this change in your editor"
                )
            )
    return found
