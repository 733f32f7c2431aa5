"""The searchers of one index object, opened once and reused query after query, never refreshed in place;
and the index object a server's threads share.

Whoosh's `Searcher.refresh()` hands back a searcher that reuses the old one's segment readers and
closes the ones it does not keep, so the old searcher, still in use by another query, breaks
(`ReaderClosed`, or wrong answers), and it fails on an index with no segments. Here a commit makes a
new searcher (`index.searcher()`), and an old one is closed only once no query uses it.

A searcher reads its files by seek-then-read, so two threads never use one at the same time: each
query borrows a searcher of the index's latest commit from the pool and gives it back, and the pool
keeps the idle ones for the next queries. An index object frozen to one commit (`KbIndex.freeze`) lends
searchers of that commit only.

`SharedIndex` is what a server holds: one index object, frozen to the latest commit, that every request
borrows for its whole length (so it answers from one version throughout); a commit makes the next
request open a new one, and the old one is closed once the last request using it gives it back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from whoosh import index
from whoosh.searching import Searcher

# Idle searchers kept per index object: as many as threads that searched it at once, within reason.
MAX_IDLE = 8
_ATTACH = threading.Lock()  # makes the pool of an index object only once
# The attribute of an index object that holds its pool (the name kb has always kept its searcher under).
ATTRIBUTE = "_kb_searcher"


class SearcherPool:
    """The searchers of one index object, of the latest commit it reads."""

    def __init__(self, ix: index.Index):
        self.ix = ix
        self._lock = threading.Lock()
        self._generation: int | None = None  # the commit the idle searchers read
        self._idle: list[Searcher] = []
        self._closed = False

    @contextmanager
    def searcher(self) -> Iterator[Searcher]:
        """A searcher for one query, this caller's alone until the block ends."""
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

    def close(self) -> None:
        """Close the searchers; one lent to a query is closed when the query gives it back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for searcher in idle:
            searcher.close()


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


class FrozenIndex(Protocol):
    """An index object held to one commit (kb.search.codec.KbIndex once frozen)."""

    def is_latest(self) -> bool: ...

    def close(self) -> None: ...


class SharedIndex:
    """The index object a server's threads share: one, of the latest commit, replaced (never refreshed
    in place) once a commit lands; an old one is closed when the last request using it gives it back."""

    def __init__(self, open_latest: Callable[[], FrozenIndex]):
        self._open_latest = open_latest  # opens the index, frozen to its latest commit
        self._lock = threading.Lock()  # guards the fields below; never held while opening
        self._opening = threading.Lock()  # one thread opens a new index object, the others wait for it
        self._current: FrozenIndex | None = None
        self._users: dict[int, int] = {}  # requests using each open index object, by id

    def acquire(self) -> FrozenIndex:
        """The index object of the latest commit, this caller's to use until `release`."""
        found = self._take_current()
        if found is not None:
            return found
        with self._opening:
            found = self._take_current()  # another thread opened it meanwhile
            if found is not None:
                return found
            fresh = self._open_latest()
            with self._lock:
                old, self._current = self._current, fresh
                self._users[id(fresh)] = 1
            if old is not None:
                self._close_if_unused(old)
            return fresh

    def _take_current(self) -> FrozenIndex | None:
        with self._lock:
            current = self._current
            if current is None or not current.is_latest():
                return None
            self._users[id(current)] += 1
            return current

    def release(self, ix: FrozenIndex) -> None:
        """Give back an index object `acquire` lent: an old one is closed when no one uses it any more."""
        with self._lock:
            self._users[id(ix)] -= 1
        self._close_if_unused(ix)

    def retire(self) -> None:
        """Open a new index object for the next request (after this process rebuilt the index, say)."""
        with self._lock:
            old, self._current = self._current, None
        if old is not None:
            self._close_if_unused(old)

    def _close_if_unused(self, ix: FrozenIndex) -> None:
        with self._lock:
            if ix is self._current or self._users.get(id(ix), 1) > 0:  # in use, or closed already
                return
            del self._users[id(ix)]
        ix.close()

    def close(self) -> None:
        """Close the current index object now (the server ends)."""
        self.retire()

    @property
    def open_count(self) -> int:
        """How many index objects are open: the current one, and old ones a request still uses."""
        with self._lock:
            return len(self._users)
