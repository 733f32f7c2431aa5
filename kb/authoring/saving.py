"""Guarded, atomic saving of a form's text: only plain paths inside the KB's writable folders, and never
over a file that changed on disk since the form was opened."""

from __future__ import annotations

import difflib
import posixpath
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from kb.config import Kb
from kb.errors import KbError
from kb.records.files import atomic_write, content_hash
from kb.vocabulary import TYPE_DIRS, slug_of

# The name of a new file kb makes: lowercase letters, digits and hyphens.
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
# The names of the folders and files kb makes: no leading dot, no "..", no separators.
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
WRITABLE_DIRS = (TYPE_DIRS["casestudy"], TYPE_DIRS["interview"])
# A customer's file is edited from its form, never made by `save` (new customers come from kb's skeleton).
EDITABLE_DIRS = (*WRITABLE_DIRS, TYPE_DIRS["customer"])
_write_lock = threading.Lock()  # one check-then-write at a time within this process


class Conflict(KbError):
    """The file on disk is not the version the form was opened on; nothing was written."""

    http_status = 409

    def __init__(self, path: str, disk_text: str, disk_sha256: str, typed_text: str):
        self.path, self.disk_text, self.disk_sha256, self.typed_text = path, disk_text, disk_sha256, typed_text
        what = "was deleted" if not disk_sha256 else "changed on disk since the form was opened"
        super().__init__(f"{path}: not written, the file {what}")

    @property
    def deleted(self) -> bool:
        return not self.disk_sha256


@dataclass
class Saved:
    """A file written from a form, and any customer file made with it."""

    path: str
    slug: str
    text: str
    created: list[str] = field(default_factory=list)


def _name_allowed(name: str, new: bool) -> bool:
    """A folder or file name kb may write under: plain for a new file; for an existing one, any name the
    scan reads (a founder's `with space.md` is theirs to edit), never one the scan skips."""
    if ".." in name or not name:
        return False
    if new:
        return NAME_RE.fullmatch(name) is not None
    return not name.startswith((".", "#")) and name.strip() == name and name.isprintable()


def _checked_path(kb: Kb, relative_path: str, new: bool) -> Path:
    """The file a relative path names, refused unless it is plainly inside a writable folder of the KB."""

    def refuse(why: str) -> KbError:
        return KbError(f"refused to write {relative_path!r}: {why}")

    if not isinstance(relative_path, str) or "\\" in relative_path or "\x00" in relative_path:
        raise refuse("not a plain relative path")
    if posixpath.normpath(relative_path) != relative_path or relative_path.startswith("/"):
        raise refuse("the path does not normalize to itself")
    folders = WRITABLE_DIRS if new else EDITABLE_DIRS
    folder = next((d for d in folders if relative_path.startswith(d + "/")), None)
    if folder is None:
        raise refuse(f"kb writes only under {', '.join(d + '/' for d in folders)}")
    parts = relative_path[len(folder) + 1 :].split("/")
    stem = slug_of(parts[-1])
    if not parts[-1].endswith(".md") or not all(_name_allowed(p, new) for p in [*parts[:-1], stem]):
        raise refuse("each name must be letters, digits, '-', '_' or '.', not starting with a dot, ending in .md")
    if new and not SLUG_RE.fullmatch(stem):
        raise refuse("a new file's name must be lowercase letters, digits and hyphens")
    path = kb.root / relative_path
    if path.is_symlink():
        raise refuse("it is a symbolic link; edit the file it points to in your editor")
    if not path.resolve().is_relative_to((kb.root / folder).resolve()):
        raise refuse("it leads outside the knowledge base")
    return path


def save(kb: Kb, relative_path: str, text: str, expected_sha256: str) -> Path:
    """Write `text` atomically if the file is still the version with `expected_sha256` ("": must not
    exist); raises Conflict, carrying the text on disk, when it is not."""
    path = _checked_path(kb, relative_path, new=expected_sha256 == "")
    with _write_lock:
        disk_text, disk_sha256 = _on_disk(path)
        if disk_sha256 != expected_sha256:
            raise Conflict(relative_path, disk_text, disk_sha256, text)
        try:
            atomic_write(path, text, expected_sha256)
        except (KbError, FileExistsError):  # changed in the instant between the check and the write
            disk_text, disk_sha256 = _on_disk(path)
            raise Conflict(relative_path, disk_text, disk_sha256, text) from None
        except OSError as exc:
            raise KbError(f"{relative_path}: not written: {exc.strerror or exc}") from None
    return path


def _on_disk(path: Path) -> tuple[str, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "", ""
    except OSError as exc:
        raise KbError(f"{path.name}: cannot be read: {exc.strerror or exc}") from None
    return data.decode("utf-8", errors="replace"), content_hash(data)


def conflict_diff(disk_text: str, typed_text: str) -> list[tuple[str, str]]:
    """A line diff from the text on disk to the text typed, as (kind, line) with kind in hunk, del, add, same."""
    kinds = {"@": "hunk", "-": "del", "+": "add", " ": "same"}
    lines = difflib.unified_diff(disk_text.splitlines(), typed_text.splitlines(), "on disk", "typed", lineterm="")
    return [(kinds[line[0]], line) for line in list(lines)[2:] if line]
