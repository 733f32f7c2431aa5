"""A searcher reads the version of the index it was opened on: a commit that comes meanwhile (the file
watcher's, while a page is being read) neither fails the query nor mixes two versions into it."""

from __future__ import annotations

from kb.config import Kb
from kb.search.query import search, searcher_for
from kb.workspace import Workspace


def test_a_commit_between_opening_and_searching_fails_nothing(kb_root):
    kb_root.customer("acme", name="Acme")
    workspace = Workspace(Kb(kb_root.root))
    for day in (1, 2, 3):  # a segment per refresh: the index reads them through one reader per segment
        kb_root.interview(f"2026-01-0{day}-acme-call", "acme", f"2026-01-0{day}", body="The audit.")
        workspace.refresh()
    ix = workspace.index()
    try:
        searcher_for(ix)
        kb_root.interview("2026-02-01-acme-call", "acme", "2026-02-01", body="Another audit.")
        workspace.refresh()
        assert len(search(ix, "audit").hits) == 3  # the version opened, whole
    finally:
        ix._kb_searcher.close()
        ix.close()
        workspace.close()
    fresh = workspace.index()
    try:
        assert len(search(fresh, "audit").hits) == 4
    finally:
        fresh._kb_searcher.close()
        fresh.close()
        workspace.close()
