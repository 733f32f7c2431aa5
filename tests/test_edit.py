"""Editing records from forms: only what changed is rewritten, and saves never go over a newer file."""

from __future__ import annotations

import os

import pytest

from kb.authoring.call_form import CallForm, log_call
from kb.authoring.form_checks import Invalid
from kb.authoring.saving import Conflict, save
from kb.authoring.story_form import (
    StoryForm,
    casestudy_text,
    form_from_text,
    load_casestudy,
    rebase,
    save_casestudy,
)
from kb.config import Kb
from kb.errors import KbError
from kb.records.document import NotEditable
from kb.records.files import content_hash
from kb.records.parse import parse_bytes

STORY = """\
---
customer: acme
person: "Jane Doe, CFO"   # the champion
status: hell-yes
# the calls behind it
interviews:
  - 2026-02-10-acme-discovery
champion:
  name: Jane
  since: 2025-11-01
renewal_date: 2027-01-31
tags: [soc2, finance-led]
---
Told by Ana after the check-in.

## Why did they have to change?
The audit took **14 weeks** [[2026-02-10-acme-discovery]].

## What did success look like?
<!-- What did success look like to them? -->

## Notes
Keep   this,  with its    spaces.
- and this list

## Why are they renewing?
They bought back their close.
"""


def test_an_untouched_form_gives_back_the_same_bytes():
    form = form_from_text(STORY)
    assert casestudy_text(form, STORY) == STORY


def test_crlf_and_byte_order_mark_survive_an_untouched_form():
    text = "\ufeff" + STORY.replace("\n", "\r\n")
    assert casestudy_text(form_from_text(text), text) == text


def test_changing_person_and_one_answer_rewrites_only_those_lines():
    form = form_from_text(STORY)
    form.person = "Jane Doe, VP Finance"
    form.answers["success"] = "A close on day 6."
    expected = STORY.replace('person: "Jane Doe, CFO"   # the champion', "person: Jane Doe, VP Finance").replace(
        "<!-- What did success look like to them? -->", "A close on day 6."
    )
    assert casestudy_text(form, STORY) == expected


def test_a_cleared_answer_gets_the_prompt_comment_and_counts_as_unanswered():
    form = form_from_text(STORY)
    form.answers["renewal"] = "  \n"
    text = casestudy_text(form, STORY)
    record = parse_bytes(text.encode(), "casestudies/acme.md", "casestudy")
    assert "renewal" in record.missing_answers
    assert "<!-- Why are they renewing / expanding with you? What did they REALLY buy? -->" in text
    assert not record.problems


def test_a_missing_question_is_added_after_the_last_answer_and_extras_stay_put():
    form = form_from_text(STORY)
    form.answers["options"] = "Hiring a second accountant."
    text = casestudy_text(form, STORY)
    assert text.endswith(
        "They bought back their close.\n\n## What options did they consider?\nHiring a second accountant.\n"
    )
    assert "## Notes\nKeep   this,  with its    spaces.\n- and this list\n" in text
    record = parse_bytes(text.encode(), "casestudies/acme.md", "casestudy")
    assert record.answered("options") and not record.problems


def test_lists_keep_their_style_and_unknown_keys_their_values():
    form = form_from_text(STORY)
    form.interviews = "2026-02-10-acme-discovery\n2026-03-01-acme-check-in"
    form.tags = "soc2, Audit Pain"
    text = casestudy_text(form, STORY)
    assert "interviews:\n  - 2026-02-10-acme-discovery\n  - 2026-03-01-acme-check-in\nchampion:" in text
    assert "tags: [soc2, Audit Pain]\n" in text
    before = parse_bytes(STORY.encode(), "casestudies/acme.md", "casestudy")
    after = parse_bytes(text.encode(), "casestudies/acme.md", "casestudy")
    assert after.extra == before.extra and after.fields["tags"] == ["soc2", "audit pain"]
    assert "# the calls behind it\n" in text


def test_a_value_that_looks_like_a_date_or_boolean_is_quoted():
    form = form_from_text(STORY)
    form.person = "yes"
    text = casestudy_text(form, STORY)
    assert "person: 'yes'\n" in text
    assert parse_bytes(text.encode(), "casestudies/acme.md", "casestudy").fields["person"] == "yes"


def test_broken_front_matter_cannot_be_edited_in_place():
    with pytest.raises(NotEditable, match="not valid YAML"):
        form_from_text("---\ncustomer: [acme\n---\n")
    with pytest.raises(NotEditable, match="no front matter"):
        form_from_text("## Why did they have to change?\nNo front matter.\n")


