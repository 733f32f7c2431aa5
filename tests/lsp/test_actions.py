"""Code actions over the protocol: fix an enum value, add the missing headings, make a missing customer."""

from __future__ import annotations

from lsprotocol import types

NEW = "casestudies/new-story.md"


def code_actions(editor, relative: str, text: str, line: int):
    editor.open(relative, text)
    asked = types.Range(types.Position(line, 0), types.Position(line, 0))
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(editor.uri(relative)),
        range=asked,
        context=types.CodeActionContext(diagnostics=[]),
    )
    return editor.run(editor.client.text_document_code_action_async(params))


def test_an_enum_value_is_fixed_to_its_did_you_mean(editor):
    found = code_actions(editor, NEW, "---\ncustomer: acme\nperson: Jo\nstatus: hellyes\n---\n", 3)

    fix = found[0]
    assert fix.title == "Change status to 'hell-yes'"
    (edit,) = fix.edit.changes[editor.uri(NEW)]
    assert (edit.range.start.line, edit.range.start.character, edit.range.end.character, edit.new_text) == (
        3,
        8,
        15,
        "hell-yes",
    )


def test_the_missing_question_headings_are_inserted(editor):
    text = "---\ncustomer: acme\nperson: Jo\nstatus: draft\n---\n## Why did they have to change?\nAudit.\n"
    found = code_actions(editor, NEW, text, 0)

    (add,) = [a for a in found if a.title.startswith("Add")]
    assert add.title == "Add the 4 missing question headings"
    (edit,) = add.edit.changes[editor.uri(NEW)]
    assert (edit.range.start.line, edit.range.start.character) == (7, 0)
    assert edit.new_text.startswith("\n## What did success look like?\n\n<!-- What did success look like to them?")
    assert edit.new_text.count("\n## ") == 4


def test_a_missing_customer_file_is_made_from_the_skeleton(own_editor):
    root = own_editor.root
    text = "---\ncustomer: globex\nperson: Jo\nstatus: draft\n---\n"
    (root / NEW).write_text(text, encoding="utf-8")
    found = code_actions(own_editor, NEW, text, 1)

    assert found, own_editor.messages
    (create,) = [a for a in found if a.command]
    assert create.title == "Create content/customers/globex.md"
    # pygls' client reads a code action holding only a command back as a Command, its command as text.
    assert "'command': 'kb.createCustomer', 'arguments': ['globex']" in str(create.command)
    command, arguments = "kb.createCustomer", ["globex"]
    own_editor.run(
        own_editor.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command, arguments=arguments)
        )
    )

    assert (root / "content/customers/globex.md").read_text(encoding="utf-8").startswith("---\nname: ")
    assert "kb: made content/customers/globex.md" in own_editor.messages
