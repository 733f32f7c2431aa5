"""Compare with hundreds of stories: the page is one line per story and question, of a bounded size.

/compare shows, per question and side, how many stories answer it and one line each (the first sentence)
for the first 50 a side (more when the other side has fewer), each opening on its whole answer;
/compare/questions/<key> shows every answer in full, ten a side a page. The downloads, /api/compare and
`kb compare` keep every answer of every story.
"""

from __future__ import annotations

import csv
import html
import io
import random
import re
from pathlib import Path

import pytest

from kb.records.fields import QUESTIONS
from kb.web import create_app
from tests.helpers import KbFolder
from tests.web.helpers import close_app

STATUS_COUNTS = {"hell-yes": 130, "meh": 110, "churned": 70, "draft": 30}
CUSTOMERS = 40
KEYS = [q.key for q in QUESTIONS]
CARD_RE = re.compile(r'<article class="card[^"]*"\s+data-row=\'([^\']*)\'\s+data-side="([^"]+)" data-story="([^"]+)"')


def first_sentence_of(slug: str, key: str) -> str:
    return f"{slug} answers {key} first."


def answer_of(slug: str, key: str, rng: random.Random) -> str:
    """A long answer (about 700 characters) whose first sentence names the story and the question."""
    rest = " ".join(
        f"Then the {rng.choice(('auditor', 'controller', 'board'))} asked for evidence number {n}." for n in range(12)
    )
    return f"{first_sentence_of(slug, key)} {rest} Last words of {slug} on {key}."


