"""A founder's own notes come in as written: questions under `###`, underlined, numbered or one level below
a `#` title are answers; `kb check` names the headings it saw when a question has none; no line of the
body is left out; the story form changes one answer and keeps every heading byte for byte."""

from __future__ import annotations

import json
import textwrap

import pytest

from kb.authoring.story_form import casestudy_text, form_from_text, load_casestudy, save_casestudy
from kb.config import Kb
from kb.records.document import Document
from kb.records.fields import QUESTIONS
from kb.records.parse import parse_bytes, split_sections
from kb.web import create_app
from tests.helpers import status_json
from tests.web.helpers import close_app

AS_OF = "2026-03-18"
FRONT = "---\ncustomer: acme\nperson: Maya Chen, Controller\nstatus: hell-yes\n---\n"
ANSWERS = {
    "why_change": "They failed the audit twice.",
    "success": "A clean report by March.",
    "options": "A consultant, or the spreadsheet.",
    "fit": "Evidence pulled from their ERP.",
    "renewal": "They bought back their close.",
}


def story(body: str) -> str:
    return FRONT + textwrap.dedent(body).lstrip("\n")


def parse_story(text: str):
    return parse_bytes(text.encode("utf-8"), "casestudies/acme-story.md", "casestudy")


def written(style) -> str:
    """A story with the five canonical questions written in `style(question_heading)`, each with its answer."""
    return FRONT + "".join(f"{style(q.heading)}\n{ANSWERS[q.key]}\n\n" for q in QUESTIONS)


def underlined(mark: str):
    return lambda heading: f"{heading}\n{mark * len(heading)}"


STYLES = {
    "h2": lambda h: f"## {h}",
    "h3": lambda h: f"### {h}",
    "h6 closed": lambda h: f"###### {h} ######",
    "h1": lambda h: f"# {h}",
    "setext ---": underlined("-"),
    "setext ===": underlined("="),
    "setext short underline": lambda h: f"{h}\n---",
    "numbered 1.": lambda h: f"## {QUESTIONS.index(next(q for q in QUESTIONS if q.heading == h)) + 1}. {h}",
    "numbered 1)": lambda h: f"### {QUESTIONS.index(next(q for q in QUESTIONS if q.heading == h)) + 1}) {h}",
    "numbered Q1:": lambda h: f"## Q{QUESTIONS.index(next(q for q in QUESTIONS if q.heading == h)) + 1}: {h}",
    "indented up to three spaces": lambda h: f"   ### {h}",
}


# --- each style counts as answered ---------------------------------------------------------------------


@pytest.mark.parametrize("style", list(STYLES))
def test_each_heading_style_answers_its_question(style):
    record = parse_story(written(STYLES[style]))

    assert record.missing_answers == []
    assert {s.question: s.text for s in record.sections} == ANSWERS
    assert record.problems == []


def test_questions_one_level_below_a_title_and_inside_a_part():
    text = story("""
        # Acme — case study
        Told by Ana after the renewal call.

        ## Context
        Series B, 40 people.

        ### Why did they have to change?
        They failed the audit twice.

        ### What did success look like?
        A clean report by March.
        #### Their own words
        "Never again."

        ## The deal
        ### What options did they consider?
        A consultant, or the spreadsheet.

        ### How did we fit into their world?
        Evidence pulled from their ERP.

        ### Why are they renewing?
        They bought back their close.

        # Appendix
        The thread with their auditor.
        """)
    record = parse_story(text)
    intro, _sections = split_sections(record.body)

    assert record.missing_answers == [] and record.problems == []
    assert [(s.heading, s.level, s.question) for s in record.sections] == [
        ("Why did they have to change?", 3, "why_change"),
        ("What did success look like?", 3, "success"),
        ("The deal", 2, None),
        ("What options did they consider?", 3, "options"),
        ("How did we fit into their world?", 3, "fit"),
        ("Why are they renewing?", 3, "renewal"),
        ("Appendix", 1, None),
    ]
    # The title and what precedes the first question are the text before the sections; a deeper heading
    # is part of the answer it sits in; a higher one after the first section ends the answer before it.
    assert intro.startswith("# Acme — case study\nTold by Ana") and intro.endswith("## Context\nSeries B, 40 people.")
    assert record.sections[1].text == 'A clean report by March.\n#### Their own words\n"Never again."'
    assert record.sections[5].text == "They bought back their close."


def test_the_level_is_where_most_questions_are_so_a_question_like_title_stays_a_title():
    text = story("""
        # Why now: the Acme story
        An intro.

        """) + "".join(f"## {q.heading}\n{ANSWERS[q.key]}\n\n" for q in QUESTIONS)
    record = parse_story(text)

    assert record.missing_answers == [] and record.problems == []
    assert record.sections[0].text == ANSWERS["why_change"]


