"""The record files on disk: scanning the KB's folders, content hashes, atomic and guarded writes."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from kb.config import Kb
from kb.errors import ERROR, WARNING, KbError, Problem
from kb.vocabulary import TYPE_DIRS


class FileOnDisk(NamedTuple):
    """One record file as a scan found it: where it is, the path kb shows, its type, size and mtime."""

    # A named tuple rather than a frozen dataclass: a scan makes one per file, and a tuple is made in a
    # fraction of the time (the freshness check every command pays makes ten thousand at 10,000 records).
    path: str
    shown: str
    type: str
    size: int
    mtime_ns: int


class ScanResult(dict[str, FileOnDisk]):
    """Every record file of the KB by the path kb shows, and in `problems` the entries kb did not read, and why."""

    def __init__(self, files: dict[str, FileOnDisk] | None = None, problems: list[Problem] | None = None):
        super().__init__(files or {})
        self.problems: list[Problem] = problems or []


def scan(kb: Kb) -> ScanResult:
    """Every record file of the KB, by the path kb shows, with its size and mtime.

    kb never follows a symbolic link out of the KB, reads no folder twice (a link to a folder that holds
    it would be read forever), opens nothing that is not a regular file, and reads no file whose name
    is not UTF-8 (the database and the index hold text): each entry left out is a problem at its path.
    """
    walk = _Walk(os.path.realpath(kb.root))
    for folder in TYPE_DIRS.values():
        walk.start(folder)
    for record_type, folder in TYPE_DIRS.items():
        walk.folder(folder, record_type)
    found = walk.found
    # Sorted by the shown path (the keys alone: comparing (path, file) pairs costs twice as much).
    files = {shown: found[shown] for shown in sorted(found)}
    return ScanResult(files, sorted(walk.problems, key=lambda p: (p.path, p.message)))


def rescan(kb: Kb, previous: ScanResult, paths: Iterable[str]) -> tuple[ScanResult, list[str]] | None:
    """The scan `previous` with the files at `paths` (as a file watcher reports them) looked at again:
    each is now there with its size and mtime, or gone; and the shown paths looked at.

    None when only a whole scan can tell: a path that is no plain record file of a record folder (a
    folder, a link, a name kb does not read as it is, a file inside a linked folder, a path the scan
    found a problem at).
    """
    root = os.path.realpath(kb.root)
    with_problems = {problem.path for problem in previous.problems}
    files = ScanResult(previous, previous.problems)
    looked: set[str] = set()
    for path in paths:
        shown = _shown_record(kb, root, path)
        if shown is None or shown in with_problems:
            return None
        if shown == "":
            continue  # a hidden entry, which no scan reads
        folder, record_type = next((f, t) for t, f in TYPE_DIRS.items() if shown.startswith(f + "/"))
        if os.path.realpath(os.path.join(root, folder)) != os.path.join(root, folder):
            return None  # a linked record folder: its files' real paths are the scan's to find
        try:
            found = _plain_file(root, folder, shown)
        except _ScanNeeded:
            return None
        if found is None:
            files.pop(shown, None)
        else:
            files[shown] = FileOnDisk(os.path.join(root, shown), shown, record_type, found.st_size, found.st_mtime_ns)
        looked.add(shown)
    return files, sorted(looked)


def _shown_record(kb: Kb, root: str, path: str) -> str | None:
    """The shown path of a record file at `path`, "" for a hidden entry, None for anything else."""
    absolute = os.path.abspath(path)
    for base in (os.path.abspath(kb.root), root):
        relative = os.path.relpath(absolute, base)
        if not relative.startswith(".." + os.sep) and relative != "..":
            break
    else:
        return None
    parts = relative.split(os.sep)
    if any(part.startswith((".", "#")) for part in parts):
        return ""
    shown = "/".join(parts)
    if not shown.endswith(".md") or any(_shown_name(part) for part in parts):
        return None
    if not any(shown.startswith(folder + "/") for folder in TYPE_DIRS.values()):
        return None
    return shown


class _ScanNeeded(Exception):
    """A path only a scan of every file can judge."""


def _plain_file(root: str, folder: str, shown: str) -> os.stat_result | None:
    """The stat of the regular file at `shown`, reached through real folders only; None when it is gone.
    _ScanNeeded when it is something else (a link, a folder, a FIFO) or lies in a linked folder."""
    below = shown[len(folder) + 1 :].split("/")
    path = os.path.join(root, folder)
    try:
        for part in below[:-1]:
            path = os.path.join(path, part)
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                raise _ScanNeeded
        info = os.lstat(os.path.join(path, below[-1]))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _ScanNeeded from exc
    if not stat.S_ISREG(info.st_mode):
        raise _ScanNeeded
    return info


def _shown_name(name: str) -> str | None:
    """None for a name that is UTF-8; else the name with its bad bytes written as \\xNN.

    os.scandir hands each byte that is not UTF-8 over as a lone surrogate, which no database, index or
    JSON document can hold.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return None


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


