"""What a terminal shows: `kb search` hits, and `kb status` and `kb metrics` in plain text (`kb compare`'s is
kb.views.compare_text)."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

from kb.search.snippets import MARK_END, MARK_START
from kb.table import shown_text

if TYPE_CHECKING:  # annotations only: `kb search` must not load the database's libraries
    from kb.method.status import Status
    from kb.search.query import Filters, SearchResult
    from kb.table import Table

WIDTH = 100


def status_text(status: Status) -> str:
    """`kb status`: D, the ONE goal, the eight milestones, the gate, the stories that do not count."""
    company = status.company
    current = status.current
    title = company.settings.name or "kb"
    lines = [f"{title} · {company.as_of.describe()}", "", status.goal_line()]
    if status.gas_warning:
        lines.append(f"  ! {status.gas_warning}")
    lines += ["", "Milestones"]
    for milestone in status.milestones:
        mark = "✓" if milestone.reached else ("→" if milestone is current else " ")
        lines.append(f"  {mark} {milestone.number}  {milestone.name}")
        detail = milestone.progress if milestone.progress is not None else milestone.condition
        lines += _wrap(detail, "       ")
        if milestone.number == 1:
            weeks = " · ".join(f"{w.label}: {w.calls}" for w in status.calls.recent)
            lines += _wrap(f"last {len(status.calls.recent)} complete weeks: {weeks}", "       ")
        lines += [f"       note: {note}" for note in milestone.notes]
        lines += [f"       to do: {ask}" for ask in milestone.setup]
    gate = status.gate
    lines += [""] + _wrap(gate.message(), "", "  ")
    hell = company.hell_yes
    if hell.customers:
        lines.append(f"  Hell-yes customers: {', '.join(hell.customers)}")
    if gate.closest:
        lines.append("  Closest to counting:")
        for number, verdict in enumerate(gate.closest, start=1):
            lines += _wrap(f"{number}. {verdict.message} ({verdict.story.path})", "    ", "       ")
    others = [v for v in hell.not_counting if v not in gate.closest]
    if others:
        lines.append("  Also not counting (their customer already counts through another story):")
        lines += [f"    {v.message} ({v.story.path})" for v in others]
    if status.setting_problems:
        lines += ["", "Warnings"] + [f"  {w}" for w in status.setting_problems]
    return "\n".join(lines) + "\n"


def _wrap(text: str, indent: str, subsequent: str | None = None) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=subsequent or indent, break_on_hyphens=False
    ) or [indent.rstrip()]


def table_text(table: Table) -> str:
    """A table with aligned columns (numbers to the right)."""
    header = [label for _key, label in table.columns]
    rows = [[shown_text(row.get(key)) for key in table.keys] for row in table.rows]
    widths = [max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(len(header))]
    numbers = table.numeric_columns()
    numeric = [key in numbers for key in table.keys]

    def line(cells: list[str]) -> str:
        shown = (c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric, strict=True))
        return "  ".join(shown).rstrip()

    out = [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows]
    if not rows:
        out.append("(no rows)")
    return "\n".join(out) + "\n"


def metrics_text(as_of_text: str, found) -> str:
    """`kb metrics`: each metric's title, what it counts, and its table."""
    parts = [f"Metrics · {as_of_text}\n"]
    for metric in found:
        parts.append(f"{metric.title}\n{metric.note}\n\n{table_text(metric.table)}")
    return "\n".join(parts)


def search_json(result: SearchResult) -> str:
    """`kb search --json`: the query, the total, the hits (matches in **bold**), the facet counts, and a
    notice when the search stopped at its time budget (else null)."""

    def plain(snippet: str) -> str:
        return snippet.replace(MARK_START, "**").replace(MARK_END, "**")

    hits = [
        {**hit.__dict__, "date": hit.date.isoformat() if hit.date else None, "snippet": plain(hit.snippet)}
        for hit in result.hits
    ]
    data = {
        "query": result.query,
        "total": result.total,
        "suggestion": result.suggestion,
        "notice": result.notice,
        "hits": hits,
    }
    return json.dumps({**data, "facets": result.facets}, indent=2)


# The order filters are named in ("12 hits for customer:acme type:interview").
_FILTER_ORDER = ("customer", "type", "status", "kind", "tag")


def filters_text(filters: Filters | None) -> str:
    """The filters in force as the query syntax writes them: `customer:acme type:interview since:2026-01-01`."""
    if filters is None:
        return ""
    named = [f"{name}:{getattr(filters, name)}" for name in _FILTER_ORDER if getattr(filters, name)]
    named += [f"{name}:{getattr(filters, name).isoformat()}" for name in ("since", "until") if getattr(filters, name)]
    return " ".join(named)


def searched_for(text: str, filters: Filters | None) -> str:
    """What a search looked for, for its count: `'audit'`, `'audit' with tag:soc2` or `customer:acme`."""
    named = filters_text(filters)
    if not text.strip():
        return named or "everything"
    return f"{text.strip()!r}" + (f" with {named}" if named else "")


def search_text(result: SearchResult, text: str, sort: str, color: bool, filters: Filters | None = None) -> str:
    """`kb search`: a numbered line per hit with its facts and path, its snippet below, then the count."""
    lines = []
    on, off = ("\x1b[1;33m", "\x1b[0m") if color else ("**", "**")
    for number, hit in enumerate(result.hits, start=1):
        facts = [
            f"customer {hit.customer}" if hit.customer and hit.type != "customer" else "",
            hit.date.isoformat() if hit.date else "",
            hit.status,
            hit.kind,
        ]
        head = f"{hit.type:<9} {hit.slug}"
        shown = f"\x1b[1m{head}\x1b[0m" if color else head
        lines.append(f"{number:>3}. {shown}  ({', '.join(f for f in facts if f)})  {hit.path}".replace("  ()", ""))
        lines.append(f"     {hit.snippet.replace(MARK_START, on).replace(MARK_END, off)}")
    if result.hits:
        shown = f"{len(result.hits)} of {result.total}" if result.total > len(result.hits) else f"{result.total}"
        lines.append(f"{shown} hit{'s' * (result.total != 1)} for {searched_for(text, filters)}, by {sort}")
    else:
        lines.append(f"no hits for {searched_for(text, filters)}")
        if result.suggestion:
            lines.append(f"did you mean: {result.suggestion}?  (kb search {result.suggestion!r})")
    return "\n".join(lines) + "\n"