def test_a_story_written_with_h3_questions_counts_through_the_cli(kb_root, runner):
    kb_root.customer("acme", stage="customer", won_on="2026-01-05")
    kb_root.write("casestudies/acme-story.md", written(STYLES["h3"]))
    kb_root.write("casestudies/acme-underlined.md", written(STYLES["setext ---"]).replace("Maya", "Ana"))

    checked = runner(kb_root, "check", "--as-of", AS_OF, "--strict")
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.strip() == ""
    status = status_json(runner, kb_root, AS_OF)
    assert status["gate"]["hell_yes_customers"] == 1, status["gate"]
    exported = {row["path"]: row for row in json.loads(runner(kb_root, "export").stdout)}
    for path in ("casestudies/acme-story.md", "casestudies/acme-underlined.md"):
        assert exported[path]["answers"] == ANSWERS
    found = json.loads(runner(kb_root, "search", "why_change:audit", "--json").stdout)
    assert {hit["path"] for hit in found["hits"]} == {"casestudies/acme-story.md", "casestudies/acme-underlined.md"}


# --- setext, front matter and thematic breaks ----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "headings"),
    [
        pytest.param("Why now?\n---\nThe audit.\n", [("Why now?", 2)], id="underlined with ---"),
        pytest.param("Why now?\n===\nThe audit.\n", [("Why now?", 1)], id="underlined with ==="),
        pytest.param("---\nWhy now?\n---\n", [("Why now?", 2)], id="a break, then a heading"),
        pytest.param("\n---\n\nThe audit.\n", [], id="a thematic break after the front matter"),
        pytest.param("The audit.\n\n---\n\nMore.\n", [], id="a thematic break between paragraphs"),
        pytest.param("Two lines\nof a paragraph\n---\n", [], id="under a paragraph of two lines: text"),
        pytest.param("- a list item\n---\n", [], id="under a list item"),
        pytest.param("> a quote\n---\n", [], id="under a quote"),
        pytest.param("## Why now?\n---\n", [("Why now?", 2)], id="under an ATX heading"),
        pytest.param("```\nWhy now?\n---\n```\n", [], id="inside a code fence"),
        pytest.param("<!--\nWhy now?\n---\n-->\n", [], id="inside a comment"),
        pytest.param("    Why now?\n---\n", [], id="under indented code"),
        pytest.param("Why now?\n- - -\n", [], id="a spaced rule is a break"),
        pytest.param("===\n", [], id="=== alone is text"),
        pytest.param("**Why now?**\n\nThe audit.\n", [], id="a bold line is no heading"),
    ],
)
def test_underlines_breaks_and_front_matter_are_told_apart(body, headings):
    record = parse_story(FRONT + body)

    assert [(s.heading, s.level) for s in record.sections] == headings
    assert record.fields["status"] == "hell-yes"  # the front matter is read as front matter


# --- kb check says which headings it saw ---------------------------------------------------------------


def check_lines(runner, kb_root) -> list[str]:
    result = runner(kb_root, "check", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if line.strip() and "hell-yes story does not count" not in line]


def test_check_names_the_headings_seen_when_none_is_a_question(kb_root, runner):
    kb_root.customer("acme", stage="customer", won_on="2026-01-05")
    kb_root.write(
        "casestudies/acme-story.md",
        story("""
            Notes from the renewal call.

            ## Background
            They failed the audit twice.

            ## Results
            A clean report.
            """),
    )

    lines = check_lines(runner, kb_root)

    assert len(lines) == 1, lines
    assert lines[0].startswith(
        "casestudies/acme-story.md:8: warning: no answer found for any of the five questions: "
        "headings seen: `## Background` (line 8), `## Results` (line 11), none in the words of a question; "
        "kb reads an answer under a heading in its question's words, e.g. `## Why did they have to change?`"
    ), lines[0]


def test_check_says_a_deeper_question_is_read_as_part_of_the_answer_above_it(kb_root, runner):
    kb_root.customer("acme", stage="customer", won_on="2026-01-05")
    body = "".join(f"## {q.heading}\n{ANSWERS[q.key]}\n\n" for q in QUESTIONS if q.key != "options")
    body = body.replace(
        "A clean report by March.\n", "A clean report by March.\n### Options considered\nA consultant.\n"
    )
    kb_root.write("casestudies/acme-story.md", FRONT + body)

    lines = check_lines(runner, kb_root)

    assert len(lines) == 1, lines
    assert (
        "no answer found for 'What options did they consider?': headings seen besides the 4 answers: "
        "`### Options considered` (line 11, inside `## What did success look like?` of line 9, so part of its text)"
    ) in lines[0]
    assert "(here ##)" in lines[0]


