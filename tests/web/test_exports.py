"""Every list, search and compare page holds the same rows in its HTML, CSV, Markdown and /api/ twin."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from kb.table import cell_text, parse_markdown_rows

# Each page as the founder opens it; its twins are <path>.csv, <path>.md and /api<path>, same query.
# A page joins this list when each row's element carries data-row='{{ row|tojson }}' (the row as the
# /api/ twin holds it) and its cells data-col="<key>" showing cell_text(value), as templates/web/_table.html does.
PAGES = [
    "/casestudies",
    "/casestudies?status=hell-yes",
    "/casestudies?tag=soc2",
    "/customers",
    "/interviews",
    "/interviews?kind=sales&week=2026-W11",
    "/interviews?owner=Priya+Nair",
    "/problems",
    "/search?q=audit",
    "/search?q=audit&status=hell-yes&sort=date",
    "/search?q=audit&page=2&limit=5",
    "/search?q=customer:kestrel-payroll",
    "/compare/tags",
    "/compare/people",
]
# /compare is not here: a line of it is a row of its twins without the row's JSON (the whole answer again
# would double the page); tests/web/test_compare_pages.py holds its lines against the twins' rows.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class RowReader(HTMLParser):
    """The elements with data-row (their JSON) and, inside each, the text of every data-col element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[dict, dict[str, str]]] = []
        self.depth = 0
        self.row_depth: int | None = None
        self.capture: list[list] = []  # [column, depth at its start, texts]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in VOID:
            return
        self.depth += 1
        if "data-row" in attrs:
            self.rows.append((json.loads(attrs["data-row"]), {}))
            self.row_depth = self.depth
        elif "data-col" in attrs and self.row_depth is not None:
            self.capture.append([attrs["data-col"], self.depth, []])

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.capture and self.capture[-1][1] == self.depth:
            column, _depth, texts = self.capture.pop()
            self.rows[-1][1][column] = " ".join("".join(texts).split())
        if self.row_depth == self.depth:
            self.row_depth = None
        self.depth -= 1

    def handle_data(self, data):
        for _column, _depth, texts in self.capture:
            texts.append(data)


def twin(url: str, fmt: str) -> str:
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"/api{parts.path}{query}" if fmt == "json" else f"{parts.path}.{fmt}{query}"


@pytest.mark.parametrize("url", PAGES)
def test_html_csv_markdown_and_api_hold_the_same_rows(demo_client, url):
    html = demo_client.get(url)
    assert html.status_code == 200, html.text[:500]
    api = demo_client.get(twin(url, "json"))
    assert api.status_code == 200 and api.mimetype == "application/json"
    data = api.get_json()
    keys = [column["key"] for column in data["columns"]]
    expected_text = [[cell_text(row[key]) for key in keys] for row in data["rows"]]
    assert data["rows"], f"{url} should show rows on the demo KB"

    reader = RowReader()
    reader.feed(html.text)
    assert [values for values, _cells in reader.rows] == data["rows"]
    for values, cells in reader.rows:
        assert cells, f"{url}: a row shows no data-col cell"
        for column, text in cells.items():
            assert text == " ".join(cell_text(values[column]).split()), (url, column)

    exported = demo_client.get(twin(url, "csv"))
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(exported.text)))
    assert lines[0] == [column["label"] for column in data["columns"]]
    assert lines[1:] == expected_text

    markdown = demo_client.get(twin(url, "md"))
    assert markdown.status_code == 200 and markdown.mimetype == "text/markdown"
    assert markdown.text.startswith(f"# {data['title']}\n")
    assert parse_markdown_rows(markdown.text) == expected_text


def test_awkward_values_survive_every_format(kb_root, client):
    """Pipes, quotes, commas, line breaks and markup in a value come back as they were written."""
    kb_root.write("content/customers/odd.md", '---\nname: "Pipe | Co, \\"Ltd\\" <b>x</b>"\nowner: "A\\\\B"\n---\n')
    api = client.get("/api/customers").get_json()
    assert api["rows"][0]["name"] == 'Pipe | Co, "Ltd" <b>x</b>' and api["rows"][0]["owner"] == "A\\B"
    expected = [[cell_text(row[c["key"]]) for c in api["columns"]] for row in api["rows"]]
    assert list(csv.reader(io.StringIO(client.get("/customers.csv").text)))[1:] == expected
    assert parse_markdown_rows(client.get("/customers.md").text) == expected
    html = client.get("/customers").text
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    reader = RowReader()
    reader.feed(html)
    assert [values for values, _ in reader.rows] == api["rows"]
