"""The as-of date D that everything in the method is computed as of, and where it came from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kb.config import Settings
from kb.errors import UsageError

EARLIEST = dt.date(1970, 1, 1)  # an as-of date before this is a typo, and week arithmetic would overflow


@dataclass(frozen=True)
class AsOf:
    """The date D everything is computed as of, and where it came from."""

    date: dt.date
    source: str  # "option", "kb.toml" or "today"

    @property
    def pinned(self) -> bool:
        return self.source == "kb.toml"

    def describe(self) -> str:
        where = {"option": "set with --as-of", "kb.toml": "pinned in kb.toml", "today": "today"}[self.source]
        return (
            f"as of {self.date.isoformat()}, {where}"
            if self.source != "today"
            else f"as of today, {self.date.isoformat()}"
        )


def resolve_as_of(option: dt.date | None, settings: Settings, today: dt.date | None = None) -> AsOf:
    """D is `--as-of`, else `as_of` in kb.toml, else today; a D later than today is refused."""
    today = today or dt.date.today()
    if option is not None:
        chosen = AsOf(option, "option")
    elif settings.as_of is not None:
        chosen = AsOf(settings.as_of, "kb.toml")
    else:
        chosen = AsOf(today, "today")
    if chosen.date < EARLIEST:
        raise UsageError(
            f"the as-of date {chosen.date.isoformat()} is before {EARLIEST.isoformat()}: kb computes "
            "as of a day in the company's life, such as 2026-03-18"
        )
    if chosen.date > today:
        where = "--as-of" if chosen.source == "option" else "as_of in kb.toml"
        raise UsageError(
            f"{where} is {chosen.date.isoformat()}, later than today ({today.isoformat()}): "
            "kb does not compute the future"
        )
    return chosen
