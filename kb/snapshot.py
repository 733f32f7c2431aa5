"""What `.kb/` holds as of its last write: each file's fingerprint in `.kb/snapshot.json`, the racy-clean
rule for the mtimes it remembers, the lock that lets one process at a time write `.kb/`, the marker of a
rebuild under way, and whether `.kb/` can be written at all.

Reading the snapshot is the freshness check every command pays, so this module loads neither the
database's libraries nor Whoosh.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import orjson

from kb.config import STATE_VERSION, Kb
from kb.errors import KbError
from kb.records.files import FileOnDisk, atomic_write

SNAPSHOT_FILE = "snapshot.json"
LOCK_FILE = "lock"
# Made before a rebuild wipes .kb/ and removed once the rebuilt database is committed: while it is there,
# .kb/ holds no complete state, whether its rebuild is under way or was stopped half way.
BUILDING_FILE = "rebuilding"
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


def unchanged(files: dict[str, Fingerprint], on_disk: dict[str, FileOnDisk], only: list[str] | None = None) -> bool:
    """True when every file (or, with `only`, each of these shown paths) has the type, size and mtime it
    was indexed with, and none came or went."""
    if only is not None:
        return all(_same(files.get(shown), on_disk.get(shown)) for shown in only)
    if len(files) != len(on_disk):
        return False
    known_of = files.get
    # Fingerprint.same_stat, written out: this loop runs over every file before every command.
    for shown, file in on_disk.items():
        known = known_of(shown)
        if known is None or known.mtime_ns != file.mtime_ns or known.size != file.size or known.type != file.type:
            return False
    return True


def _same(known: Fingerprint | None, file: FileOnDisk | None) -> bool:
    """Both none (a file gone that the index does not hold), or the file as it was indexed."""
    if known is None or file is None:
        return known is file
    return known.same_stat(file)


@dataclass
class Snapshot:
    """What the search index holds (each file's fingerprint), whether the database is in step with the
    index, and the record files kb could not read (left out of both until it can)."""

    files: dict[str, Fingerprint]
    store_in_step: bool
    unreadable: list[str] = field(default_factory=list)


class StateFolderError(KbError):
    """`.kb` is there but is not a folder kb can keep its index in."""

    http_status = 503


class StateReadOnly(KbError):
    """`.kb/` cannot be written, and what it holds cannot answer either."""

    http_status = 503


def _stat_entry(name: str, info: os.stat_result) -> list:
    # The ctime too: no program can set it back, so an edit that restores a file's size and mtime shows.
    return [name, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def state_stamp(kb: Kb) -> list:
    """Size, mtime and ctime of the database file and of every index file: any change to .kb/ changes them."""
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


def write_snapshot(kb: Kb, snapshot: Snapshot) -> list:
    """Remember the snapshot together with how .kb/ looks now; returns that look (`state_stamp`)."""
    stamp = state_stamp(kb)
    data = {
        "version": STATE_VERSION,
        "state": stamp,
        "store_in_step": snapshot.store_in_step,
        "files": snapshot.files,  # a Fingerprint is a tuple: JSON writes it as the list read_snapshot reads
        "unreadable": sorted(snapshot.unreadable),
    }
    # orjson: json's encoder took a third of a server's one-file refresh at 10,000 files (written twice).
    atomic_write(kb.state_dir / SNAPSHOT_FILE, orjson.dumps(data, default=tuple).decode())
    return stamp


def forget_snapshot(kb: Kb) -> None:
    """Remove the snapshot, so that nothing vouches for .kb/ until the next write."""
    try:
        (kb.state_dir / SNAPSHOT_FILE).unlink()
    except FileNotFoundError:
        pass


def read_snapshot(kb: Kb) -> Snapshot | None:
    """The snapshot, when it is from this version of kb and .kb/ is as it was left; else None."""
    try:
        data = orjson.loads((kb.state_dir / SNAPSHOT_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION or data.get("state") != state_stamp(kb):
        return None
    files = data.get("files")
    if not isinstance(files, dict):
        return None
    unreadable = data.get("unreadable", [])
    try:
        fingerprints = dict(zip(files, map(Fingerprint._make, files.values()), strict=True))
    except TypeError:  # an entry that is not a list of four: the snapshot vouches for nothing
        return None
    if not isinstance(unreadable, list):
        return None
    return Snapshot(fingerprints, bool(data.get("store_in_step")), [str(path) for path in unreadable])


def why_no_snapshot(kb: Kb) -> str:
    """Why `read_snapshot` vouches for nothing, in the words of the notice that .kb/ was rebuilt."""
    try:
        data = orjson.loads((kb.state_dir / SNAPSHOT_FILE).read_bytes())
    except (OSError, ValueError):
        return "an earlier indexing did not finish"
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION or not _stamp_shaped(data.get("state")):
        return "it was made by another version of kb"
    return "its files changed since kb last wrote them"


def _stamp_shaped(state: object) -> bool:
    """The state stamp has this version's entries (name, size, mtime, ctime); an older kb's had no ctime."""
    return isinstance(state, list) and all(isinstance(entry, list) and len(entry) == 4 for entry in state)


def snapshot_kept(kb: Kb) -> bool:
    """A snapshot of this version of kb is on file: some complete state was committed, whatever changed since."""
    try:
        data = orjson.loads((kb.state_dir / SNAPSHOT_FILE).read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("version") == STATE_VERSION


def mark_building(kb: Kb) -> None:
    """Say that .kb/ is being rebuilt from nothing: it holds no complete state until `done_building`."""
    (kb.state_dir / BUILDING_FILE).touch()


def done_building(kb: Kb) -> None:
    """The rebuild is committed: .kb/ holds a complete state again."""
    try:
        (kb.state_dir / BUILDING_FILE).unlink()
    except FileNotFoundError:
        pass


def building(kb: Kb) -> bool:
    """A rebuild of .kb/ began and was not committed (it is under way, or it was stopped half way)."""
    return (kb.state_dir / BUILDING_FILE).exists()


def check_state_folder(kb: Kb) -> None:
    """Raise StateFolderError when `.kb` is there but is no folder (a file, a link to nothing)."""
    folder = kb.state_dir
    if folder.is_dir() or not os.path.lexists(folder):
        return
    if folder.is_symlink() and not folder.exists():
        raise StateFolderError(
            f"`.kb` is a link to {os.readlink(folder)}, which does not exist: make that folder or remove the "
            "link; kb keeps its index there"
        )
    raise StateFolderError("`.kb` is a file, not a folder: move it away; kb keeps its index there")


def cannot_write(kb: Kb) -> str | None:
    """Why `.kb/` (or the KB's folder, to make it) cannot be written, or None when it can."""
    folder = kb.state_dir
    if not folder.exists():
        try:
            folder.mkdir(parents=True)
        except FileExistsError:
            pass
        except OSError as exc:
            return exc.strerror or str(exc)
    for path in (folder, folder / INDEX_DIR, folder / DATABASE_FILE, folder / LOCK_FILE):
        # access() asks the kernel, which knows of read-only mounts, immutable files and permissions alike.
        if os.path.lexists(path) and not os.access(path, os.W_OK):
            return "read-only file system" if _read_only_mount(folder) else "no permission to write"
    return None


def _read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


# The file descriptors of the locks this process holds. A forked child (Whoosh's parallel writer forks
# its workers) shares them, and a lock on a file shared with a child is held until the child ends too:
# a child must let go of them at once.
_held: set[int] = set()


def _let_go_in_child() -> None:
    if not _held:
        return
    nothing = os.open(os.devnull, os.O_RDONLY)
    try:
        for descriptor in _held:
            # dup2, not close: the file object the child inherited closes this number some day, and it
            # must not close another file that got the number meanwhile.
            os.dup2(nothing, descriptor)
    finally:
        os.close(nothing)
    _held.clear()


os.register_at_fork(after_in_child=_let_go_in_child)


@contextmanager
def index_lock(kb: Kb, wait: float = LOCK_WAIT_SECONDS) -> Iterator[bool]:
    """Hold `.kb/lock` while writing; yields False when another process kept it for `wait` seconds.

    A lock held by a process that ended is free: the kernel lets go of it with the last process
    holding it, and no child of kb keeps it (see `_let_go_in_child`).
    """
    kb.state_dir.mkdir(parents=True, exist_ok=True)
    handle = open(kb.state_dir / LOCK_FILE, "a+")
    try:
        if not _acquire(handle, time.monotonic() + wait):
            yield False
            return
        _held.add(handle.fileno())
        try:
            yield True
        finally:
            _held.discard(handle.fileno())
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
