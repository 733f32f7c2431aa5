"""The `kb` command itself: help, finding the KB, `kb init`, `kb export`, and never a traceback."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kb.cli import cli


def kb(*args, env: dict | None = None):
    """Run `kb ARGS` in process, finding the KB as a user's shell would (no --root added)."""
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False, prog_name="kb")


def real_kb(*args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m kb ARGS` as a real process in `cwd`, without KB_ROOT unless given."""
    environment = {k: v for k, v in os.environ.items() if k != "KB_ROOT"} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "kb", *args], cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(autouse=True)
def no_kb_root(monkeypatch):
    """Tests here say where the KB is; a KB_ROOT from the developer's shell must not leak in."""
    monkeypatch.delenv("KB_ROOT", raising=False)


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder` with its bytes and mtime, and every folder, to prove nothing changed."""
    found = {}
    for path in sorted(folder.rglob("*")):
        shown = path.relative_to(folder).as_posix()
        found[shown] = (path.read_bytes(), path.stat().st_mtime_ns) if path.is_file() else (b"", 0)
    return found


# --- help ---------------------------------------------------------------------------------------------


def every_command(group: click.Group = cli, path: tuple[str, ...] = ()):
    yield path, group
    for name, command in getattr(group, "commands", {}).items():
        yield from every_command(command, (*path, name))


COMMANDS = list(every_command())


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "kb" for p, _ in COMMANDS])
def test_every_command_has_help_that_describes_its_options(path, command):
    result = kb(*path, "--help")

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: kb {' '.join(path)}".rstrip()), result.output
    assert command.help and command.help.split("\n")[0].strip()[:30] in " ".join(result.output.split())
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"kb {' '.join(path)} {param.opts[-1]} has no help text"
            assert param.opts[-1] in result.output
            assert " ".join(param.help.split())[:25] in " ".join(result.output.split())


def test_top_level_help_lists_every_command():
    result = kb("--help")

    assert result.exit_code == 0, result.output
    for name in cli.commands:
        assert f"  {name}" in result.output


def test_help_works_outside_any_kb(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert kb("search", "--help").exit_code == 0
    assert kb("new", "interview", "-h").exit_code == 0


def test_python_dash_m_kb_help(tmp_path):
    result = real_kb("--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: ")
    assert "search" in result.stdout and "init" in result.stdout


def test_version():
    result = kb("--version")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("kb, version ")


# --- finding the KB -------------------------------------------------------------------------------------


NEEDS_A_KB = [
    ("check",),
    ("index",),
    ("index", "--rebuild"),
    ("search", "audit"),
    ("export",),
    ("export", "--format", "csv"),
    ("new", "casestudy", "acme", "--no-edit"),
    ("new", "interview", "acme", "--kind", "discovery", "--no-edit"),
    ("new", "customer", "acme", "--no-edit"),
]


@pytest.mark.parametrize("args", NEEDS_A_KB, ids=" ".join)
def test_outside_any_kb_a_command_says_how_to_make_one(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)

    result = kb(*args)

    assert result.exit_code == 1, result.output
    assert "no knowledge base" in result.stderr
    assert "kb init" in result.stderr
    assert list(tmp_path.iterdir()) == [], "kb made files outside a knowledge base"


def test_outside_any_kb_a_real_process_prints_no_traceback(tmp_path):
    for args in NEEDS_A_KB[:4]:
        result = real_kb(*args, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        assert "kb init" in result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("how", ["--root", "KB_ROOT"])
def test_root_that_is_not_a_kb_says_how_to_make_one(tmp_path, how):
    args, env = (["--root", str(tmp_path)], None) if how == "--root" else ([], {"KB_ROOT": str(tmp_path)})

    result = kb(*args, "check", env=env)

    assert result.exit_code == 1, result.output
    assert "is not a knowledge base" in result.stderr
    assert how in result.stderr
    assert f"kb init {tmp_path}" in result.stderr


@pytest.fixture
def two_kbs(tmp_path):
    """Two KBs, alpha and beta, each with one customer named after it."""
    for name in ("alpha", "beta"):
        made = kb("init", str(tmp_path / name))
        assert made.exit_code == 0, made.output
        (tmp_path / name / "content/interviews/2026").mkdir(parents=True)
        (tmp_path / name / f"content/customers/{name}.md").write_text(f"---\nname: {name.title()}\n---\n")
    return tmp_path / "alpha", tmp_path / "beta"


def found_customers(result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [hit["slug"] for hit in json.loads(result.stdout)["hits"]]


def test_the_kb_is_found_by_walking_up_from_a_subfolder(two_kbs, monkeypatch):
    alpha, _beta = two_kbs
    monkeypatch.chdir(alpha / "content/interviews/2026")

    assert found_customers(kb("search", "--type", "customer", "--json")) == ["alpha"]


def test_kb_root_wins_over_the_current_folder(two_kbs, monkeypatch):
    alpha, beta = two_kbs
    monkeypatch.chdir(alpha / "content")

    assert found_customers(kb("search", "--type", "customer", "--json", env={"KB_ROOT": str(beta)})) == ["beta"]


def test_root_option_wins_over_kb_root_and_the_current_folder(two_kbs, monkeypatch):
    alpha, beta = two_kbs
    monkeypatch.chdir(beta)

    result = kb("--root", str(alpha), "search", "--type", "customer", "--json", env={"KB_ROOT": str(beta)})

    assert found_customers(result) == ["alpha"]


def test_a_folder_with_casestudies_and_content_is_a_kb_without_kb_toml(tmp_path, monkeypatch):
    for sub in ("casestudies", "content/customers", "content/interviews"):
        (tmp_path / "plain" / sub).mkdir(parents=True)
    (tmp_path / "plain/content/customers/acme.md").write_text("---\nname: Acme\n---\n")
    monkeypatch.chdir(tmp_path / "plain/casestudies")

    assert found_customers(kb("search", "acme", "--json")) == ["acme"]


def test_walking_up_works_in_a_real_process(two_kbs):
    alpha, _beta = two_kbs

    result = real_kb("search", "--type", "customer", "--json", cwd=alpha / "content/interviews/2026")

    assert result.returncode == 0, result.stderr
    assert [hit["slug"] for hit in json.loads(result.stdout)["hits"]] == ["alpha"]


# --- kb init ----------------------------------------------------------------------------------------------


def test_init_makes_an_empty_kb(tmp_path):
    result = kb("init", str(tmp_path / "my-kb"))

    assert result.exit_code == 0, result.output
    root = tmp_path / "my-kb"
    for sub in ("casestudies", "content/customers", "content/interviews"):
        assert (root / sub).is_dir(), sub
    assert tomllib.loads((root / "kb.toml").read_text())["name"] == "my-kb"
    assert ".kb/" in (root / ".gitignore").read_text().split()
    assert "kb new" in result.output

    check = kb("--root", str(root), "check")
    assert check.exit_code == 0, check.output
    assert check.stdout == ""


def test_init_with_a_name_and_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = kb("init", "--name", "Acme Labs")

    assert result.exit_code == 0, result.output
    assert tomllib.loads((tmp_path / "kb.toml").read_text())["name"] == "Acme Labs"
    assert (tmp_path / "casestudies").is_dir()


def test_a_new_kb_takes_records_and_finds_them(tmp_path, monkeypatch):
    assert kb("init", str(tmp_path / "k")).exit_code == 0
    monkeypatch.chdir(tmp_path / "k")

    made = kb("new", "interview", "acme", "--kind", "discovery", "--date", "2026-03-02", "--no-edit")

    assert made.exit_code == 0, made.output
    assert found_customers(kb("search", "customer:acme", "--type", "interview", "--json")) == [
        "2026-03-02-acme-discovery"
    ]
    assert kb("check").exit_code == 0


def test_init_keeps_an_existing_gitignore_and_adds_kb_state(tmp_path):
    (tmp_path / "k").mkdir()
    (tmp_path / "k/.gitignore").write_text("*.pyc\n")

    result = kb("init", str(tmp_path / "k"))

    assert result.exit_code == 0, result.output
    lines = (tmp_path / "k/.gitignore").read_text().split()
    assert "*.pyc" in lines and ".kb/" in lines


def test_init_refuses_an_existing_kb_and_changes_nothing(tmp_path):
    root = tmp_path / "k"
    assert kb("init", str(root)).exit_code == 0
    (root / "kb.toml").write_text('name = "Mine"\n')
    (root / "content/customers/acme.md").write_text("---\nname: Acme\n---\n")
    before = snapshot(root)

    result = kb("init", str(root), "--name", "Other")

    assert result.exit_code == 1, result.output
    assert "already a knowledge base" in result.stderr
    assert "nothing was changed" in result.stderr
    assert snapshot(root) == before


def test_init_refuses_a_kb_without_kb_toml(tmp_path):
    root = tmp_path / "k"
    (root / "casestudies").mkdir(parents=True)
    (root / "content").mkdir()
    before = snapshot(root)

    result = kb("init", str(root))

    assert result.exit_code == 1, result.output
    assert "already a knowledge base" in result.stderr
    assert snapshot(root) == before


def test_init_refuses_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")

    result = kb("init", str(tmp_path / "notes.txt"))

    assert result.exit_code == 2, result.output
    assert "is a file" in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "hello"
    assert "Traceback" not in result.output


# --- kb export --------------------------------------------------------------------------------------------


@pytest.fixture
def exported_kb(kb_root):
    kb_root.customer("acme", name="Acme Corp", stage="customer", won_on="2026-01-10", acv=12000, segment="fintech")
    kb_root.interview("2026/2026-03-02-acme-discovery", "acme", "2026-03-02", body="They failed the audit.")
    kb_root.casestudy(
        "acme",
        "acme",
        tags="[soc2, fintech]",
        answers={
            "why_change": "Failed the SOC2 audit twice.",
            "success": "A clean audit.",
            "options": "Spreadsheets.",
            "fit": "Plugged into Jira.",
            "renewal": "Peace of mind.",
        },
    )
    return kb_root


def test_export_json_has_every_record_with_fields_answers_and_tags(exported_kb, runner):
    result = runner(exported_kb, "export", "--format", "json")

    assert result.exit_code == 0, result.output
    records = {(row["type"], row["slug"]): row for row in json.loads(result.stdout)}
    assert set(records) == {("customer", "acme"), ("interview", "2026-03-02-acme-discovery"), ("casestudy", "acme")}
    customer = records["customer", "acme"]
    assert (customer["path"], customer["name"], customer["stage"], customer["won_on"]) == (
        "content/customers/acme.md",
        "Acme Corp",
        "customer",
        "2026-01-10",
    )
    assert customer["acv"] == 12000
    assert customer["extra"] == {"segment": "fintech"}
    call = records["interview", "2026-03-02-acme-discovery"]
    assert (call["path"], call["customer"], call["date"], call["kind"]) == (
        "content/interviews/2026/2026-03-02-acme-discovery.md",
        "acme",
        "2026-03-02",
        "discovery",
    )
    assert "They failed the audit." in call["body"]
    story = records["casestudy", "acme"]
    assert (story["customer"], story["person"], story["status"]) == ("acme", "Jane Doe, CFO", "hell-yes")
    assert story["tags"] == ["soc2", "fintech"]
    assert story["answers"] == {
        "why_change": "Failed the SOC2 audit twice.",
        "success": "A clean audit.",
        "options": "Spreadsheets.",
        "fit": "Plugged into Jira.",
        "renewal": "Peace of mind.",
    }


def test_export_csv_has_every_record_with_fields_answers_and_tags(exported_kb, runner):
    result = runner(exported_kb, "export", "--format", "csv")

    assert result.exit_code == 0, result.output
    rows = {(row["type"], row["slug"]): row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert set(rows) == {("customer", "acme"), ("interview", "2026-03-02-acme-discovery"), ("casestudy", "acme")}
    customer = rows["customer", "acme"]
    assert (customer["name"], customer["won_on"]) == ("Acme Corp", "2026-01-10")
    assert json.loads(customer["extra"]) == {"segment": "fintech"}
    call = rows["interview", "2026-03-02-acme-discovery"]
    assert (call["customer"], call["date"], call["kind"]) == ("acme", "2026-03-02", "discovery")
    story = rows["casestudy", "acme"]
    assert (story["person"], story["status"], story["tags"]) == ("Jane Doe, CFO", "hell-yes", "soc2; fintech")
    assert story["answer_why_change"] == "Failed the SOC2 audit twice."
    assert story["answer_renewal"] == "Peace of mind."


def test_export_follows_the_files_and_writes_to_a_file(exported_kb, runner, tmp_path):
    (exported_kb.root / "casestudies/acme.md").unlink()
    exported_kb.customer("globex")

    result = runner(exported_kb, "export", "-o", str(tmp_path / "all.json"))

    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "all.json").read_text())
    assert sorted((row["type"], row["slug"]) for row in rows) == [
        ("customer", "acme"),
        ("customer", "globex"),
        ("interview", "2026-03-02-acme-discovery"),
    ]


# --- no command ever prints a traceback --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("search", '"open quote'), 2),
        (("search", "--since", "yesterday", "x"), 2),
        (("search", "--limit", "0", "x"), 2),
        (("search", "--status", "hellyes", "x"), 2),
        (("nosuchcommand",), 2),
        (("new", "interview", "acme", "--kind", "coffee", "--no-edit"), 2),
        (("new", "interview", "acme", "--date", "2026-02-30", "--no-edit"), 2),
        (("new", "customer", "!!!", "--no-edit"), 2),
        (("init", "."), 1),
    ],
)
def test_error_paths_print_a_message_not_a_traceback(kb_root, args, code):
    kb_root.customer("acme")

    result = real_kb(*args, cwd=kb_root.root)

    assert result.returncode == code, result.stderr
    assert result.stderr.strip(), "an error needs a message"
    assert "Traceback" not in result.stderr


def test_new_never_overwrites(kb_root, runner):
    first = runner(kb_root, "new", "casestudy", "acme", "--person", "Jane, CFO", "--no-edit")
    assert first.exit_code == 0, first.output
    before = snapshot(kb_root.root / "casestudies")

    again = runner(kb_root, "new", "casestudy", "acme", "--no-edit")

    assert again.exit_code == 1, again.output
    assert "never overwrites" in again.stderr
    assert snapshot(kb_root.root / "casestudies") == before
