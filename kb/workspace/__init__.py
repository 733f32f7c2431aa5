"""Keep `.kb/` in step with the files: `Workspace` is the entry point to all derived state.

A refresh is a pure plan of what to read (kb.workspace.plan), then steps that apply it to the search
index and the database (kb.workspace.sync), and says what it did (kb.workspace.changes). State kb cannot
trust is rebuilt with a notice (a rebuild that did not finish, an index that fails to read); while another
process holds `.kb/`, or `.kb/` cannot be written, the answer comes from the state as last committed, and
says so; with no usable state to answer from, a clear error.

The store's and the index's modules are imported inside the methods that use them: the freshness check
every command pays loads neither, and `kb search` never loads SQLAlchemy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from kb.config import Kb
from kb.errors import IndexBusy
from kb.records.files import ScanResult, rescan, scan
from kb.snapshot import (
    DATABASE_FILE,
    Snapshot,
    StateReadOnly,
    building,
    cannot_write,
    check_state_folder,
    done_building,
    forget_snapshot,
    index_lock,
    mark_building,
    read_snapshot,
    snapshot_kept,
    state_stamp,
    unchanged,
    why_no_snapshot,
    write_snapshot,
)
from kb.workspace.changes import Changes
from kb.workspace.plan import plan_refresh
from kb.workspace.sync import Progress, Sync, still_unreadable, stored_fingerprints

if TYPE_CHECKING:
    from kb.search.codec import KbIndex

T = TypeVar("T")


class Workspace:
    """The derived state of one KB: its database engine and Whoosh index, opened lazily."""

    def __init__(self, kb: Kb):
        self.kb = kb
        self.settings = kb.settings()
        self._engine = None
        self.read_only = False  # .kb/ cannot be written: the database is opened read-only
        # Held while the database or the index is replaced (a rebuild, an engine let go of or made), and
        # by a reader (a server's request) only while it opens its connection or its index: a reader
        # then never waits for a normal refresh, which writes in place, only for a rebuild. Re-entrant:
        # a rebuild makes the new engine and its session under it.
        self._replacing = threading.RLock()
        # The scan of the files as the last refresh that ended well saw it, and the snapshot this process
        # last wrote with how .kb/ looked then: a refresh told which files changed since (a file watcher
        # saw them) looks at those alone, and reads the snapshot again only if another process wrote .kb/
        # (and then scans every file once more).
        self._scanned: ScanResult | None = None
        self._written: tuple[list, Snapshot] | None = None

    @property
    def engine(self):
        """The database engine, made at the first use."""
        engine = self._engine
        if engine is not None:
            return engine
        with self._replacing:  # two threads asking at once make one engine, never one left undisposed
            return self._make_engine()

    def _make_engine(self):
        if self._engine is None:
            from kb.store.engine import database_url, make_engine

            url = database_url(self.kb, self.settings)
            if self.read_only and not self.settings.database_url:
                # Immutable: SQLite then makes no write-ahead log beside a database it may not write.
                url = f"sqlite:///file:{self.kb.state_dir / DATABASE_FILE}?mode=ro&immutable=1&uri=true"
            self._engine = make_engine(url)
        return self._engine

    def index(self):
        """The Whoosh index of `.kb/`, opened anew to be read: a failure to read it is IndexUnreadable."""
        from kb.search.index import open_index
        from kb.search.query import index_failures

        with index_failures():
            return open_index(self.kb.state_dir)

    def session(self):
        """A new database session."""
        from sqlmodel import Session

        return Session(self.engine)

    @contextmanager
    def steady(self) -> Iterator[None]:
        """While the block runs, nothing replaces the database or the index (no rebuild, no new engine); a
        refresh that writes them in place may go on. For a reader of another thread to open its state in."""
        with self._replacing:
            yield

    def reading_session(self):
        """A new database session with its connection open, to read while other threads refresh: SQLite
        (in WAL mode) lets it read the last committed state while a refresh writes, and a rebuild that
        replaces the database afterwards leaves it reading the database it opened."""
        with self._replacing:
            session = self.session()
            session.connection()
        return session

    def close(self, fold_log: bool = False) -> None:
        """Let go of the database engine and its connections; with `fold_log`, fold SQLite's write-ahead
        log into the database first, so that the database file stays as it is now."""
        with self._replacing:
            engine, self._engine = self._engine, None
        if engine is not None:
            if fold_log:
                _fold_log(engine)
            engine.dispose()

    def refresh(
        self,
        rebuild: bool = False,
        progress: Progress | None = None,
        need_store: bool = True,
        changed: Iterable[str] | None = None,
        merge: bool = True,
        absorb: tuple[int, int] | None = None,
    ) -> Changes:
        """Bring `.kb/` up to date with the files; rebuild it from nothing when asked or when broken.

        `need_store=False` (search) brings only the index up to date: the database follows when a
        command that reads it comes, so an edit is searchable without loading the database's libraries.
        `changed` (a file watcher's) names every file that may have changed since this workspace's last
        refresh: when the last refresh ended well, only those are looked at, not every file of the KB.
        Without `merge`, the commit leaves the index's segments unmerged unless they are crowded (a server
        merges them when no refresh is asked for: `merge_index`). With `absorb` (segments, records) and
        `changed`: past that many segments, up to that many records of the smallest segments are indexed
        again, which empties those segments.
        """
        scanned, self._scanned = self._scanned, None  # kept again only by a refresh that ends well
        check_state_folder(self.kb)
        why = cannot_write(self.kb)
        if why is not None:
            return self._read_only(why, rebuild)
        self._writable()
        with index_lock(self.kb) as locked:
            if not locked:
                return self._stale()
            if rebuild or building(self.kb):
                return self._rebuild(None if rebuild else "an earlier rebuild did not finish", progress)
            snapshot, ours = self._snapshot()
            if snapshot is None:
                return self._rebuild(self._broken() or why_no_snapshot(self.kb), progress)
            # The freshness check every command pays: nothing is opened (nor its libraries
            # imported) when the snapshot vouches for .kb/ and no file changed.
            looked = None
            again: list[str] = []
            # Only what this workspace committed, all in step, is known well enough to look at some files alone.
            if (
                changed is not None
                and scanned is not None
                and ours
                and snapshot.store_in_step
                and not snapshot.unreadable
            ):
                if absorb:
                    from kb.search.index import crowding_records

                    again = crowding_records(self.kb.state_dir, *absorb)
                if again:
                    changed = {*changed, *(str(self.kb.root / shown) for shown in again)}
                looked = rescan(self.kb, scanned, changed)
            on_disk, only = looked or (scan(self.kb), None)
            blocked = still_unreadable(snapshot.unreadable, on_disk)
            if (
                blocked is not None
                and not again
                and unchanged(
                    snapshot.files,
                    on_disk if not blocked else {path: file for path, file in on_disk.items() if path not in blocked},
                    only,
                )
                # The scan's problems are in no snapshot: while there are any, the database is written again.
                and ((snapshot.store_in_step and not on_disk.problems) or not need_store)
            ):
                self._scanned = on_disk
                if not ours and only is None:  # checked against every file: as good as written by this workspace
                    self._written = (state_stamp(self.kb), snapshot)  # the lock held: no other process wrote since
                return Changes(total=len(on_disk), unreadable=blocked)
            return self._sync(on_disk, snapshot, progress, need_store, only=only, merge=merge, again=frozenset(again))

    def merge_index(self) -> bool:
        """Merge the index's small segments now, as a server does when no refresh is asked for (its refreshes
        leave them unmerged); whether it did. Nothing is done while another process holds `.kb/` or wrote it
        since this workspace last did."""
        if self.read_only:
            return False
        with index_lock(self.kb, wait=0) as locked:
            if not locked:
                return False
            snapshot, ours = self._snapshot()
            if snapshot is None or not ours:
                return False
            from kb.search.index import merge_segments, open_index

            ix = open_index(self.kb.state_dir)
            try:
                if not merge_segments(ix):
                    return False
            finally:
                ix.close()
            self._write_snapshot(snapshot)  # the same files, in the index's new files
            return True

    def recover(self, damage: Exception) -> Changes:
        """The index failed to read although the snapshot vouched for it: rebuild `.kb/` now, saying why."""
        check_state_folder(self.kb)
        why = cannot_write(self.kb)
        if why is not None:
            raise StateReadOnly(f"{damage}, and kb cannot rebuild it: cannot write .kb/ ({why})") from damage
        self._scanned = None
        with index_lock(self.kb) as locked:
            if not locked:
                raise IndexBusy(f"{damage}, and another kb process holds .kb/; try again in a moment") from damage
            self._written = None
            forget_snapshot(self.kb)
            return self._rebuild(str(damage), progress=None)

    def with_index(self, use: Callable[[KbIndex], T], rebuilt: Callable[[Changes], None]) -> T:
        """`use(index)`; when the index fails to read, rebuild `.kb/` (telling `rebuilt`) and use it again."""
        from kb.search.query import IndexUnreadable

        try:
            return use(self.index())
        except IndexUnreadable as exc:
            rebuilt(self.recover(exc))
        try:
            return use(self.index())
        except IndexUnreadable as exc:
            # An index just rebuilt from the files is not damaged: this failure is kb's own, to report.
            raise (exc.__cause__ or exc) from None

    def _snapshot(self) -> tuple[Snapshot | None, bool]:
        """The snapshot as this workspace last wrote (or checked) it while .kb/ looks as it left it, else as
        on file; and whether it is this workspace's."""
        written = self._written
        if written is not None and written[0] == state_stamp(self.kb):
            return written[1], True
        self._written = None
        return read_snapshot(self.kb), False

    def _write_snapshot(self, snapshot: Snapshot) -> None:
        self._written = None
        self._written = (write_snapshot(self.kb, snapshot), snapshot)

    def _stale(self) -> Changes:
        """Another process holds the lock: answer from the last committed state, if there is one."""
        if self._last_state_problem() is not None:
            raise IndexBusy("another kb process is building the index and it is not ready yet; try again in a moment")
        return Changes(total=len(scan(self.kb)), stale=True)

    def _read_only(self, why: str, rebuild: bool) -> Changes:
        """`.kb/` cannot be written: answer from the state as last built, if it is complete and readable."""
        if rebuild:
            raise StateReadOnly(f"cannot write .kb/ ({why}): nothing was rebuilt; make .kb/ writable, then try again")
        if not self.read_only:
            with self._replacing:
                self.close()  # the engine opens the database read-only from now on
                self.read_only = True
        problem = self._last_state_problem()
        if problem is not None:
            raise StateReadOnly(
                f"cannot write .kb/ ({why}) and {problem}, so kb has nothing to answer from: "
                "make .kb/ writable (or remove it for kb to make it again), then run kb index"
            )
        return Changes(total=len(scan(self.kb)), read_only=why)

    def _writable(self) -> None:
        if self.read_only:
            with self._replacing:
                self.close()  # .kb/ became writable again: the engine opens the database for writing
                self.read_only = False

    def _last_state_problem(self) -> str | None:
        """Why the state as last committed cannot answer (none committed, a rebuild half done, damage), or None."""
        if not self.kb.state_dir.is_dir():
            return ".kb/ does not exist"
        if building(self.kb):
            return "its last rebuild did not finish"
        if not snapshot_kept(self.kb):
            return "it holds no complete index"
        return self._broken()

    def _rebuild(self, reason: str | None, progress: Progress | None) -> Changes:
        # Readers of other threads wait until it is done: a database or an index half made answers wrong.
        with self._replacing:
            mark_building(self.kb)
            self._wipe()
            changes = self._sync(scan(self.kb), Snapshot({}, True), progress, need_store=True, fresh=True)
            done_building(self.kb)
        changes.rebuilt = reason
        return changes

    def _broken(self) -> str | None:
        """Why the derived state cannot be used as it is, or None when it can."""
        from kb.search.index import INDEX_DIR, open_index
        from kb.store.engine import StaleStore, check_schema

        if not (self.kb.state_dir / INDEX_DIR).is_dir():
            # The lock has made .kb/ by now: without a database in it either, all of .kb/ was missing.
            has_database = (self.kb.state_dir / DATABASE_FILE).exists()
            return "the search index was missing" if has_database else ".kb/ was missing"
        try:
            check_schema(self.engine)
        except StaleStore as exc:
            return str(exc)
        try:
            ix = open_index(self.kb.state_dir)
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
        import shutil

        from kb.search.index import INDEX_DIR, open_index
        from kb.store.engine import create_schema

        self.close()
        self._written = None
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
        only: list[str] | None = None,
        merge: bool = True,
        again: frozenset[str] = frozenset(),
    ) -> Changes:
        """Parse what changed since the index (and, with `need_store`, the database) last saw it (of the
        files `only` names, when it does), write the index and commit it, then the database."""
        session = self.session() if need_store else None
        try:
            stored = None if session is None else {} if fresh else stored_fingerprints(session, only)
            todo = plan_refresh(on_disk, snapshot.files, stored, only, again)
            sync = Sync(self.kb, todo, session, stored or {}, fresh, merge=merge)
            sync.write_index(progress)
            # The index is committed: say so before the database is touched, so that a kb killed
            # from here on redoes only the database's part. The database is still in step when no
            # content changed (a file only touched, or hashed again after a racy mtime).
            in_step = snapshot.store_in_step and not sync.content_changed
            unreadable = list(sync.unreadable)
            self._write_snapshot(Snapshot(sync.files, store_in_step=in_step, unreadable=unreadable))
            if session is not None:
                sync.write_store(on_disk.problems)
                session.close()
                self.close(fold_log=True)  # the database file as the snapshot stats it, whoever reads it
                in_step = not on_disk.problems  # the next refresh then writes the scan's problems again
                self._write_snapshot(Snapshot(sync.files, store_in_step=in_step, unreadable=unreadable))
        finally:
            if session is not None:
                session.close()
        self._scanned = on_disk
        return sync.report(total=len(on_disk))


def _fold_log(engine) -> None:
    """Copy SQLite's write-ahead log into the database and empty it, waiting for the readers under way."""
    # Closing the last connection would do it, but other threads' sessions may keep theirs open: the
    # last of them to close would then write the log into the database after its size and times were
    # taken, and the next refresh would find .kb/ changed behind kb's back (and rebuild it).
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except SQLAlchemyError:  # the database cannot be written now: the next refresh finds out, as before
        pass