def test_rebase_keeps_what_was_typed_and_takes_the_rest_from_disk():
    form = form_from_text(STORY)
    form.base_text, form.base_sha256 = STORY, content_hash(STORY.encode())
    form.answers["success"] = "Typed."
    disk = STORY.replace("They bought back their close.", "Changed on disk.")
    rebased = rebase(form, disk, content_hash(disk.encode()))
    assert rebased.answers["success"] == "Typed."
    assert rebased.answers["renewal"] == "Changed on disk."
    assert rebased.base_text == disk


@pytest.fixture
def kb(kb_root) -> Kb:
    return Kb(kb_root.root)


def test_save_refuses_paths_that_leave_the_kb_or_do_not_normalize(kb, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, kb.root / "casestudies" / "link")
    for path in (
        "../x.md",
        "casestudies/../kb.toml",
        "casestudies/./x.md",
        "/etc/x.md",
        "casestudies/.x.md",
        "casestudies/x.txt",
        "content/customers/x.md",
        "casestudies\\x.md",
        "casestudies/link/x.md",
        "casestudies/Upper.md",
        "casestudies//x.md",
    ):
        with pytest.raises(KbError, match="refused"):
            save(kb, path, "---\ncustomer: a\n---\n", "")
    assert list(outside.iterdir()) == []


def test_save_never_overwrites_a_new_file_or_a_newer_version(kb):
    path = kb.root / "casestudies" / "acme.md"
    path.write_text("mine\n")
    with pytest.raises(Conflict) as caught:
        save(kb, "casestudies/acme.md", "theirs\n", "")
    assert caught.value.disk_text == "mine\n" and caught.value.typed_text == "theirs\n"
    with pytest.raises(Conflict):
        save(kb, "casestudies/acme.md", "theirs\n", content_hash(b"an older version\n"))
    assert path.read_text() == "mine\n"
    save(kb, "casestudies/acme.md", "theirs\n", content_hash(b"mine\n"))
    assert path.read_text() == "theirs\n"


def test_save_casestudy_collects_every_field_error(kb):
    with pytest.raises(Invalid) as caught:
        save_casestudy(kb, StoryForm(customer="", person="", status="hellyes", slug="Bad/Slug"))
    fields = {problem.field for problem in caught.value.errors}
    assert fields == {"slug", "customer", "person", "status"}, caught.value.errors
    assert list((kb.root / "casestudies").iterdir()) == []


def test_a_new_story_uses_the_kbs_own_skeleton(kb):
    skeleton = kb.root / "templates" / "new" / "casestudy.md"
    skeleton.parent.mkdir(parents=True)
    skeleton.write_text(
        "---\ncustomer: {{ customer }}\nperson: {{ person | yaml }}\nstatus: draft\n"
        "team: growth\n---\n{% for q in questions %}## {{ q.heading }}\n<!-- ours -->\n\n{% endfor %}"
    )
    form = StoryForm(customer="acme", person="Jane Doe, CFO")
    form.answers["why_change"] = "The audit."
    saved = save_casestudy(kb, form)
    text = (kb.root / saved.path).read_text()
    assert saved.path == "casestudies/acme-story.md"
    assert "team: growth\n" in text and "<!-- ours -->" in text
    assert "## Why did they have to change?\nThe audit.\n" in text
    assert saved.created == ["content/customers/acme.md"]
    loaded, sha256 = load_casestudy(kb.root / saved.path)
    assert loaded.answers["why_change"] == "The audit." and sha256 == content_hash(text.encode())


def test_log_call_numbers_calls_of_the_same_day_and_kind(kb):
    kb.root.joinpath("content/customers/acme.md").write_text("---\nname: Acme\n---\n")
    form = CallForm(customer="acme", date="2026-03-02", kind="demo", people="Jane Doe, CFO", notes="Went well.")
    first, second = log_call(kb, form), log_call(kb, form)
    assert (first.slug, second.slug) == ("2026-03-02-acme-demo", "2026-03-02-acme-demo-2")
    assert first.created == []
    record = parse_bytes((kb.root / first.path).read_bytes(), first.path, "interview")
    assert not record.problems and record.fields["people"] == ["Jane Doe, CFO"]


def test_log_call_notes_with_headings_are_the_whole_body(kb):
    form = CallForm(customer="acme", date="2026-03-02", kind="sales", notes="## Notes\nA.\n\n## Quotes\n> B")
    saved = log_call(kb, form)
    text = (kb.root / saved.path).read_text()
    assert text.endswith("---\n\n## Notes\nA.\n\n## Quotes\n> B\n") and "Word for word" not in text