class _Walk:
    """One scan: the KB's real path, the record folders' real paths, the folders read so far (by device
    and inode, which tell a folder reached through a link from a new one), what was found and what not."""

    def __init__(self, root: str):
        self.root = root
        self.record_folders: dict[str, str] = {}  # the real path of each record folder read
        self.visited: set[tuple[int, int]] = set()
        self.found: dict[str, FileOnDisk] = {}
        self.record_type = ""  # the type of the record folder being read
        self.problems: list[Problem] = []

    def problem(self, shown: str, severity: str, message: str) -> None:
        self.problems.append(Problem(shown, 1, severity, message))

    def start(self, folder: str) -> None:
        """Note a record folder's real path, or say why it is not read."""
        path = os.path.join(self.root, folder)
        try:
            os.stat(path)
        except FileNotFoundError:
            return  # a KB may lack a folder until its first record of that type
        except OSError as exc:
            self.problem(folder, ERROR, f"cannot be read ({exc.strerror}); kb does not follow it")
            return
        real = os.path.realpath(path)
        if not _inside(real, self.root):
            self.problem(folder, ERROR, "links outside the knowledge base; kb does not follow it")
        elif real == self.root or any(
            _inside(real, done) or _inside(done, real) for done in self.record_folders.values()
        ):
            self.problem(folder, ERROR, "links to a folder kb reads already; kb does not follow it")
        elif os.path.isdir(real):
            self.record_folders[folder] = real

    def folder(self, folder: str, record_type: str) -> None:
        """Add the `.md` files under the record folder `folder` (and its subfolders)."""
        real = self.record_folders.get(folder)
        if real is None:
            return
        self.record_type = record_type
        pending = [(folder, real)]
        while pending:
            relative, real = pending.pop()
            # Listed through a descriptor of the folder: each entry's stat is then looked up from the folder,
            # not along its whole path again (a third less time at 10,000 files).
            try:
                handle = os.open(real, os.O_RDONLY | os.O_DIRECTORY)
            except (FileNotFoundError, NotADirectoryError):
                continue  # removed since it was listed
            except OSError as exc:
                self.problem(relative, ERROR, f"folder cannot be read ({exc.strerror})")
                continue
            try:
                pending.extend(self.listing(handle, relative, real))
            finally:
                os.close(handle)

    def listing(self, handle: int, relative: str, real: str) -> list[tuple[str, str]]:
        """Add the record files of one folder (open as `handle`); its subfolders to read (shown and real paths)."""
        try:
            info = os.fstat(handle)
            entries = list(os.scandir(handle))
        except OSError as exc:
            self.problem(relative, ERROR, f"folder cannot be read ({exc.strerror})")
            return []
        if (info.st_dev, info.st_ino) in self.visited:
            self.problem(relative, WARNING, "is a folder kb reads already; kb reads it once")
            return []
        self.visited.add((info.st_dev, info.st_ino))
        found, record_type, folders = self.found, self.record_type, []
        for entry in entries:
            name = entry.name
            if name.startswith((".", "#")):  # editors' backups and lock files
                continue
            # Nearly every entry is a record: a regular file (as the listing says, without a stat of its
            # own) with a plain name. It takes the one stat kb needs for its size and mtime; every other
            # entry takes the checks of `entry`.
            if name.endswith(".md") and name.isascii() and entry.is_file(follow_symlinks=False):
                try:
                    file_info: os.stat_result | None = entry.stat(follow_symlinks=False)
                except OSError:
                    file_info = None  # `entry` says why
                if file_info is not None and stat.S_ISREG(file_info.st_mode):
                    shown = f"{relative}/{name}"
                    found[shown] = FileOnDisk(
                        f"{real}/{name}", shown, record_type, file_info.st_size, file_info.st_mtime_ns
                    )
                    continue
            try:
                one = self.entry(entry, relative, real)
            except FileNotFoundError:
                continue  # removed between the listing and the stat
            except OSError as exc:
                shown = f"{relative}/{_shown_name(name) or name}"
                self.problem(shown, ERROR, f"cannot be read ({exc.strerror})")
                continue
            if isinstance(one, FileOnDisk):
                found[one.shown] = one
            elif one is not None:
                folders.append(one)
        return folders

    def entry(self, entry: os.DirEntry, relative: str, parent: str) -> FileOnDisk | tuple[str, str] | None:
        """A record file, a folder to read (its shown path and real path), or None for an entry left out.

        `entry` comes from a listing through a descriptor (its `path` is its name alone); `parent` is the
        folder's real path.
        """
        name = entry.name
        path = os.path.join(parent, name)
        is_record = name.endswith(".md")
        bad_name = _shown_name(name)
        shown = f"{relative}/{bad_name or name}"
        if entry.is_symlink():
            return self.link(path, shown, is_record, bad_name, parent)
        if entry.is_dir(follow_symlinks=False):
            if bad_name:
                self.problem(shown, ERROR, "folder name is not UTF-8; rename it (kb does not read the files in it)")
                return None
            return shown, path
        if not is_record:
            return None
        if bad_name:
            self.problem(shown, ERROR, "file name is not UTF-8; rename it")
            return None
        info = entry.stat(follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode):
            self.problem(shown, WARNING, f"is not a regular file ({_kind(info.st_mode)}); kb does not read it")
            return None
        return FileOnDisk(path, shown, self.record_type, info.st_size, info.st_mtime_ns)

    def link(
        self, path: str, shown: str, is_record: bool, bad_name: str | None, parent: str
    ) -> FileOnDisk | tuple[str, str] | None:
        """Follow the symbolic link at `path` when it stays inside the KB and leads somewhere not read yet."""
        try:
            info = os.stat(path)
        except FileNotFoundError:
            if is_record:
                self.problem(shown, WARNING, "is a symbolic link to nothing (its target does not exist)")
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                self.problem(shown, ERROR, "is a symbolic link loop; kb does not follow it")
            else:
                self.problem(shown, ERROR, f"is a symbolic link kb cannot follow ({exc.strerror})")
            return None
        is_folder = stat.S_ISDIR(info.st_mode)
        if not (is_folder or is_record):
            return None
        if bad_name:
            what = "folder" if is_folder else "file"
            self.problem(shown, ERROR, f"{what} name is not UTF-8; rename it")
            return None
        real = os.path.realpath(path)
        if not _inside(real, self.root):
            self.problem(shown, ERROR, "links outside the knowledge base; kb does not follow it")
            return None
        if not is_folder:
            if not stat.S_ISREG(info.st_mode):
                self.problem(shown, WARNING, f"links to {_kind(info.st_mode)}; kb does not read it")
                return None
            # The file's own path from now on: a link changed after this scan is not followed.
            return FileOnDisk(real, shown, self.record_type, info.st_size, info.st_mtime_ns)
        if _inside(parent, real):
            self.problem(shown, WARNING, "is a symbolic link loop (to a folder that holds it); kb does not follow it")
            return None
        if any(_inside(real, done) or _inside(done, real) for done in self.record_folders.values()):
            self.problem(shown, WARNING, "links to a folder kb reads already; kb does not follow it")
            return None
        return shown, real


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    )
    return next((word for test, word in kinds if test(mode)), "not a regular file")


def content_hash(data: bytes) -> str:
    """The SHA-256 of a file's bytes, in hex: what says two versions of a file are the same."""
    import hashlib  # here: loading OpenSSL is a tenth of the freshness check that hashes nothing

    return hashlib.sha256(data).hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, text: str, expected_sha256: str | None = None) -> None:
    """Write `text` to `path` through a temporary file and a rename.

    When `expected_sha256` is given, refuse to write if the file on disk is no longer that version
    (use "" for a file that must not exist yet).
    """
    if expected_sha256 is not None:
        current = content_hash(path.read_bytes()) if path.exists() else ""
        if current != expected_sha256:
            what = "exists already" if expected_sha256 == "" else "changed on disk since it was read"
            raise KbError(f"{path}: not written, the file {what}")
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # here: the freshness check before every command writes nothing

    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file 0600: give it the mode the user's file had, or the umask's default.
        os.chmod(temporary, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if expected_sha256 == "":
            os.link(temporary, path)  # fails if the file appeared meanwhile: never overwrite
            os.unlink(temporary)
        else:
            os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
