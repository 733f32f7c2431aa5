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


def test_a_file_outside_the_kb_is_said_so_in_the_log(editor, tmp_path):
    outside = tmp_path / "elsewhere.md"
    outside.write_text("[[nowhere]]\n", encoding="utf-8")
    item = types.TextDocumentItem(uri=outside.as_uri(), language_id="markdown", version=1, text="[[nowhere]]\n")
    editor.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))

    assert list(editor.diagnostics_of_uri(outside.as_uri())) == []
    assert f"kb: {outside} is no record of the KB at {editor.root.resolve()}: no diagnostics" in editor.messages
    # The server said which KB it answers for, and that it built its .kb/ (there was none yet).
    assert f"kb: answering for the knowledge base in {editor.root.resolve()}" in editor.messages
    assert "kb: rebuilt .kb/ from the files (.kb/ was missing); nothing was lost" in editor.messages


def test_a_file_created_on_disk_mends_a_broken_link(own_editor):
    text = "---\ncustomer: acme\nperson: Jo\nstatus: draft\n---\n## Why did they have to change?\nSee [[globex]].\n"
    own_editor.open("casestudies/new-story.md", text)
    assert [(d.range.start.line, d.message) for d in own_editor.diagnostics_of("casestudies/new-story.md")][0] == (
        6,
        "link [[globex]] points to no record",
    )

    made = own_editor.root / "content/customers/globex.md"
    made.write_text("---\nname: Globex\nstage: lead\n---\n", encoding="utf-8")
    own_editor.diagnostics.clear()
    own_editor.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(made.as_uri(), types.FileChangeType.Created)])
    )

    found = own_editor.diagnostics_of("casestudies/new-story.md")
    assert [d.message for d in found if d.severity != types.DiagnosticSeverity.Information] == []


def test_saving_a_call_without_a_cited_quote_reports_the_citation_in_an_open_story(own_editor):
    own_editor.open(STORY)
    assert [d.message for d in own_editor.diagnostics_of(STORY)] == []
    call = "content/interviews/2026-01-12-acme-discovery.md"
    own_editor.open(call)
    text = (own_editor.root / call).read_text(encoding="utf-8").replace(" ^failed-audit", "")
    own_editor.change(call, text)
    (own_editor.root / call).write_text(text, encoding="utf-8")
    own_editor.diagnostics.clear()

    own_editor.save(call)

    found = own_editor.diagnostics_of(STORY)
    assert [(d.range.start.line, d.message) for d in found] == [
        (
            7,
            "link [[2026-01-12-acme-discovery#^failed-audit]] cites a quote that does not exist: "
            "2026-01-12-acme-discovery has no quote ^failed-audit; its quotes: ^month-end",
        ),
    ]


def test_an_editor_started_outside_any_kb_finds_it_from_an_opened_file(tmp_path):
    from tests.lsp.conftest import Editor, write_kb

    kb = write_kb(tmp_path / "kb")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    editor = Editor(elsewhere)
    try:
        story = kb.root / STORY
        text = story.read_text(encoding="utf-8").replace("[[acme]]", "[[acmee]]")
        item = types.TextDocumentItem(uri=story.as_uri(), language_id="markdown", version=1, text=text)
        editor.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))

        found = editor.diagnostics_of_uri(story.as_uri())
        assert [(d.range.start.line, d.message) for d in found] == [
            (10, "link [[acmee]] points to no record (did you mean 'acme'?)")
        ]
        editor.said(f"kb: no diagnostics: no knowledge base in {elsewhere} or any folder above it.")
    finally:
        editor.close()


def test_columns_are_in_the_editors_utf16_units_past_an_emoji(editor):
    text = "---\ncustomer: acme\nperson: Jo\nstatus: draft\n---\nSee 😀 [[acmee]] and [[ac"
    editor.open("casestudies/emoji.md", text)

    found = [d for d in editor.diagnostics_of("casestudies/emoji.md") if d.message.startswith("link")]
    hover = editor.run(
        editor.client.text_document_hover_async(types.HoverParams(**editor.at("casestudies/emoji.md", 5, 9)))
    )
    completion = editor.run(
        editor.client.text_document_completion_async(types.CompletionParams(**editor.at("casestudies/emoji.md", 5, 25)))
    )

    # The emoji is two UTF-16 units: `[[acmee]]` starts at unit 7 (character 6).
    assert [(d.range.start.character, d.range.end.character) for d in found] == [(7, 16)]
    assert (hover.range.start.character, hover.range.end.character) == (9, 14)
    assert hover.contents.value == "`acmee`: no such record in this KB"
    edit = completion.items[0].text_edit
    assert (edit.range.start.character, edit.range.end.character, edit.new_text) == (23, 25, "acme")


def test_the_hell_yes_rule_judges_the_unsaved_status(editor):
    relative = "casestudies/zenith-story.md"
    text = (editor.root / relative).read_text(encoding="utf-8").replace("status: draft", "status: hell-yes")
    editor.open(relative, text)

    found = editor.diagnostics_of(relative)

    warnings = [(d.range.start.line, d.message) for d in found if d.severity == types.DiagnosticSeverity.Warning]
    assert warnings == [
        (
            3,
            "hell-yes story does not count (as of 2026-03-18, pinned in kb.toml): zenith: hell-yes story is missing "
            "answers to “What did success look like?”, “What options did they consider?”, “How did we fit into "
            "their world?” and “Why are they renewing?”; not won yet (no won_on)",
        )
    ]


def test_kb_root_names_the_kb_whatever_the_workspace_folder(tmp_path):
    from tests.lsp.conftest import Editor, write_kb

    kb = write_kb(tmp_path / "kb")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    editor = Editor(elsewhere, "--root", str(kb.root))
    try:
        assert editor.said("kb: answering") == f"kb: answering for the knowledge base in {kb.root.resolve()}"
    finally:
        editor.close()


def test_kb_toml_changed_on_disk_is_read_again(own_editor):
    config = own_editor.root / "kb.toml"
    config.write_text('name = "Tests"\nas_of = 2026-04-01\n', encoding="utf-8")
    own_editor.client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(changes=[types.FileEvent(config.as_uri(), types.FileChangeType.Changed)])
    )
    own_editor.open(STORY)

    found = own_editor.run(
        own_editor.client.text_document_hover_async(types.HoverParams(**own_editor.at(STORY, 1, 12)))
    )

    assert found.contents.value.endswith("a hell-yes customer as of 2026-04-01")