@pytest.fixture(scope="module")
def many_stories(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    """A KB of 340 stories (130 hell-yes, 110 meh, 70 churned, 30 drafts), some answers missing.

    Returns the root and, per story slug, its status, customer and the questions it answers.
    """
    rng = random.Random(11)
    kb = KbFolder(tmp_path_factory.mktemp("compare") / "kb")
    kb.write("kb.toml", "as_of = 2026-03-18\n")
    customers = [f"co-{n:02d}" for n in range(CUSTOMERS)]
    for n, slug in enumerate(customers):
        kb.customer(slug, name=f"Company {n}", stage="customer", qualified_on="2025-06-01", won_on="2025-07-01")
        kb.interview(f"2026-01-{n % 28 + 1:02d}-{slug}", slug, f"2026-01-{n % 28 + 1:02d}")
    statuses = [status for status, count in STATUS_COUNTS.items() for _ in range(count)]
    rng.shuffle(statuses)
    stories: dict[str, dict] = {}
    for n, status in enumerate(statuses):
        customer = customers[n % CUSTOMERS]
        slug = f"{customer}-story-{n:03d}"
        answered = [key for key in KEYS if rng.random() > 0.15]
        answers = {key: answer_of(slug, key, rng) for key in answered}
        if answered and n % 2:
            answers[answered[0]] += f" As said on [[2026-01-{n % CUSTOMERS % 28 + 1:02d}-{customer}]]."
        kb.casestudy(slug, customer, status=status, person=f"Person {n}, CFO", answers=answers)
        stories[slug] = {"status": status, "customer": customer, "answered": answered}
    return kb.root, stories


@pytest.fixture(scope="module")
def compare_app(many_stories):
    made = create_app(many_stories[0])
    yield made
    close_app(made)


@pytest.fixture
def client(compare_app):
    return compare_app.test_client()


def sides_of(stories: dict[str, dict]) -> dict[str, list[str]]:
    """Each side's stories in the compare order: hell-yes by customer; then meh, then churned, by customer."""
    by = {
        status: sorted((s["customer"], slug) for slug, s in stories.items() if s["status"] == status)
        for status in STATUS_COUNTS
    }
    return {
        "hell-yes": [slug for _c, slug in by["hell-yes"]],
        "contrast": [slug for _c, slug in by["meh"] + by["churned"]],
    }


SHOWN_PER_SIDE = 50  # lines a side of each question when both sides have more than 50 stories
LINE_RE = re.compile(
    r'<li class="line" data-side="([^"]+)" data-story="([^"]+)" data-question="([^"]+)">(.*?)</li>', re.S
)


@pytest.mark.slow
def test_compare_page_stays_small_and_counts_every_story(client, many_stories):
    _root, stories = many_stories
    response = client.get("/compare")
    assert response.status_code == 200
    assert len(response.data) < 300_000, len(response.data)
    page = response.text
    sides = sides_of(stories)
    for key in KEYS:
        section = re.search(
            rf'<section class="question" id="{key}".*?<p class="small"><a[^>]*data-all-answers', page, re.S
        )
        section = section.group(0)
        for side, slugs in sides.items():
            group = re.search(rf'data-group="{side}">.*?</section>', section, re.S).group(0)
            heading = " ".join(re.sub(r"<[^>]+>", " ", group.split("</h3>")[0]).split())
            answering = [slug for slug in slugs if key in stories[slug]["answered"]]
            assert f"{len(answering)} of {len(slugs)} answered" in heading, (key, side, heading)
            lines = LINE_RE.findall(group)
            assert [story for _side, story, _key, _body in lines] == slugs[:SHOWN_PER_SIDE], (key, side)
            more = re.search(rf'data-more="{side}"><a href="([^"]+)">\s*([\d,]+) more', group)
            assert more and int(more.group(2).replace(",", "")) == len(slugs) - SHOWN_PER_SIDE
            assert html.unescape(more.group(1)) == f"/compare/questions/{key}"
            for _side, story, _key, body in lines:
                if key in stories[story]["answered"]:
                    assert first_sentence_of(story, key) in body  # its first sentence
                    assert f"/compare/questions/{key}/{story}" in body  # its whole answer, a click away
                else:
                    assert "Not answered." in body and "<details" not in body
                assert f"Last words of {story} on {key}" not in body  # long answers are read when opened
    assert not [slug for slug, s in stories.items() if s["status"] == "draft" and f'data-story="{slug}"' in page]
    # The lines are the rows of the downloads, in their order (the first of each side).
    rows = [(side, story, key) for side, story, key, _body in LINE_RE.findall(page)]
    assert rows == [(side, story, key) for key in KEYS for side, slugs in sides.items() for story in slugs[:50]]


@pytest.mark.slow
def test_a_line_opens_on_its_whole_answer_and_its_quotes(client, many_stories):
    _root, stories = many_stories
    story = next(slug for slug, s in stories.items() if s["status"] == "meh" and "fit" in s["answered"])
    page = client.get(f"/compare/questions/fit/{story}")
    assert page.status_code == 200
    assert f"Last words of {story} on fit" in page.text and "data-full-answer" in page.text
    draft = next(slug for slug, s in stories.items() if s["status"] == "draft")
    assert client.get(f"/compare/questions/fit/{draft}").status_code == 404
    assert client.get("/compare/questions/nope/" + story).status_code == 404


@pytest.mark.slow
def test_each_question_pages_through_every_answer_ten_a_side(client, many_stories):
    _root, stories = many_stories
    sides = sides_of(stories)
    pages = -(-max(len(slugs) for slugs in sides.values()) // 10)
    for key in ("why_change", "renewal"):
        seen: dict[str, list[str]] = {"hell-yes": [], "contrast": []}
        for number in range(1, pages + 1):
            response = client.get(f"/compare/questions/{key}?page={number}")
            assert response.status_code == 200, (key, number)
            page = response.text
            for side in seen:
                column = re.search(rf'<section data-side="{side}">.*?</section>', page, re.S).group(0)
                found = re.findall(r'data-story="([^"]+)"', column)
                assert len(found) <= 10
                seen[side] += found
                for story in found:
                    if key in stories[story]["answered"]:
                        assert f"Last words of {story} on {key}" in column  # in full
                    else:
                        assert "Not answered." in column
            assert ('rel="next"' in page) == (number < pages)
        assert seen == sides, key


def test_a_page_past_the_last_of_a_question_says_so(client):
    response = client.get("/compare/questions/fit?page=99")
    assert response.status_code == 200
    assert "data-past-end" in response.text and 'data-story="' not in response.text


def test_an_unknown_question_is_a_404_and_a_bad_page_a_400(client):
    unknown = client.get("/compare/questions/why_not")
    assert unknown.status_code == 404
    assert "why_change" in html.unescape(unknown.text) and "why_not" in html.unescape(unknown.text)
    for page in ("0", "abc", "-3", "1.5", "99999999"):
        response = client.get(f"/compare/questions/fit?page={page}")
        assert response.status_code == 400, page
        assert "page: expected" in html.unescape(response.text)


def test_the_downloads_the_api_and_kb_compare_hold_every_answer(client, many_stories, runner):
    root, stories = many_stories
    sides = sides_of(stories)
    expected = [(side, story, key) for key in KEYS for side, slugs in sides.items() for story in slugs]
    from_csv = list(csv.DictReader(io.StringIO(client.get("/compare.csv").text)))
    assert [(row["Side"], row["Story"], row["Question"]) for row in from_csv] == expected
    answered = {(row["Story"], row["Question"]) for row in from_csv if row["Answer"]}
    assert answered == {(slug, key) for slug, s in stories.items() if s["status"] != "draft" for key in s["answered"]}
    assert all(f"Last words of {row['Story']}" in row["Answer"] for row in from_csv if row["Answer"])
    api = client.get("/api/compare").get_json()
    assert [(row["side"], row["story"], row["question"]) for row in api["rows"]] == expected
    result = runner(root, "compare", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert list(csv.DictReader(io.StringIO(result.stdout))) == from_csv
    markdown = runner(root, "compare", "--format", "markdown")
    assert markdown.exit_code == 0, markdown.output
    assert all(
        f"Last words of {story} on why_change" in markdown.stdout for story, key in answered if key == "why_change"
    )
