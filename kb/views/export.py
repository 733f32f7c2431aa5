"""Every record out of the store as JSON or CSV, so that nothing is locked inside kb."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict

from sqlalchemy import select
from sqlmodel import Session, col

from kb.records.fields import FIELDS, QUESTION_KEYS
from kb.store.catalog import Catalog
from kb.store.models import RECORD_TABLES, AnswerRow
from kb.table import csv_safe

COMMON = ("type", "slug", "path")


def export_rows(session: Session) -> list[dict]:
    """One dict a record: its fields, unknown keys under `extra`, answers by question, and body."""
    answers: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in session.execute(select(AnswerRow).order_by(col(AnswerRow.path), col(AnswerRow.line))).scalars():
        answers[row.path][row.question].append(row.text)
    citations = Catalog(session).citations()
    rows = []
    for record_type, table in RECORD_TABLES.items():
        for record in session.execute(select(table).order_by(col(table.path))).scalars():
            dumped = record.model_dump()
            order = ["slug", "path", *FIELDS[record_type], "extra", "body"]
            data = {"type": record_type, **{key: dumped.get(key) for key in order}}
            if record_type == "casestudy":
                data["answers"] = {q: "\n\n".join(answers[record.path].get(q, [])) for q in QUESTION_KEYS}
                data["cites"] = {q: list(citations.get(record.path, {}).get(q, [])) for q in QUESTION_KEYS}
            rows.append(data)
    return rows


def _plain(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def records_json(session: Session) -> str:
    """Every record as a JSON list; strict JSON, which has no Infinity or NaN (the parser lets none in)."""
    rows = [{k: _plain(v) for k, v in row.items()} for row in export_rows(session)]
    return json.dumps(rows, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def records_csv(session: Session) -> str:
    """One table for all types: the union of their columns; lists joined by '; ', extra as JSON.

    A text that a spreadsheet would run as a formula gets a leading `'` (see `kb.table.csv_safe`).
    """
    rows = export_rows(session)
    columns: list[str] = list(COMMON)
    for fields in FIELDS.values():
        columns += [key for key in fields if key not in columns]
    columns += [f"answer_{q}" for q in QUESTION_KEYS] + [f"cites_{q}" for q in QUESTION_KEYS] + ["extra", "body"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = {}
        for key, value in row.items():
            if key == "answers":
                flat.update({f"answer_{q}": text for q, text in value.items()})
            elif key == "cites":
                flat.update({f"cites_{q}": "; ".join(slugs) for q, slugs in value.items()})
            elif key == "extra":
                flat[key] = json.dumps(value, ensure_ascii=False) if value else ""
            elif isinstance(value, list):
                flat[key] = "; ".join(str(v) for v in value)
            else:
                flat[key] = "" if value is None else _plain(value)
        writer.writerow({key: csv_safe(value) if isinstance(value, str) else value for key, value in flat.items()})
    return out.getvalue()
