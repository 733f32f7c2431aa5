"""Renaming a slug over the protocol: the file renamed, every link rewritten, `kb check` clean after."""

from __future__ import annotations

import subprocess
import sys

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

STORY = "casestudies/acme-story.md"


def rename(editor, relative: str, line: int, character: int, new_name: str):
    params = types.RenameParams(**editor.at(relative, line, character), new_name=new_name)
    return editor.run(editor.client.text_document_rename_async(params))


def test_renaming_a_customer_renames_its_file_and_rewrites_every_link(own_editor):
    root = own_editor.root
    own_editor.open(STORY)

    rename(own_editor, STORY, 1, 11, "acme-corp")

    assert not (root / "content/customers/acme.md").exists()
    assert (root / "content/customers/acme-corp.md").read_text(encoding="utf-8").startswith("---\nname: Acme Corp")
    story = (root / STORY).read_text(encoding="utf-8")
    assert "customer: acme-corp\n" in story
    assert "A clean audit with [[acme-corp]]." in story
    assert "[[2026-01-12-acme-discovery#^failed-audit]]" in story
    call = (root / "content/interviews/2026-01-12-acme-discovery.md").read_text(encoding="utf-8")
    assert call.startswith("---\ncustomer: acme-corp\n")
    assert own_editor.messages[-1] == (
        "kb: renamed content/customers/acme.md to content/customers/acme-corp.md; rewrote 4 links in 3 files"
        "\n  casestudies/acme-story.md: 2\n  content/interviews/2026-01-12-acme-discovery.md: 1"
        "\n  content/interviews/2026-02-03-acme-check-in.md: 1"
    )
    check = subprocess.run(
        [sys.executable, "-m", "kb", "--root", str(root), "check"], capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout == ""


def test_a_rename_with_unsaved_changes_in_a_linking_file_is_refused(own_editor):
    root = own_editor.root
    own_editor.open(STORY, (root / STORY).read_text(encoding="utf-8") + "\nMore.\n")

    with pytest.raises(JsonRpcException) as refused:
        rename(own_editor, STORY, 1, 11, "acme-corp")

    assert "casestudies/acme-story.md has unsaved changes in the editor" in str(refused.value)
    assert (root / "content/customers/acme.md").exists()


def test_renaming_a_call_from_its_own_file_rewrites_citations_and_interviews_lists(own_editor):
    root = own_editor.root
    story = root / STORY
    story.write_text(
        story.read_text(encoding="utf-8").replace(
            "tags: []\n", "tags: []\ninterviews:\n  - 2026-01-12-acme-discovery\n  - 2026-02-03-acme-check-in\n"
        ),
        encoding="utf-8",
    )
    own_editor.save(STORY)  # the store learns of the new list before the rename reads its links
    call = "content/interviews/2026-01-12-acme-discovery.md"
    own_editor.open(call)

    rename(own_editor, call, 0, 0, "2026-01-12-acme-kickoff")

    assert not (root / call).exists()
    assert (root / "content/interviews/2026-01-12-acme-kickoff.md").exists()
    text = story.read_text(encoding="utf-8")
    assert "interviews:\n  - 2026-01-12-acme-kickoff\n  - 2026-02-03-acme-check-in\n" in text
    assert "They failed the audit [[2026-01-12-acme-kickoff#^failed-audit]]." in text
    check = subprocess.run(
        [sys.executable, "-m", "kb", "--root", str(root), "check"], capture_output=True, text=True, timeout=120
    )
    assert (check.returncode, check.stdout) == (0, "")
