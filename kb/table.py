"""One table, four faces: every list, search and compare page is a `Table`.

The contract, which the web pages, their downloads and their `/api/` twins all rely on:

- A `Table` has a `title`, `columns` as `(key, label)` pairs in display order, and `rows`: one dict
  per row, keyed by column key, holding plain values only: `str`, `int`, `float`, `None`, or a
  `list[str]`. Dates are ISO strings. A row never holds a key that is not a column; a missing key
  reads as `None`.
- `links` runs beside `rows` (one dict per row, possibly empty): for a column key, the URL of the
  whole cell (`str`) or, for a list cell, one URL per item (`list[str | None]`). Links are for the
  HTML only; the exports carry the values.
- `cell_text(value)` is the one way a value becomes text: `None` is empty, a list is its items
  joined with ", ", a whole float loses its ".0". The HTML cell, the CSV cell and the Markdown cell
  of a value all show this text; `to_json()` keeps the plain values.
- `to_csv()`: a header of labels, then one line per row, each text through `csv_cell`: a text a
  spreadsheet would run as a formula gets a leading `'`. `to_markdown()`: a `#` title line and a
  GitHub table with labels for headers, `|` escaped as `\\|` and newlines as `<br>`. `to_json()`:
  `{"title", "columns": [{"key", "label"}], "rows": [...]}`.

So a page and its `.csv`, `.md` and `/api/` twin hold the same rows in the same order, always.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

Cell = str | int | float | list[str] | None
LinkTarget = str | list[str | None]
LIST_SEPARATOR = ", "
# What a spreadsheet reads as the start of a formula (=, +, -, @) or moves past to find one (tab, CR).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def cell_text(value: Cell) -> str:
    """The text of a value as every face of a table shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, list):
        return LIST_SEPARATOR.join(cell_text(item) for item in value)
    return str(value)


def number_text(value: int | float) -> str:
    """A number as a reader sees it, the same on every page and in the terminal: `18,000`, `12.5`.

    Thousands are separated and at most two decimals shown; the exports (CSV, JSON) keep the plain value.
    """
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def shown_text(value: Cell) -> str:
    """A value as a page or the terminal shows it: numbers through `number_text`, the rest as `cell_text`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number_text(value)
    return cell_text(value)


def csv_safe(text: str) -> str:
    """A text as a CSV cell no spreadsheet runs: one that would start a formula gets a leading `'`.

    A plain number (`-3`, `+1.5`) stays as it is: a spreadsheet reads it as a value, never a formula.
    Any other text starting with =, +, -, @, a tab or a carriage return (`=HYPERLINK(…)`, `@SUM(…)`,
    `+1+1`, `- a list item`) is shown as written, as text.
    """
    if text.startswith(FORMULA_STARTS) and not _NUMBER_RE.fullmatch(text):
        return "'" + text
    return text


def csv_cell(value: Cell) -> str:
    """The text of a value in a CSV download: its cell text, made formula-safe unless it is a number."""
    text = cell_text(value)
    return text if isinstance(value, (int, float)) else csv_safe(text)


def _check_value(key: str, value: Cell) -> None:
    if value is None or isinstance(value, (str, int, float)):
        return
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return
    raise TypeError(f"table cell {key!r} holds {type(value).__name__}; expected str, int, float, None or list[str]")


@dataclass
class HtmlCell:
    """A cell as a template draws it: its text, and a link for the cell or one per list item."""

    key: str
    text: str
    value: Cell
    url: str | None = None
    items: list[tuple[str, str | None]] | None = None  # (text, url) per item of a linked list


@dataclass
class Table:
    """Rows of plain values under labelled columns, with optional links for the HTML."""

    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Cell]] = field(default_factory=list)
    links: list[dict[str, LinkTarget]] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [key for key, _label in self.columns]

    def add(self, row: dict[str, Cell], links: dict[str, LinkTarget] | None = None) -> None:
        """Append a row (values by column key) and its links."""
        unknown = set(row) - set(self.keys)
        if unknown:
            raise KeyError(f"row has keys that are not columns: {', '.join(sorted(unknown))}")
        clean = {key: row.get(key) for key in self.keys}
        for key, value in clean.items():
            _check_value(key, value)
        self.rows.append(clean)
        self.links.append(dict(links or {}))

    def __len__(self) -> int:
        return len(self.rows)

    def numeric_columns(self) -> set[str]:
        """The keys of the columns holding numbers only (or nothing): drawn right-aligned."""
        return {
            key
            for key in self.keys
            if any(row.get(key) is not None for row in self.rows)
            and all(
                row.get(key) is None or (isinstance(row.get(key), (int, float)) and not isinstance(row.get(key), bool))
                for row in self.rows
            )
        }

    def text_rows(self) -> list[list[str]]:
        """Each row as the texts of its cells, in column order."""
        return [[cell_text(row.get(key)) for key in self.keys] for row in self.rows]

    def html_rows(self) -> list[tuple[dict[str, Cell], list[HtmlCell]]]:
        """Each row's values with its cells ready to draw."""
        drawn = []
        for index, row in enumerate(self.rows):
            links = self.links[index] if index < len(self.links) else {}
            cells = []
            for key in self.keys:
                value = row.get(key)
                target = links.get(key)
                cell = HtmlCell(key, cell_text(value), value)
                if isinstance(value, list) and isinstance(target, list):
                    cell.items = [
                        (cell_text(item), target[i] if i < len(target) else None) for i, item in enumerate(value)
                    ]
                elif isinstance(target, str):
                    cell.url = target
                cells.append(cell)
            drawn.append((row, cells))
        return drawn

    def to_csv(self) -> str:
        """A header of labels, then one line per row (RFC 4180 quoting), no cell a formula."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([csv_safe(label) for _key, label in self.columns])
        writer.writerows([csv_cell(row.get(key)) for key in self.keys] for row in self.rows)
        return out.getvalue()

    def to_markdown(self) -> str:
        """A `#` title and a GitHub-flavoured Markdown table."""
        lines = [f"# {_markdown_cell(self.title)}", ""]
        lines.append("| " + " | ".join(_markdown_cell(label) for _key, label in self.columns) + " |")
        lines.append("|" + "|".join("---" for _ in self.columns) + "|")
        for texts in self.text_rows():
            lines.append("| " + " | ".join(_markdown_cell(text) for text in texts) + " |")
        if not self.rows:
            lines += ["", "No rows."]
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict:
        """`{"title", "columns": [{"key", "label"}], "rows": [...]}` with the plain values."""
        return {
            "title": self.title,
            "columns": [{"key": key, "label": label} for key, label in self.columns],
            "rows": [dict(row) for row in self.rows],
        }


def _markdown_cell(text: str) -> str:
    """Escape what would break a table cell: pipes and line breaks."""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def parse_markdown_rows(markdown: str) -> list[list[str]]:
    """The cell texts of the table rows in `to_markdown()` output (the inverse of its escaping)."""
    rows = []
    for line in markdown.splitlines():
        if not line.startswith("| "):
            continue
        cells, current, escaped = [], [], False
        for char in line[1:]:
            if escaped:
                current.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "|":
                cells.append("".join(current).strip().replace("<br>", "\n"))
                current = []
            else:
                current.append(char)
        rows.append(cells)
    return rows[1:]  # the header row
