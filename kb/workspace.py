"""Bring `.kb/` up to date with the files: scan, fingerprint, parse what changed, store and index it."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from kb.config import STATE_VERSION, Kb
from kb.errors import IndexBusy
from kb.records.files import FileOnDisk, atomic_write, content_hash, scan
from kb.records.parse import Record, parse_bytes

LOCK_FILE = "lock"
LOCK_WAIT_SECONDS = 5.0


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
        return bool(self.added or self.changed or self.renamed or self.deleted)


@contextmanager
def index_lock(kb: Kb, wait: float = LOCK_WAIT_SECONDS) -> Iterator[bool]:
    """Hold `.kb/lock` while writing; yields False when another process kept it for `wait` seconds."""
    kb.state_dir.mkdir(parents=True, exist_ok=True)
    handle = open(kb.state_dir / LOCK_FILE, "a+")
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


RACY_NS = 2_000_000_000


def _settled(mtime_ns: int, now_ns: int) -> int:
    """The mtime to remember, or 0 when the file changed so recently that a same-size edit could
    still come within the same timestamp tick (git's "racy clean"): 0 makes the next check hash it."""
    return mtime_ns if now_ns - mtime_ns > RACY_NS else 0


SNAPSHOT_FILE = "snapshot.json"
STAMPED = ("kb.sqlite3",)  # with every file of index/: what a damaged .kb/ would change


@dataclass
class Snapshot:
    """What the search index holds (each file's type, size, mtime and hash), how .kb/ looked after
    the last write, and whether the database is in step with the index."""

    files: dict[str, list]
    store_in_step: bool


def _state_stamp(kb: Kb) -> list:
    """Size and mtime of the database file and of every index file: any damage to .kb/ changes them."""
    stamp = []
    for name in STAMPED:
        try:
            info = os.stat(kb.state_dir / name)
        except OSError:
            continue
        stamp.append([name, info.st_size, info.st_mtime_ns])
    try:
        entries = sorted(os.scandir(kb.state_dir / "index"), key=lambda e: e.name)
    except OSError:
        return stamp
    for entry in entries:
        if entry.is_file() and "LOCK" not in entry.name.upper():
            info = entry.stat()
            stamp.append([entry.name, info.st_size, info.st_mtime_ns])
    return stamp


def write_snapshot(kb: Kb, snapshot: Snapshot) -> None:
    data = {
        "version": STATE_VERSION,
        "state": _state_stamp(kb),
        "store_in_step": snapshot.store_in_step,
        "files": snapshot.files,
    }
    atomic_write(kb.state_dir / SNAPSHOT_FILE, json.dumps(data, separators=(",", ":")))


def forget_snapshot(kb: Kb) -> None:
    try:
        (kb.state_dir / SNAPSHOT_FILE).unlink()
    except FileNotFoundError:
        pass


def read_snapshot(kb: Kb) -> Snapshot | None:
    """The snapshot, when it is from this version of kb and .kb/ is as it was left; else None."""
    try:
        data = json.loads((kb.state_dir / SNAPSHOT_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION or data.get("state") != _state_stamp(kb):
        return None
    files = data.get("files")
    return Snapshot(files, bool(data.get("store_in_step"))) if isinstance(files, dict) else None


def _stat_differs(known: list | None, file: FileOnDisk) -> bool:
    return known is None or known[0] != file.type or known[1] != file.size or known[2] != file.mtime_ns


def unchanged(files: dict[str, list], on_disk: dict[str, FileOnDisk]) -> bool:
    """True when every file has the type, size and mtime it was indexed with, and none came or went."""
    return len(files) == len(on_disk) and not any(_stat_differs(files.get(s), f) for s, f in on_disk.items())


class Workspace:
    """The derived state of one KB: its database engine and Whoosh index, opened lazily."""

    def __init__(self, kb: Kb):
        self.kb = kb
        self.settings = kb.settings()
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            from kb.store.engine import database_url, make_engine

            self._engine = make_engine(database_url(self.kb, self.settings))
        return self._engine

    def index(self):
        from kb.search.index import open_index

        return open_index(self.kb.state_dir)

    def session(self):
        from sqlmodel import Session

        return Session(self.engine)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def refresh(
        self, rebuild: bool = False, progress: Callable[[int, int], None] | None = None, need_store: bool = True
    ) -> Changes:
        """Bring `.kb/` up to date with the files; rebuild it from nothing when asked or when broken.

        `need_store=False` (search) brings only the index up to date: the database follows when a
        command that reads it comes, so an edit is searchable without loading the database's libraries.
        """
        with index_lock(self.kb) as locked:
            if not locked:
                if not self._readable():
                    raise IndexBusy(
                        "another kb process is building the index and it is not ready yet; try again in a moment"
                    )
                return Changes(total=len(scan(self.kb)), stale=True)
            snapshot = None if rebuild else read_snapshot(self.kb)
            if snapshot is not None:
                # The freshness check every command pays: nothing is opened (nor its libraries
                # imported) when the snapshot vouches for .kb/ and no file changed.
                on_disk = scan(self.kb)
                if unchanged(snapshot.files, on_disk) and (snapshot.store_in_step or not need_store):
                    return Changes(total=len(on_disk))
                return self._sync(on_disk, snapshot, progress, need_store)
            if rebuild:
                reason = None
            else:
                reason = self._broken() or "an earlier indexing did not finish"
            self._wipe()
            changes = self._sync(scan(self.kb), Snapshot({}, True), progress, need_store=True, fresh=True)
            changes.rebuilt = reason
            return changes

    def _readable(self) -> bool:
        return self._broken() is None

    def _broken(self) -> str | None:
        """Why the derived state cannot be used as it is, or None when it can."""
        from kb.store.engine import DATABASE_FILE, StaleStore, check_schema

        if not (self.kb.state_dir / "index").is_dir():
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
        from kb.store.engine import create_schema

        self.close()
        forget_snapshot(self.kb)
        for name in ("index", "kb.sqlite3", "kb.sqlite3-wal", "kb.sqlite3-shm"):
            target = self.kb.state_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
        from kb.search.index import open_index

        open_index(self.kb.state_dir, create=True).close()
        create_schema(self.engine)

    def _sync(
        self, on_disk: dict[str, FileOnDisk], snapshot: Snapshot, progress, need_store: bool, fresh: bool = False
    ) -> Changes:
        """Parse what changed since the index (and, with `need_store`, the database) last saw it,
        write the index and commit it, then the database."""
        from kb.search.index import IndexWriter

        started = time.time_ns()
        changes = Changes(total=len(on_disk))
        indexed = snapshot.files
        session = self.session() if need_store else None
        try:
            if session is not None:
                from kb.store import engine as store

                stored = (
                    {}
                    if fresh
                    else {
                        path: [row.type, row.size, row.mtime_ns, row.sha256]
                        for path, row in store.fingerprints(session).items()
                    }
                )
            else:
                stored = None
            candidates = [
                file
                for shown, file in on_disk.items()
                if _stat_differs(indexed.get(shown), file)
                or (stored is not None and _stat_differs(stored.get(shown), file))
            ]
            gone = [path for path in indexed if path not in on_disk]
            by_hash = {indexed[path][3]: path for path in gone}
            writer = None
            new_files = {path: known for path, known in indexed.items() if path in on_disk}
            batch: list[Record] = []
            try:
                for number, file in enumerate(candidates, start=1):
                    if progress:
                        progress(number, len(candidates))
                    try:
                        with open(file.path, "rb") as stream:
                            data = stream.read()
                    except OSError:
                        continue  # gone since the scan: the next refresh forgets it
                    digest = content_hash(data)
                    settled = _settled(file.mtime_ns, started)
                    in_index, in_store = indexed.get(file.shown), stored.get(file.shown) if stored is not None else None
                    index_needs = not _same_content(in_index, file, digest)
                    store_needs = stored is not None and not _same_content(in_store, file, digest)
                    new_files[file.shown] = [file.type, file.size, settled, digest]
                    if stored is not None and not store_needs and _stat_differs(in_store, file):
                        store.touch(session, file.shown, file.size, settled)
                    if not (index_needs or store_needs):
                        continue
                    record = parse_bytes(data, file.shown, file.type)
                    record.mtime_ns = settled
                    if index_needs:
                        if writer is None:
                            writer = IndexWriter(self.index(), expected=len(candidates), fresh=fresh)
                        writer.put(record)
                        if in_index is not None:
                            changes.changed.append(file.shown)
                        elif digest in by_hash:
                            changes.renamed.append((by_hash.pop(digest), file.shown))
                        else:
                            changes.added.append(file.shown)
                    if store_needs:
                        batch.append(record)
                        if len(batch) >= 500:  # rows go to the open transaction; memory stays flat
                            store.write_records(session, batch, fresh=fresh)
                            batch = []
                if gone:
                    if writer is None:
                        writer = IndexWriter(self.index(), expected=0, fresh=False)
                    for path in gone:
                        writer.delete(path)
                if writer is not None:
                    writer.commit()
                    writer = None
            finally:
                if writer is not None:
                    writer.cancel()
            # The index is committed: say so before the database is touched, so that a kb killed
            # from here on redoes only the database's part. The database is still in step when no
            # content changed (a file only touched, or hashed again after a racy mtime).
            content_changed = bool(changes.added or changes.changed or changes.renamed or gone)
            write_snapshot(self.kb, Snapshot(new_files, store_in_step=snapshot.store_in_step and not content_changed))
            if session is not None:
                store.write_records(session, batch, fresh=fresh)
                store.delete_paths(session, [path for path in stored if path not in on_disk])
                session.commit()
                session.close()
                session = None
                self.close()  # lets SQLite fold its write-ahead log into the database before it is stat'ed
                write_snapshot(self.kb, Snapshot(new_files, store_in_step=True))
        finally:
            if session is not None:
                session.close()
        moved = {old for old, _new in changes.renamed}
        changes.deleted = [path for path in gone if path not in moved]
        if fresh:
            changes.added = sorted(changes.added + changes.changed)
            changes.changed = []
        return changes


def _same_content(known: list | None, file: FileOnDisk, digest: str) -> bool:
    return known is not None and known[0] == file.type and known[3] == digest
