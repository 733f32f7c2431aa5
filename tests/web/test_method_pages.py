"""Home (the ONE goal, the gate), compare and metrics pages, and their /api/ twins."""

from __future__ import annotations

import csv
import io
import json
import re
from xml.etree import ElementTree

import pytest

from kb.table import number_text
from kb.web import create_app
from tests.helpers import copy_demo
from tests.web.helpers import close_app

RENEWAL = "They bought certainty: the draft report came back clean and Laura expanded to the HR entity.\n"


@pytest.fixture
def open_client(tmp_path):
    """The demo KB with the fifth hell-yes story's missing answer written: the gate is open."""
    root = copy_demo(tmp_path / "open")
    with (root / "casestudies/orchard-controller.md").open("a", encoding="utf-8") as story:
        story.write(RENEWAL)
    app = create_app(root)
    yield app.test_client()
    close_app(app)


def _floats(value) -> list:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in _floats(item)]
    if isinstance(value, list):
        return [f for item in value for f in _floats(item)]
    return []


def test_home_shows_the_one_goal_and_the_shut_gate(demo_client):
    page = demo_client.get("/")
    assert page.status_code == 200, page.text[:300]
    html = page.text
    assert 'id="goal" data-milestone="4"' in html
    assert "5 hell-yes customers" in html and "milestone 4 of 8" in html
    assert 'data-gate="shut"' in html and "4 of 5 hell-yes customers" in html
    assert 'data-story="orchard-controller"' in html
    assert "hell-yes story is missing an answer to “Why are they renewing?”" in html
    assert "pinned in kb.toml" in html and "2026-03-18" in html
    assert "This week so far" in html and "2026-W11" in html
    # Recent activity: the latest call before D, and the files edited last.
    assert "2026-03-17-sablefish-data-sales" in html
    assert "Recent edits" in html


def test_home_opens_with_the_gate_and_links_to_metrics(open_client):
    html = open_client.get("/").text
    assert 'data-gate="open"' in html and "5 of 5 hell-yes customers" in html
    assert 'href="/metrics"' in html
    assert 'id="goal" data-milestone="5"' in html


@pytest.mark.parametrize(
    "as_of, status", [("2099-01-01", 400), ("yesterday", 400), ("2026-02-30", 400), ("2026-02-01", 200), ("", 200)]
)
def test_as_of_in_the_address(demo_client, as_of, status):
    for url in ("/", "/api/status", "/compare", "/metrics", "/api/metrics"):
        response = demo_client.get(f"{url}?as_of={as_of}")
        expected = 403 if status == 200 and "metrics" in url else status
        assert response.status_code == expected, (url, response.text[:300])
    if status == 200 and as_of:
        assert f"As of {as_of}" in demo_client.get(f"/?as_of={as_of}").text


def test_api_status_is_the_cli_status_with_no_rate_while_shut(demo_client, runner, demo_root):
    data = demo_client.get("/api/status").get_json()
    assert data["goal"]["milestone"] == 4
    assert data["gate"]["open"] is False and data["gate"]["hell_yes_customers"] == 4
    assert data["gate"]["closest"][0]["missing_answers"] == ["renewal"]
    assert _floats(data) == []
    assert all("counts" not in m and "progress" not in m for m in data["milestones"][4:])
    cli = runner(demo_root, "status", "--json")
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.stdout)["milestones"] == data["milestones"]


def test_metrics_are_shut_everywhere_with_the_same_facts(demo_client):
    page = demo_client.get("/metrics")
    assert page.status_code == 403
    assert "4 of 5 hell-yes customers" in page.text and "orchard-controller" in page.text
    assert "data-metric" not in page.text and "<img" not in page.text and "%" not in page.text.split("<main")[1]
    api = demo_client.get("/api/metrics")
    assert api.status_code == 403
    body = api.get_json()
    assert body["error"]["status"] == 403 and "4 of 5 hell-yes customers" in body["error"]["message"]
    assert body["gate"]["closest"][0]["story"] == "orchard-controller"
    assert "metrics" not in body
    for key in ("calls", "funnel", "nothing"):
        assert demo_client.get(f"/metrics/{key}.svg").status_code == 403
    # No query string, header or path opens it.
    for url in ("/metrics?open=1", "/metrics?gate=0", "/api/metrics?force=true", "/metrics/funnel.svg?as_of="):
        assert demo_client.get(url).status_code == 403, url
    assert demo_client.get("/metrics", headers={"X-Gate": "open"}).status_code == 403


