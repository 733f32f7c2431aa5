"""The compare page on a KB of 64 stories with planted differences (tests/test_compare_synthesis.py): per
question the terms that set hell-yes answers apart, with their counts and a link to exactly the answers
using them; one line per story; filters in the address that recompute everything; the twins hold the same
rows, the terms included; a KB of 128 stories with long answers still makes a small page."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from kb.web import create_app
from tests.test_compare_synthesis import PLANTED, Planted, planted_kb
from tests.web.helpers import close_app

LINE_RE = re.compile(
    r'<li class="line" data-side="([^"]+)" data-story="([^"]+)" data-question="([^"]+)">(.*?)</li>', re.S
)


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Planted:
    return planted_kb(tmp_path_factory.mktemp("planted-web") / "kb")


@pytest.fixture(scope="module")
def planted_app(planted):
    made = create_app(planted.root)
    yield made
    close_app(made)


@pytest.fixture
def client(planted_app):
    return planted_app.test_client()


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def section(page: str, key: str) -> str:
    return re.search(rf'<section class="question" id="{key}".*?data-all-answers', page, re.S).group(0)


def terms_shown(part: str, side: str) -> list[tuple[str, str]]:
    """(term as shown, its counts in words) of one side's list of terms."""
    block = re.search(rf'data-terms="{side}">(.*?)</ol>', part, re.S).group(1)
    return [
        (text_of(shown), text_of(counts)) for shown, counts in re.findall(r"<b>(.*?)</b></a>(.*?)</li>", block, re.S)
    ]


def test_each_question_leads_with_its_planted_terms_and_their_counts(client, planted):
    page = client.get("/compare").text

    for key, (ours, theirs) in PLANTED.items():
        part = section(page, key)
        answers = {
            side: int(re.search(rf'data-group="{side}">\s*<h3>.*?(\d+) of \d+ answered', part, re.S).group(1))
            for side in ("hell-yes", "contrast")
        }
        hell, others = planted.count(key, ours)
        assert terms_shown(part, "hell-yes")[0] == (
            ours,
            f"{hell} of {answers['hell-yes']} hell-yes, {others} of {answers['contrast']} others",
        )
        hell, others = planted.count(key, theirs)
        assert terms_shown(part, "contrast")[0][0] == theirs
        assert "evidence" not in [shown for shown, _ in terms_shown(part, "hell-yes") + terms_shown(part, "contrast")]


def test_a_term_opens_exactly_the_answers_using_it_with_the_term_marked(client, planted):
    page = client.get("/compare").text
    link = re.search(r'data-term="auditor"[^>]*><a href="([^"]+)"', section(page, "why_change")).group(1)
    shown = client.get(html.unescape(link))
    assert shown.status_code == 200
    stories = set(re.findall(r'<article class="card[^"]*" data-story="([^"]+)"', shown.text))
    assert stories == planted.uses[("why_change", "auditor")]
    marks = re.findall(r"<mark>(.*?)</mark>", shown.text)
    assert marks and {m.lower() for m in marks} == {"auditor"}
    assert shown.text.count("<mark>") >= len(stories)


def test_the_page_lines_are_the_rows_of_its_twins_terms_included(client):
    page = client.get("/compare").text
    lines = LINE_RE.findall(page)
    rows = list(csv.DictReader(io.StringIO(client.get("/compare.csv").text)))
    assert [(side, story, key) for side, story, key, _ in lines] == [
        (r["Side"], r["Story"], r["Question"]) for r in rows
    ]
    for (_side, _story, _key, body), row in zip(lines, rows, strict=True):
        line = re.search(r'data-col="line">(.*?)</span>', body)
        assert (text_of(line.group(1)) if line else "") == row["Line"]
        quotes = re.search(r'data-col="quotes">(.*?)</span>', body)
        assert (text_of(quotes.group(1)) if quotes else "") == row["Quotes cited"]
    api = client.get("/api/compare").get_json()
    assert [(r["side"], r["story"], r["question"]) for r in api["rows"]] == [
        (r["Side"], r["Story"], r["Question"]) for r in rows
    ]
    terms = client.get("/api/compare/terms").get_json()["rows"]
    assert api["terms"] == terms and terms[0]["question"] == "why_change" and terms[0]["term"] == "auditor"
    assert any("auditor" in row["Distinguishing terms used"] for row in rows if row["Question"] == "why_change")
    markdown = client.get("/compare.md").text
    assert markdown.count("\n| why_change |") == sum(1 for r in rows if r["Question"] == "why_change")
    assert "auditor:" in client.get("/compare/document.md").text


