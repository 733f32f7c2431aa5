"""Reading a founder's files: encodings, unknown keys, the five questions' headings, answers and links."""

from __future__ import annotations

import json

import pytest

from kb.records.fields import QUESTIONS, question_for
from kb.records.parse import parse_bytes

AS_OF = "2026-03-13"


def problem_lines(result) -> list[str]:
    """The problems `kb check` printed (stdout; the summary goes to stderr)."""
    return [line for line in result.stdout.splitlines() if line.strip()]


def check(runner, kb_root, *args):
    return runner(kb_root, "check", "--as-of", AS_OF, *args)


def parse_story(text: str):
    return parse_bytes(text.encode("utf-8"), "casestudies/acme.md", "casestudy")


def body_links(record):
    """The `[[links]]` written in the body (not the slugs named in front matter)."""
    return [link for link in record.links if link.source_field is None]


# --- encodings ----------------------------------------------------------------------------------


def windows_file(text: str) -> bytes:
    """What a Windows editor saves: a byte-order mark and CRLF line endings."""
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")


def test_bom_and_crlf_are_accepted_silently(kb_root, runner):
    kb_root.write("kb.toml", windows_file(f'name = "Windows Co"\nas_of = {AS_OF}\n'))
    kb_root.write(
        "content/customers/acme.md",
        windows_file("---\nname: Acme Corp\nstage: customer\nwon_on: 2026-01-05\n---\nNotes from Windows.\n"),
    )
    kb_root.write(
        "content/interviews/2026-01-10-acme-discovery.md",
        windows_file("---\ncustomer: acme\ndate: 2026-01-10\nkind: discovery\n---\nThe audit hurt.\n"),
    )
    kb_root.write(
        "casestudies/acme-story.md",
        windows_file(
            "---\ncustomer: acme\nperson: Jane Doe, CFO\nstatus: hell-yes\n---\n"
            + "".join(f"## {q.heading}\nAnswered [[2026-01-10-acme-discovery]].\n\n" for q in QUESTIONS)
        ),
    )

    result = runner(kb_root, "check", "--strict")  # as of the date pinned in kb.toml

    assert result.exit_code == 0, result.output
    assert problem_lines(result) == []
    assert "0 errors, 0 warnings in 3 files" in result.output
    exported = {row["path"]: row for row in json.loads(runner(kb_root, "export").stdout)}
    assert exported["content/customers/acme.md"]["name"] == "Acme Corp"
    assert exported["content/customers/acme.md"]["body"] == "Notes from Windows.\n"
    assert exported["casestudies/acme-story.md"]["answers"]["renewal"] == "Answered [[2026-01-10-acme-discovery]]."


def test_bom_and_crlf_keep_line_numbers(kb_root, runner):
    kb_root.write(
        "casestudies/acme-story.md",
        windows_file("---\ncustomer: acme\nperson: Jane\nstatus: hellyes\n---\n\nSee [[nothing]].\n"),
    )
    kb_root.customer("acme")

    result = check(runner, kb_root)

    assert result.exit_code == 1, result.output
    assert problem_lines(result) == [
        "casestudies/acme-story.md:4: error: status: expected one of draft, meh, churned, hell-yes; "
        "got 'hellyes' (did you mean 'hell-yes'?)",
        "casestudies/acme-story.md:7: error: link [[nothing]] points to no record",
    ]


def test_a_bad_byte_is_named_and_the_rest_of_the_file_is_read():
    data = b"---\nname: Caf\xe9 Noir\nstage: qualified\n---\nNotes.\n"

    record = parse_bytes(data, "content/customers/cafe.md", "customer")

    assert [str(p) for p in record.problems] == [
        "content/customers/cafe.md:2: error: not UTF-8 text: byte 13 is 0xe9 (save the file as UTF-8); "
        "the rest is read with that byte replaced"
    ]
    assert record.fields["stage"] == "qualified"
    assert record.fields["name"] == "Caf\ufffd Noir"


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        pytest.param(b"", 1, "empty file", id="empty"),
        pytest.param(b"  \n\n", 1, "empty file", id="only-blank-lines"),
        pytest.param(b"customer: acme\n", 1, "no front matter", id="no-opening-line"),
        pytest.param(b"---\ncustomer: acme\nperson: Jane\n", 1, "front matter is not closed", id="not-closed"),
        pytest.param(
            b"---\njust some words\n---\n",
            2,
            "must be a mapping of keys to values (key: value); got the text 'just some words'",
            id="front-matter-is-text",
        ),
    ],
)
def test_a_file_that_is_not_a_record_says_why(data, line, words):
    record = parse_bytes(data, "casestudies/acme.md", "casestudy")

    assert [(p.line, p.severity) for p in record.problems] == [(line, "error")]
    assert words in record.problems[0].message


