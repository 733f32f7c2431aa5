"""The compare view (SPEC 5): the hell-yes answers side by side, meh and churned for contrast, and tags.

Never gated: the KB below has two hell-yes customers, so the gate is shut, and compare works anyway.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from kb.records.fields import QUESTIONS
from tests.helpers import compared_at

D = "2026-03-18"
# story slug: (customer, customer name, person, status, tags)
STORIES = {
    "acme-story": ("acme", "Acme Corp", "Jane Doe, CFO", "hell-yes", "[soc2, audit, finance-led]"),
    "birch-story": ("birch", "Birch Bank", "Sam Lee, Controller", "hell-yes", "[soc2, deadline, finance-led]"),
    "cedar-story": ("cedar", "Cedar Co", "Ola Berg, IT Manager", "meh", "[soc2, it-led, cost]"),
    "dune-story": ("dune", "Dune Ltd", "Kim Park, CIO", "churned", "[it-led, pilot]"),
    "elm-story": ("elm", "Elm Inc", "Lee Elm, COO", "draft", "[draft-only, soc2]"),
}
# By hand: soc2 is on both hell-yes stories and one meh; finance-led on both hell-yes, no other;
# audit and deadline on one hell-yes story each (not shared); it-led on two others, cost and pilot on one.
SHARED = {"soc2": (2, 1), "finance-led": (2, 0)}
ONLY_OTHERS = {"it-led": 2, "cost": 1, "pilot": 1}
CONTRAST = ("cedar-story", "dune-story")
HELL_YES = ("acme-story", "birch-story")


def answer(story: str, key: str) -> str:
    return f"{story} answers {key}."


@pytest.fixture
def stories(kb_root):
    for slug, (customer, name, person, status, tags) in STORIES.items():
        won = {"won_on": "2025-06-01", "stage": "customer"} if status != "draft" else {"stage": "qualified"}
        kb_root.customer(customer, name=name, **won)
        answers = {q.key: answer(slug, q.key) for q in QUESTIONS}
        if slug == "acme-story":
            answers["why_change"] += " [[2026-01-10-acme-discovery]]"
        kb_root.casestudy(slug, customer, status=status, person=person, answers=answers, tags=tags)
    kb_root.interview("2026-01-10-acme-discovery", "acme", "2026-01-10")
    return kb_root


def compare(runner, kb, *args) -> str:
    result = runner(kb, "compare", "--as-of", D, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def sections(text: str, marker: str) -> dict[str, str]:
    """The text under each question's heading (in the order the questions come)."""
    found = {}
    for i, q in enumerate(QUESTIONS):
        start = text.index(f"{marker}{q.heading}")
        ends = [text.find(f"{marker}{later.heading}") for later in QUESTIONS[i + 1 :]]
        ends = [e for e in ends if e > start]
        found[q.key] = text[start : min(ends) if ends else len(text)]
    return found


def assert_side_by_side(section: str, key: str) -> None:
    positions = {slug: section.find(answer(slug, key)) for slug in (*HELL_YES, *CONTRAST)}
    assert all(p >= 0 for p in positions.values()), (key, positions)
    assert max(positions[s] for s in HELL_YES) < min(positions[s] for s in CONTRAST), (key, positions)
    assert "elm-story" not in section


def test_compare_full_text_sets_hell_yes_answers_side_by_side_with_the_others_for_contrast(stories, runner):
    text = compare(runner, stories, "--full")

    for key, section in sections(text, "").items():
        assert_side_by_side(section, key)
        for slug in (*HELL_YES, *CONTRAST):
            _, name, person, status, _ = STORIES[slug]
            assert name in section and person in section, (key, slug)
    assert "Lee Elm" not in text and "draft-only" not in text and "Elm Inc" not in text
    assert "2026-01-10-acme-discovery" in sections(text, "")["why_change"]  # the answer cites its call


