"""Incremental commits merge only the small segments edits leave behind, never the large ones of a rebuild."""

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


def test_edits_merge_small_segments_only_and_every_record_stays_found(tmp_path, monkeypatch):
    # Thresholds scaled down so that a KB of 40 records has a "large" segment: the rule, not the sizes.
    monkeypatch.setattr(search_index, "SMALL_SEGMENT_DOCS", 20)
    monkeypatch.setattr(search_index, "SMALL_SEGMENTS_MAX", 4)
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
        small = [segment for segment, count in now if count < 20]
        assert len(small) <= 4, now
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
