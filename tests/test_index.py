"""`kb index` and the refresh every command does first: incremental, crash-safe, self-healing, shared.

Everything here runs against a real SQLite database and a real Whoosh index in `.kb/`.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

LINE = re.compile(r"^\s+(new|changed|renamed|deleted)\s+(.+)$")


def reported(output: str) -> dict[str, set[str]]:
    """What `kb index` listed, by kind: {"new": {...}, "renamed": {"old -> new"}, ...}."""
    found: dict[str, set[str]] = {"new": set(), "changed": set(), "renamed": set(), "deleted": set()}
    for line in output.splitlines():
        match = LINE.match(line)
        if match:
            found[match.group(1)].add(match.group(2).strip())
    return found


def search_paths(runner, kb, *args) -> list[str]:
    """The paths `kb search ... --json` finds, in order."""
    result = runner(kb, "search", *args, "--json", "--limit", "10000")
    assert result.exit_code == 0, result.output
    return [hit["path"] for hit in json.loads(result.stdout)["hits"]]


@pytest.fixture
def small_kb(kb_root, runner):
    """A KB with a customer, a call in a year subfolder and a story, indexed once."""
    kb_root.customer("acme", stage="customer", won_on="2026-01-10")
    kb_root.interview(
        "2026/2026-03-02-acme-discovery",
        "acme",
        "2026-03-02",
        body="They failed the audit twice and the controller quit.",
    )
    kb_root.casestudy("acme", "acme", answers={"why_change": "The auditor found gaps in the ledger."})
    first = runner(kb_root, "index")
    assert first.exit_code == 0, first.output
    return kb_root


# --- what `kb index` says -------------------------------------------------------------------------


def test_first_index_lists_every_file_as_new_including_subfolders(kb_root, runner):
    kb_root.customer("acme")
    kb_root.interview("2026/03/2026-03-02-acme-discovery", "acme", "2026-03-02", body="Audit pain.")
    kb_root.write("casestudies/archive/acme.md", "---\ncustomer: acme\nperson: Jane, CFO\nstatus: draft\n---\n")
    kb_root.write("content/customers/old/globex.md", "---\nname: Globex\n---\n")

    result = runner(kb_root, "index")

    assert result.exit_code == 0, result.output
    assert "4 new, 0 changed, 0 renamed, 0 deleted" in result.stdout
    assert reported(result.stdout)["new"] == {
        "content/customers/acme.md",
        "content/customers/old/globex.md",
        "content/interviews/2026/03/2026-03-02-acme-discovery.md",
        "casestudies/archive/acme.md",
    }
    assert search_paths(runner, kb_root, "audit") == ["content/interviews/2026/03/2026-03-02-acme-discovery.md"]
    assert search_paths(runner, kb_root, "globex") == ["content/customers/old/globex.md"]


def test_nothing_changed_says_up_to_date(small_kb, runner):
    result = runner(small_kb, "index")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("up to date: 3 files, nothing changed"), result.output
    assert reported(result.stdout) == {"new": set(), "changed": set(), "renamed": set(), "deleted": set()}


def test_a_touched_file_with_the_same_content_is_not_changed(small_kb, runner):
    path = small_kb.root / "casestudies/acme.md"
    later = path.stat().st_mtime_ns + 60 * 10**9
    os.utime(path, ns=(later, later))

    result = runner(small_kb, "index")

    assert result.exit_code == 0, result.output
    assert "up to date" in result.stdout, result.output
    # The new mtime was remembered: the file is not hashed and reported again next time either.
    assert "up to date" in runner(small_kb, "index").stdout


def test_an_edit_is_reported_as_changed(small_kb, runner):
    path = small_kb.root / "content/interviews/2026/2026-03-02-acme-discovery.md"
    path.write_text(path.read_text().replace("controller quit", "controller was promoted"))

    result = runner(small_kb, "index")

    assert result.exit_code == 0, result.output
    assert "0 new, 1 changed, 0 renamed, 0 deleted" in result.stdout, result.output
    assert reported(result.stdout)["changed"] == {"content/interviews/2026/2026-03-02-acme-discovery.md"}


def test_a_same_size_edit_is_reported_as_changed(small_kb, runner):
    path = small_kb.root / "content/interviews/2026/2026-03-02-acme-discovery.md"
    before = path.stat()
    path.write_text(path.read_text().replace("twice", "twic3"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    assert path.stat().st_size == before.st_size

    result = runner(small_kb, "index")

    assert reported(result.stdout)["changed"] == {"content/interviews/2026/2026-03-02-acme-discovery.md"}, result.output


def test_a_file_renamed_in_its_folder_is_reported_as_renamed(small_kb, runner):
    old = small_kb.root / "casestudies/acme.md"
    old.rename(small_kb.root / "casestudies/acme-cfo.md")

    result = runner(small_kb, "index")

    assert result.exit_code == 0, result.output
    assert "0 new, 0 changed, 1 renamed, 0 deleted" in result.stdout, result.output
    assert reported(result.stdout)["renamed"] == {"casestudies/acme.md -> casestudies/acme-cfo.md"}


def test_a_file_moved_to_a_subfolder_is_reported_as_renamed(small_kb, runner):
    old = small_kb.root / "content/interviews/2026/2026-03-02-acme-discovery.md"
    (small_kb.root / "content/interviews/2026/03").mkdir()
    old.rename(small_kb.root / "content/interviews/2026/03/2026-03-02-acme-discovery.md")

    result = runner(small_kb, "index")

    assert result.exit_code == 0, result.output
    assert reported(result.stdout)["renamed"] == {
        "content/interviews/2026/2026-03-02-acme-discovery.md -> "
        "content/interviews/2026/03/2026-03-02-acme-discovery.md"
    }, result.output
    assert "0 new, 0 changed, 1 renamed, 0 deleted" in result.stdout


def test_a_deleted_file_is_reported_as_deleted(small_kb, runner):
    (small_kb.root / "casestudies/acme.md").unlink()

    result = runner(small_kb, "index")

    assert result.exit_code == 0, result.output
    assert "indexed 2 files: 0 new, 0 changed, 0 renamed, 1 deleted" in result.stdout, result.output
    assert reported(result.stdout)["deleted"] == {"casestudies/acme.md"}


def test_one_run_reports_each_kind_of_change(small_kb, runner):
    root = small_kb.root
    small_kb.customer("globex")
    (root / "content/customers/acme.md").write_text("---\nname: Acme Corp\nstage: lead\n---\nA bank.\n")
    (root / "casestudies/acme.md").rename(root / "casestudies/acme-2026.md")
    (root / "content/interviews/2026/2026-03-02-acme-discovery.md").unlink()

    result = runner(small_kb, "index")

    assert result.exit_code == 0, result.output
    assert "indexed 3 files: 1 new, 1 changed, 1 renamed, 1 deleted" in result.stdout, result.output
    assert reported(result.stdout) == {
        "new": {"content/customers/globex.md"},
        "changed": {"content/customers/acme.md"},
        "renamed": {"casestudies/acme.md -> casestudies/acme-2026.md"},
        "deleted": {"content/interviews/2026/2026-03-02-acme-discovery.md"},
    }


def test_rebuild_indexes_every_file_from_nothing(small_kb, runner):
    result = runner(small_kb, "index", "--rebuild")

    assert result.exit_code == 0, result.output
    assert "rebuilt the index from 3 files" in result.stdout
    assert "up to date" in runner(small_kb, "index").stdout
    assert len(search_paths(runner, small_kb, "acme")) == 3


# --- every command refreshes first: `kb search` follows the files without `kb index` ----------------


def test_search_follows_an_edit_without_kb_index(small_kb, runner):
    path = small_kb.root / "content/interviews/2026/2026-03-02-acme-discovery.md"
    assert search_paths(runner, small_kb, "controller") == ["content/interviews/2026/2026-03-02-acme-discovery.md"]
    path.write_text(path.read_text().replace("the controller quit", "the treasurer left"))

    assert search_paths(runner, small_kb, "treasurer") == ["content/interviews/2026/2026-03-02-acme-discovery.md"]
    assert search_paths(runner, small_kb, "controller") == []
    # The search brought .kb/ up to date, so there is nothing left for `kb index` to do.
    assert "up to date" in runner(small_kb, "index").stdout


def test_search_follows_a_rename_into_a_subfolder_without_kb_index(small_kb, runner):
    root = small_kb.root
    (root / "casestudies/2026").mkdir()
    (root / "casestudies/acme.md").rename(root / "casestudies/2026/acme.md")

    assert search_paths(runner, small_kb, "auditor") == ["casestudies/2026/acme.md"]
    assert "up to date" in runner(small_kb, "index").stdout


def test_search_follows_a_delete_without_kb_index(small_kb, runner):
    (small_kb.root / "content/interviews/2026/2026-03-02-acme-discovery.md").unlink()

    assert search_paths(runner, small_kb, "audit") == []
    assert sorted(search_paths(runner, small_kb, "customer:acme")) == [
        "casestudies/acme.md",
        "content/customers/acme.md",
    ]


def test_search_follows_a_new_file_without_kb_index(small_kb, runner):
    small_kb.interview("2026-03-09-acme-sales", "acme", "2026-03-09", body="Procurement wants a discount.")

    assert search_paths(runner, small_kb, "procurement") == ["content/interviews/2026-03-09-acme-sales.md"]


# --- crash safety -----------------------------------------------------------------------------------

CRASH_FILES = 1000


def _kb_process(root: Path, *args, **kwargs):
    env = {**os.environ, "KB_ROOT": str(root)}
    return subprocess.Popen(
        [sys.executable, "-m", "kb", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.mark.slow
def test_a_rebuild_killed_half_way_loses_nothing(kb_root, run_kb):
    words = "pricing onboarding budget security renewal spreadsheet integration workflow deadline".split()
    for number in range(CRASH_FILES):
        body = " ".join(words[(number + k) % len(words)] for k in range(60))
        kb_root.write(
            f"content/interviews/{number % 12:02d}/2026-01-{1 + number % 28:02d}-c{number}-call.md",
            f"---\ncustomer: c{number % 40}\ndate: 2026-01-{1 + number % 28:02d}\nkind: sales\n---\n"
            f"## Notes\nmarker{number} everywhere {body}\n",
        )
    every_file = {f"content/interviews/{n % 12:02d}/2026-01-{1 + n % 28:02d}-c{n}-call.md" for n in range(CRASH_FILES)}

    started = time.monotonic()
    full = run_kb(kb_root, "index", "--rebuild")
    took = time.monotonic() - started
    assert full.returncode == 0, full.stderr
    assert took >= 1.0, f"the rebuild took {took:.2f} s: too quick to be killed half-way; add files"

    for fraction in (0.5, 0.8):
        # The machine is shared: if kb finishes early this time, kill it sooner on the next try.
        for _attempt in range(5):
            process = _kb_process(kb_root.root, "index", "--rebuild")
            time.sleep(took * fraction)
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=30)
            if process.returncode == -signal.SIGKILL:
                break
            fraction *= 0.6
        assert process.returncode == -signal.SIGKILL, "kb finished before it could be killed"

        result = run_kb(kb_root, "search", "everywhere", "--json", "--limit", "10000")

        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        found = json.loads(result.stdout)
        assert found["total"] == CRASH_FILES
        assert {hit["path"] for hit in found["hits"]} == every_file

    one = run_kb(kb_root, "search", "marker777", "--json")
    assert [hit["path"] for hit in json.loads(one.stdout)["hits"]] == ["content/interviews/09/2026-01-22-c777-call.md"]
    again = run_kb(kb_root, "index")
    assert again.returncode == 0, again.stderr
    assert f"up to date: {CRASH_FILES} files" in again.stdout


# --- .kb/ missing, corrupt or old: rebuilt with one notice, nothing lost ------------------------------


def _assert_rebuilt_and_whole(result, small_kb, runner):
    assert result.exit_code == 0, result.output
    notices = [line for line in result.stderr.splitlines() if line.startswith("kb:")]
    assert len(notices) == 1 and "rebuilt .kb/" in notices[0], result.stderr
    assert "Traceback" not in result.output
    assert sorted(search_paths(runner, small_kb, "acme")) == [
        "casestudies/acme.md",
        "content/customers/acme.md",
        "content/interviews/2026/2026-03-02-acme-discovery.md",
    ]


def test_deleted_state_folder_is_rebuilt(small_kb, runner):
    import shutil

    shutil.rmtree(small_kb.root / ".kb")

    result = runner(small_kb, "search", "audit")

    _assert_rebuilt_and_whole(result, small_kb, runner)
    assert ".kb/ was missing" in result.stderr
    assert "content/interviews/2026/2026-03-02-acme-discovery.md" in result.stdout


def test_garbage_database_is_rebuilt(small_kb, runner):
    (small_kb.root / ".kb/kb.sqlite3").write_bytes(os.urandom(8192))

    _assert_rebuilt_and_whole(runner(small_kb, "search", "audit"), small_kb, runner)


def test_empty_database_file_is_rebuilt(small_kb, runner):
    (small_kb.root / ".kb/kb.sqlite3").write_bytes(b"")

    _assert_rebuilt_and_whole(runner(small_kb, "check"), small_kb, runner)


def test_deleted_index_folder_is_rebuilt(small_kb, runner):
    import shutil

    shutil.rmtree(small_kb.root / ".kb/index")

    result = runner(small_kb, "search", "audit")

    _assert_rebuilt_and_whole(result, small_kb, runner)
    assert "the search index was missing" in result.stderr


def test_truncated_index_files_are_rebuilt(small_kb, runner):
    for path in (small_kb.root / ".kb/index").iterdir():
        path.write_bytes(b"")

    _assert_rebuilt_and_whole(runner(small_kb, "search", "audit"), small_kb, runner)


def test_truncated_index_segments_are_rebuilt(small_kb, runner):
    segments = [p for p in (small_kb.root / ".kb/index").iterdir() if p.suffix == ".seg"]
    assert segments
    for path in segments:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])

    _assert_rebuilt_and_whole(runner(small_kb, "search", "audit"), small_kb, runner)


def test_state_from_an_older_schema_version_is_rebuilt(small_kb, runner):
    with sqlite3.connect(small_kb.root / ".kb/kb.sqlite3") as connection:
        changed = connection.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'").rowcount
    connection.close()
    assert changed == 1

    result = runner(small_kb, "search", "audit")

    _assert_rebuilt_and_whole(result, small_kb, runner)
    assert "schema version 0" in result.stderr


def test_corrupt_state_in_a_real_process_prints_no_traceback(small_kb, run_kb):
    (small_kb.root / ".kb/kb.sqlite3").write_bytes(b"not a database at all" * 100)
    for path in (small_kb.root / ".kb/index").iterdir():
        path.write_bytes(b"\x00" * 7)

    result = run_kb(small_kb, "search", "acme", "--json")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "rebuilt .kb/" in result.stderr, result.stderr
    assert json.loads(result.stdout)["total"] == 3


# --- two processes: a held lock makes kb wait 5 s, then answer from the last committed state -------------


@pytest.mark.slow
def test_a_held_lock_makes_search_wait_then_answer_from_the_last_state(small_kb, run_kb):
    lock = small_kb.root / ".kb/lock"
    small_kb.interview("2026-03-09-acme-sales", "acme", "2026-03-09", body="Procurement wants a discount.")
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        started = time.monotonic()
        waited = run_kb(small_kb, "search", "audit OR procurement", "--json", timeout=60)
        elapsed = time.monotonic() - started
        fcntl.flock(handle, fcntl.LOCK_UN)

    assert waited.returncode == 0, waited.stderr
    assert 4.5 <= elapsed <= 15, f"waited {elapsed:.1f} s"
    assert "another kb process held the index" in waited.stderr
    assert "last committed state" in waited.stderr
    assert "Traceback" not in waited.stderr
    # The answer is the state before the lock: the new call is not in it yet.
    assert [hit["path"] for hit in json.loads(waited.stdout)["hits"]] == [
        "content/interviews/2026/2026-03-02-acme-discovery.md"
    ]

    started = time.monotonic()
    free = run_kb(small_kb, "search", "audit OR procurement", "--json")
    elapsed = time.monotonic() - started

    assert free.returncode == 0, free.stderr
    assert elapsed < 4, f"a search with the lock free took {elapsed:.1f} s"
    assert "another kb process" not in free.stderr
    assert sorted(hit["path"] for hit in json.loads(free.stdout)["hits"]) == [
        "content/interviews/2026-03-09-acme-sales.md",
        "content/interviews/2026/2026-03-02-acme-discovery.md",
    ]


@pytest.mark.slow
def test_a_held_lock_on_a_kb_never_indexed_is_a_clear_error(kb_root, run_kb):
    kb_root.customer("acme")
    (kb_root.root / ".kb").mkdir()
    with open(kb_root.root / ".kb/lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        result = run_kb(kb_root, "search", "acme", timeout=60)
        fcntl.flock(handle, fcntl.LOCK_UN)

    assert result.returncode == 1, result.stderr
    assert "another kb process is building the index" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_same_size_edit_in_the_same_mtime_tick_is_still_seen(kb_root, runner):
    """Git's "racy clean" case: size and mtime say unchanged, yet the content changed."""
    path = kb_root.interview("2026-03-02-acme-discovery", "acme", "2026-03-02", body="They said apple.")
    kb_root.customer("acme")
    assert runner(kb_root, "index").exit_code == 0
    stat = path.stat()
    path.write_text(path.read_text().replace("apple", "mango"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns

    result = runner(kb_root, "search", "mango", "--json")

    assert '"content/interviews/2026-03-02-acme-discovery.md"' in result.stdout, result.output


def test_search_updates_the_index_and_the_database_follows_on_the_next_command(small_kb, runner):
    """kb search brings only the index up to date; check and export still see every edit."""
    assert runner(small_kb, "index").exit_code == 0
    path = small_kb.root / "content/customers/acme.md"
    path.write_text(path.read_text().replace("stage: customer", "stage: customr"), encoding="utf-8")

    assert runner(small_kb, "search", "acme").exit_code == 0
    snapshot = json.loads((small_kb.root / ".kb/snapshot.json").read_text())
    assert snapshot["store_in_step"] is False

    checked = runner(small_kb, "check")
    assert checked.exit_code == 1 and "did you mean 'customer'" in checked.output, checked.output
    exported = json.loads(runner(small_kb, "export").stdout)
    assert [r["stage"] for r in exported if r["path"] == "content/customers/acme.md"] == ["lead"]  # the default
    assert json.loads((small_kb.root / ".kb/snapshot.json").read_text())["store_in_step"] is True


def test_touching_a_file_does_not_put_the_database_out_of_step(small_kb, runner):
    assert runner(small_kb, "index").exit_code == 0
    path = small_kb.root / "content/customers/acme.md"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 10**10))

    assert runner(small_kb, "search", "acme").exit_code == 0

    assert json.loads((small_kb.root / ".kb/snapshot.json").read_text())["store_in_step"] is True