def test_compare_text_prints_one_line_per_story_and_question_by_default(stories, runner):
    text = compare(runner, stories)

    for key, section in sections(text, "").items():
        assert_side_by_side(section, key)
        for slug in (*HELL_YES, *CONTRAST):
            _, name, _person, status, _ = STORIES[slug]
            [line] = [line for line in section.splitlines() if answer(slug, key) in line]
            assert line.strip().startswith(name), line
            assert (f"({status})" in line) == (status != "hell-yes"), line
        # Two stories are too few a side to tell terms apart: it says so rather than rank noise.
        assert "Too few answers to tell terms apart" not in section  # two a side is enough to try
        assert "No word or phrase sets one side apart yet." in section
    assert len(text.splitlines()) < 80


@pytest.mark.parametrize("fmt", ["text", "csv", "markdown", "md", "json"])
def test_compare_tags_works_in_every_format(stories, runner, fmt):
    text = compare(runner, stories, "--tags", "--format", fmt)

    if fmt == "json":
        rows = {row["tag"]: (row["hell_yes"], row["others"]) for row in json.loads(text)["rows"]}
        assert {tag: rows[tag] for tag in SHARED} == SHARED
        text = "\n".join(f"{tag} {h} {o}" for tag, (h, o) in rows.items())
    for tag, (hell_yes, others) in SHARED.items():
        assert re.search(rf"\b{tag}\b\W+{hell_yes}\b\W+{others}\b", text), (fmt, tag, text)
    for tag in ONLY_OTHERS:
        assert tag in text, (fmt, tag)
    assert "acme-story answers" not in text  # the tags, not the answers


def test_compare_is_never_gated(stories, runner):
    status = runner(stories, "status", "--as-of", D, "--json")
    assert status.exit_code == 0, status.output
    assert '"open": false' in status.stdout

    assert compare(runner, stories)  # exit 0 with the gate shut


def test_tags_hell_yes_stories_share_and_tags_only_the_others_carry(stories):
    found = compared_at(stories.root, D)

    assert {t.tag: (t.hell_yes, t.others) for t in found.shared_tags} == SHARED
    assert {t.tag: t.others for t in found.other_tags} == ONLY_OTHERS
    assert all(t.hell_yes == 0 for t in found.other_tags)
    assert (found.hell_yes_stories, found.contrast_stories) == (2, 2)
    for row in found.rows:
        assert [a.story for a in row.hell_yes] == list(HELL_YES)
        assert sorted(a.story for a in row.contrast) == list(CONTRAST)
        assert [(a.customer, a.person) for a in row.hell_yes] == [
            ("acme", "Jane Doe, CFO"),
            ("birch", "Sam Lee, Controller"),
        ]


def test_compare_text_shows_tag_counts(stories, runner):
    text = compare(runner, stories)

    tags = text[text.index("Tags shared") :]
    for tag, (hell_yes, others) in SHARED.items():
        assert re.search(rf"\b{tag}\b\D*\b{hell_yes}\b\D*\b{others}\b", tags), (tag, tags)
    for tag, others in ONLY_OTHERS.items():
        assert re.search(rf"\b{tag}\b\D*\b{others}\b", tags), (tag, tags)
    assert "audit" not in tags and "deadline" not in tags


def test_compare_exports_markdown(stories, runner):
    text = compare(runner, stories, "--format", "markdown")

    assert text.startswith("# ")
    for key, section in sections(text, "## ").items():
        assert_side_by_side(section, key)
        assert "Jane Doe, CFO" in section and "Kim Park, CIO" in section
    tag_rows = {
        line.split("|")[2].strip(): line
        for line in text.splitlines()
        if line.startswith("|") and line.count("|") >= 5 and "---" not in line
    }
    for tag, (hell_yes, others) in SHARED.items():
        cells = [c.strip() for c in tag_rows[tag].split("|")]
        assert cells[-3:-1] == [str(hell_yes), str(others)], tag_rows[tag]
    for tag, others in ONLY_OTHERS.items():
        assert [c.strip() for c in tag_rows[tag].split("|")][-2] == str(others), tag_rows[tag]
    assert "draft-only" not in text and "elm-story" not in text


