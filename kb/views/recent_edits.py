"""Home's "Recent edits": the record files changed last, by title, newest first, each dated, and marked when
its change is later than the as-of date the page is computed as of."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from kb.records.fields import title_of
from kb.store.catalog import Catalog
from kb.store.models import RECORD_TABLES, FileState
from kb.views.lists import Urls
from kb.views.record_pages import TITLE_COLUMNS

# The files stored with no settled mtime (changed within moments of being read: kb.snapshot's racy rule)
# are the ones just saved; at most this many are looked at on disk for their real time.
JUST_CHANGED_LOOKED_AT = 200


@dataclass(frozen=True)
class RecentEdit:
    """One record file changed lately: its title and page, when it changed, and whether that is after D."""

    type: str
    slug: str
    path: str
    title: str
    url: str
    changed: dt.datetime
    after_as_of: bool

    @property
    def when(self) -> str:
        """The local day and minute of the change."""
        return self.changed.strftime("%Y-%m-%d %H:%M")


def recent_edits(catalog: Catalog, urls: Urls, root: Path, as_of: dt.date, limit: int = 8) -> list[RecentEdit]:
    """The `limit` record files changed last, newest first, each titled as kb names its record."""
    session = catalog.session
    settled = select(FileState).where(col(FileState.mtime_ns) > 0)
    rows = list(session.execute(settled.order_by(col(FileState.mtime_ns).desc()).limit(limit)).scalars())
    changed = {row.path: row.mtime_ns for row in rows}
    # A file saved a second ago is stored with mtime 0 until a later look settles it: its time is on disk.
    just = select(FileState).where(col(FileState.mtime_ns) == 0).limit(JUST_CHANGED_LOOKED_AT)
    for row in session.execute(just).scalars():
        try:
            changed[row.path] = os.stat(root / row.path).st_mtime_ns
        except OSError:
            continue  # gone meanwhile: the next refresh forgets it
        rows.append(row)
    rows = sorted(rows, key=lambda row: (-changed.get(row.path, 0), row.path))[:limit]
    fields = _title_fields(catalog, [(row.type, row.path) for row in rows])
    names = catalog.customer_names({f["customer"] for f in fields.values() if f.get("customer")})
    edits = []
    for row in rows:
        found = fields.get(row.path, {})
        when = dt.datetime.fromtimestamp(changed[row.path] / 1e9)
        title = title_of(row.type, row.slug, found, names.get(found.get("customer") or ""), dated=True)
        edits.append(
            RecentEdit(row.type, row.slug, row.path, title, urls.record(row.type, row.slug), when, when.date() > as_of)
        )
    return edits


def _title_fields(catalog: Catalog, files: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """The columns `title_of` reads, of each of these (type, path) files: one query a type."""
    found: dict[str, dict[str, Any]] = {}
    for record_type, table in RECORD_TABLES.items():
        paths = [path for kind, path in files if kind == record_type]
        if not paths:
            continue
        query = select(col(table.path), *(col(c) for c in TITLE_COLUMNS[record_type])).where(col(table.path).in_(paths))
        for row in catalog.session.execute(query).all():
            values = row._asdict()
            found[values.pop("path")] = values
    return found
