"""Quotes as evidence: a blockquote of a call ending in a block id is a quote, with who said it and its
tags; a story cites it as `[[call#^id]]`; `kb check` reports a citation of a quote that does not exist,
with a "did you mean", and keeps that judgement in step as the call is edited."""

from __future__ import annotations

import json

from kb.records.parse import parse_bytes

CALL = "content/interviews/2026-01-12-acme-discovery.md"
CALL_TEXT = """\
    ---
    customer: acme
    date: 2026-01-12
    kind: discovery
    people: [Maya Chen]
    ---
    ## Notes

    > We failed the #audit twice, and it cost us a quarter. — Maya Chen ^failed-audit

    > "Every close breaks a spreadsheet,
    > and I rebuild it by hand." -- Sam Ortiz ^close-pain

    > Unattributed but kept. ^plain

    ```
    > an example in code ^not-a-quote
    ```
    """


def parsed(text: str, path: str = CALL, record_type: str = "interview"):
    import textwrap

    return parse_bytes(textwrap.dedent(text).encode(), path, record_type)


def test_a_call_s_quotes_are_found_with_speaker_tags_and_line():
    record = parsed(CALL_TEXT)

    found = [(q.block, q.text, q.speaker, q.tags, q.line) for q in record.quotes]
    assert found == [
        ("failed-audit", "We failed the #audit twice, and it cost us a quarter.", "Maya Chen", ["audit"], 9),
        ("close-pain", "Every close breaks a spreadsheet, and I rebuild it by hand.", "Sam Ortiz", [], 11),
        ("plain", "Unattributed but kept.", None, [], 14),
    ]
    assert record.problems == []


def test_an_id_used_twice_is_an_error_and_an_id_outside_a_quote_a_warning():
    record = parsed(
        """\
        ---
        customer: acme
        date: 2026-01-12
        ---
        > First. ^same

        > Second. ^same

        A plain paragraph ^meant-as-quote
        """
    )

    messages = [(p.line, p.severity, p.message) for p in record.problems]
    assert (7, "error", "quote id ^same is used twice (lines 5 and 7): rename one") in messages
    assert any(line == 9 and severity == "warning" and "no quote" in m for line, severity, m in messages)


def test_a_citation_names_the_call_and_the_quote():
    story = parsed(
        """\
        ---
        customer: acme
        ---
        ## Why did they have to change?
        They failed the audit [[2026-01-12-acme-discovery#^failed-audit]], see [[2026-01-12-acme-discovery]].
        """,
        "casestudies/acme.md",
        "casestudy",
    )

    cited = [(link.slug, link.block, link.question) for link in story.links if link.question]
    assert cited == [
        ("2026-01-12-acme-discovery", "failed-audit", "why_change"),
        ("2026-01-12-acme-discovery", None, "why_change"),
    ]


def story_citing(*targets: str) -> str:
    links = " ".join(f"[[{target}]]" for target in targets)
    front = "---\ncustomer: acme\nperson: Maya Chen, Controller\nstatus: draft\n---\n"
    return f"{front}## Why did they have to change?\nBecause {links}.\n"


def problems(runner, kb_root) -> list[dict]:
    result = runner(kb_root, "check", "--json")
    return [p for p in json.loads(result.stdout) if p["path"] == "casestudies/acme.md"]


def test_check_reports_a_citation_of_a_missing_quote_and_follows_the_call_s_edits(runner, kb_root):
    kb_root.customer("acme", name="Acme")
    kb_root.write(CALL, CALL_TEXT)
    kb_root.write("casestudies/acme.md", story_citing("2026-01-12-acme-discovery#^failed-audi"))

    found = problems(runner, kb_root)
    assert [(p["line"], p["severity"]) for p in found] == [(7, "error")]
    assert "cites a quote that does not exist" in found[0]["message"]
    assert "did you mean '^failed-audit'?" in found[0]["message"]

    call = kb_root.root / CALL
    call.write_text(call.read_text() + "\n> Close enough. ^failed-audi\n")  # the call now has it
    assert problems(runner, kb_root) == []

    call.write_text(call.read_text().replace("^failed-audi\n", "^other\n"))  # and no longer
    assert [p["severity"] for p in problems(runner, kb_root)] == ["error"]


def test_a_quote_link_to_a_record_that_is_no_call_is_an_error(runner, kb_root):
    kb_root.customer("acme", name="Acme")
    kb_root.write("casestudies/acme.md", story_citing("customer:acme#^quote"))

    found = problems(runner, kb_root)
    assert len(found) == 1 and "acme is a customer, and quotes are in interviews" in found[0]["message"]


def test_a_call_without_quotes_says_how_a_quote_is_written(runner, kb_root):
    kb_root.customer("acme", name="Acme")
    kb_root.interview("2026-01-12-acme-discovery", "acme", "2026-01-12")
    kb_root.write("casestudies/acme.md", story_citing("2026-01-12-acme-discovery#^failed-audit"))

    (found,) = problems(runner, kb_root)
    assert "has no quotes (a quote is a blockquote ending in ^id" in found["message"]


def test_quotes_are_found_as_their_own_hits(run_kb, kb_root):
    kb_root.customer("acme", name="Acme")
    kb_root.write(CALL, CALL_TEXT)

    found = json.loads(run_kb(kb_root, "search", "type:quote audit", "--json").stdout)
    assert [(hit["type"], hit["path"]) for hit in found["hits"]] == [("quote", f"{CALL}#^failed-audit")]
    by_speaker = json.loads(run_kb(kb_root, "search", "speaker:ortiz", "--json").stdout)
    assert [hit["path"] for hit in by_speaker["hits"]] == [f"{CALL}#^close-pain"]
    everything = json.loads(run_kb(kb_root, "search", "spreadsheet", "--json").stdout)
    assert sorted(hit["type"] for hit in everything["hits"]) == ["interview", "quote"]

    # The call edited: its quotes as they are now, no more.
    call = kb_root.root / CALL
    call.write_text(call.read_text().replace("^close-pain", "^rebuilt-by-hand"))
    again = json.loads(run_kb(kb_root, "search", "speaker:ortiz", "--json").stdout)
    assert [hit["path"] for hit in again["hits"]] == [f"{CALL}#^rebuilt-by-hand"]
    call.unlink()
    assert json.loads(run_kb(kb_root, "search", "type:quote", "--json").stdout)["hits"] == []
