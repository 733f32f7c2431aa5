"""Find the KB, know its paths, and read its settings from `kb.toml`."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.errors import ERROR, NotAKbError, Problem, did_you_mean
from kb.vocabulary import INTERVIEW_KINDS, TYPE_DIRS

CONFIG_FILE = "kb.toml"
# The version of .kb/'s layout (database tables and index schema): an older .kb/ is rebuilt.
STATE_VERSION = "10"
STATE_DIR = ".kb"
# The names of this computer that `kb serve` binds to and answers in a Host header (the port aside),
# as a URL writes them.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")

# The thresholds of the hell-yes rule and the milestones, by the name they take under [thresholds] in
# kb.toml, with their defaults.
THRESHOLDS: dict[str, int] = {
    "calls_per_week": 5,  # milestone 1: sales calls a week must have
    "weeks": 4,  # milestone 1: consecutive complete weeks
    "paying_customers": 5,  # milestone 3: customers won
    "settle_days": 30,  # hell-yes rule and milestone 5: days since won_on
    "close_days": 45,  # milestone 6: days from qualified_on to won_on, and cohort age
    "conversion_pct": 90,  # milestone 5: post-sale conversion to hell-yes
    "conversion_min_n": 20,  # milestone 5: N must be more than this
    "close_rate_pct": 30,  # milestone 6, 7, 8: SQL close rate
    "sql_min_n": 30,  # milestone 6: N must be more than this
    "source_min_sqls": 10,  # milestone 7: SQLs of the scalable source, more than this
    "rep_min_sqls": 10,  # milestone 8: SQLs of the reps, more than this
}
DEFAULT_GATE = 5
DEFAULT_SALES_KINDS = ("discovery", "sales", "demo")


@dataclass
class Source:
    """A pipeline source as `[sources.<name>]` describes it."""

    name: str
    scalable: bool = False
    cost: float | None = None


@dataclass
class Settings:
    """Everything `kb.toml` can set, with defaults, and what was wrong in it."""

    name: str = ""
    as_of: dt.date | None = None
    gate: int = DEFAULT_GATE
    sales_kinds: tuple[str, ...] = DEFAULT_SALES_KINDS
    founders: list[str] | None = None
    database_url: str | None = None
    # Whether a record's Markdown may make the browser load https:// images (a pasted note can carry
    # a tracking image): off, they show as links.
    remote_images: bool = False
    thresholds: dict[str, int] = field(default_factory=lambda: dict(THRESHOLDS))
    sources: dict[str, Source] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Kb:
    """A knowledge base on disk: its root folder and the paths kb derives from it."""

    root: Path

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    def type_dir(self, record_type: str) -> Path:
        return self.root / TYPE_DIRS[record_type]

    def relative(self, path: Path) -> str:
        """The path as kb shows it: relative to the root, with forward slashes."""
        return path.relative_to(self.root).as_posix()

    def settings(self) -> Settings:
        return load_settings(self.config_path)


def is_loopback(host: str) -> bool:
    """Whether `host` names this computer only (`::1` may come with or without its brackets)."""
    return host in LOOPBACK_HOSTS or f"[{host}]" in LOOPBACK_HOSTS


def is_kb(folder: Path) -> bool:
    """A folder is a KB when it has kb.toml, or both casestudies/ and content/."""
    return (folder / CONFIG_FILE).is_file() or ((folder / "casestudies").is_dir() and (folder / "content").is_dir())


def find_kb(root: str | os.PathLike | None = None, cwd: Path | None = None) -> Kb:
    """Find the KB: `--root`, then `KB_ROOT`, then the nearest folder up from `cwd`."""
    explicit = root if root is not None else os.environ.get("KB_ROOT") or None
    if explicit is not None:
        folder = Path(explicit).expanduser().resolve()
        if not is_kb(folder):
            origin = "--root" if root is not None else "KB_ROOT"
            raise NotAKbError(
                f"{folder} ({origin}) is not a knowledge base: it has no {CONFIG_FILE} and no "
                f"casestudies/ and content/ folders. Make one there with `kb init {folder}`."
            )
        return Kb(folder)
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if is_kb(folder):
            return Kb(folder)
    raise NotAKbError(
        f"no knowledge base in {start} or any folder above it. Make one with `kb init DIR` "
        "(then cd into it), or point kb at one with --root DIR or KB_ROOT=DIR."
    )


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Map each `(table..., key)` of a TOML text to the line it is set on (tomllib has no marks)."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\s*([^\[\]]+?)\s*\]$", stripped)
        if header:
            table = tuple(part.strip().strip('"') for part in header.group(1).split("."))
            lines.setdefault(table, number)
            continue
        key = re.match(r'^("[^"]+"|[A-Za-z0-9_.-]+)\s*=', stripped)
        if key:
            name = tuple(part.strip().strip('"') for part in key.group(1).split("."))
            lines.setdefault(table + name, number)
    return lines


# Reading kb.toml: each key has an entry in a registry saying what it expects, how its value is checked
# and where it goes; one reader applies them and collects every problem.


class SettingError(ValueError):
    """A value its key refuses; the problem is the key's dotted name, a colon and this text."""


