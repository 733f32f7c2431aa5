"""The shape of the code holds: the import contract of pyproject.toml, and a `kb` that starts light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO

# The tools of the venv that runs the tests (the `test` extra installs import-linter there).
BIN = Path(sys.executable).parent


def test_the_layers_contract_is_kept():
    """`lint-imports` checks [tool.importlinter] in pyproject.toml: layers, and store apart from search."""
    result = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_the_cli_loads_no_web_search_or_database_library():
    """`kb --help` and `kb check` start fast: Flask, Whoosh and SQLModel load inside the commands that use them."""
    code = (
        "import kb.cli, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask','whoosh','sqlmodel')))"
    )

    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
