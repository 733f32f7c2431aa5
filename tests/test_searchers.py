"""Searching an index object while the files change: one index object answers every query, from the
index's latest commit, whatever commits meanwhile and however many threads search it; an index with no
records answers no hits."""

from __future__ import annotations

import threading

import pytest

from kb.config import find_kb
from kb.search.query import search
from kb.workspace import Workspace


@pytest.fixture
def workspace(kb_root):
    """A KB of one customer and one call about an audit, indexed; its Workspace."""
    kb_root.customer("acme", stage="customer", won_on="2026-01-10")
    kb_root.interview("2026-03-02-acme-discovery", "acme", "2026-03-02", body="They failed the audit twice.")
    current = Workspace(find_kb(kb_root.root))
    current.refresh(need_store=False)
    yield current
    current.close()


def paths(ix, text: str) -> set[str]:
    return {hit.path for hit in search(ix, text, limit=None).hits}


def test_a_search_after_a_commit_answers_from_the_new_commit(workspace, kb_root):
    ix = workspace.index()
    try:
        assert paths(ix, "audit") == {"content/interviews/2026-03-02-acme-discovery.md"}
        call = kb_root.root / "content/interviews/2026-03-02-acme-discovery.md"
        call.write_text(call.read_text() + "The controller asked for a treasurer.\n")
        workspace.refresh(need_store=False)
        # The searcher of the first query belongs to the old commit: the next query must not use it,
        # nor one refreshed from it (its segment readers were closed with it).
        assert paths(ix, "treasurer") == {"content/interviews/2026-03-02-acme-discovery.md"}
        assert paths(ix, "audit") == {"content/interviews/2026-03-02-acme-discovery.md"}
    finally:
        ix.close()


def test_a_searcher_in_use_stays_open_while_a_commit_replaces_it(workspace, kb_root):
    from kb.search.searchers import searchers

    ix = workspace.index()
    try:
        pool = searchers(ix)
        with pool.searcher() as before:
            kb_root.interview("2026-03-09-acme-sales", "acme", "2026-03-09", body="Procurement wants a quote.")
            workspace.refresh(need_store=False)
            with pool.searcher() as after:
                assert after is not before
                assert after.doc_count() == 3
            assert before.doc_count() == 2  # still readable: the commit did not close it
            assert not before.is_closed
        assert before.is_closed  # closed once no one uses it
    finally:
        ix.close()
    assert after.is_closed


def test_many_threads_search_one_index_while_commits_land(workspace, kb_root):
    ix = workspace.index()
    failures: list[BaseException] = []
    done = threading.Event()

    def keep_searching() -> None:
        while not done.is_set():
            try:
                found = search(ix, "audit OR procurement", limit=5)
                assert found.total >= 1
            except BaseException as exc:  # noqa: BLE001 - any failure in a thread fails the test
                failures.append(exc)
                return

    threads = [threading.Thread(target=keep_searching) for _ in range(6)]
    for thread in threads:
        thread.start()
    try:
        for n in range(12):
            kb_root.interview(f"2026-03-{n + 10:02d}-acme-sales", "acme", f"2026-03-{n + 10:02d}", body="Procurement.")
            workspace.refresh(need_store=False)
    finally:
        done.set()
        for thread in threads:
            thread.join(30)
        ix.close()
    assert not failures, failures[0]
    again = workspace.index()
    try:
        assert len(paths(again, "procurement")) == 12
    finally:
        again.close()


# --- an index with no records ---------------------------------------------------------------------------


def test_a_new_empty_kb_answers_no_hits(kb_root):
    current = Workspace(find_kb(kb_root.root))
    current.refresh(need_store=False)
    ix = current.index()
    try:
        for _ in range(2):  # the second query reuses what the first opened
            result = search(ix, "a", facets=True)
            assert (result.total, result.hits, result.suggestion) == (0, [], None)
            assert all(counts == {} for counts in result.facets.values())
            assert search(ix, "audit customer:acme", sort="date").total == 0
            assert search(ix, "").total == 0
    finally:
        ix.close()
        current.close()


def test_a_kb_whose_every_file_was_deleted_answers_no_hits(workspace, kb_root):
    ix = workspace.index()
    try:
        assert paths(ix, "audit")
        for path in kb_root.root.glob("content/**/*.md"):
            path.unlink()
        workspace.refresh(need_store=False)
        result = search(ix, "audit", facets=True)
        assert (result.total, result.hits, result.suggestion) == (0, [], None)
        assert search(ix, "auditt").suggestion is None
    finally:
        ix.close()


def test_kb_search_on_an_empty_kb(kb_root, runner):
    result = runner(kb_root, "search", "a")
    assert result.exit_code == 0, result.output
    assert "no hits for 'a'" in result.stdout
