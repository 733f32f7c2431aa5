"""Completion, hover, go to definition, references and symbols, asked of `kb lsp` over the protocol."""

from __future__ import annotations

from lsprotocol import types

STORY = "casestudies/acme-story.md"
CALL = "content/interviews/2026-01-12-acme-discovery.md"


def labels(found) -> list[tuple[str, str | None]]:
    return [(item.label, item.detail) for item in found.items]


def completion(editor, relative: str, text: str, line: int, character: int):
    editor.open(relative, text)
    return editor.run(
        editor.client.text_document_completion_async(types.CompletionParams(**editor.at(relative, line, character)))
    )


def test_records_after_two_brackets_by_slug_with_their_titles(editor):
    found = completion(editor, "casestudies/new.md", "---\nstatus: draft\n---\nSee [[ac", 3, 8)

    assert labels(found) == [
        ("acme", "Acme Corp"),
        ("acme-story", "acme: Jane Doe, CFO"),
        ("2026-01-12-acme-discovery", "2026-01-12 · discovery call with acme"),
        ("2026-02-03-acme-check-in", "2026-02-03 · check-in call with acme"),
    ]
    assert edits(found)[0] == ((3, 6), (3, 8), "acme")


def edits(found) -> list[tuple[tuple[int, int], tuple[int, int], str]]:
    """Each item's edit: the part typed it replaces (from, to) and its new text."""
    return [
        (
            (item.text_edit.range.start.line, item.text_edit.range.start.character),
            (item.text_edit.range.end.line, item.text_edit.range.end.character),
            item.text_edit.new_text,
        )
        for item in found.items
    ]


def test_a_calls_quotes_after_its_slug_and_a_caret(editor):
    found = completion(editor, "casestudies/new.md", "---\n---\n[[2026-01-12-acme-discovery#^", 2, 29)

    assert labels(found) == [
        ("failed-audit", "We failed the audit twice. — Maya Chen"),
        ("month-end", "Month end took ten days. — Raj"),
    ]
    assert edits(found)[0] == ((2, 29), (2, 29), "failed-audit")


def test_front_matter_keys_of_the_records_type_and_enum_values(editor):
    keys = completion(editor, "casestudies/new.md", "---\ncustomer: acme\n\n---\n", 2, 0)
    status = completion(editor, "casestudies/new.md", "---\nstatus: \n---\n", 1, 8)
    kind = completion(editor, "content/interviews/new.md", "---\nkind: \n---\n", 1, 6)
    stage = completion(editor, "content/customers/new.md", "---\nstage: \n---\n", 1, 7)

    assert [item.label for item in keys.items] == ["person", "status", "interviews", "tags"]
    assert edits(keys)[0] == ((2, 0), (2, 0), "person: ")
    assert [item.label for item in status.items] == ["draft", "meh", "churned", "hell-yes"]
    assert [item.label for item in kind.items] == [
        "discovery",
        "sales",
        "demo",
        "onboarding",
        "check-in",
        "renewal",
        "other",
    ]
    assert [item.label for item in stage.items] == ["lead", "qualified", "customer", "churned"]


def test_customer_slugs_after_customer(editor):
    found = completion(editor, "casestudies/new.md", "---\ncustomer: \n---\n", 1, 10)

    assert labels(found) == [("acme", "Acme Corp"), ("zenith", "Zenith Labs")]
    typed = completion(editor, "casestudies/new.md", "---\ncustomer: zen\n---\n", 1, 13)
    assert edits(typed) == [((1, 10), (1, 13), "zenith")]


def test_the_five_question_headings_after_two_hashes(editor):
    found = completion(editor, "casestudies/new.md", "---\n---\n## ", 2, 3)

    assert [item.label for item in found.items] == [
        "Why did they have to change?",
        "What did success look like?",
        "What options did they consider?",
        "How did we fit into their world?",
        "Why are they renewing?",
    ]
    assert found.items[0].text_edit.new_text == "## Why did they have to change?"