def test_filters_recompute_the_terms_and_the_lines(client, planted):
    finance = {s for s, tags in planted.tags.items() if "finance-led" in tags}
    page = client.get("/compare?tag=finance-led").text

    assert f"{planted.sides(finance)[0]} hell-yes stories against {planted.sides(finance)[1]}" in text_of(page)
    assert {story for _side, story, _key, _ in LINE_RE.findall(page)} == finance
    assert "filtered: tag finance-led" in text_of(page)
    assert "<option selected>finance-led</option>" in page
    # Only hell-yes stories carry finance-led: nothing to contrast with, and the page says so.
    assert "Too few answers to tell terms apart: 0 meh or churned answers" in text_of(section(page, "why_change"))

    fintech = {s for s, tags in planted.tags.items() if "segment:fintech" in tags}
    filtered = client.get("/compare?segment=fintech&status=hell-yes&status=meh&status=churned").text
    hell, others = planted.count("why_change", "auditor", fintech)
    assert terms_shown(section(filtered, "why_change"), "hell-yes")[0][1].startswith(f"{hell} of ")
    assert f", {others} of " in terms_shown(section(filtered, "why_change"), "hell-yes")[0][1]
    rows = list(csv.DictReader(io.StringIO(client.get("/compare.csv?segment=fintech").text)))
    assert {r["Story"] for r in rows} == fintech
    won = client.get("/compare?won_from=2025-01-01&won_to=2025-01-31").text
    assert {story for _s, story, _k, _ in LINE_RE.findall(won)} <= set(planted.status)
    assert len({story for _s, story, _k, _ in LINE_RE.findall(won)}) < len(planted.status)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=happy", "status: expected one of hell-yes, meh, churned; got 'happy'"),
        ("won_from=2025-13-01", "won_from: expected a date as YYYY-MM-DD"),
        ("won_from=2025-06-01&won_to=2025-01-01", "won_to: expected a day on or after won_from (2025-06-01)"),
    ],
)
def test_a_bad_filter_is_a_400_that_says_what_was_expected(client, query, message):
    for url in (f"/compare?{query}", f"/compare.csv?{query}", f"/compare/questions/fit?{query}"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert message in html.unescape(response.text), (url, response.text[:300])
    assert client.get(f"/api/compare?{query}").get_json()["error"]["status"] == 400


def test_people_and_triggers_are_counts_side_by_side(client):
    page = client.get("/compare").text
    roles = re.search(r'data-people="role">(.*?)</table>', page, re.S).group(1)
    first = re.findall(r"<tr><td>(.*?)</td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td></tr>", roles)[0]
    assert first[0].casefold() == "controller" and int(first[1]) > int(first[2])
    assert "%" not in text_of(re.search(r'<section id="people".*?</section>', page, re.S).group(0))


@pytest.mark.slow
def test_the_page_stays_small_at_128_stories_with_long_answers(tmp_path):
    planted = planted_kb(tmp_path / "kb", times=2, sentences=9)
    app = create_app(planted.root)
    try:
        client = app.test_client()
        page = client.get("/compare")
        assert page.status_code == 200
        assert len(page.data) < 300_000, len(page.data)
        lines = LINE_RE.findall(page.text)
        assert len(lines) == 5 * 100  # 50 lines a side of each question, the rest on the question's pages
        story = lines[0][1]
        opened = client.get(f"/compare/questions/why_change/{story}")
        assert opened.status_code == 200 and "data-full-answer" in opened.text
    finally:
        close_app(app)
