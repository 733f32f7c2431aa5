"""A refresh told which files changed (`Workspace.refresh(changed=...)`, as `kb serve`'s file watcher
tells it) looks at those files alone, and leaves `.kb/` exactly as a refresh that scans every file would:
the index's and the database's fingerprints are those of the files on disk. A path it cannot judge
alone (a folder, a link, a file outside the record folders) makes it scan every file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kb.config import Kb
from kb.records.files import content_hash, scan
from kb.snapshot import read_snapshot
from kb.workspace import Workspace
from kb.workspace.sync import stored_fingerprints
from tests.helpers import copy_demo

STORY = "casestudies/orchard-controller.md"


@pytest.fixture
def kb(tmp_path) -> Kb:
    kb = Kb(copy_demo(tmp_path / "kb"))
    Workspace(kb).refresh()
    return kb


def in_step(kb: Kb) -> None:
    """`.kb/` holds every record file as it is on disk, in the index and in the database."""
    on_disk = {shown: content_hash(Path(file.path).read_bytes()) for shown, file in scan(kb).items()}
    snapshot = read_snapshot(kb)
    assert snapshot is not None and snapshot.store_in_step
    assert {shown: known.sha256 for shown, known in snapshot.files.items()} == on_disk
    workspace = Workspace(kb)
    with workspace.session() as session:
        assert {shown: known.sha256 for shown, known in stored_fingerprints(session).items()} == on_disk
    workspace.close()


def test_the_files_named_are_taken_in_as_a_whole_scan_would(kb):
    workspace = Workspace(kb)
    workspace.refresh()  # the scan a watcher's first refresh makes
    root = kb.root
    call = sorted((root / "content/interviews").rglob("*.md"))[0]
    shown_call = call.relative_to(root).as_posix()

    call.write_text(call.read_text() + "\nThe okapi note.\n")
    changes = workspace.refresh(changed=[str(call)])
    assert changes.changed == [shown_call]
    in_step(kb)

    new = root / "casestudies/new-story.md"
    new.write_text("---\ncustomer: orchard\nperson: Maya Chen, Controller\nstatus: draft\n---\n")
    changes = workspace.refresh(changed=[str(new), str(root / "casestudies/.new-story.md.swp")])
    assert changes.added == ["casestudies/new-story.md"]
    in_step(kb)

    os.rename(new, root / "casestudies/renamed-story.md")
    changes = workspace.refresh(changed=[str(new), str(root / "casestudies/renamed-story.md")])
    assert changes.renamed == [("casestudies/new-story.md", "casestudies/renamed-story.md")]
    in_step(kb)

    call.unlink()
    changes = workspace.refresh(changed=[str(call)])
    assert changes.deleted == [shown_call]
    in_step(kb)

    assert not workspace.refresh(changed=[str(root / STORY)]).any  # named, but as it was


def test_a_file_not_named_is_not_looked_at_until_a_scan(kb):
    workspace = Workspace(kb)
    workspace.refresh()
    story = kb.root / STORY
    story.write_text(story.read_text() + "\nUnnamed.\n")
    other = sorted((kb.root / "content/interviews").rglob("*.md"))[0]

    assert not workspace.refresh(changed=[str(other)]).any  # the story's edit was not named: not looked for
    assert workspace.refresh().changed == [STORY]  # a scan finds it
    in_step(kb)


def test_the_first_refresh_of_a_workspace_scans_every_file(kb):
    story = kb.root / STORY
    story.write_text(story.read_text() + "\nBefore the watch.\n")

    assert Workspace(kb).refresh(changed=[]).changed == [STORY]


@pytest.mark.parametrize("what", ["folder renamed", "link", "outside the record folders", "another process indexed"])
def test_what_one_path_cannot_tell_makes_it_scan_every_file(kb, what):
    workspace = Workspace(kb)
    workspace.refresh()
    root = kb.root
    month = sorted((root / "content/interviews").iterdir())[0]
    calls = sorted(month.rglob("*.md"))
    story = root / STORY
    if what == "folder renamed":
        moved = month.with_name(month.name + "-moved")
        os.rename(month, moved)
        changed = [str(month), str(moved)]
    elif what == "link":
        (root / "casestudies/linked.md").symlink_to(story)
        changed = [str(root / "casestudies/linked.md")]
    elif what == "outside the record folders":
        (root / "content/notes").mkdir()
        (root / "content/notes/idea.md").write_text("An idea.\n")
        changed = [str(root / "content/notes/idea.md")]
    else:
        story.write_text(story.read_text() + "\nIndexed elsewhere.\n")
        Workspace(kb).refresh()  # another kb process: its snapshot, not this workspace's, is on file
        changed = []
    story.write_text(story.read_text() + "\nAlso edited.\n")  # not named: seen only by a scan

    changes = workspace.refresh(changed=changed)

    assert STORY in changes.changed
    if what == "folder renamed":
        assert len(changes.renamed) == len(calls)
    in_step(kb)


def test_a_refresh_that_failed_leaves_the_next_one_to_scan(kb, monkeypatch):
    workspace = Workspace(kb)
    workspace.refresh()
    story = kb.root / STORY
    story.write_text(story.read_text() + "\nFirst edit.\n")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr("kb.workspace.Sync.write_index", broken)
        with pytest.raises(OSError):
            workspace.refresh(changed=[str(story)])

    assert workspace.refresh(changed=[]).changed == [STORY]
    in_step(kb)
