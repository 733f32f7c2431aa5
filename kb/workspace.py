"""Keep `.kb/` in step with the files: a pure plan of what to read, then steps that apply it to the search
index and the database."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.config import Kb
from kb.errors import IndexBusy, Problem
from kb.records.files import FileOnDisk, ScanResult, content_hash, scan
from kb.records.parse import Record, parse_bytes
from kb.snapshot import (
    Fingerprint,
    Snapshot,
    fingerprint,
    forget_snapshot,
    index_lock,
    read_snapshot,
    unchanged,
    write_snapshot,
)

if TYPE_CHECKING:
    from kb.search.index import IndexWriter

# Parsed records go to the database's open transaction this many at a time, so memory stays flat.
STORE_BATCH = 500

Progress = Callable[[int, int], None]


@dataclass
class Changes:
    """What one refresh did, in the words `kb index` prints."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    total: int = 0
    rebuilt: str | None = None  # why .kb/ was rebuilt from nothing, when it was
    stale: bool = False  # the lock stayed busy: answers come from the last committed state

    @property
    def any(self) -> bool:
        """Some file was added, changed, renamed or deleted."""
        return bool(self.added or self.changed or self.renamed or self.deleted)


@dataclass(frozen=True)
class Read:
    """A file whose bytes must be read and hashed, and which side may need its new content."""

    file: FileOnDisk
    for_index: bool  # its stat is not the one the index's fingerprint has
    for_store: bool  # its stat is not the one the database's fingerprint has


@dataclass
class RefreshPlan:
    """What a refresh must do, decided from stats and fingerprints alone (nothing read yet)."""

    reads: list[Read] = field(default_factory=list)
    # Database rows whose content the index vouches is unchanged: only their size and mtime move.
    touches: dict[str, Fingerprint] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)  # paths the index holds that are no longer on disk
    stored_gone: list[str] = field(default_factory=list)  # paths the database holds that are no longer on disk
    # The content hash of each gone file: a new file with that hash is the same file, renamed.
    renames: dict[str, str] = field(default_factory=dict)
    kept: dict[str, Fingerprint] = field(default_factory=dict)  # the index's fingerprints of files still on disk


def plan_refresh(
    on_disk: dict[str, FileOnDisk], indexed: dict[str, Fingerprint], stored: dict[str, Fingerprint] | None
) -> RefreshPlan:
    """Compare the files on disk with what the index holds and, unless `stored` is None (the database
    is not needed now), with what the database holds."""
    todo = RefreshPlan()
    for shown, file in on_disk.items():
        in_index = indexed.get(shown)
        in_store = None if stored is None else stored.get(shown)
        store_stale = stored is not None and (in_store is None or not in_store.same_stat(file))
        if in_index is None or not in_index.same_stat(file):
            todo.reads.append(Read(file, for_index=True, for_store=store_stale))
        elif not store_stale:
            continue
        elif in_store is not None and in_store.same_content(file.type, in_index.sha256):
            todo.touches[shown] = in_index
        else:
            todo.reads.append(Read(file, for_index=False, for_store=True))
    todo.gone = [path for path in indexed if path not in on_disk]
    todo.stored_gone = [path for path in stored or {} if path not in on_disk]
    todo.renames = {indexed[path].sha256: path for path in todo.gone}
    todo.kept = {path: known for path, known in indexed.items() if path in on_disk}
    return todo


@dataclass(frozen=True)
class Needs:
    """What a file read for a refresh needs, once its content hash is known."""

    index: bool  # its content goes to the index
    store: bool  # its content goes to the database
    touch: bool  # the database has its content: only its size and mtime move


def needs(read: Read, sha256: str, in_index: Fingerprint | None, in_store: Fingerprint | None) -> Needs:
    """Compare a read file's hash with what the index and the database hold of it."""
    file = read.file
    index = read.for_index and not (in_index is not None and in_index.same_content(file.type, sha256))
    store = read.for_store and not (in_store is not None and in_store.same_content(file.type, sha256))
    return Needs(index, store, touch=read.for_store and not store)


