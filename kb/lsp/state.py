"""What the language server knows: the KB of the workspace folder, its store, and the open documents' records."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from kb.config import Kb, find_kb
from kb.method.as_of import AsOf, resolve_as_of
from kb.records.parse import Record, parse_bytes
from kb.vocabulary import RECORD_SUFFIX, TYPE_DIRS
from kb.workspace import Workspace

if TYPE_CHECKING:
    from collections.abc import Iterator

    from kb.store.catalog import Catalog

FRONT_MATTER_FENCE = re.compile(r"^---\s*$")


def path_of_uri(uri: str) -> Path | None:
    """The file a `file://` URI names (None for any other scheme)."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def uri_of(path: Path) -> str:
    """The `file://` URI of a file."""
    return path.resolve().as_uri()


@dataclass
class Document:
    """An open document of the KB: where it is, its type, and its (unsaved) text parsed."""

    uri: str
    path: Path
    shown: str  # its path as kb shows it, relative to the KB's root
    type: str
    text: str
    record: Record

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def front_matter_end(self) -> int:
        """The 0-based line of the closing `---` of the front matter (-1 when there is none)."""
        lines = self.lines
        if not lines or not FRONT_MATTER_FENCE.match(lines[0]):
            return -1
        return next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), -1)


class KbState:
    """The KB the server answers for; every question is answered from its store, refreshed on saves."""

    def __init__(self, kb: Kb):
        self.kb = kb
        self.workspace = Workspace(kb)
        self.settings = self.workspace.settings
        self.as_of: AsOf = resolve_as_of(None, self.settings)
        self.root = kb.root.resolve()

    @classmethod
    def find(cls, folder: Path | None, root: str | None = None) -> KbState:
        """The KB of `--root` or `KB_ROOT`, else at or above the workspace folder (NotAKbError when none)."""
        return cls(find_kb(root, cwd=folder))

    def refresh(self, changed: list[Path] | None = None) -> list[str]:
        """Bring `.kb/` up to date (only the changed files looked at, when named); what the user must hear of it."""
        changes = self.workspace.refresh(changed=None if changed is None else [str(p) for p in changed])
        return [f"kb: {line}" for line in changes.notices()]

    @contextmanager
    def catalog(self) -> Iterator[Catalog]:
        """A catalog over a new session of the store, closed after use."""
        from kb.store.catalog import Catalog

        session = self.workspace.session()
        try:
            yield Catalog(session)
        finally:
            session.close()

    def shown(self, path: Path) -> tuple[str, str] | None:
        """A file's path as kb shows it and its record type, or None when it is no record of this KB."""
        try:
            shown = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None
        if not shown.endswith(RECORD_SUFFIX):
            return None
        for record_type, folder in TYPE_DIRS.items():
            if shown.startswith(folder + "/"):
                return shown, record_type
        return None

    def document(self, uri: str, text: str) -> Document | None:
        """An open document parsed from its unsaved text, or None when it is no record of this KB."""
        path = path_of_uri(uri)
        found = self.shown(path) if path is not None else None
        if path is None or found is None:
            return None
        shown, record_type = found
        return Document(uri, path, shown, record_type, text, parse_bytes(text.encode("utf-8"), shown, record_type))

    def file_of(self, shown: str) -> Path:
        """The file of a path as kb shows it."""
        return self.root / shown