def test_check_points_at_a_bold_line_that_reads_like_a_question(kb_root, runner):
    kb_root.customer("acme", stage="customer", won_on="2026-01-05")
    body = "".join(f"## {q.heading}\n{ANSWERS[q.key]}\n\n" for q in QUESTIONS if q.key != "renewal")
    kb_root.write("casestudies/acme-story.md", FRONT + body + "**5. Why are they renewing?**\nThey bought back.\n")

    lines = check_lines(runner, kb_root)

    assert len(lines) == 1, lines
    assert lines[0].startswith("casestudies/acme-story.md:18: warning: no answer found for 'Why are they renewing?'")
    assert "line 18 (`**5. Why are they renewing?**`) reads like a question but is not a heading" in lines[0]


def test_an_incomplete_story_with_a_notes_section_is_not_warned_about(kb_root, runner):
    kb_root.customer("acme", stage="customer", won_on="2026-01-05")
    body = "".join(f"## {q.heading}\n{ANSWERS[q.key]}\n\n" for q in QUESTIONS[:3])
    kb_root.write("casestudies/acme-story.md", FRONT.replace("hell-yes", "draft") + body + "## Notes\nTo ask.\n")

    assert check_lines(runner, kb_root) == []


# --- no text left out ----------------------------------------------------------------------------------


def test_every_line_is_in_the_intro_a_section_or_a_heading():
    text = story("""
        # Acme
        Before anything.

        ## Context
        Some context.

        ### Why did they have to change?
        The audit.
        ##### deep note
        kept

        What did success look like?
        ---------------------------
        Clean.

        ---

        after a break

        # Appendix
        the end
        """)
    record = parse_story(text)
    intro, sections = split_sections(record.body)
    heading_lines = {s.line - 1 for s in sections} | {s.line for s in sections if s.underlined}
    kept = intro + "\n" + "\n".join(s.text for s in sections)

    for number, line in enumerate(record.body.split("\n")):
        if line.strip() and number not in heading_lines:
            assert line in kept.split("\n"), line


def test_the_record_page_shows_the_intro_and_the_sections_that_are_not_questions(kb_root):
    kb_root.customer("acme", stage="customer", won_on="2026-01-05")
    kb_root.write(
        "casestudies/acme-story.md",
        story("""
            # Acme story
            Told by Ana.

            ### Why did they have to change?
            They failed the audit twice.

            ## Follow-ups
            Ask for a referral.
            """),
    )
    app = create_app(kb_root.root)
    try:
        page = app.test_client().get("/casestudies/acme-story").text
    finally:
        close_app(app)

    for words in ("Told by Ana.", "They failed the audit twice.", "Follow-ups", "Ask for a referral."):
        assert words in page, words


# --- the story form keeps the headings as written ------------------------------------------------------


@pytest.mark.parametrize("style", ["h3", "setext ---", "setext ===", "numbered 1)", "numbered Q1:", "h6 closed"])
def test_the_form_changes_one_answer_and_keeps_every_heading(kb_root, style):
    original = written(STYLES[style])
    path = kb_root.write("casestudies/acme-story.md", original)
    form, _sha = load_casestudy(path)
    assert form.answers == ANSWERS

    form.answers["options"] = "A consultant at $48k.\nOr the spreadsheet."
    saved = save_casestudy(Kb(kb_root.root), form, "casestudies/acme-story.md")

    after = path.read_text(encoding="utf-8")
    assert saved.text == after
    assert after == original.replace(ANSWERS["options"], "A consultant at $48k.\nOr the spreadsheet.")
    assert parse_story(after).missing_answers == []


def test_a_missing_answer_is_added_at_the_level_of_the_others():
    original = FRONT + "".join(f"### {q.heading}\n{ANSWERS[q.key]}\n\n" for q in QUESTIONS[:4])
    form = form_from_text(original)
    form.answers["renewal"] = "They bought back their close."

    text = casestudy_text(form, original)

    assert text == original + "### Why are they renewing?\nThey bought back their close.\n"
    assert parse_story(text).missing_answers == []


def test_an_untouched_form_of_any_style_gives_back_the_same_bytes():
    for style in STYLES.values():
        original = written(style)
        assert casestudy_text(form_from_text(original), original) == original


def test_a_calls_notes_section_is_found_whatever_questions_its_notes_name():
    call = "---\ncustomer: acme\ndate: 2026-01-10\n---\n## Notes\n### Options\nA consultant.\n\n## Transcript\nHi.\n"
    document = Document(call)

    document.set_notes("New notes.")

    assert document.text == call.replace("### Options\nA consultant.\n", "New notes.\n")
