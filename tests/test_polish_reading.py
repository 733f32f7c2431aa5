"""Reading polish: messages name a question in its own words, citations of a call show its date and kind."""

from __future__ import annotations

from kb.records.fields import missing_answers, question_names


def test_a_missing_answer_is_named_by_its_question():
    assert missing_answers(["renewal"]) == "missing an answer to “Why are they renewing?”"
    assert question_names(["success", "options", "renewal"]) == (
        "“What did success look like?”, “What options did they consider?” and “Why are they renewing?”"
    )


def test_kb_check_names_the_question_not_its_key(runner, demo_root):
    result = runner(demo_root, "check")
    assert "missing an answer to “Why are they renewing?”" in result.output, result.output
    assert "answers to: renewal" not in result.output
