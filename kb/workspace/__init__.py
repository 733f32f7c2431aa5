"""Keep `.kb/` in step with the files: `Workspace` is the entry point to all derived state.

A refresh is a pure plan of what to read (kb.workspace.plan), then steps that apply it to the search
index and the database (kb.workspace.sync), and says what it did (kb.workspace.changes).
"""

from __future__ import annotations

import shutil

from kb.config import Kb
from kb.errors import IndexBusy
from kb.records.files import ScanResult, scan
from kb.snapshot import Snapshot, forget_snapshot, index_lock, read_snapshot, unchanged, write_snapshot
from kb.workspace.changes import Changes
from kb.workspace.plan import plan_refresh
from kb.workspace.sync import Progress, Sync, stored_fingerprints


class Workspace:
    """The derived state of one KB: its database engine and Whoosh index, opened lazily."""

    def __init__(self, kb: Kb):
        self.kb = kb
        self.settings = kb.settings()
        self._engine = None

    @property
    def engine(self):
        """The database engine, made at the first use."""
        if self._engine is None:
            from kb.store.engine import database_url, make_engine

            self._engine = make_engine(database_url(self.kb, self.settings))
        return self._engine

    def index(self):
        """The Whoosh index of `.kb/`, opened anew."""
        from kb.search.index import open_index

        return open_index(self.kb.state_dir)

    def session(self):
        """A new database session."""
        from sqlmodel import Session

        return Session(self.engine)

    def close(self) -> None:
        """Let go of the database engine and its connections."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def refresh(self, rebuild: bool = False, progress: Progress | None = None, need_store: bool = True) -> Changes:
        """Bring `.kb/` up to date with the files; rebuild it from nothing when asked or when broken.

        `need_store=False` (search) brings only the index up to date: the database follows when a
        command that reads it comes, so an edit is searchable without loading the database's libraries.
        """
        with index_lock(self.kb) as locked:
            if not locked:
                return self._stale()
            snapshot = None if rebuild else read_snapshot(self.kb)
            if snapshot is None:
                reason = None if rebuild else self._broken() or "an earlier indexing did not finish"
                return self._rebuild(reason, progress)
            # The freshness check every command pays: nothing is opened (nor its libraries
            # imported) when the snapshot vouches for .kb/ and no file changed.
            on_disk = scan(self.kb)
            # The scan's problems are in no snapshot: while there are any, the database is written again.
            if unchanged(snapshot.files, on_disk) and (
                (snapshot.store_in_step and not on_disk.problems) or not need_store
            ):
                return Changes(total=len(on_disk))
            return self._sync(on_disk, snapshot, progress, need_store)

    def _stale(self) -> Changes:
        """Another process holds the lock: answer from the last committed state, if there is one."""
        if not self._readable():
            raise IndexBusy("another kb process is building the index and it is not ready yet; try again in a moment")
        return Changes(total=len(scan(self.kb)), stale=True)

    def _rebuild(self, reason: str | None, progress: Progress | None) -> Changes:
        self._wipe()
        changes = self._sync(scan(self.kb), Snapshot({}, True), progress, need_store=True, fresh=True)
        changes.rebuilt = reason
        return changes

    def _readable(self) -> bool:
        return self._broken() is None

    def _broken(self) -> str | None:
        """Why the derived state cannot be used as it is, or None when it can."""
        from kb.search.index import INDEX_DIR
        from kb.store.engine import DATABASE_FILE, StaleStore, check_schema

        if not (self.kb.state_dir / INDEX_DIR).is_dir():
            # The lock has made .kb/ by now: without a database in it either, all of .kb/ was missing.
            has_database = (self.kb.state_dir / DATABASE_FILE).exists()
            return "the search index was missing" if has_database else ".kb/ was missing"
        try:
            check_schema(self.engine)
        except StaleStore as exc:
            return str(exc)
        try:
            ix = self.index()
            try:
                # Opening a searcher reads every segment: a truncated file shows up here, not mid-search.
                with ix.searcher() as searcher:
                    searcher.doc_count()
            finally:
                ix.close()
        except Exception as exc:  # a damaged index fails in many ways (struct, varint, pickle): rebuild it
            return f"the search index cannot be read ({type(exc).__name__})"
        return None

    def _wipe(self) -> None:
        """Remove the database and the index, and make both again, empty."""
        from kb.search.index import INDEX_DIR, open_index
        from kb.store.engine import DATABASE_FILE, create_schema

        self.close()
        forget_snapshot(self.kb)
        # SQLite keeps its write-ahead log and the log's index beside the database, named after it.
        for name in (INDEX_DIR, DATABASE_FILE, f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm"):
            target = self.kb.state_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
        open_index(self.kb.state_dir, create=True).close()
        create_schema(self.engine)

    def _sync(
        self,
        on_disk: ScanResult,
        snapshot: Snapshot,
        progress: Progress | None,
        need_store: bool,
        fresh: bool = False,
    ) -> Changes:
        """Parse what changed since the index (and, with `need_store`, the database) last saw it,
        write the index and commit it, then the database."""
        session = self.session() if need_store else None
        try:
            stored = None if session is None else {} if fresh else stored_fingerprints(session)
            sync = Sync(self.kb, plan_refresh(on_disk, snapshot.files, stored), session, stored or {}, fresh)
            sync.write_index(progress)
            # The index is committed: say so before the database is touched, so that a kb killed
            # from here on redoes only the database's part. The database is still in step when no
            # content changed (a file only touched, or hashed again after a racy mtime).
            in_step = snapshot.store_in_step and not sync.content_changed
            write_snapshot(self.kb, Snapshot(sync.files, store_in_step=in_step))
            if session is not None:
                sync.write_store(on_disk.problems)
                session.close()
                self.close()  # lets SQLite fold its write-ahead log into the database before it is stat'ed
                in_step = not on_disk.problems  # the next refresh then writes the scan's problems again
                write_snapshot(self.kb, Snapshot(sync.files, store_in_step=in_step))
        finally:
            if session is not None:
                session.close()
        return sync.report(total=len(on_disk))
