"""Fixtures: KBs written from dedented strings, a CLI runner, and the demo KB at the repository root."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli

REPO = Path(__file__).resolve().parent.parent


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


D = "2026-03-18"  # the as-of date the method tests compute on (the demo KB pins it too)


def status_json(runner, kb, as_of: str = D) -> dict:
    """`kb status --as-of D --json`, which must succeed, as data."""
    import json

    result = runner(kb, "status", "--as-of", as_of, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def milestone(data: dict, number: int) -> dict:
    """One milestone of `kb status --json`."""
    return next(m for m in data["milestones"] if m["number"] == number)


@pytest.fixture
def kb_root(tmp_path) -> KbFolder:
    """An empty KB to write files into."""
    return KbFolder(tmp_path / "kb")


@pytest.fixture
def runner():
    """Run `kb` in process: runner(kb_folder, "check", "--json") -> click Result."""
    cli_runner = CliRunner()

    def run(folder, *args, input=None):
        root = Path(folder) if isinstance(folder, (str, os.PathLike)) else folder.root  # a path or a KbFolder
        return cli_runner.invoke(cli, ["--root", str(root), *args], input=input, catch_exceptions=False)

    return run


@pytest.fixture
def run_kb():
    """Run `kb` as a real process: run_kb(kb_folder, "search", "audit") -> CompletedProcess."""

    def run(folder, *args, timeout=120, **kwargs):
        root = Path(folder) if isinstance(folder, (str, os.PathLike)) else folder.root  # a path or a KbFolder
        env = {**os.environ, "KB_ROOT": str(root)}
        return subprocess.run(
            [sys.executable, "-m", "kb", *args], capture_output=True, text=True, env=env, timeout=timeout, **kwargs
        )

    return run


def copy_demo(root: Path) -> Path:
    """The demo KB (the repository root's kb.toml, casestudies/ and content/) copied into `root`."""
    import shutil

    root.mkdir(parents=True, exist_ok=True)
    for name in ("kb.toml", "casestudies", "content"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        elif source.exists():
            shutil.copy(source, root / name)
    return root


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory) -> Path:
    """A copy of the demo KB, shared by the session: read only."""
    return copy_demo(tmp_path_factory.mktemp("demo"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI no test may skip: a missing component fails the run."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"
