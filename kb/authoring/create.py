"""Make things the user asked for: a new KB, and new records from the skeletons."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from kb.config import CONFIG_FILE, Kb, is_kb
from kb.errors import KbError, UsageError, did_you_mean
from kb.records.fields import QUESTIONS
from kb.records.files import atomic_write
from kb.resources import builtin_templates
from kb.vocabulary import INTERVIEW_KINDS, TYPE_DIRS

KB_TOML = """\
# Settings of this knowledge base. Every key is optional; see the README for all of them.
name = {name}

# Compute everything as of a fixed date instead of today (a TOML date, no quotes):
# as_of = 2026-03-18

# Hell-yes customers needed before metrics open (5 or more):
# gate = 5

# Interview kinds that count as sales calls for milestone 1:
# sales_kinds = ["discovery", "sales", "demo"]

# Who the founders are (milestone 8: handing sales to reps):
# founders = ["Ana Ruiz"]

# Pipeline sources (milestone 7), matched to customers' `source` case-insensitively:
# [sources."cold email"]
# scalable = true
# cost = 12000
"""
GITIGNORE = "# kb's derived state: rebuilt from the Markdown files at any time\n.kb/\n"


def init_kb(folder: Path, name: str | None = None) -> list[Path]:
    """Make an empty KB in `folder`; refuse to touch one that is already a KB."""
    folder = folder.resolve()
    if is_kb(folder):
        raise KbError(f"{folder} is already a knowledge base: nothing was changed")
    if folder.exists() and not folder.is_dir():
        raise KbError(f"{folder} is a file, not a folder")
    made = []
    for sub in TYPE_DIRS.values():
        (folder / sub).mkdir(parents=True, exist_ok=True)
        made.append(folder / sub)
    config = folder / CONFIG_FILE
    atomic_write(config, KB_TOML.format(name=json.dumps(name or folder.name)), expected_sha256="")
    made.append(config)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        atomic_write(ignore, GITIGNORE, expected_sha256="")
        made.append(ignore)
    elif ".kb/" not in ignore.read_text(encoding="utf-8", errors="replace").split():
        with ignore.open("a", encoding="utf-8") as stream:
            stream.write("\n" + GITIGNORE)
        made.append(ignore)
    return made


def slugify(text: str) -> str:
    """A file-name slug from what the user typed ("Acme Corp" → "acme-corp")."""
    from slugify import slugify as make_slug  # here, not at the top: python-slugify loads its Unicode tables

    slug = make_slug(text)
    if not slug:
        raise UsageError(f"cannot make a file name from {text!r}: use letters or digits")
    return slug


def _render(kb: Kb, record_type: str, **values) -> str:
    # Jinja2 only when a skeleton is written: `kb --help` and the commands that read stay fast.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    folders = [kb.root / "templates" / "new", builtin_templates() / "new"]
    env = Environment(
        loader=FileSystemLoader([str(f) for f in folders if f.is_dir()]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["yaml"] = lambda value: json.dumps("" if value is None else str(value), ensure_ascii=False)
    return env.get_template(f"{record_type}.md").render(questions=QUESTIONS, **values)


def skeleton(kb: Kb, record_type: str, **values) -> str:
    """The KB's skeleton for a new record (its own templates/new/ first, then kb's), filled in."""
    return _render(kb, record_type, **values)


def _write_new(path: Path, text: str) -> None:
    try:
        atomic_write(path, text, expected_sha256="")
    except (KbError, FileExistsError):
        raise KbError(f"{path} exists already: kb never overwrites a record") from None


def new_customer(kb: Kb, slug: str, name: str | None = None) -> Path:
    """Write content/customers/<slug>.md from the skeleton; `slug` may be the name as typed ("Café Zoë")."""
    typed, slug = " ".join(slug.split()), slugify(slug)
    path = kb.type_dir("customer") / f"{slug}.md"
    if path.exists():
        raise KbError(f"{kb.relative(path)} exists already: kb never overwrites a record")
    # A name typed as such keeps its accents and capitals; only a bare slug is made into a name.
    shown = name or (typed if typed != slug else slug.replace("-", " ").title())
    _write_new(path, _render(kb, "customer", name=shown, slug=slug))
    return path


def _ensure_customer(kb: Kb, customer: str) -> tuple[str, list[Path]]:
    slug = slugify(customer)
    existing = list(kb.type_dir("customer").rglob(f"{slug}.md")) if kb.type_dir("customer").is_dir() else []
    return slug, [] if existing else [new_customer(kb, slug)]


def new_interview(kb: Kb, customer: str, date: dt.date | None = None, kind: str = "other") -> list[Path]:
    """Write a call note named <date>-<customer>-<kind>; the customer file too when it is new."""
    if kind not in INTERVIEW_KINDS:
        raise UsageError(
            f"--kind: expected one of {', '.join(INTERVIEW_KINDS)}; got {kind!r}{did_you_mean(kind, INTERVIEW_KINDS)}"
        )
    slug, made = _ensure_customer(kb, customer)
    day = date or dt.date.today()
    base = f"{day.isoformat()}-{slug}-{kind}"
    folder = kb.type_dir("interview")
    path, number = folder / f"{base}.md", 1
    while path.exists():
        number += 1
        path = folder / f"{base}-{number}.md"
    _write_new(path, _render(kb, "interview", customer=slug, date=day.isoformat(), kind=kind))
    return [path, *made]


def new_casestudy(kb: Kb, customer: str, slug: str | None = None, person: str | None = None) -> list[Path]:
    """Write casestudies/<slug>.md with the five questions; the customer file too when it is new."""
    customer_slug, made = _ensure_customer(kb, customer)
    # Not the customer's own slug: a bare [[acme]] would then match two records.
    slug = slugify(slug) if slug else f"{customer_slug}-story"
    path = kb.type_dir("casestudy") / f"{slug}.md"
    if path.exists():
        raise KbError(
            f"{kb.relative(path)} exists already: kb never overwrites a record; "
            f"choose another name with --slug {slug}-2"
        )
    example = f"{dt.date.today().isoformat()}-{customer_slug}-discovery"
    _write_new(
        path,
        _render(
            kb,
            "casestudy",
            customer=customer_slug,
            slug=slug,
            person=person or "Who had to change? (name, role)",
            example_call=example,
        ),
    )
    return [path, *made]
