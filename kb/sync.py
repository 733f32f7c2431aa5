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
from pathlib import Path

from .config import STATE_VERSION, TYPE_DIRS, Kb
from .errors import KbError
from .records import Record, content_hash, parse_bytes

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


@dataclass(frozen=True)
class FileOnDisk:
    path: Path
    shown: str
    type: str
    size: int
    mtime_ns: int


def scan(kb: Kb) -> dict[str, FileOnDisk]:
    """Every record file of the KB, by the path kb shows, with its size and mtime."""
    found: dict[str, FileOnDisk] = {}
    for record_type, folder in TYPE_DIRS.items():
        base = kb.root / folder
        for directory, subdirs, files in os.walk(base):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            for name in files:
                if not name.endswith(".md") or name.startswith((".", "#")):
                    continue
                path = Path(directory) / name
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                shown = kb.relative(path)
                found[shown] = FileOnDisk(path, shown, record_type, stat.st_size, stat.st_mtime_ns)
    return found


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


def _state_stamp(kb: Kb) -> list:
    """Size and mtime of every file of the database and the index: any damage to .kb/ changes them."""
    stamp = []
    for folder in (kb.state_dir, kb.state_dir / "index"):
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return []
        for entry in entries:
            if entry.is_file() and not entry.name.startswith(("lock", SNAPSHOT_FILE)) \
                    and not entry.name.endswith(".lock"):
                info = entry.stat()
                stamp.append([entry.name, info.st_size, info.st_mtime_ns])
    return stamp


def write_snapshot(kb: Kb, files: dict) -> None:
    """Remember what was indexed (the fingerprints, as the database has them) and how .kb/ looked."""
    from .records import atomic_write
    data = {"schema": STATE_VERSION, "state": _state_stamp(kb),
            "files": {path: [row.type, row.size, row.mtime_ns] for path, row in files.items()}}
    atomic_write(kb.state_dir / SNAPSHOT_FILE, json.dumps(data, separators=(",", ":")))


def forget_snapshot(kb: Kb) -> None:
    try:
        (kb.state_dir / SNAPSHOT_FILE).unlink()
    except FileNotFoundError:
        pass


def read_snapshot(kb: Kb) -> dict | None:
    """The snapshot, when it is from this schema version and .kb/ is as it was left; else None."""
    try:
        data = json.loads((kb.state_dir / SNAPSHOT_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != STATE_VERSION or data.get("state") != _state_stamp(kb):
        return None
    return data.get("files")


def unchanged(snapshot: dict, on_disk: dict[str, FileOnDisk]) -> bool:
    """True when every file has the type, size and mtime it was indexed with, and none came or went."""
    if len(snapshot) != len(on_disk):
        return False
    for shown, file in on_disk.items():
        known = snapshot.get(shown)
        if known is None or known[0] != file.type or known[1] != file.size or known[2] != file.mtime_ns:
            return False
    return True


class Workspace:
    """The derived state of one KB: its database engine and Whoosh index, opened lazily."""

    def __init__(self, kb: Kb):
        self.kb = kb
        self.settings = kb.settings()
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            from .store import database_url, make_engine

            self._engine = make_engine(database_url(self.kb, self.settings))
        return self._engine

    def index(self):
        from .index import open_index

        return open_index(self.kb.state_dir)

    def session(self):
        from sqlmodel import Session

        return Session(self.engine)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def refresh(self, rebuild: bool = False, progress: Callable[[int, int], None] | None = None) -> Changes:
        """Bring `.kb/` up to date with the files; rebuild it from nothing when asked or when broken."""
        with index_lock(self.kb) as locked:
            if not locked:
                if not self._readable():
                    raise KbError("another kb process is building the index and it is not ready yet; "
                                  "try again in a moment")
                return Changes(total=len(scan(self.kb)), stale=True)
            if not rebuild:
                # The freshness check every command pays: no database or index is opened (nor their
                # libraries imported) when the snapshot vouches for .kb/ and no file changed.
                snapshot = read_snapshot(self.kb)
                if snapshot is not None:
                    on_disk = scan(self.kb)
                    if unchanged(snapshot, on_disk):
                        return Changes(total=len(on_disk))
            reason = "asked with --rebuild" if rebuild else self._broken()
            if reason:
                self._wipe()
            changes = self._sync(progress, fresh=bool(reason))
            changes.rebuilt = reason if not rebuild else None
            return changes

    def _readable(self) -> bool:
        return self._broken() is None

    def _broken(self) -> str | None:
        """Why the derived state cannot be used as it is, or None when it can."""
        from .store import DATABASE_FILE, StaleStore, check_schema

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
        from .store import create_schema

        self.close()
        forget_snapshot(self.kb)
        for name in ("index", "kb.sqlite3", "kb.sqlite3-wal", "kb.sqlite3-shm"):
            target = self.kb.state_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
        from .index import open_index

        open_index(self.kb.state_dir, create=True).close()
        create_schema(self.engine)

    def _sync(self, progress, fresh: bool) -> Changes:
        from . import store
        from .index import IndexWriter

        started = time.time_ns()
        on_disk = scan(self.kb)
        changes = Changes(total=len(on_disk))
        with self.session() as session:
            known = store.fingerprints(session)
            candidates = [file for shown, file in on_disk.items()
                          if (old := known.get(shown)) is None or (old.size, old.mtime_ns, old.type)
                          != (file.size, file.mtime_ns, file.type)]
            gone = [path for path in known if path not in on_disk]
            by_hash = {known[path].sha256: path for path in gone}
            writer = IndexWriter(self.index(), expected=len(candidates), fresh=fresh) if candidates or gone \
                else None
            batch: list[Record] = []
            try:
                for path in gone:
                    writer.delete(path)
                for number, file in enumerate(candidates, start=1):
                    if progress:
                        progress(number, len(candidates))
                    try:
                        data = file.path.read_bytes()
                    except OSError:
                        continue  # gone since the scan: the next refresh forgets it
                    old = known.get(file.shown)
                    digest = content_hash(data)
                    if old is not None and old.sha256 == digest and old.type == file.type:
                        store.touch(session, file.shown, file.size, _settled(file.mtime_ns, started))
                        continue
                    record = parse_bytes(data, file.shown, file.type)
                    record.mtime_ns = _settled(file.mtime_ns, started)
                    writer.put(record)
                    batch.append(record)
                    if old is not None:
                        changes.changed.append(file.shown)
                    elif digest in by_hash:
                        changes.renamed.append((by_hash.pop(digest), file.shown))
                    else:
                        changes.added.append(file.shown)
                    if len(batch) >= 500:  # rows go to the open transaction; memory stays flat
                        store.write_records(session, batch, fresh=fresh)
                        batch = []
                store.write_records(session, batch, fresh=fresh)
                store.delete_paths(session, gone)
                # Index first, then the database: if kb dies between the two, the fingerprints
                # still say "changed" and the next run redoes the work.
                if writer is not None:
                    writer.commit()
                    writer = None
            finally:
                if writer is not None:
                    writer.cancel()
            session.commit()
            files = store.fingerprints(session)
        self.close()  # lets SQLite fold its write-ahead log into the database before it is stat'ed
        write_snapshot(self.kb, files)
        moved = {old for old, _new in changes.renamed}
        changes.deleted = [path for path in gone if path not in moved]
        if fresh:
            changes.added = sorted(changes.added + changes.changed)
            changes.changed = []
        return changes