def test_hover_on_a_customer_link_says_whether_it_is_a_hell_yes_customer(editor):
    editor.open(STORY)

    found = editor.run(editor.client.text_document_hover_async(types.HoverParams(**editor.at(STORY, 1, 12))))

    assert found.contents.value == (
        "**Acme Corp** · customer `acme`  \nstage: customer  \nwon on 2025-11-02  \n"
        "a hell-yes customer as of 2026-03-18"
    )
    assert (found.range.start.character, found.range.end.character) == (10, 14)


def test_hover_on_a_zenith_customer_says_why_not(editor):
    editor.open("casestudies/zenith-story.md")

    found = editor.run(
        editor.client.text_document_hover_async(types.HoverParams(**editor.at("casestudies/zenith-story.md", 1, 11)))
    )

    assert found.contents.value.endswith("not a hell-yes customer as of 2026-03-18: no story with status hell-yes")


def test_hover_on_a_quote_shows_its_text_and_speaker(editor):
    editor.open(STORY)

    found = editor.run(editor.client.text_document_hover_async(types.HoverParams(**editor.at(STORY, 7, 30))))

    assert found.contents.value == (
        "> We failed the audit twice.  \n— Maya Chen  \n\nquote ^failed-audit of `2026-01-12-acme-discovery`"
    )


def test_hover_on_a_call_link_gives_its_date_kind_and_people(editor):
    text = "---\ncustomer: acme\n---\nSee [[2026-02-03-acme-check-in]].\n"
    editor.open("casestudies/new.md", text)

    found = editor.run(
        editor.client.text_document_hover_async(types.HoverParams(**editor.at("casestudies/new.md", 3, 10)))
    )

    assert found.contents.value == "**2026-02-03 · check-in call** with `acme`  \npeople: Maya Chen, Raj Patel"
    assert (found.range.start.line, found.range.start.character, found.range.end.character) == (3, 6, 30)


def test_definition_of_an_interviews_item_lands_on_the_call(editor):
    text = "---\ncustomer: acme\ninterviews:\n  - 2026-01-12-acme-discovery\n  - 2026-02-03-acme-check-in\n---\n"
    editor.open("casestudies/new.md", text)

    found = editor.run(
        editor.client.text_document_definition_async(types.DefinitionParams(**editor.at("casestudies/new.md", 4, 8)))
    )

    assert found.uri == editor.uri("content/interviews/2026-02-03-acme-check-in.md")
    assert (found.range.start.line, found.range.start.character) == (0, 0)


def test_definition_lands_on_the_file_and_on_the_quote(editor):
    editor.open(STORY)

    customer = editor.run(
        editor.client.text_document_definition_async(types.DefinitionParams(**editor.at(STORY, 1, 11)))
    )
    quote = editor.run(editor.client.text_document_definition_async(types.DefinitionParams(**editor.at(STORY, 7, 30))))

    assert customer.uri == editor.uri("content/customers/acme.md")
    assert customer.range.start.line == 0
    assert quote.uri == editor.uri(CALL)
    assert quote.range.start.line == 7


def test_references_are_the_backlinks(editor):
    editor.open("content/customers/acme.md")

    found = editor.run(
        editor.client.text_document_references_async(
            types.ReferenceParams(
                **editor.at("content/customers/acme.md", 4, 0),
                context=types.ReferenceContext(include_declaration=False),
            )
        )
    )

    shown = sorted(
        (loc.uri.rsplit("/", 1)[-1], loc.range.start.line, loc.range.start.character, loc.range.end.character)
        for loc in found
    )
    assert shown == [
        ("2026-01-12-acme-discovery.md", 1, 10, 14),
        ("2026-02-03-acme-check-in.md", 1, 10, 14),
        ("acme-story.md", 1, 10, 14),
        ("acme-story.md", 10, 19, 27),
    ]


def test_document_symbols_are_the_sections_with_the_questions_they_answer(editor):
    editor.open(STORY)

    found = editor.run(
        editor.client.text_document_document_symbol_async(
            types.DocumentSymbolParams(types.TextDocumentIdentifier(editor.uri(STORY)))
        )
    )

    assert [(s.name, s.detail, s.range.start.line, s.range.end.line) for s in found][:2] == [
        ("Why did they have to change?", "answers: Why did they have to change?", 6, 8),
        ("What did success look like?", "answers: What did success look like?", 9, 11),
    ]
    assert len(found) == 5