def test_a_key_set_twice_is_a_warning_and_the_last_one_is_used():
    record = parse_story("---\ncustomer: acme\nperson: Jane\nstatus: draft\nstatus: meh\n---\n")

    assert [str(p) for p in record.problems] == [
        "casestudies/acme.md:5: warning: status: set twice (lines 4 and 5); the last one is used"
    ]
    assert record.fields["status"] == "meh"


# --- unknown keys -------------------------------------------------------------------------------


def test_unknown_front_matter_keys_are_kept_exported_and_searchable(kb_root, runner):
    kb_root.write(
        "content/customers/acme.md",
        """\
        ---
        name: Acme Corp
        stage: lead
        industry: aerospace
        ---
        """,
    )
    kb_root.write(
        "content/interviews/2026-01-10-acme-discovery.md",
        """\
        ---
        customer: acme
        date: 2026-01-10
        kind: discovery
        mood: ecstatic
        budget:
          year: 2026
          owners: [finance, security]
        ---
        A good call.
        """,
    )

    result = check(runner, kb_root, "--strict")
    assert result.exit_code == 0, result.output
    assert problem_lines(result) == []

    exported = {row["path"]: row for row in json.loads(runner(kb_root, "export", "--format", "json").stdout)}
    assert exported["content/customers/acme.md"]["extra"] == {"industry": "aerospace"}
    assert exported["content/interviews/2026-01-10-acme-discovery.md"]["extra"] == {
        "mood": "ecstatic",
        "budget": {"year": 2026, "owners": ["finance", "security"]},
    }

    for word, path in [
        ("aerospace", "content/customers/acme.md"),
        ("ecstatic", "content/interviews/2026-01-10-acme-discovery.md"),
        ("security", "content/interviews/2026-01-10-acme-discovery.md"),
    ]:
        found = runner(kb_root, "search", word, "--json")
        assert found.exit_code == 0, found.output
        assert [hit["path"] for hit in json.loads(found.stdout)["hits"]] == [path], found.output


# --- the five questions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "question"),
    [
        *[pytest.param(q.heading, q.key, id=f"canonical-{q.key}") for q in QUESTIONS],
        ("1. Why did Jane have to change?", "why_change"),
        ("Why did Jane Doe (VP Finance) need to change?", "why_change"),
        ("Why now?", "why_change"),
        ("The trigger", "why_change"),
        ("Q2: What did success look like to Jane?", "success"),
        ("Success criteria", "success"),
        ("3) Options considered", "options"),
        ("Alternatives", "options"),
        ("What else did they try?", "options"),
        ("How did you fit into their world and help them accomplish their goal?", "fit"),
        ("How we fit in", "fit"),
        ("4 - How did we help Jane?", "fit"),
        ("What did they REALLY buy?", "renewal"),
        ("Why are they renewing / expanding with you?", "renewal"),
        ("Why do they renew?", "renewal"),
        ("Renewal & expansion", "renewal"),
        ("Notes", None),
        ("Timeline", None),
        ("Who else was in the room", None),
    ],
)
def test_heading_aliases_map_to_their_question(heading, question):
    assert question_for(heading) == question


def test_a_story_with_alias_headings_is_complete(kb_root, runner):
    kb_root.customer("acme", stage="customer", won_on="2026-01-05")
    kb_root.write(
        "casestudies/acme.md",
        """\
        ---
        customer: acme
        person: Jane Doe, VP Finance
        status: hell-yes
        ---
        ## 1. Why did Jane have to change?
        She failed the audit.

        ## 2. What did success look like to Jane?
        A clean audit.

        ## Options considered
        A consultant.

        ## How we fit in
        Into their ERP.

        ## What did they really buy?
        Sleep.

        ## Timeline
        Signed in January.
        """,
    )

    result = check(runner, kb_root, "--strict")

    assert result.exit_code == 0, result.output
    assert problem_lines(result) == []


