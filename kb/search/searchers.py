"""The searchers of one index object: opened once and reused query after query, never refreshed in place.

Whoosh's `Searcher.refresh()` hands back a searcher that reuses the old one's segment readers and
closes the ones it does not keep, so the old searcher, still in use by another query, breaks
(`ReaderClosed`, or wrong answers), and it fails on an index with no segments. Here a commit makes a
new searcher (`index.searcher()`), and an old one is closed only once no query uses it.

A searcher reads its files by seek-then-read, so two threads never use one at the same time: each
query borrows a searcher of the index's latest commit from the pool and gives it back, and the pool
keeps the idle ones for the next queries. An index object may instead be pinned to the commit it
reads now (`pin`: a web request, which answers from one version of the index throughout).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from whoosh import index
from whoosh.searching import Searcher

# Idle searchers kept per index object: as many as threads that searched it at once, within reason.
MAX_IDLE = 8
_ATTACH = threading.Lock()  # makes the pool of an index object only once
# The attribute of an index object that holds its pool (the name kb has always kept its searcher under).
ATTRIBUTE = "_kb_searcher"


class SearcherPool:
    """The searchers of one index object: of its latest commit, or of the commit it is pinned to."""

    def __init__(self, ix: index.Index):
        self.ix = ix
        self._lock = threading.Lock()
        self._generation: int | None = None  # the commit the idle searchers read
        self._idle: list[Searcher] = []
        self._pinned: Searcher | None = None
        self._pinned_use = threading.Lock()  # one query at a time on the pinned searcher
        self._closed = False

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """A searcher for one query, this caller's alone until the block ends."""
        pinned = self._pinned
        if pinned is not None:
            with self._pinned_use:
                yield pinned
            return
        lent, generation = self._borrow()
        try:
            yield lent
        finally:
            with self._lock:
                keep = not self._closed and generation == self._generation and len(self._idle) < MAX_IDLE
                if keep:
                    self._idle.append(lent)
            if not keep:
                lent.close()

    def _borrow(self) -> tuple[Searcher, int | None]:
        latest = self.ix.latest_generation()
        with self._lock:
            stale: list[Searcher] = []
            if latest != self._generation:
                stale, self._idle, self._generation = self._idle, [], latest
            lent = self._idle.pop() if self._idle else None
        for old in stale:  # idle, so no query uses it
            old.close()
        if lent is None:
            lent = self.ix.searcher()  # Whoosh opens the TOC again when a commit removes a file meanwhile
        generation = lent.reader().generation()
        return lent, latest if generation is None else generation  # an index with no segments has none

    def pin(self) -> Searcher:
        """Answer every later query from the commit the index reads now, however many commits come."""
        with self._lock:
            if self._pinned is None:
                self._pinned = self.ix.searcher()
            return self._pinned

    def close(self) -> None:
        """Close the searchers; one lent to a query is closed when the query gives it back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            pinned, self._pinned = self._pinned, None
        for searcher in idle:
            searcher.close()
        if pinned is not None:
            with self._pinned_use:  # a query on another thread finishes first
                pinned.close()


def searchers(ix: index.Index) -> SearcherPool:
    """The pool of searchers kept on this index object (made at the first call)."""
    pool = getattr(ix, ATTRIBUTE, None)
    if pool is None:
        with _ATTACH:
            pool = getattr(ix, ATTRIBUTE, None)
            if pool is None:
                pool = SearcherPool(ix)
                setattr(ix, ATTRIBUTE, pool)
    return pool


def close_searchers(ix: index.Index) -> None:
    """Close what `searchers(ix)` opened (kb's own index objects do so when they are closed)."""
    pool = getattr(ix, ATTRIBUTE, None)
    if pool is not None:
        pool.close()
