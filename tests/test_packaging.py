"""The wheel is all a founder needs: built, installed in a fresh venv, used far from this repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# Builds the wheel and installs it in a fresh virtualenv.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent


def run(*args, cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}"
    return result


def test_the_wheel_installs_and_works_outside_the_repository(tmp_path):
    assert REPO not in tmp_path.parents, "the test must run outside the repository"
    run(sys.executable, "-m", "build", "--wheel", "--outdir", tmp_path / "dist", cwd=REPO)
    (wheel,) = (tmp_path / "dist").glob("kb-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for record_type in ("casestudy", "customer", "interview"):
        assert f"kb/templates/new/{record_type}.md" in names
    assert "kb/cli/__init__.py" in names

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python, kb = venv / "bin/python", venv / "bin/kb"
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel, cwd=tmp_path)

    # A user's shell: this venv first on PATH, nothing pointing back at the repository.
    env = {k: v for k, v in os.environ.items() if k not in ("KB_ROOT", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp_path / "work"
    work.mkdir()
    where = run(
        python, "-c", "import kb.resources as c; print(c.__file__); print(c.builtin_templates())", cwd=work, env=env
    ).stdout.split()
    assert Path(where[0]).is_relative_to(venv)
    assert Path(where[1]) == Path(where[0]).parent / "templates"

    run(kb, "init", "acme-kb", cwd=work, env=env)
    root = work / "acme-kb"
    story = run(kb, "new", "casestudy", "acme", "--person", "Jane, CFO", "--no-edit", cwd=root, env=env)
    call = run(kb, "new", "interview", "acme", "--kind", "discovery", "--no-edit", cwd=root, env=env)

    assert (root / "casestudies/acme-story.md").is_file(), story.stdout
    assert "## Why did they have to change?" in (root / "casestudies/acme-story.md").read_text()
    assert 'person: "Jane, CFO"' in (root / "casestudies/acme-story.md").read_text()
    assert (root / "content/customers/acme.md").is_file()
    (made_call,) = (root / "content/interviews").glob("*-acme-discovery.md")
    assert str(made_call) in call.stdout
    assert "kind: discovery" in made_call.read_text()

    check = run(kb, "check", cwd=root, env=env)
    assert "0 errors" in check.stderr
    assert "Traceback" not in check.stderr
    found = run(kb, "search", "customer:acme", "--json", cwd=root / "content", env=env)
    assert json.loads(found.stdout)["total"] == 3
