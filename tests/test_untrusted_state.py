"""State kb cannot trust, and files it cannot read: kb says so, rebuilds what it can, and never answers
"no hits" or "0 errors" in their place.

- A rebuild killed half way leaves no worker behind, no lock held, and a state that is rebuilt (or, while
  another process holds the lock, refused as not ready), never searched as if complete.
- An index damaged behind the snapshot's back is rebuilt: `kb index` sees the change, and a search that
  fails to read it rebuilds once and answers.
- A record file kb cannot read is an error at its path, and a notice on every command.
- A read-only `.kb/` answers from the state as last built, with a notice; `.kb` that is a file is a
  clear error. Permissions are real here: tests/unprivileged.py runs kb as a process they apply to.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.unprivileged import read_only_tree, run_kb_unprivileged, writable_tree

INTERVIEW = "content/interviews/2026/2026-03-02-acme-discovery.md"


@pytest.fixture
def small_kb(kb_root, run_kb):
    """A KB with a customer, a call and a story, indexed once."""
    kb_root.customer("acme", stage="customer", won_on="2026-01-10")
    body = "They failed the audit twice and the controller quit."
    kb_root.interview("2026/2026-03-02-acme-discovery", "acme", "2026-03-02", body=body)
    kb_root.casestudy("acme", "acme", answers={"why_change": "The auditor found gaps in the ledger."})
    first = run_kb(kb_root, "index")
    assert first.returncode == 0, first.stderr
    return kb_root


def notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("kb:")]


def group_members(group: int) -> list[int]:
    """The processes still in process group `group` (zombies not counted: they hold nothing)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgid = fields[0], int(fields[2])
        if pgid == group and state != "Z":
            found.append(int(entry.name))
    return found


