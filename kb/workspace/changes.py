"""What one refresh of `.kb/` did, in the words `kb index` prints."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Changes:
    """What one refresh did, in the words `kb index` prints."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    total: int = 0
    rebuilt: str | None = None  # why .kb/ was rebuilt from nothing, when it was
    stale: bool = False  # the lock stayed busy: answers come from the last committed state

    @property
    def any(self) -> bool:
        """Some file was added, changed, renamed or deleted."""
        return bool(self.added or self.changed or self.renamed or self.deleted)
