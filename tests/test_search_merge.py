"""Incremental commits merge segments of like size, ten at a time: never the large ones of a rebuild for an edit."""

from __future__ import annotations

from kb.config import Kb
from kb.search import index as search_index
from kb.search.query import Filters, search
from kb.workspace import Workspace
from tests.helpers import KbFolder


def segments(root) -> list[tuple[str, int]]:
    ix = search_index.open_index(root / ".kb")
    try:
        return [(segment.segment_id(), segment.doc_count()) for segment in ix._segments()]
    finally:
        ix.close()


def test_edits_merge_segments_of_like_size_and_every_record_stays_found(tmp_path, monkeypatch):
    # Tiers of four instead of ten, so that a few edits fill one: the rule, not the sizes.
    monkeypatch.setattr(search_index, "SEGMENTS_PER_TIER", 4)
    kb = KbFolder(tmp_path)
    kb.customer("acme")
    for n in range(40):
        kb.interview(f"call-{n}", "acme", "2026-01-05", body=f"Call number {n} about the audit.")
    workspace = Workspace(Kb(tmp_path))
    workspace.refresh()
    large = {segment for segment, count in segments(tmp_path) if count >= 20}
    assert large, "the first build writes a large segment"
    for edit in range(15):
        kb.interview(f"call-{edit % 3}", "acme", "2026-01-05", body=f"Edited {edit}: the word zebra{edit}q.")
        kb.interview(f"new-{edit}", "acme", "2026-01-06", body=f"A new call, word yak{edit}q.")
        workspace.refresh()
        now = segments(tmp_path)
        assert large <= {segment for segment, _count in now}, "a large segment was rewritten for an edit"
        assert len(now) <= 1 + 2 * 4, now  # the large one, and a few of each smaller size
        assert all(count > 0 for _segment, count in now), "a segment with nothing live is kept"
    ix = search_index.open_index(tmp_path / ".kb")
    try:
        assert search(ix, "audit", Filters(), limit=100).total == 37  # 40, less the 3 edited calls
        for edit in range(15):
            assert search(ix, f"yak{edit}q", Filters(), limit=5).total == 1
        assert search(ix, "zebra14q", Filters(), limit=5).total == 1
        assert search(ix, "zebra11q", Filters(), limit=5).total == 0  # call-2 was edited again since
    finally:
        ix.close()
    workspace.close()
