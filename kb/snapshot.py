"""What `.kb/` holds as of its last write: each file's fingerprint in `.kb/snapshot.json`, the racy-clean
rule for the mtimes it remembers, and the lock that lets one process at a time write `.kb/`.

Reading the snapshot is the freshness check every command pays, so this module loads neither the
database's libraries nor Whoosh.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

from kb.config import STATE_VERSION, Kb
from kb.records.files import FileOnDisk, atomic_write

SNAPSHOT_FILE = "snapshot.json"
LOCK_FILE = "lock"
LOCK_WAIT_SECONDS = 5.0
# The database file and the index folder of .kb/, as kb.store.engine.DATABASE_FILE and
# kb.search.index.INDEX_DIR name them (tests/test_workspace_plan.py holds them equal). They are named
# here because importing those modules loads SQLAlchemy or Whoosh, which the check before every command
# must not.
DATABASE_FILE = "kb.sqlite3"
INDEX_DIR = "index"
# A file changed less than this long before it was read may still change within the same mtime tick.
RACY_NS = 2_000_000_000


class Fingerprint(NamedTuple):
    """What kb remembers of one file: its type, size, mtime (0 when racy) and content hash."""

    type: str
    size: int
    mtime_ns: int
    sha256: str

    def same_stat(self, file: FileOnDisk) -> bool:
        """The file has the type, size and mtime this fingerprint was taken with."""
        return self.type == file.type and self.size == file.size and self.mtime_ns == file.mtime_ns

    def same_content(self, record_type: str, sha256: str) -> bool:
        """A file of `record_type` whose bytes hash to `sha256` is the version this fingerprint describes."""
        return self.type == record_type and self.sha256 == sha256


def settled_mtime(mtime_ns: int, now_ns: int) -> int:
    """The mtime to remember, or 0 when the file changed so recently that a same-size edit could
    still come within the same timestamp tick (git's "racy clean"): 0 makes the next check hash it."""
    return mtime_ns if now_ns - mtime_ns > RACY_NS else 0


def fingerprint(file: FileOnDisk, sha256: str, now_ns: int) -> Fingerprint:
    """The fingerprint of a file read at `now_ns` whose bytes hash to `sha256`."""
    return Fingerprint(file.type, file.size, settled_mtime(file.mtime_ns, now_ns), sha256)


def unchanged(files: dict[str, Fingerprint], on_disk: dict[str, FileOnDisk]) -> bool:
    """True when every file has the type, size and mtime it was indexed with, and none came or went."""
    if len(files) != len(on_disk):
        return False
    for shown, file in on_disk.items():
        known = files.get(shown)
        if known is None or not known.same_stat(file):
            return False
    return True


@dataclass
class Snapshot:
    """What the search index holds (each file's fingerprint), and whether the database is in step
    with the index."""

    files: dict[str, Fingerprint]
    store_in_step: bool


def _stat_entry(name: str, info: os.stat_result) -> list:
    return [name, info.st_size, info.st_mtime_ns]


def _state_stamp(kb: Kb) -> list:
    """Size and mtime of the database file and of every index file: any damage to .kb/ changes them."""
    stamp = []
    try:
        stamp.append(_stat_entry(DATABASE_FILE, os.stat(kb.state_dir / DATABASE_FILE)))
    except OSError:
        pass
    try:
        entries = sorted(os.scandir(kb.state_dir / INDEX_DIR), key=lambda e: e.name)
    except OSError:
        return stamp
    for entry in entries:
        # Whoosh's lock files come and go with every writer: they say nothing of the index's content.
        if entry.is_file() and "LOCK" not in entry.name.upper():
            stamp.append(_stat_entry(entry.name, entry.stat()))
    return stamp


def write_snapshot(kb: Kb, snapshot: Snapshot) -> None:
    """Remember the snapshot together with how .kb/ looks now."""
    data = {
        "version": STATE_VERSION,
        "state": _state_stamp(kb),
        "store_in_step": snapshot.store_in_step,
        "files": {path: list(known) for path, known in snapshot.files.items()},
    }
    atomic_write(kb.state_dir / SNAPSHOT_FILE, json.dumps(data, separators=(",", ":")))


def forget_snapshot(kb: Kb) -> None:
    """Remove the snapshot, so that nothing vouches for .kb/ until the next write."""
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
    if not isinstance(files, dict):
        return None
    try:
        fingerprints = {path: Fingerprint(*known) for path, known in files.items()}
    except TypeError:  # an entry that is not a list of four: the snapshot vouches for nothing
        return None
    return Snapshot(fingerprints, bool(data.get("store_in_step")))


@contextmanager
def index_lock(kb: Kb, wait: float = LOCK_WAIT_SECONDS) -> Iterator[bool]:
    """Hold `.kb/lock` while writing; yields False when another process kept it for `wait` seconds."""
    kb.state_dir.mkdir(parents=True, exist_ok=True)
    handle = open(kb.state_dir / LOCK_FILE, "a+")
    try:
        if not _acquire(handle, time.monotonic() + wait):
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _acquire(handle, deadline: float) -> bool:
    """Take the lock on `handle`, trying until `deadline`; False when another process kept it."""
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
