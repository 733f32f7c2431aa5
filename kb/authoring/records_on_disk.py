"""The record files as one scan of the disk found them, so that a save reads the folders once however many
questions it asks (which slugs are taken)."""

from __future__ import annotations

from functools import cached_property

from kb.config import Kb
from kb.records.files import FileOnDisk, scan
from kb.vocabulary import slug_of


class RecordsOnDisk:
    """The KB's record files as they are on disk now; the folders are scanned at the first question only."""

    def __init__(self, kb: Kb):
        self.kb = kb

    @cached_property
    def files(self) -> dict[str, FileOnDisk]:
        """Every record file, by the path kb shows."""
        return scan(self.kb)

    def slugs(self, record_type: str) -> set[str]:
        """The slugs of the files of one type."""
        return {slug_of(shown) for shown, file in self.files.items() if file.type == record_type}
