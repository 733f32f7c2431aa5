"""A refresh of `.kb/` applying its plan: read and hash the files, write the index and commit it, then
write the database and commit it. A file kb cannot read is said, never skipped in silence.

The store's and the index's modules are imported where they are used: `kb search` brings only the index
up to date and must not load SQLAlchemy, and a refresh with nothing to write loads neither (nor the
parser's YAML)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from kb.config import Kb
from kb.errors import ERROR, Problem
from kb.records.files import FileOnDisk, content_hash
from kb.snapshot import Fingerprint, fingerprint
from kb.vocabulary import slug_of
from kb.workspace.changes import Changes
from kb.workspace.plan import Read, RefreshPlan, needs

if TYPE_CHECKING:
    from kb.records.parse import Record
    from kb.search.index import IndexWriter

# Parsed records go to the database's open transaction this many at a time, so memory stays flat.
STORE_BATCH = 500

Progress = Callable[[int, int], None]


class Sync:
    """One refresh applying a plan: read and hash the files it names, write the index and commit it,
    then write the database and commit it."""

    def __init__(
        self, kb: Kb, todo: RefreshPlan, session, stored: dict[str, Fingerprint], fresh: bool, merge: bool = True
    ):
        self.kb = kb
        self.merge = merge  # False: the commit merges segments only when they are crowded
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
        self.unreadable: dict[str, str] = {}
        self.dropped = False  # a file indexed before could not be read now: its old content left the index

    @property
    def content_changed(self) -> bool:
        """The index now holds other content than before (not only other stats), or the database has yet
        to hear of a file that cannot be read."""
        changes = self.changes
        return bool(
            changes.added
            or changes.changed
            or changes.renamed
            or self.todo.gone
            or self.dropped
            or (self.unreadable and self.session is None)
        )

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
                self.writer.commit(merge=self.merge)
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
        except FileNotFoundError:
            return  # gone since the scan: the next refresh forgets it
        except OSError as exc:
            self._cannot_read(file, exc.strerror or type(exc).__name__)
            return
        known = self.files[file.shown] = fingerprint(file, content_hash(data), self.started)
        in_index = self.todo.kept.get(file.shown)
        wanted = needs(read, known.sha256, in_index, self.stored.get(file.shown))
        if wanted.touch:
            self.touches[file.shown] = known
        if not (wanted.index or wanted.store):
            return
        from kb.records.parse import parse_bytes  # here: a refresh with nothing to read loads no YAML

        record = parse_bytes(data, file.shown, file.type)
        record.mtime_ns = known.mtime_ns
        if wanted.index:
            self._put_index(record, in_index is not None)
        if wanted.store:
            self._put_store(record)

    def _cannot_read(self, file: FileOnDisk, why: str) -> None:
        """A file kb cannot read: its old content leaves the index, and the database holds it as a problem
        at its path (not as a missing file), until a refresh can read it."""
        self.unreadable[file.shown] = why
        if self.files.pop(file.shown, None) is not None:
            self._writer(expected=0, fresh=False).delete(file.shown)
            self.dropped = True
        if self.session is not None:
            # No content hash (the store's NOT_READ) and no mtime: the database's fingerprint never
            # matches, so each refresh that writes the database tries the file again.
            from kb.records.parse import Record

            record = Record(type=file.type, path=file.shown, slug=slug_of(file.shown), sha256="", size=file.size)
            record.problem(1, ERROR, f"cannot be read: {why}; kb leaves it out until it can read it")
            self._put_store(record)

    def _writer(self, expected: int, fresh: bool) -> IndexWriter:
        if self.writer is None:
            from kb.search.index import IndexWriter, open_index

            self.writer = IndexWriter(open_index(self.kb.state_dir), expected=expected, fresh=fresh)
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
        from kb.store import cross_problems
        from kb.store import engine as store

        store.write_records(self.session, self.batch, fresh=self.fresh)
        store.delete_paths(self.session, self.todo.stored_gone)
        for path, known in self.touches.items():
            store.touch(self.session, path, known.size, known.mtime_ns)
        store.replace_scan_problems(self.session, scan_problems)
        # The cross-file problems the written and deleted files can change, judged in the same transaction.
        cross_problems.update(self.session, whole=self.fresh)
        self.session.commit()

    def report(self, total: int) -> Changes:
        """The changes as `kb index` prints them: a rebuild calls every file new."""
        changes = self.changes
        changes.total = total
        changes.unreadable = dict(sorted(self.unreadable.items()))
        moved = {old for old, _new in changes.renamed}
        changes.deleted = [path for path in self.todo.gone if path not in moved]
        if self.fresh:
            changes.added = sorted(changes.added + changes.changed)
            changes.changed = []
        return changes


def still_unreadable(paths: list[str], on_disk: dict[str, FileOnDisk]) -> dict[str, str] | None:
    """Why each of the files kb could not read last time still cannot be read; None when one of them
    is gone or can be read now (then the refresh must read it)."""
    found = {}
    for path in paths:
        file = on_disk.get(path)
        if file is None:
            return None
        try:
            os.close(os.open(file.path, os.O_RDONLY))
        except FileNotFoundError:
            return None
        except OSError as exc:
            found[path] = exc.strerror or type(exc).__name__
            continue
        return None
    return found


def stored_fingerprints(session, paths: list[str] | None = None) -> dict[str, Fingerprint]:
    """What the database holds of each file (of these paths, when given), as fingerprints."""
    from kb.store import engine as store

    return {path: Fingerprint(*row) for path, row in store.fingerprints(session, paths).items()}
