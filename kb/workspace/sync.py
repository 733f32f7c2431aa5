"""A refresh of `.kb/` applying its plan: read and hash the files, write the index and commit it, then
write the database and commit it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from kb.config import Kb
from kb.errors import Problem
from kb.records.files import content_hash
from kb.records.parse import Record, parse_bytes
from kb.snapshot import Fingerprint, fingerprint
from kb.workspace.changes import Changes
from kb.workspace.plan import Read, RefreshPlan, needs

if TYPE_CHECKING:
    from kb.search.index import IndexWriter

# Parsed records go to the database's open transaction this many at a time, so memory stays flat.
STORE_BATCH = 500

Progress = Callable[[int, int], None]


class Sync:
    """One refresh applying a plan: read and hash the files it names, write the index and commit it,
    then write the database and commit it."""

    def __init__(self, kb: Kb, todo: RefreshPlan, session, stored: dict[str, Fingerprint], fresh: bool):
        self.kb = kb
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


def stored_fingerprints(session) -> dict[str, Fingerprint]:
    """What the database holds of each file, as fingerprints."""
    from kb.store import engine as store

    return {
        path: Fingerprint(row.type, row.size, row.mtime_ns, row.sha256)
        for path, row in store.fingerprints(session).items()
    }
