"""Reading polish: messages name a question in its own words, citations of a call show its date and kind."""

from __future__ import annotations

import datetime as dt

import pytest

from kb.errors import error_text
from kb.records.fields import missing_answers, question_names
from kb.table import number_text
from kb.views.markdown import call_label, render_markdown


def test_a_missing_answer_is_named_by_its_question():
    assert missing_answers(["renewal"]) == "missing an answer to “Why are they renewing?”"
    assert question_names(["success", "options", "renewal"]) == (
        "“What did success look like?”, “What options did they consider?” and “Why are they renewing?”"
    )


def test_kb_check_names_the_question_not_its_key(runner, demo_root):
    result = runner(demo_root, "check")
    assert "missing an answer to “Why are they renewing?”" in result.output, result.output
    assert "answers to: renewal" not in result.output


def test_a_bare_address_is_a_link_and_javascript_never_is():
    html = render_markdown(
        "See https://example.com/a?b=1 and www.acme.io, not javascript:alert(1) nor `https://in.code`.",
        lambda slug, target_type: None,
    )
    assert '<a href="https://example.com/a?b=1" rel="noopener noreferrer">https://example.com/a?b=1</a>' in html
    assert '<a href="http://www.acme.io" rel="noopener noreferrer">www.acme.io</a>' in html
    assert "javascript:alert(1)" in html and 'href="javascript' not in html
    assert "<code>https://in.code</code>" in html
    # A link written with the scheme itself is still refused by the sanitizer.
    assert "href" not in render_markdown("[x](javascript:alert(1))", lambda slug, target_type: None)


def test_a_calls_label_is_its_date_and_kind():
    assert call_label(dt.date(2026, 1, 14), "check-in") == "Jan 14 check-in"
    assert call_label(dt.date(2026, 3, 2), None) == "Mar 2 call"
    assert call_label(None, "demo") == "demo"
    assert call_label(None, None) is None


def test_a_search_with_only_filters_says_what_it_filtered_by(runner, demo_root):
    result = runner(demo_root, "search", "--customer", "orchard-hr", "--type", "interview")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "4 hits for customer:orchard-hr type:interview, by relevance"
    words = runner(demo_root, "search", "audit", "--tag", "soc2").output.splitlines()[-1]
    assert words.startswith("8 hits for 'audit' with tag:soc2")
    assert "the filters" not in words


def test_numbers_are_written_one_way():
    assert [number_text(v) for v in (18000, 18000.0, 1234567, 12.5, 66.67, 0, 0.333)] == [
        "18,000",
        "18,000",
        "1,234,567",
        "12.5",
        "66.67",
        "0",
        "0.33",
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["search", "x", "--since", "2026-13-01"], 2, "kb: invalid value for '--since': expected a date as YYYY-MM-DD"),
        (["--bogus"], 2, "kb: no such option '--bogus' (see kb --help)"),
        (["nosuch"], 2, "kb: no such command 'nosuch' (see kb --help)"),
        (["search"], 2, "kb: nothing to search for"),
        (["new", "customer", "orchard-hr", "--no-edit"], 1, "kb: content/customers/orchard-hr.md exists already"),
    ],
)
def test_cli_errors_share_one_style(runner, demo_root, args, code, message):
    result = runner(demo_root, *args)
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(message), result.stderr
    assert "Error:" not in result.stderr and "Usage:" not in result.stderr


def test_a_new_customer_keeps_the_accents_of_its_name(runner, kb_root):
    result = runner(kb_root, "new", "customer", "Café Zoë", "--no-edit")
    assert result.exit_code == 0, result.output
    text = (kb_root.root / "content/customers/cafe-zoe.md").read_text(encoding="utf-8")
    assert 'name: "Café Zoë"' in text
    runner(kb_root, "new", "customer", "acme-corp", "--no-edit")
    assert 'name: "Acme Corp"' in (kb_root.root / "content/customers/acme-corp.md").read_text(encoding="utf-8")


def test_an_error_names_its_file_and_line_once():
    assert error_text("expected a date", "content/x.md", 3) == "kb: content/x.md:3: expected a date"
    assert error_text("content/x.md: not written", "content/x.md") == "kb: content/x.md: not written"
    assert error_text("no KB here") == "kb: no KB here"