class _Sync:
    """One refresh applying a plan: read and hash the files it names, write the index and commit it,
    then write the database and commit it."""

    def __init__(self, workspace: Workspace, todo: RefreshPlan, session, stored: dict[str, Fingerprint], fresh: bool):
        self.workspace = workspace
        self.todo = todo
        self.session = session
        self.stored = stored
        self.fresh = fresh
        self.started = time.time_ns()
        self.changes = Changes()
        self.files = dict(todo.kept)  # the index's fingerprints once this refresh is committed
        self.touches = dict(todo.touches)
        self.renames = dict(todo.renames)
        self.writer: IndexWriter | None = None
        self.batch: list[Record] = []

    @property
    def content_changed(self) -> bool:
        """The index now holds other content than before (not only other stats)."""
        return bool(self.changes.added or self.changes.changed or self.changes.renamed or self.todo.gone)

    def write_index(self, progress: Progress | None) -> None:
        """Read what the plan names, put what changed into the index and commit it."""
        try:
            for number, read in enumerate(self.todo.reads, start=1):
                if progress:
                    progress(number, len(self.todo.reads))
                self._read(read)
            if self.todo.gone:
                writer = self._writer(expected=0, fresh=False)
                for path in self.todo.gone:
                    writer.delete(path)
            if self.writer is not None:
                self.writer.commit()
                self.writer = None
        finally:
            if self.writer is not None:
                self.writer.cancel()

    def _read(self, read: Read) -> None:
        """Hash one file; parse it for the side(s) whose content it no longer is."""
        file = read.file
        try:
            with open(file.path, "rb") as stream:
                data = stream.read()
        except OSError:
            return  # gone since the scan: the next refresh forgets it
        known = self.files[file.shown] = fingerprint(file, content_hash(data), self.started)
        in_index = self.todo.kept.get(file.shown)
        wanted = needs(read, known.sha256, in_index, self.stored.get(file.shown))
        if wanted.touch:
            self.touches[file.shown] = known
        if not (wanted.index or wanted.store):
            return
        record = parse_bytes(data, file.shown, file.type)
        record.mtime_ns = known.mtime_ns
        if wanted.index:
            self._put_index(record, in_index is not None)
        if wanted.store:
            self._put_store(record)

    def _writer(self, expected: int, fresh: bool) -> IndexWriter:
        if self.writer is None:
            from kb.search.index import IndexWriter

            self.writer = IndexWriter(self.workspace.index(), expected=expected, fresh=fresh)
        return self.writer

    def _put_index(self, record: Record, was_indexed: bool) -> None:
        """Write one record to the index and say whether it is new, changed or renamed."""
        self._writer(expected=len(self.todo.reads), fresh=self.fresh).put(record)
        if was_indexed:
            self.changes.changed.append(record.path)
        elif record.sha256 in self.renames:
            self.changes.renamed.append((self.renames.pop(record.sha256), record.path))
        else:
            self.changes.added.append(record.path)

    def _put_store(self, record: Record) -> None:
        from kb.store import engine as store

        self.batch.append(record)
        if len(self.batch) >= STORE_BATCH:
            store.write_records(self.session, self.batch, fresh=self.fresh)
            self.batch = []

    def write_store(self, scan_problems: list[Problem]) -> None:
        """Write the rest of the parsed records, forget the gone files, touch the stats, store the problems
        of the entries the scan left out, and commit."""
        from kb.store import engine as store

        store.write_records(self.session, self.batch, fresh=self.fresh)
        store.delete_paths(self.session, self.todo.stored_gone)
        for path, known in self.touches.items():
            store.touch(self.session, path, known.size, known.mtime_ns)
        store.replace_scan_problems(self.session, scan_problems)
        self.session.commit()

    def report(self, total: int) -> Changes:
        """The changes as `kb index` prints them: a rebuild calls every file new."""
        changes = self.changes
        changes.total = total
        moved = {old for old, _new in changes.renamed}
        changes.deleted = [path for path in self.todo.gone if path not in moved]
        if self.fresh:
            changes.added = sorted(changes.added + changes.changed)
            changes.changed = []
        return changes


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
            stored = None if session is None else {} if fresh else _stored_fingerprints(session)
            sync = _Sync(self, plan_refresh(on_disk, snapshot.files, stored), session, stored or {}, fresh)
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


def _stored_fingerprints(session) -> dict[str, Fingerprint]:
    """What the database holds of each file, as fingerprints."""
    from kb.store import engine as store

    return {
        path: Fingerprint(row.type, row.size, row.mtime_ns, row.sha256)
        for path, row in store.fingerprints(session).items()
    }