def lock_is_free(kb_root) -> bool:
    with open(kb_root.root / ".kb/lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


# --- a rebuild killed half way ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="lists processes through /proc")
def test_a_parallel_rebuild_killed_half_way_leaves_no_worker_and_no_lock(kb_root, run_kb):
    from bench.corpus import generate

    # Enough records for the parallel writer (one worker process per core) to be used.
    generate(kb_root.root, 2500)
    rebuild = subprocess.Popen(
        [sys.executable, "-m", "kb", "index", "--rebuild"],
        env={**os.environ, "KB_ROOT": str(kb_root.root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the workers it forks are in it too
    )
    try:
        workers_expected = (os.cpu_count() or 1) > 1
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and rebuild.poll() is None:
            if len(group_members(rebuild.pid)) >= (3 if workers_expected else 1):
                break
            time.sleep(0.05)
        time.sleep(0.5)  # the workers are at work
        assert rebuild.poll() is None, "the rebuild finished before it could be killed"
        rebuild.kill()
        rebuild.wait(timeout=30)

        deadline = time.monotonic() + 5
        while group_members(rebuild.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group_members(rebuild.pid) == [], "workers of the killed rebuild are still running"
        assert lock_is_free(kb_root)
    finally:
        if group_members(rebuild.pid):  # a failed test leaves nothing running
            os.killpg(rebuild.pid, signal.SIGKILL)
            rebuild.wait(timeout=30)

    result = run_kb(kb_root, "search", "audit", "--json", "--limit", "1", timeout=600)

    assert result.returncode == 0, result.stderr
    assert notices(result.stderr) == [
        "kb: rebuilt .kb/ from the files (an earlier rebuild did not finish); nothing was lost"
    ]
    with_word = sum("audit" in path.read_text().lower() for path in kb_root.root.glob("content/**/*.md"))
    assert json.loads(result.stdout)["total"] >= with_word > 0


def _kill_a_rebuild_half_way(kb_root, run_kb) -> None:
    """A real `kb index --rebuild`, killed once it has wiped .kb/ and before it committed."""
    for number in range(600):
        kb_root.write(
            f"content/interviews/2026-01-{1 + number % 28:02d}-c{number}-call.md",
            f"---\ncustomer: c{number % 40}\ndate: 2026-01-{1 + number % 28:02d}\nkind: sales\n---\n"
            f"## Notes\nThe audit of call {number} went badly.\n",
        )
    assert run_kb(kb_root, "index").returncode == 0
    rebuild = subprocess.Popen(
        [sys.executable, "-m", "kb", "index", "--rebuild"],
        env={**os.environ, "KB_ROOT": str(kb_root.root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    marker = kb_root.root / ".kb/rebuilding"
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.002)
    rebuild.kill()
    rebuild.wait(timeout=30)
    assert rebuild.returncode == -signal.SIGKILL, "the rebuild finished before it could be killed"


@pytest.mark.slow
def test_a_half_built_state_is_not_answered_from_while_another_process_holds_the_lock(kb_root, run_kb):
    _kill_a_rebuild_half_way(kb_root, run_kb)
    with open(kb_root.root / ".kb/lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a live rebuild does
        searched = run_kb(kb_root, "search", "audit", timeout=60)
        checked = run_kb(kb_root, "check", timeout=60)
        fcntl.flock(handle, fcntl.LOCK_UN)

    for result in (searched, checked):
        assert result.returncode == 1, result.stdout + result.stderr
        assert "another kb process is building the index and it is not ready yet" in result.stderr
        assert "no hits" not in result.stdout.lower() and "0 errors" not in result.stderr
        assert "Traceback" not in result.stderr

    result = run_kb(kb_root, "search", "audit", "--json", "--limit", "1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] == 600
    assert "an earlier rebuild did not finish" in result.stderr


@pytest.mark.slow
def test_check_says_it_answers_from_the_last_state_while_the_lock_is_held(small_kb, run_kb):
    small_kb.customer("globex")
    with open(small_kb.root / ".kb/lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        result = run_kb(small_kb, "check", timeout=60)
        fcntl.flock(handle, fcntl.LOCK_UN)

    assert result.returncode == 0, result.stderr
    assert "another kb process held the index for 5 s; answering from the last committed state" in result.stderr
    assert "in 4 files" in result.stderr  # the files on disk, of which the state as committed knows 3


# --- an index damaged behind the snapshot's back -------------------------------------------------------------


def _damage_the_index_keeping_size_and_mtime(kb_root) -> None:
    for path in (kb_root.root / ".kb/index").iterdir():
        if path.suffix == ".seg":
            before = path.stat()
            path.write_bytes(bytes(before.st_size))
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_an_index_damaged_keeping_size_and_mtime_is_not_up_to_date(small_kb, run_kb):
    _damage_the_index_keeping_size_and_mtime(small_kb)

    result = run_kb(small_kb, "index")

    assert result.returncode == 0, result.stderr
    assert "up to date" not in result.stdout
    assert notices(result.stderr) == [
        "kb: rebuilt .kb/ from the files (the search index cannot be read (UnpicklingError)); nothing was lost"
    ]
    assert "up to date: 3 files" in run_kb(small_kb, "index").stdout


def test_a_search_that_fails_to_read_the_index_rebuilds_it_once_and_answers(small_kb, run_kb):
    from kb.config import Kb
    from kb.snapshot import read_snapshot, write_snapshot

    _damage_the_index_keeping_size_and_mtime(small_kb)
    # Damage no stat shows, as a failing disk's: the snapshot vouches for the damaged files.
    kb = Kb(small_kb.root)
    assert read_snapshot(kb) is None  # the ctime moved: kb index would see it
    write_snapshot(kb, _snapshot_ignoring_the_stamp(kb))
    assert "up to date" in run_kb(small_kb, "index").stdout

    result = run_kb(small_kb, "search", "audit", "--json")

    assert result.returncode == 0, result.stderr
    assert notices(result.stderr) == [
        "kb: rebuilt .kb/ from the files (the search index cannot be read (UnpicklingError)); nothing was lost"
    ]
    assert [hit["path"] for hit in json.loads(result.stdout)["hits"]] == [INTERVIEW]
    again = run_kb(small_kb, "search", "audit", "--json")
    assert notices(again.stderr) == [] and json.loads(again.stdout)["total"] == 1


def _snapshot_ignoring_the_stamp(kb):
    from kb.snapshot import Fingerprint, Snapshot

    data = json.loads((kb.state_dir / "snapshot.json").read_text())
    return Snapshot({path: Fingerprint(*known) for path, known in data["files"].items()}, data["store_in_step"])


# --- a record file kb cannot read ----------------------------------------------------------------------


@pytest.fixture
def unreadable_customer(small_kb):
    """The customer file of small_kb, made unreadable (mode 000), and readable again at the end."""
    path = small_kb.root / "content/customers/acme.md"
    path.chmod(0)
    yield path
    path.chmod(0o644)


def test_a_record_file_kb_cannot_read_is_an_error_at_its_path(small_kb, unreadable_customer):
    result = run_kb_unprivileged(small_kb.root, "check")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "content/customers/acme.md:1: error: cannot be read: Permission denied" in result.stdout
    assert "no customer file" not in result.stdout
    assert "kb new customer" not in result.stdout
    assert notices(result.stderr)[0] == (
        "kb: cannot read content/customers/acme.md (Permission denied): it is left out until kb can read it"
    )
    assert "Traceback" not in result.stderr


def test_every_command_says_which_file_it_cannot_read(small_kb, unreadable_customer):
    first = run_kb_unprivileged(small_kb.root, "search", "acme", "--json")
    again = run_kb_unprivileged(small_kb.root, "search", "acme", "--json")
    status = run_kb_unprivileged(small_kb.root, "status")

    for result in (first, again, status):
        assert result.returncode == 0, result.stderr
        assert "kb: cannot read content/customers/acme.md (Permission denied)" in result.stderr
    assert "content/customers/acme.md" not in {hit["path"] for hit in json.loads(again.stdout)["hits"]}


def test_a_file_readable_again_is_read_again(small_kb, unreadable_customer, run_kb):
    assert run_kb_unprivileged(small_kb.root, "check").returncode == 1
    unreadable_customer.chmod(0o644)

    result = run_kb_unprivileged(small_kb.root, "check")
    found = run_kb_unprivileged(small_kb.root, "search", "customer:acme", "--json")

    assert "cannot be read" not in result.stdout + result.stderr
    assert "content/customers/acme.md" in {hit["path"] for hit in json.loads(found.stdout)["hits"]}


# --- a read-only .kb/, and .kb that is no folder -------------------------------------------------------------


@pytest.fixture
def read_only_state(small_kb):
    """small_kb with its .kb/ made read-only (every file and folder in it), and writable at the end."""
    read_only_tree(small_kb.root / ".kb")
    yield small_kb
    writable_tree(small_kb.root / ".kb")


READ_ONLY_NOTICE = (
    "kb: cannot write .kb/ (no permission to write): answering from the index as last built; changes since are not seen"
)


def test_a_read_only_state_answers_from_the_index_as_last_built(read_only_state):
    read_only_state.interview("2026-03-09-acme-sales", "acme", "2026-03-09", body="The audit again.")

    searched = run_kb_unprivileged(read_only_state.root, "search", "audit", "--json")
    checked = run_kb_unprivileged(read_only_state.root, "check")
    status = run_kb_unprivileged(read_only_state.root, "status", "--as-of", "2026-03-18")

    assert searched.returncode == 0, searched.stderr
    assert [hit["path"] for hit in json.loads(searched.stdout)["hits"]] == [INTERVIEW]  # not the new call
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert status.returncode == 0, status.stderr
    for result in (searched, checked, status):
        assert notices(result.stderr) == [READ_ONLY_NOTICE], result.stderr


def test_kb_index_on_a_read_only_state_fails_clearly(read_only_state):
    refreshed = run_kb_unprivileged(read_only_state.root, "index")
    rebuilt = run_kb_unprivileged(read_only_state.root, "index", "--rebuild")

    assert refreshed.returncode == 1 and READ_ONLY_NOTICE in refreshed.stderr, refreshed.stderr
    assert rebuilt.returncode == 1, rebuilt.stderr
    assert notices(rebuilt.stderr) == [
        "kb: cannot write .kb/ (no permission to write): nothing was rebuilt; make .kb/ writable, then try again"
    ]


def test_a_read_only_state_with_nothing_in_it_is_a_clear_error(kb_root):
    kb_root.customer("acme")
    (kb_root.root / ".kb").mkdir()
    read_only_tree(kb_root.root / ".kb")
    try:
        result = run_kb_unprivileged(kb_root.root, "search", "acme")
    finally:
        writable_tree(kb_root.root / ".kb")

    assert result.returncode == 1, result.stderr
    assert notices(result.stderr) == [
        "kb: cannot write .kb/ (no permission to write) and it holds no complete index, so kb has nothing to "
        "answer from: make .kb/ writable (or remove it for kb to make it again), then run kb index"
    ]


@pytest.mark.parametrize("command", [["search", "acme"], ["check"], ["status"], ["index"]])
def test_kb_as_a_file_is_a_clear_error_on_every_command(kb_root, run_kb, command):
    kb_root.customer("acme")
    (kb_root.root / ".kb").write_text("not a folder")

    result = run_kb(kb_root, *command)

    assert result.returncode == 1, result.stderr
    assert notices(result.stderr) == ["kb: `.kb` is a file, not a folder: move it away; kb keeps its index there"], (
        result.stderr
    )


def test_kb_as_a_dangling_link_is_a_clear_error(kb_root, run_kb):
    kb_root.customer("acme")
    (kb_root.root / ".kb").symlink_to(kb_root.root / "gone")

    result = run_kb(kb_root, "search", "acme")

    assert result.returncode == 1, result.stderr
    assert notices(result.stderr) == [
        f"kb: `.kb` is a link to {kb_root.root / 'gone'}, which does not exist: make that folder or remove the "
        "link; kb keeps its index there"
    ]