def test_compare_exports_csv_one_row_per_answer(stories, runner):
    rows = list(csv.reader(io.StringIO(compare(runner, stories, "--format", "csv"))))

    header, body = rows[0], rows[1:]
    assert len(body) == 5 * 4  # five questions, four stories (the draft is left out)
    answers = {cell for row in body for cell in row}
    for slug in (*HELL_YES, *CONTRAST):
        for q in QUESTIONS:
            expected = answer(slug, q.key)
            assert any(cell.startswith(expected) for cell in answers), expected
    for row in body:
        assert len(row) == len(header), row
        [slug] = [s for s in STORIES if s in "|".join(row)]
        customer, name, person, status, _ = STORIES[slug]
        assert person in row and status in row, row
        assert customer in row or name in row, row
    assert not any("elm" in cell for row in body for cell in row)


def test_compare_exports_tags_as_csv(stories, runner, tmp_path):
    text = compare(runner, stories, "--format", "csv", "--tags")
    written = tmp_path / "tags.csv"
    to_file = runner(stories, "compare", "--as-of", D, "--format", "csv", "--tags", "-o", str(written))

    rows = list(csv.reader(io.StringIO(text)))
    by_tag = {row[1]: row for row in rows[1:]}
    assert set(by_tag) == set(SHARED) | set(ONLY_OTHERS)
    for tag, (hell_yes, others) in SHARED.items():
        assert by_tag[tag][-2:] == [str(hell_yes), str(others)], by_tag[tag]
    for tag, others in ONLY_OTHERS.items():
        assert by_tag[tag][-1] == str(others), by_tag[tag]
    assert to_file.exit_code == 0, to_file.output
    assert written.read_text(encoding="utf-8") == text


def test_compare_names_D_and_says_when_it_is_pinned(stories, runner):
    """SPEC 3: every view names D, and says when it is pinned in kb.toml."""
    assert D in compare(runner, stories)
    stories.write("kb.toml", f"as_of = {D}\n")
    result = runner(stories, "compare")
    assert result.exit_code == 0, result.output
    assert D in result.stdout and "pinned" in result.stdout, result.stdout[:300]


def test_a_summary_the_author_wrote_is_the_line_of_that_answer(stories, runner):
    path = stories.root / "casestudies/acme-story.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("tags:", "summary:\n  fit: 'Finance owns it; IT never had to.'\ntags:", 1), encoding="utf-8"
    )

    found = compared_at(stories.root, D)
    fit = next(row for row in found.rows if row.key == "fit")
    acme = next(a for a in fit.hell_yes if a.story == "acme-story")
    assert (acme.line, acme.summarised) == ("Finance owns it; IT never had to.", True)
    assert acme.text == answer("acme-story", "fit")  # the answer itself is as written
    why = next(a for a in found.rows[0].hell_yes if a.story == "acme-story")
    assert why.line == answer("acme-story", "why_change")  # no summary for it: its first sentence
    assert "Finance owns it; IT never had to." in compare(runner, stories)


def test_filters_narrow_both_sides_by_segment_source_and_won_date(stories, runner):
    stories.customer("acme", name="Acme Corp", won_on="2025-06-01", stage="customer", segment="fintech")
    stories.customer("dune", name="Dune Ltd", won_on="2025-02-01", stage="customer", source="Cold email")
    path = stories.root / "casestudies/cedar-story.md"
    path.write_text(path.read_text(encoding="utf-8").replace("tags: [", "tags: [segment:fintech, "), encoding="utf-8")

    fintech = compare(runner, stories, "--segment", "FinTech", "--format", "csv")
    assert {row["Story"] for row in csv.DictReader(io.StringIO(fintech))} == {"acme-story", "cedar-story"}
    cold = compare(runner, stories, "--source", "cold email", "--format", "csv")
    assert {row["Story"] for row in csv.DictReader(io.StringIO(cold))} == {"dune-story"}
    early = compare(runner, stories, "--won-to", "2025-03-01")
    assert "filtered: won … to 2025-03-01" in early and "Dune Ltd" in early and "Acme Corp" not in early
    wrong = runner(stories, "compare", "--won-from", "2025-06-01", "--won-to", "2025-01-01")
    assert wrong.exit_code == 2 and "--won-to: expected a day on or after --won-from (2025-06-01)" in wrong.output
