"""A refresh of `.kb/` as a pure plan: from the files' stats and the fingerprints the index and the
database hold, what to read and for whom; once a file is hashed, what it needs."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.records.files import FileOnDisk
from kb.snapshot import Fingerprint


@dataclass(frozen=True)
class Read:
    """A file whose bytes must be read and hashed, and which side may need its new content."""

    file: FileOnDisk
    for_index: bool  # its stat is not the one the index's fingerprint has
    for_store: bool  # its stat is not the one the database's fingerprint has
    again: bool = False  # indexed again whatever its content (to empty the small segment holding it)


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
    on_disk: dict[str, FileOnDisk],
    indexed: dict[str, Fingerprint],
    stored: dict[str, Fingerprint] | None,
    only: list[str] | None = None,
    again: frozenset[str] = frozenset(),
) -> RefreshPlan:
    """Compare the files on disk with what the index holds and, unless `stored` is None (the database
    is not needed now), with what the database holds.

    With `only`, the shown paths of the files that may have changed (a file watcher saw every change
    since the last refresh): the other files are as the index holds them, and `stored` need hold only these.
    The files `again` names (of those looked at) are indexed again whatever their content.
    """
    todo = RefreshPlan()
    looked = on_disk if only is None else [shown for shown in only if shown in on_disk]
    for shown in looked:
        file = on_disk[shown]
        in_index = indexed.get(shown)
        in_store = None if stored is None else stored.get(shown)
        store_stale = stored is not None and (in_store is None or not in_store.same_stat(file))
        if in_index is None or not in_index.same_stat(file) or shown in again:
            todo.reads.append(Read(file, for_index=True, for_store=store_stale, again=shown in again))
        elif not store_stale:
            continue
        elif in_store is not None and in_store.same_content(file.type, in_index.sha256):
            todo.touches[shown] = in_index
        else:
            todo.reads.append(Read(file, for_index=False, for_store=True))
    todo.gone = [path for path in (indexed if only is None else only) if path in indexed and path not in on_disk]
    held = stored or {}
    todo.stored_gone = [path for path in (held if only is None else only) if path in held and path not in on_disk]
    todo.renames = {indexed[path].sha256: path for path in todo.gone}
    if only is None:
        todo.kept = {path: known for path, known in indexed.items() if path in on_disk}
    else:
        todo.kept = dict(indexed)
        for path in todo.gone:
            del todo.kept[path]
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
    index = read.for_index and (read.again or not (in_index is not None and in_index.same_content(file.type, sha256)))
    store = read.for_store and not (in_store is not None and in_store.same_content(file.type, sha256))
    return Needs(index, store, touch=read.for_store and not store)
