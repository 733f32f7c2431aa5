"""The record files on disk: scanning the KB's folders, content hashes, atomic and guarded writes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kb.config import Kb
from kb.errors import KbError
from kb.vocabulary import TYPE_DIRS


@dataclass(frozen=True)
class FileOnDisk:
    """One record file as a scan found it: where it is, the path kb shows, its type, size and mtime."""

    path: str
    shown: str
    type: str
    size: int
    mtime_ns: int


def scan(kb: Kb) -> dict[str, FileOnDisk]:
    """Every record file of the KB, by the path kb shows, with its size and mtime."""
    found: dict[str, FileOnDisk] = {}
    for record_type, folder in TYPE_DIRS.items():
        _scan_folder(str(kb.root), folder, record_type, found)
    return dict(sorted(found.items()))


def _scan_folder(root: str, folder: str, record_type: str, found: dict[str, FileOnDisk]) -> None:
    """Add the `.md` files under `folder` (and its subfolders) to `found`."""
    pending = [folder]
    while pending:
        relative = pending.pop()
        try:
            entries = list(os.scandir(os.path.join(root, relative)))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            name = entry.name
            if name.startswith((".", "#")):  # editors' backups and lock files
                continue
            shown = f"{relative}/{name}"
            try:
                if entry.is_dir():
                    pending.append(shown)
                elif name.endswith(".md") and entry.is_file():
                    info = entry.stat()
                    found[shown] = FileOnDisk(entry.path, shown, record_type, info.st_size, info.st_mtime_ns)
            except FileNotFoundError:
                continue  # removed between the listing and the stat


def content_hash(data: bytes) -> str:
    """The SHA-256 of a file's bytes, in hex: what says two versions of a file are the same."""
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
