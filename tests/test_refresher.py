"""The refresher process of `kb serve`: refreshes run there (a real process, a real index and database), a
request's before the watcher's, its commits keep the index in few segments without a long merge, and when
it is gone the server refreshes in its own process."""

from __future__ import annotations

import threading

import pytest

from kb.config import Kb
from kb.search import index as search_index
from kb.search.query import Filters, search
from kb.web import create_app
from kb.workspace import Workspace
from kb.workspace.plan import plan_refresh
from kb.workspace.refresher import Refresher, RefresherGone
from tests.helpers import KbFolder
from tests.web.helpers import hits, wait_for


def live_segments(root) -> list[int]:
    ix = search_index.open_index(root / ".kb")
    try:
        return sorted(segment.doc_count() for segment in ix._segments() if segment.doc_count() > 0)
    finally:
        ix.close()


def found(root, words: str) -> int:
    ix = search_index.open_index(root / ".kb")
    try:
        return search(ix, words, Filters(), limit=200).total
    finally:
        ix.close()


@pytest.fixture
def small_kb(tmp_path) -> KbFolder:
    kb = KbFolder(tmp_path)
    kb.customer("acme", name="Acme")
    for n in range(30):
        kb.interview(f"call-{n}", "acme", "2026-01-05", body=f"Call number {n} about the audit.")
    Workspace(Kb(tmp_path)).refresh()
    return kb


def test_the_refresher_takes_an_edit_and_says_what_changed(small_kb):
    refresher = Refresher(str(small_kb.root))
    try:
        path = small_kb.interview("call-3", "acme", "2026-01-05", body="Now about the pangolin.")
        changes = refresher.refresh([str(path)])
        assert changes.changed == ["content/interviews/call-3.md"]
        assert found(small_kb.root, "pangolin") == 1
        new = small_kb.interview("call-new", "acme", "2026-01-06", body="A tapir call.")
        assert refresher.refresh([str(new)]).added == ["content/interviews/call-new.md"]
        new.unlink()
        assert refresher.refresh(None).deleted == ["content/interviews/call-new.md"]  # None: a scan of every file
        assert found(small_kb.root, "tapir") == 0
    finally:
        refresher.close()
    assert not refresher.process.is_alive()


def test_requests_made_together_are_all_answered_with_every_file_taken_in(small_kb):
    refresher = Refresher(str(small_kb.root))
    try:
        paths = [small_kb.interview(f"call-{n}", "acme", "2026-01-05", body=f"Word ocelot{n}q.") for n in range(8)]
        answers: dict[int, object] = {}

        def ask(n: int) -> None:
            answers[n] = refresher.refresh([str(paths[n])], urgent=n % 2 == 0)

        threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(answers) == list(range(8))
        for n in range(8):
            assert found(small_kb.root, f"ocelot{n}q") == 1, n
    finally:
        refresher.close()


def test_a_refresher_that_ended_says_so_and_the_server_refreshes_itself(small_kb):
    app = create_app(small_kb.root, {"KB_WATCH": True, "KB_REFRESHER": True})
    state = app.extensions["kb"]
    try:
        assert wait_for(lambda: state.watched, timeout=10)
        refresher = state.refresher
        assert refresher is not None and refresher.alive
        small_kb.interview("call-1", "acme", "2026-01-05", body="The axolotl call.")
        assert wait_for(lambda: hits(app, "axolotl") == ["content/interviews/call-1.md"], timeout=5)
        refresher.process.kill()
        assert wait_for(lambda: not refresher.alive, timeout=5)
        with pytest.raises(RefresherGone):
            refresher.refresh(None)
        small_kb.interview("call-2", "acme", "2026-01-05", body="The narwhal call.")
        assert wait_for(lambda: hits(app, "narwhal") == ["content/interviews/call-2.md"], timeout=5)
    finally:
        app.extensions["kb_watcher"].stop()
        state.workspace.close()
    assert state.refresher is None


def test_quick_commits_leave_segments_and_absorbing_empties_the_smallest_with_every_record_found(small_kb, monkeypatch):
    monkeypatch.setattr(search_index, "SEGMENTS_PER_TIER", 4)  # tiers of four: the rule, not the sizes
    workspace = Workspace(Kb(small_kb.root))
    workspace.refresh()
    for n in range(10):
        path = small_kb.interview(f"call-{n}", "acme", "2026-01-05", body=f"Edited: the word quokka{n}q.")
        workspace.refresh(changed=[str(path)], merge=False)
    crowded = live_segments(small_kb.root)
    assert len(crowded) == 11, crowded  # the first build's and one a commit: none merged
    # Past 4 segments, up to 3 records of the smallest are indexed again: their segments empty and go.
    workspace.refresh(changed=(), merge=False, absorb=(4, 3))
    assert len(live_segments(small_kb.root)) == len(crowded) - 3 + 1
    workspace.refresh(changed=(), merge=False, absorb=(100, 3))  # not crowded past 100: nothing is done
    assert len(live_segments(small_kb.root)) == len(crowded) - 2
    assert found(small_kb.root, "audit") == 20
    assert all(found(small_kb.root, f"quokka{n}q") == 1 for n in range(10))
    # What the next refresh finds to do: nothing (the snapshot vouches for what absorbing wrote).
    assert not workspace.refresh().any
    assert workspace.merge_index()  # four of like size at least: merged into one
    assert len(live_segments(small_kb.root)) < len(crowded) - 2
    assert not workspace.refresh().any and not workspace.refresh().rebuilt
    assert all(found(small_kb.root, f"quokka{n}q") == 1 for n in range(10))
    assert not workspace.merge_index()  # nothing left to merge
    workspace.close()


def test_a_plan_indexes_again_the_files_it_is_told_to_whatever_their_fingerprints(small_kb):
    from kb.records.files import scan
    from kb.snapshot import Fingerprint

    on_disk = scan(Kb(small_kb.root))
    # The index holds every file as it is on disk: nothing to read, unless told to index one again.
    indexed = {shown: Fingerprint(file.type, file.size, file.mtime_ns, "hash") for shown, file in on_disk.items()}
    call = "content/interviews/call-1.md"
    assert plan_refresh(on_disk, indexed, None, only=[call]).reads == []
    again = plan_refresh(on_disk, indexed, None, only=[call], again=frozenset({call}))
    assert [(read.file.shown, read.for_index, read.again) for read in again.reads] == [(call, True, True)]
