"""The author's comments in an answer: a form does not show them, and saving a changed answer keeps each
one byte for byte where it sat; only the skeleton's prompt goes once the question is answered."""

from __future__ import annotations

import pytest

from kb.authoring.create import skeleton
from kb.authoring.story_form import StoryForm, casestudy_text, form_from_text, is_prompt, save_casestudy
from kb.config import Kb
from kb.records.comments import answer_with_comments, shown_answer
from kb.records.document import Document
from kb.records.fields import QUESTIONS
from kb.records.parse import parse_bytes
from tests.helpers import REPO

RENEWAL = next(q for q in QUESTIONS if q.key == "renewal")
PROMPT = f"<!-- {RENEWAL.prompt} -->"
NOTE = "<!-- ask Laura after the draft report -->"
FRONT = "---\ncustomer: acme\nperson: Jane Doe, CFO\nstatus: draft\n---\n"


def story(renewal: str) -> str:
    return f"{FRONT}## Why did they have to change?\nThe audit.\n\n## Why are they renewing?\n{renewal}\n"


def saved_renewal(renewal: str, typed: str) -> str:
    """The renewal section after the form sends `typed` as its answer."""
    text = story(renewal)
    form = form_from_text(text)
    form.answers["renewal"] = typed
    written = casestudy_text(form, text)
    return written.split("## Why are they renewing?\n", 1)[1].removesuffix("\n")


@pytest.mark.parametrize(
    ("renewal", "typed", "expected"),
    [
        # Only comments: the form shows nothing, and the note goes above the answer.
        (f"{PROMPT}\n{NOTE}", "They bought back their close.", f"{NOTE}\nThey bought back their close."),
        (NOTE, "They bought back their close.", f"{NOTE}\nThey bought back their close."),
        # Before, after and inside the text, on a line of its own or within a line.
        (f"{NOTE}\nThey bought time.", "They bought back their close.", f"{NOTE}\nThey bought back their close."),
        (f"They bought time.\n\n{NOTE}", "They bought back their close.", f"They bought back their close.\n\n{NOTE}"),
        (
            f"They bought time.\n\n{NOTE}\n\nAnd the audit trail.",
            "They bought time.\n\nAnd the whole audit trail.",
            f"They bought time.\n\n{NOTE}\n\nAnd the whole audit trail.",
        ),
        (
            f"They bought time.\n{NOTE}\nAnd the audit trail.",
            "They bought back their time.\nAnd the audit trail.",
            f"They bought back their time.\n{NOTE}\nAnd the audit trail.",
        ),
        (
            f"They bought {NOTE} time.",
            "They bought  their time back.",
            f"They bought {NOTE} their time back.",
        ),
        # A comment that starts with the prompt but adds a note is the author's.
        (
            f"<!-- {RENEWAL.prompt} Laura said to ask her after the draft report is out. -->",
            "Time.",
            f"<!-- {RENEWAL.prompt} Laura said to ask her after the draft report is out. -->\nTime.",
        ),
        # The skeleton's prompt alone, or its first sentence, goes once the question is answered.
        (PROMPT, "Time.", "Time."),
        ("<!-- Why are they renewing / expanding with you? -->", "Time.", "Time."),
        (f"{PROMPT}\nThey bought time.", "They bought back their close.", "They bought back their close."),
        # An emptied answer gets the prompt back, and keeps the note.
        (f"They bought time.\n\n{NOTE}", "", f"{PROMPT}\n\n{NOTE}"),
    ],
)
def test_a_changed_answer_keeps_the_authors_comments_where_they_sat(renewal, typed, expected):
    assert "<!--" not in form_from_text(story(renewal)).answers["renewal"]
    assert saved_renewal(renewal, typed) == expected


def test_the_form_shows_answers_without_comments_and_code_as_written():
    assert form_from_text(story(f"{PROMPT}\n{NOTE}")).answers["renewal"] == ""
    assert form_from_text(story(f"They bought {NOTE} time.")).answers["renewal"] == "They bought  time."
    fenced = f"```html\n{NOTE}\n```\nThe page."
    assert form_from_text(story(fenced)).answers["renewal"] == fenced
    assert saved_renewal(fenced, fenced.replace("The page.", "The whole page.")) == fenced.replace("The", "The whole")


def test_the_demo_note_to_ask_laura_survives_an_answer_typed_in_the_form():
    path = REPO / "casestudies/orchard-controller.md"
    text = path.read_text(encoding="utf-8")
    note = next(line for line in text.splitlines() if "Laura said to ask her" in line)
    form = form_from_text(text)
    assert form.answers["renewal"] == ""
    form.answers["renewal"] = "They renewed for the second audit."
    written = casestudy_text(form, text)
    assert f"## Why are they renewing?\n{note}\nThey renewed for the second audit.\n" in written
    record = parse_bytes(written.encode(), "casestudies/orchard-controller.md", "casestudy")
    assert record.answered("renewal") and not record.problems


def test_the_built_in_skeleton_prompts_are_placeholders(tmp_path):
    (tmp_path / "kb.toml").write_text('name = "t"\n')
    kb = Kb(tmp_path)
    text = skeleton(kb, "casestudy", customer="acme", slug="acme-story", person="", example_call="2026-01-01-a-b")
    assert all(answer == "" for answer in form_from_text(text).answers.values())
    for question in QUESTIONS:
        section = Document(text).answer(question.key)
        assert section is not None and section.text.startswith(f"<!-- {question.prompt} Cite the calls")
        assert answer_with_comments(section.text, "Typed.", is_prompt(question), "") == "Typed."


def test_a_new_story_from_a_kbs_own_skeleton_drops_its_prompts(tmp_path):
    (tmp_path / "kb.toml").write_text('name = "t"\n')
    for folder in ("casestudies", "content/customers", "content/interviews"):
        (tmp_path / folder).mkdir(parents=True)
    template = tmp_path / "templates/new/casestudy.md"
    template.parent.mkdir(parents=True)
    template.write_text(
        "---\ncustomer: {{ customer }}\nperson: {{ person | yaml }}\nstatus: draft\n---\n"
        "{% for q in questions %}## {{ q.heading }}\n<!-- Tell it in their words. -->\n\n{% endfor %}"
    )
    form = StoryForm(customer="acme", person="Jane")
    form.answers["renewal"] = "Time."
    saved = save_casestudy(Kb(tmp_path), form)
    assert "## Why are they renewing?\nTime.\n" in saved.text


def test_shown_answer_of_plain_text_is_the_text():
    assert shown_answer("Line one.\n\n  Indented.", lambda _comment: True) == "Line one.\n\n  Indented."


def test_a_story_without_any_section_opens_and_gets_its_first_answer():
    text = f"{FRONT}Just notes, no headings yet.\n"
    assert Document(text).sections() == []
    form = form_from_text(text)
    assert all(answer == "" for answer in form.answers.values())
    form.answers["why_change"] = "The audit took 14 weeks."
    written = casestudy_text(form, text)
    assert written == f"{text}\n## Why did they have to change?\nThe audit took 14 weeks.\n"
