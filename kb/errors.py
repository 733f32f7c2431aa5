"""Problems found in a KB and the one exception type the domain raises."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import asdict, dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a file, at a line, as `kb check` prints it."""

    path: str
    line: int
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


class KbError(Exception):
    """A failure the user can act on; the CLI prints it and exits with `exit_code`.

    `path` and `line`, when the failure is in one file (a transcript, a record), are printed before it.
    """

    exit_code = 1
    path: str | None = None
    line: int | None = None


def error_text(message: str, path: str | None = None, line: int | None = None) -> str:
    """Every CLI error in one style: `kb: <file>:<line>: <what went wrong>` (the place only where known)."""
    place = f"{path}:{line}: " if path and line else f"{path}: " if path else ""
    if path and message.startswith(f"{path}:"):
        place = ""  # the message names its file already (a conflict's "<path>: not written, ...")
    return f"kb: {place}{message}"


class UsageError(KbError):
    """The command was called wrongly (bad option value, refused date)."""

    exit_code = 2


class QueryError(KbError):
    """A search query the parser cannot read."""

    exit_code = 2


class IndexBusy(KbError):
    """Another kb process is building the index from nothing and it cannot be read yet."""

    http_status = 503


class NotAKbError(KbError):
    """No knowledge base where one was looked for."""


class GateShut(KbError):
    """Metrics were asked for while the gate is shut; the message says what is missing."""

    exit_code = 3

    def __init__(self, message: str, facts: dict):
        super().__init__(message)
        self.facts = facts


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` hint, or nothing when no choice is close."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