def test_metrics_once_open_draw_every_number_of_their_tables(open_client):
    page = open_client.get("/metrics")
    assert page.status_code == 200, page.text[:300]
    data = open_client.get("/api/metrics").get_json()
    keys = [m["key"] for m in data["metrics"]]
    assert keys == ["calls", "funnel", "conversion", "close-rate", "days-to-close", "per-source", "per-owner", "churn"]
    funnel = {r["stage"]: r["customers"] for r in data["metrics"][1]["table"]["rows"]}
    assert funnel == {"customers with a file": 15, "qualified (SQL)": 13, "won": 8, "hell-yes": 5}
    for key in keys:
        assert f'data-metric="{key}"' in page.text
        svg = open_client.get(f"/metrics/{key}.svg")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        tree = ElementTree.fromstring(svg.data)
        texts = " ".join(
            "".join(node.itertext()) for node in tree.iter() if isinstance(node.tag, str) and node.tag.endswith("text")
        )
        assert not any(isinstance(n.tag, str) and n.tag.endswith("script") for n in tree.iter())
        table = next(m["table"] for m in data["metrics"] if m["key"] == key)
        for row in table["rows"]:
            for value in row.values():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    shown = number_text(value)  # as every page writes numbers: 18,000
                    assert re.search(rf"(?<![\d.]){re.escape(shown)}(?![\d])", texts), (key, shown)
    assert open_client.get("/metrics/nothing.svg").status_code == 404


def test_compare_page_and_its_downloads_hold_the_same_answers(demo_client):
    page = demo_client.get("/compare")
    assert page.status_code == 200
    cards = re.findall(r'data-side="([^"]+)" data-story="([^"]+)" data-question="([^"]+)"', page.text)
    rows = list(csv.DictReader(io.StringIO(demo_client.get("/compare.csv").text)))
    assert [(r["Side"], r["Story"], r["Question"]) for r in rows] == cards
    api = demo_client.get("/api/compare").get_json()
    assert [(r["side"], r["story"], r["question"]) for r in api["rows"]] == cards
    stories = {story for side, story, _ in cards if side == "hell-yes"}
    assert stories == {
        "northwind-controller",
        "bramble-it-director",
        "kestrel-vp-finance",
        "fieldnote-head-of-ops",
        "orchard-controller",
    }
    assert {story for side, story, _ in cards if side == "contrast"} == {"tidewater-cfo", "copperline-ops-director"}
    assert "halyard-head-of-it" not in page.text  # a draft
    markdown = demo_client.get("/compare/document.md").text
    assert markdown.count("## ") >= 6 and "### Hell-yes" in markdown
    for row in rows:
        if row["Answer"]:
            assert row["Answer"].splitlines()[0][:60] in markdown
    assert 'data-tag="finance-led"' in page.text and 'data-tag="checkbox-compliance"' in page.text


def test_compare_tags_table_and_twins(demo_client):
    page = demo_client.get("/compare/tags")
    rows = re.findall(r"<tr data-row=[^>]*>(.*?)</tr>", page.text)
    html_rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
    csv_rows = list(csv.reader(io.StringIO(demo_client.get("/compare/tags.csv").text)))[1:]
    assert html_rows == csv_rows and ["shared by hell-yes", "finance-led", "4", "0"] in csv_rows
    assert len(demo_client.get("/api/compare/tags").get_json()["rows"]) == len(csv_rows)


def test_pages_of_an_empty_kb(client):
    for url in ("/", "/compare", "/compare/tags", "/api/status"):
        assert client.get(url).status_code == 200, url
    assert client.get("/metrics").status_code == 403
    assert "0 of 5 hell-yes customers" in client.get("/").text


def test_home_warns_when_the_foot_comes_off_the_gas(kb_root, client):
    kb_root.write("kb.toml", "as_of = 2026-06-24\n")
    kb_root.customer("acme")
    # Four good weeks in March (Mondays 2, 9, 16, 23), then a short week in June.
    for monday in (2, 9, 16, 23):
        for day in range(5):
            kb_root.interview(f"m{monday}-{day}", "acme", f"2026-03-{monday + day:02d}", kind="sales")
    for week, count in ((1, 5), (8, 5), (15, 2)):
        for day in range(count):
            kb_root.interview(f"j{week}-{day}", "acme", f"2026-06-{week + day:02d}", kind="demo")
    html = client.get("/").text
    assert "Never take your foot off the gas" in html and "2026-W25 (2)" in html
    assert 'id="goal" data-milestone="2"' in html


def test_compare_and_home_are_kept_until_a_file_changes(tmp_path):
    """The compare summary and the status are computed once per change of the files: a new answer shows
    on the next visit, and the gate opens on home."""
    root = copy_demo(tmp_path / "kb")
    app = create_app(root)
    try:
        client = app.test_client()
        assert "Laura expanded to the HR entity" not in client.get("/compare/questions/renewal").get_data(as_text=True)
        shut = client.get("/api/status").get_json()["gate"]
        assert client.get("/compare").status_code == 200
        with (root / "casestudies/orchard-controller.md").open("a", encoding="utf-8") as story:
            story.write(RENEWAL)
        assert "Laura expanded to the HR entity" in client.get("/compare/questions/renewal").get_data(as_text=True)
        assert client.get("/api/status").get_json()["gate"] != shut
    finally:
        close_app(app)
