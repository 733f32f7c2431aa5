"""What one refresh of `.kb/` did, and what the user must hear of it."""

from __future__ import annotations

from dataclasses import dataclass, field

UNREADABLE_SHOWN = 3  # files that cannot be read named in the notices; kb check names them all


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
    read_only: str | None = None  # why .kb/ cannot be written, when answers come from the state as last built
    unreadable: dict[str, str] = field(default_factory=dict)  # record files kb cannot read, and why

    @property
    def any(self) -> bool:
        """Some file was added, changed, renamed or deleted."""
        return bool(self.added or self.changed or self.renamed or self.deleted)

    def notices(self, rebuilt: bool = True, stale: bool = True) -> list[str]:
        """What the user must hear of this refresh, a line each: rebuilt, busy, read-only, files not read."""
        lines = []
        if self.rebuilt and rebuilt:
            lines.append(f"rebuilt .kb/ from the files ({self.rebuilt}); nothing was lost")
        if self.stale and stale:
            lines.append(
                "another kb process held the index for 5 s; answering from the last committed state, "
                "which may miss the newest edits"
            )
        if self.read_only:
            lines.append(
                f"cannot write .kb/ ({self.read_only}): answering from the index as last built; "
                "changes since are not seen"
            )
        shown = list(self.unreadable.items())[:UNREADABLE_SHOWN]
        lines += [f"cannot read {path} ({why}): it is left out until kb can read it" for path, why in shown]
        if len(self.unreadable) > len(shown):
            lines.append(f"and {len(self.unreadable) - len(shown)} more files cannot be read (kb check lists them)")
        return lines
