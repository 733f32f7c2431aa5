"""Find the KB, know its paths, and read its settings from `kb.toml`."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import ERROR, NotAKbError, Problem, did_you_mean
from kb.vocabulary import INTERVIEW_KINDS, TYPE_DIRS

CONFIG_FILE = "kb.toml"
# The version of .kb/'s layout (database tables and index schema): an older .kb/ is rebuilt.
STATE_VERSION = "7"
STATE_DIR = ".kb"
# The names of this computer that `kb serve` binds to and answers in a Host header (the port aside),
# as a URL writes them.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")

# The thresholds of SPEC 3 and 4, by the name they take under [thresholds] in kb.toml.
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

TOP_LEVEL_KEYS = {
    "name": "text",
    "as_of": "date",
    "gate": "integer",
    "sales_kinds": "list of interview kinds",
    "founders": "list of text",
    "database_url": "text",
    "thresholds": "table",
    "sources": "table",
}
SOURCE_KEYS = {"scalable": "true or false", "cost": "number"}


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


def load_settings(path: Path) -> Settings:
    """Read kb.toml; every problem goes into `settings.problems`, never an exception."""
    settings = Settings()
    if not path.is_file():
        return settings
    shown = CONFIG_FILE
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        settings.problems.append(
            Problem(shown, 1, ERROR, f"not UTF-8 text (byte {exc.start} is {exc.object[exc.start]:#04x})")
        )
        return settings
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        # tomllib says "(at end of document)" with no line: that is the file's last line.
        line = int(found.group(1)) if found else max(len(text.splitlines()), 1)
        settings.problems.append(Problem(shown, line, ERROR, f"not valid TOML: {exc}"))
        return settings
    lines = key_lines(text)

    def problem(keys: tuple[str, ...], message: str, severity: str = ERROR) -> None:
        line = lines.get(keys) or lines.get(keys[:1]) or 1
        settings.problems.append(Problem(shown, line, severity, message))

    def wrong_type(keys: tuple[str, ...], expected: str, value) -> None:
        problem(keys, f"{'.'.join(keys)}: expected {expected}; got {value!r}")

    for key in data:
        if key not in TOP_LEVEL_KEYS:
            problem(
                (key,),
                f"unknown setting '{key}'{did_you_mean(key, TOP_LEVEL_KEYS)}; "
                f"known settings: {', '.join(TOP_LEVEL_KEYS)}",
            )
    if "name" in data:
        if isinstance(data["name"], str):
            settings.name = data["name"]
        else:
            wrong_type(("name",), "text", data["name"])
    if "as_of" in data:
        value = data["as_of"]
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            if value > dt.date.today():
                problem(
                    ("as_of",),
                    f"as_of: {value.isoformat()} is later than today; kb does not compute the "
                    "future, so this setting is not used until that day",
                )
            else:
                settings.as_of = value
        else:
            wrong_type(("as_of",), "a TOML date such as as_of = 2026-03-18 (no quotes)", value)
    if "gate" in data:
        value = data["gate"]
        if not isinstance(value, int) or isinstance(value, bool):
            wrong_type(("gate",), "a whole number of hell-yes customers", value)
        elif value < DEFAULT_GATE:
            problem(
                ("gate",),
                f"gate: must be at least {DEFAULT_GATE} hell-yes customers; got {value}. "
                f"The gate stays at {DEFAULT_GATE}: it can be raised, never lowered",
            )
        else:
            settings.gate = value
    if "sales_kinds" in data:
        value = data["sales_kinds"]
        if not isinstance(value, list) or not value or not all(isinstance(k, str) for k in value):
            wrong_type(("sales_kinds",), f"a list of interview kinds from {', '.join(INTERVIEW_KINDS)}", value)
        else:
            unknown = [k for k in value if k not in INTERVIEW_KINDS]
            if unknown:
                problem(
                    ("sales_kinds",),
                    f"sales_kinds: expected kinds from {', '.join(INTERVIEW_KINDS)}; "
                    f"got {unknown[0]!r}{did_you_mean(unknown[0], INTERVIEW_KINDS)}",
                )
            else:
                settings.sales_kinds = tuple(value)
    if "founders" in data:
        value = data["founders"]
        if isinstance(value, list) and all(isinstance(n, str) for n in value):
            settings.founders = list(value)
        else:
            wrong_type(("founders",), 'a list of names, such as founders = ["Ana", "Ben"]', value)
    if "database_url" in data:
        if isinstance(data["database_url"], str) and data["database_url"].strip():
            settings.database_url = data["database_url"].strip()
        else:
            wrong_type(
                ("database_url",), "a database URL such as sqlite:///path or postgresql://…", data["database_url"]
            )
    _read_thresholds(data.get("thresholds"), settings, problem, wrong_type)
    _read_sources(data.get("sources"), settings, problem, wrong_type)
    return settings


def _read_thresholds(table, settings: Settings, problem, wrong_type) -> None:
    if table is None:
        return
    if not isinstance(table, dict):
        wrong_type(("thresholds",), "a table [thresholds]", table)
        return
    for key, value in table.items():
        if key not in THRESHOLDS:
            problem(
                ("thresholds", key),
                f"unknown threshold '{key}'{did_you_mean(key, THRESHOLDS)}; known thresholds: {', '.join(THRESHOLDS)}",
            )
        elif not isinstance(value, int) or isinstance(value, bool) or value < 0:
            wrong_type(("thresholds", key), "a whole number, 0 or more", value)
        else:
            settings.thresholds[key] = value


def _read_sources(table, settings: Settings, problem, wrong_type) -> None:
    if table is None:
        return
    if not isinstance(table, dict):
        wrong_type(("sources",), 'tables such as [sources."cold email"]', table)
        return
    for name, values in table.items():
        if not isinstance(values, dict):
            wrong_type(("sources", name), "a table with scalable and cost", values)
            continue
        source = Source(name=name)
        for key, value in values.items():
            keys = ("sources", name, key)
            if key not in SOURCE_KEYS:
                problem(
                    keys,
                    f"unknown key '{key}' in [sources.{name}]{did_you_mean(key, SOURCE_KEYS)}; "
                    f"known keys: {', '.join(SOURCE_KEYS)}",
                )
            elif key == "scalable":
                if isinstance(value, bool):
                    source.scalable = value
                else:
                    wrong_type(keys, "true or false", value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
                source.cost = float(value)
            else:
                wrong_type(keys, "a number, 0 or more", value)
        settings.sources[name.lower()] = source