def test_other_sections_are_kept_as_notes_and_headings_in_code_are_not_sections():
    record = parse_story("""\
---
customer: acme
person: Jane
status: draft
---
Intro before any heading.

## Why did they have to change?
The audit.

```
## Why are they renewing?
this is code, not a heading
```

## Timeline
Signed in January.
""")

    assert [(s.heading, s.line, s.question) for s in record.sections] == [
        ("Why did they have to change?", 8, "why_change"),
        ("Timeline", 16, None),
    ]
    assert "## Why are they renewing?" in record.sections[0].text
    assert record.sections[1].text == "Signed in January."
    assert record.missing_answers == ["success", "options", "fit", "renewal"]


def test_a_question_answered_twice_is_a_warning_with_both_lines_and_both_texts_kept(kb_root, runner):
    kb_root.customer("acme", stage="customer", won_on="2026-01-05")
    kb_root.write(
        "casestudies/acme.md",
        """\
        ---
        customer: acme
        person: Jane Doe, VP Finance
        status: draft
        ---
        ## Why did they have to change?
        The first audit failed.

        ## What did success look like?
        A clean audit.

        ## Why now?
        The second audit was coming.
        """,
    )

    result = check(runner, kb_root)

    assert result.exit_code == 0, result.output
    assert problem_lines(result) == [
        "casestudies/acme.md:12: warning: 'why_change' is answered twice (lines 6 and 12); both texts are kept"
    ]
    exported = {row["path"]: row for row in json.loads(runner(kb_root, "export").stdout)}
    assert exported["casestudies/acme.md"]["answers"]["why_change"] == (
        "The first audit failed.\n\nThe second audit was coming."
    )


def test_html_comment_only_answers_are_not_answered(kb_root, runner):
    kb_root.customer("acme", stage="customer", won_on="2026-01-05")
    kb_root.write(
        "casestudies/acme.md",
        """\
        ---
        customer: acme
        person: Jane Doe, VP Finance
        status: hell-yes
        ---
        ## Why did they have to change?
        The audit. <!-- say more -->

        ## What did success look like?
        <!-- What did success look like to them? -->

        ## What options did they consider?
        <!--
        Other tools, building it, hiring, doing nothing.
        -->
        <!-- and a second prompt -->

        ## How did we fit into their world?
        Into their ERP.

        ## Why are they renewing?
        <!-- never closed, still only a prompt
        """,
    )

    result = check(runner, kb_root)

    assert result.exit_code == 0, result.output
    assert problem_lines(result) == [
        f"casestudies/acme.md:4: warning: hell-yes story does not count (as of {AS_OF}, set with --as-of): "
        "acme: hell-yes story is missing answers to “What did success look like?”, "
        "“What options did they consider?” and “Why are they renewing?”"
    ]


def test_the_skeleton_of_kb_new_answers_nothing(tmp_path, runner):
    root = tmp_path / "my-kb"
    assert runner(tmp_path, "init", str(root)).exit_code == 0
    assert runner(root, "new", "casestudy", "acme", "--no-edit").exit_code == 0

    record = parse_bytes((root / "casestudies/acme-story.md").read_bytes(), "casestudies/acme-story.md", "casestudy")

    assert [s.question for s in record.sections] == [q.key for q in QUESTIONS]
    assert record.missing_answers == [q.key for q in QUESTIONS]
    # The prompts name an example call, but a prompt is not a citation.
    assert body_links(record) == []


# --- links --------------------------------------------------------------------------------------


def test_links_inside_html_comments_do_not_count(kb_root, runner):
    kb_root.customer("acme")
    kb_root.write(
        "content/interviews/2026-01-10-acme-discovery.md",
        """\
        ---
        customer: acme
        date: 2026-01-10
        ---
        <!-- e.g. [[no-such-call]] or
        [[another-missing-one]] -->
        Real notes, and a real broken link: [[no-such-record]].
        """,
    )

    result = check(runner, kb_root)

    assert result.exit_code == 1, result.output
    assert problem_lines(result) == [
        "content/interviews/2026-01-10-acme-discovery.md:7: error: link [[no-such-record]] points to no record"
    ]


