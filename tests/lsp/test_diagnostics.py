"""Diagnostics from the editor's unsaved text, at their lines and columns."""

from __future__ import annotations

from lsprotocol import types

STORY = "casestudies/acme-story.md"


def test_a_broken_link_and_an_unknown_status_are_reported_in_unsaved_text(editor):
    text = (editor.root / STORY).read_text(encoding="utf-8")
    editor.open(STORY, text)
    assert [d.severity for d in editor.diagnostics_of(STORY)] == []

    changed = text.replace("status: hell-yes", "status: hellyes").replace("[[acme]]", "[[acmee]]")
    editor.change(STORY, changed)
    found = editor.diagnostics_of(STORY)

    shown = [(d.range.start.line, d.range.start.character, d.range.end.character, d.severity, d.message) for d in found]
    assert shown == [
        (
            3,
            8,
            15,
            types.DiagnosticSeverity.Error,
            "status: expected one of draft, meh, churned, hell-yes; got 'hellyes' (did you mean 'hell-yes'?)",
        ),
        (
            10,
            19,
            28,
            types.DiagnosticSeverity.Error,
            "link [[acmee]] points to no record (did you mean 'acme'?)",
        ),
    ]


def test_a_storys_missing_answers_are_information_on_their_headings(editor):
    editor.open("casestudies/zenith-story.md")

    found = editor.diagnostics_of("casestudies/zenith-story.md")

    information = [(d.range.start.line, d.message) for d in found if d.severity == types.DiagnosticSeverity.Information]
    assert information[0] == (
        9,
        "no answer yet: What did success look like to them? How would they know it worked?",
    )
    assert len(information) == 4


def test_a_file_outside_the_kb_gets_no_diagnostics(editor, tmp_path):
    outside = tmp_path / "notes.md"
    outside.write_text("---\nstatus: hellyes\n---\n[[nowhere]]\n", encoding="utf-8")
    uri = outside.as_uri()
    item = types.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=outside.read_text())
    editor.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))

    assert list(editor.diagnostics_of_uri(uri)) == []