class WrongType(SettingError):
    """A value of the wrong kind: the problem says what the key expects and what was found."""


@dataclass(frozen=True)
class Key:
    """One key of kb.toml: what a problem says it expects, its normalizer, and where its value goes.

    `normalize` returns the value to store or raises `WrongType` or `SettingError`. `attribute` names
    the attribute of `Settings` (or of `Source`, for a source's keys) that takes the value; `table`
    instead reads the value, a TOML table, key by key into the settings.
    """

    expected: str
    normalize: Callable[[Any], Any]
    attribute: str = ""
    table: Callable[[_Reader, dict, Settings], None] | None = None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise WrongType
    return value


def _whole_number(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise WrongType
    return value


def _table(value: Any) -> dict:
    if not isinstance(value, dict):
        raise WrongType
    return value


def _past_date(value: Any) -> dt.date:
    # A TOML date and time is a datetime, a subclass of date: the key takes a day only.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise WrongType
    if value > dt.date.today():
        raise SettingError(
            f"{value.isoformat()} is later than today; kb does not compute the future, "
            "so this setting is not used until that day"
        )
    return value


def _gate(value: Any) -> int:
    number = _whole_number(value)
    if number < DEFAULT_GATE:
        raise SettingError(
            f"must be at least {DEFAULT_GATE} hell-yes customers; got {number}. "
            f"The gate stays at {DEFAULT_GATE}: it can be raised, never lowered"
        )
    return number


def _list_of_text(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise WrongType
    return list(value)


def _sales_kinds(value: Any) -> tuple[str, ...]:
    kinds = _list_of_text(value)
    if not kinds:
        raise WrongType
    unknown = [kind for kind in kinds if kind not in INTERVIEW_KINDS]
    if unknown:
        raise SettingError(
            f"expected kinds from {', '.join(INTERVIEW_KINDS)}; "
            f"got {unknown[0]!r}{did_you_mean(unknown[0], INTERVIEW_KINDS)}"
        )
    return tuple(kinds)


def _database_url(value: Any) -> str:
    url = _text(value).strip()
    if not url:
        raise WrongType
    return url


def _whole_number_not_negative(value: Any) -> int:
    number = _whole_number(value)
    if number < 0:
        raise WrongType
    return number


def _cost(value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise WrongType
    return float(value)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise WrongType
    return value


_REFUSED = object()  # what `_Reader.value` returns for a value it reported a problem with


class _Reader:
    """Applies the registries to kb.toml's data, noting each problem at the line of its key."""

    def __init__(self, settings: Settings, lines: dict[tuple[str, ...], int]):
        self.settings = settings
        self.lines = lines

    def problem(self, keys: tuple[str, ...], message: str) -> None:
        # An inline table's keys have no line of their own: the line of the key that holds it.
        line = self.lines.get(keys) or self.lines.get(keys[:1]) or 1
        self.settings.problems.append(Problem(CONFIG_FILE, line, ERROR, message))

    def unknown(self, keys: tuple[str, ...], what: str, known: dict[str, Any], where: str = "") -> None:
        key = keys[-1]
        self.problem(
            keys, f"unknown {what} '{key}'{where}{did_you_mean(key, known)}; known {what}s: {', '.join(known)}"
        )

    def value(self, keys: tuple[str, ...], spec: Key, value: Any) -> Any:
        """The normalized value, or `_REFUSED` once its problem is noted."""
        name = ".".join(keys)
        try:
            return spec.normalize(value)
        except WrongType:
            self.problem(keys, f"{name}: expected {spec.expected}; got {value!r}")
        except SettingError as exc:
            self.problem(keys, f"{name}: {exc}")
        return _REFUSED


def _read_thresholds(reader: _Reader, table: dict, settings: Settings) -> None:
    for key, value in table.items():
        if key not in THRESHOLDS:
            reader.unknown(("thresholds", key), "threshold", THRESHOLDS)
        elif (number := reader.value(("thresholds", key), THRESHOLD, value)) is not _REFUSED:
            settings.thresholds[key] = number


def _read_sources(reader: _Reader, table: dict, settings: Settings) -> None:
    for name, values in table.items():
        if (values := reader.value(("sources", name), SOURCE, values)) is _REFUSED:
            continue
        source = Source(name=name)
        for key, value in values.items():
            keys = ("sources", name, key)
            if key not in SOURCE_KEYS:
                reader.unknown(keys, "key", SOURCE_KEYS, where=f" in [sources.{name}]")
            elif (normalized := reader.value(keys, SOURCE_KEYS[key], value)) is not _REFUSED:
                setattr(source, SOURCE_KEYS[key].attribute, normalized)
        # Source names are matched without regard to case.
        settings.sources[name.lower()] = source


# The keys at the top of kb.toml, in the order their problems are reported.
TOP_LEVEL_KEYS: dict[str, Key] = {
    "name": Key("text", _text, "name"),
    "as_of": Key("a TOML date such as as_of = 2026-03-18 (no quotes)", _past_date, "as_of"),
    "gate": Key("a whole number of hell-yes customers", _gate, "gate"),
    "sales_kinds": Key(f"a list of interview kinds from {', '.join(INTERVIEW_KINDS)}", _sales_kinds, "sales_kinds"),
    "founders": Key('a list of names, such as founders = ["Ana", "Ben"]', _list_of_text, "founders"),
    "database_url": Key("a database URL such as sqlite:///path or postgresql://…", _database_url, "database_url"),
    "remote_images": Key("true or false", _boolean, "remote_images"),
    "thresholds": Key("a table [thresholds]", _table, table=_read_thresholds),
    "sources": Key('tables such as [sources."cold email"]', _table, table=_read_sources),
}
# Each key of [thresholds] (the names of THRESHOLDS) takes the same kind of value.
THRESHOLD = Key("a whole number, 0 or more", _whole_number_not_negative)
# Each [sources.<name>] is a table of these keys.
SOURCE = Key("a table with scalable and cost", _table)
SOURCE_KEYS: dict[str, Key] = {
    "scalable": Key("true or false", _boolean, "scalable"),
    "cost": Key("a number, 0 or more", _cost, "cost"),
}


def _read_toml(path: Path, problems: list[Problem]) -> tuple[str, dict[str, Any]] | None:
    """kb.toml's text and data, or None once the reason it cannot be read is in `problems`."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(CONFIG_FILE, 1, ERROR, f"not UTF-8 text (byte {exc.start} is {exc.object[exc.start]:#04x})")
        )
        return None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        # tomllib says "(at end of document)" with no line: that is the file's last line.
        line = int(found.group(1)) if found else max(len(text.splitlines()), 1)
        problems.append(Problem(CONFIG_FILE, line, ERROR, f"not valid TOML: {exc}"))
        return None


def load_settings(path: Path) -> Settings:
    """Read kb.toml; every problem goes into `settings.problems`, never an exception."""
    settings = Settings()
    read = _read_toml(path, settings.problems) if path.is_file() else None
    if read is None:
        return settings
    text, data = read
    reader = _Reader(settings, key_lines(text))
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            reader.unknown((key,), "setting", TOP_LEVEL_KEYS)
    for key, spec in TOP_LEVEL_KEYS.items():
        if key not in data or (value := reader.value((key,), spec, data[key])) is _REFUSED:
            continue
        if spec.table is not None:
            spec.table(reader, value, settings)
        else:
            setattr(settings, spec.attribute, value)
    return settings
