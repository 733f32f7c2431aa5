"""Fixtures: KBs written from dedented strings, a CLI runner, and the demo KB at the repository root.

The helpers a test imports by name (KbFolder, copy_demo, status_json, ...) are in tests/helpers.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from tests.helpers import KbFolder, copy_demo


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