def test_labelled_and_typed_links_resolve(kb_root, runner):
    kb_root.customer("acme", stage="customer", won_on="2026-01-05")
    kb_root.interview("2026-01-10-acme-discovery", "acme", "2026-01-10")
    kb_root.write(
        "casestudies/acme-story.md",
        """\
        ---
        customer: acme
        person: Jane Doe, VP Finance
        status: draft
        ---
        Told by [[acme|Acme Corp]] in [[interview:2026-01-10-acme-discovery]],
        see [[customer:acme|the profile]] and [[casestudy:acme-story|this story]]
        and [[interview:2026-01-10-acme-discovery|the first call]].
        """,
    )

    result = check(runner, kb_root, "--strict")

    assert result.exit_code == 0, result.output
    assert problem_lines(result) == []
    record = parse_bytes(
        (kb_root.root / "casestudies/acme-story.md").read_bytes(), "casestudies/acme-story.md", "casestudy"
    )
    assert [(link.target_type, link.slug, link.label, link.line) for link in body_links(record)] == [
        (None, "acme", "Acme Corp", 6),
        ("interview", "2026-01-10-acme-discovery", None, 6),
        ("customer", "acme", "the profile", 7),
        ("casestudy", "acme-story", "this story", 7),
        ("interview", "2026-01-10-acme-discovery", "the first call", 8),
    ]


def test_a_typed_link_to_the_wrong_type_points_to_no_record(kb_root, runner):
    kb_root.customer("acme")
    kb_root.write(
        "content/interviews/2026-01-10-acme-discovery.md",
        """\
        ---
        customer: acme
        date: 2026-01-10
        ---
        See [[interview:acme]].
        """,
    )

    result = check(runner, kb_root)

    assert result.exit_code == 1, result.output
    assert problem_lines(result) == [
        "content/interviews/2026-01-10-acme-discovery.md:5: error: link [[interview:acme]] points to no record"
    ]


def test_an_unknown_interview_in_front_matter_is_an_error(kb_root, runner):
    kb_root.customer("acme")
    kb_root.interview("2026-01-10-acme-discovery", "acme", "2026-01-10")
    kb_root.write(
        "casestudies/acme-story.md",
        """\
        ---
        customer: acme
        person: Jane Doe, VP Finance
        status: draft
        interviews: [2026-01-10-acme-discovery, 2026-01-11-acme-discovery]
        ---
        """,
    )

    result = check(runner, kb_root)

    assert result.exit_code == 1, result.output
    assert problem_lines(result) == [
        "casestudies/acme-story.md:5: error: interviews: '2026-01-11-acme-discovery' is not an interview "
        "(did you mean '2026-01-10-acme-discovery'?)"
    ]


def test_which_answers_cite_a_call(kb_root, runner):
    from kb.config import Kb
    from kb.store.catalog import Catalog
    from kb.workspace import Workspace

    kb_root.customer("acme", stage="customer", won_on="2026-01-05")
    kb_root.interview("2026-01-10-acme-discovery", "acme", "2026-01-10")
    kb_root.interview("2026-02-01-acme-demo", "acme", "2026-02-01", kind="demo")
    kb_root.write(
        "casestudies/acme-story.md",
        """\
        ---
        customer: acme
        person: Jane Doe, VP Finance
        status: draft
        interviews: [2026-01-10-acme-discovery]
        ---
        Summary for [[acme]], not an answer: [[2026-02-01-acme-demo]].

        ## Why did they have to change?
        She failed the audit [[2026-01-10-acme-discovery]].

        ## What did success look like?
        A clean audit, as [[acme|the customer]] put it.

        ## What options did they consider?
        A consultant. <!-- cite [[2026-02-01-acme-demo]] -->

        ## How did we fit into their world?
        Into their ERP, see [[interview:2026-02-01-acme-demo|the demo]].

        ## Why are they renewing?
        Sleep.
        """,
    )

    record = parse_bytes(
        (kb_root.root / "casestudies/acme-story.md").read_bytes(), "casestudies/acme-story.md", "casestudy"
    )
    assert [(link.slug, link.question) for link in body_links(record)] == [
        ("acme", None),
        ("2026-02-01-acme-demo", None),
        ("2026-01-10-acme-discovery", "why_change"),
        ("acme", "success"),
        ("2026-02-01-acme-demo", "fit"),
    ]

    result = check(runner, kb_root, "--strict")
    assert result.exit_code == 0, result.output
    workspace = Workspace(Kb(kb_root.root))
    try:
        with workspace.session() as session:
            catalog = Catalog(session)
            citing = {
                link.question
                for link in catalog.links()
                if link.path == "casestudies/acme-story.md"
                and link.question
                and [t.type for t in catalog.resolve(link.slug, link.target_type)][:1] == ["interview"]
            }
    finally:
        workspace.close()
    assert citing == {"why_change", "fit"}
