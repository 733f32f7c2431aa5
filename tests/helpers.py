"""Helpers the tests share: a KB written from dedented strings, the demo KB, and `kb status` as data.

Fixtures and hooks live in conftest.py; what a test imports by name lives here.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

D = "2026-03-18"  # the as-of date the method tests compute on (the demo KB pins it too)


class KbFolder:
    """A KB in a temporary folder; `write` puts a dedented file at a path relative to it."""

    def __init__(self, root: Path):
        self.root = root
        for sub in ("casestudies", "content/customers", "content/interviews"):
            (root / sub).mkdir(parents=True, exist_ok=True)

    def write(self, relative: str, text: str | bytes) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def customer(self, slug: str, **fields) -> Path:
        fields.setdefault("name", slug.title())
        front = "\n".join(f"{k}: {v}" for k, v in fields.items())
        return self.write(f"content/customers/{slug}.md", f"---\n{front}\n---\nNotes on {slug}.\n")

    def interview(self, slug: str, customer: str, date: str, kind: str = "discovery", body: str = "") -> Path:
        return self.write(
            f"content/interviews/{slug}.md", f"---\ncustomer: {customer}\ndate: {date}\nkind: {kind}\n---\n{body}\n"
        )

    def casestudy(
        self,
        slug: str,
        customer: str,
        status: str = "hell-yes",
        person: str = "Jane Doe, CFO",
        answers: dict[str, str] | None = None,
        tags: str = "[]",
    ) -> Path:
        from kb.records.fields import QUESTIONS

        answers = answers if answers is not None else {q.key: f"Answer to {q.key}." for q in QUESTIONS}
        body = "".join(f"## {q.heading}\n{answers.get(q.key, '')}\n\n" for q in QUESTIONS)
        return self.write(
            f"casestudies/{slug}.md",
            f"---\ncustomer: {customer}\nperson: {person}\nstatus: {status}\ntags: {tags}\n---\n{body}",
        )


def status_json(runner, kb, as_of: str = D) -> dict:
    """`kb status --as-of D --json`, which must succeed, as data."""
    result = runner(kb, "status", "--as-of", as_of, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def milestone(data: dict, number: int) -> dict:
    """One milestone of `kb status --json`."""
    return next(m for m in data["milestones"] if m["number"] == number)


def copy_demo(root: Path) -> Path:
    """The demo KB (the repository root's kb.toml, casestudies/ and content/) copied into `root`."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("kb.toml", "casestudies", "content"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        elif source.exists():
            shutil.copy(source, root / name)
    return root


def compared_at(root: Path, day: str, filters=None):
    """What compare shows of the KB at `root` as of `day` (YYYY-MM-DD), `.kb/` brought up to date first;
    `filters` a kb.method.compare_filters.CompareFilter."""
    import datetime as dt

    from kb.config import Kb
    from kb.method.as_of import resolve_as_of
    from kb.method.company import company_of
    from kb.method.compare import comparison_of
    from kb.store.catalog import Catalog
    from kb.workspace import Workspace

    workspace = Workspace(Kb(root))
    workspace.refresh()
    try:
        with workspace.session() as session:
            catalog = Catalog(session)
            as_of = resolve_as_of(dt.date.fromisoformat(day), workspace.settings)
            return comparison_of(catalog, company_of(catalog, workspace.settings, as_of), filters)
    finally:
        workspace.close()
