"""The server keeps one index object and shares it: requests do not open the index each time; a commit
(the file watcher's, a request's, another kb process's) makes the next request use a new one, while a
request under way answers from the version it started with; an old index object is closed once no
request uses it, so the server's open files do not grow however many searches and edits come."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from kb.config import Kb
from kb.search.query import search
from kb.web import core, create_app
from kb.workspace import Workspace
from tests.web.helpers import close_app, kb_serve, serve, wait_for


def what_is_open(pid: int | str = "self") -> list[str]:
    """What the process's open descriptors are (files, sockets, pipes)."""
    shown = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            shown.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:  # closed meanwhile
            pass
    return sorted(shown)


def check_open_files(pid: int | str, index_folder, others_before: int) -> int:
    """No descriptor of a deleted index file (an old index object left open), only the segments of the
    index as it is now, and no more of the rest (sockets, the database...) than before, give or take the
    requests and threads under way; returns how many of the rest there are."""
    shown = what_is_open(pid)
    # Files in the folder, not the folder itself: a listing under way elsewhere (the file watcher's, a
    # commit's) holds the folder open for a moment.
    index_files = [path for path in shown if path.startswith(str(index_folder) + os.sep)]
    assert not [path for path in index_files if path.endswith("(deleted)")], shown
    assert len(index_files) <= len(list(index_folder.glob("*.seg"))), shown
    # The database's connections come and go with the engine's pool (one a thread that read at once, up to
    # its size and overflow, 15): bounded, not counted with the rest.
    database = [path for path in shown if path.startswith(str(index_folder.parent / "kb.sqlite3"))]
    assert len(database) <= 3 * 15, shown
    others = len(shown) - len(index_files) - len(database)
    assert others <= others_before + 2, "\n".join(shown)
    return others


def get_json(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"{}")


def found(base: str, word: str, token: str | None = None) -> list[str]:
    """The records a search of the served app finds for `word`, by slug."""
    status, body = get_json(f"{base}/api/search?q={word}", token)
    assert status == 200, body
    return [row["record"] for row in body["rows"]]


@pytest.fixture
def small_kb(kb_root):
    kb_root.customer("acme", stage="customer", won_on="2026-01-10")
    kb_root.interview("2026-03-02-acme-discovery", "acme", "2026-03-02", body="They failed the audit twice.")
    Workspace(Kb(kb_root.root)).refresh()
    return kb_root


def test_requests_share_one_index_object_and_a_commit_replaces_it(small_kb, make_app):
    app = make_app(small_kb.root)
    state = app.extensions["kb"]
    with app.test_request_context():
        first = core.index()
    with app.test_request_context():
        assert core.index() is first  # no commit since: the same object, not opened again
    with app.test_request_context():
        held = core.index()
        assert search(held, "audit").total == 1
        # Another kb process commits while this request is under way.
        small_kb.interview("2026-03-09-acme-sales", "acme", "2026-03-09", body="The audit again, and a quote.")
        Workspace(Kb(small_kb.root)).refresh()
        assert search(held, "audit").total == 1  # this request answers from the version it started with
        with app.app_context():  # another request, on another thread
            fresh = core.index()
            assert fresh is not held
            assert search(fresh, "audit").total == 2  # the next request sees the commit
        assert held.storage._kept != {}  # still open: a request uses it
        assert state.indexes.open_count == 2
    # The last request using the old object gave it back: closed, its maps let go.
    assert held.storage._kept == {}
    assert state.indexes.open_count == 1


def test_concurrent_searches_during_commits_never_fail_and_see_new_words(small_kb):
    app = create_app(small_kb.root, {"KB_WATCH": True})
    failures: list[str] = []
    done = threading.Event()
    try:
        with serve(app) as base:
            token = app.config["KB_TOKEN"]
            assert wait_for(lambda: app.extensions["kb"].watched)

            def keep_searching() -> None:
                while not done.is_set():
                    try:
                        status, body = get_json(f"{base}/api/search?q=audit+OR+zebu&limit=5", token)
                        if status != 200 or body["total"] < 1:
                            failures.append(f"{status} {body}")
                    except Exception as exc:  # noqa: BLE001 - any failure in a thread fails the test
                        failures.append(repr(exc))

            threads = [threading.Thread(target=keep_searching) for _ in range(4)]
            for thread in threads:
                thread.start()
            other_process = Workspace(Kb(small_kb.root))
            for n in range(6):
                word = f"zebu{chr(ord('a') + n)}"
                small_kb.interview(f"2026-04-0{n + 1}-acme-call", "acme", f"2026-04-0{n + 1}", body=f"A {word}.")
                if n % 2:
                    other_process.refresh(need_store=False)  # as `kb search` would, besides the watcher
                slug = f"2026-04-0{n + 1}-acme-call"
                assert wait_for(lambda word=word, slug=slug: found(base, word, token) == [slug]), word
            done.set()
            for thread in threads:
                thread.join(30)
            other_process.close()
            assert not failures, failures[:3]
            assert app.extensions["kb"].indexes.open_count <= 2
    finally:
        done.set()
        close_app(app)


def test_the_server_does_not_grow_its_open_files_over_searches_and_edits(small_kb):
    app = create_app(small_kb.root, {"KB_WATCH": True})
    try:
        with serve(app) as base:
            token = app.config["KB_TOKEN"]
            assert wait_for(lambda: app.extensions["kb"].watched)
            call = small_kb.root / "content/interviews/2026-03-02-acme-discovery.md"
            original = call.read_text()

            def round_of_edits(n: int) -> None:
                call.write_text(original + f"\nThe okapi{n} note.\n")
                assert wait_for(lambda: found(base, f"okapi{n}", token)), n
                for _ in range(5):
                    found(base, "audit", token)

            for n in range(3):  # warm: modules, the pool's searchers, waitress's threads
                round_of_edits(n)
            others = check_open_files("self", small_kb.root / ".kb/index", 10_000)
            for n in range(3, 15):
                round_of_edits(n)
            check_open_files("self", small_kb.root / ".kb/index", others)
            assert app.extensions["kb"].indexes.open_count == 1
    finally:
        close_app(app)


@pytest.mark.slow
def test_kb_serve_answers_without_scanning_and_sees_another_process_commit(small_kb, tmp_path):
    call = small_kb.root / "content/interviews/2026-03-02-acme-discovery.md"
    behind = tmp_path / "behind-the-watcher.md"
    os.link(call, behind)  # written through this name, the file changes without an event in the watched folder
    with kb_serve(small_kb.root, "--no-token") as served:
        base = f"http://127.0.0.1:{served.port}"
        pid = served.process.pid
        # The watcher is in place once an edit made in the folder reaches the index.
        with open(call, "a", encoding="utf-8") as editor:
            editor.write("\nThe ibex note.\n")
        assert wait_for(lambda: found(base, "ibex"), timeout=20)
        time.sleep(0.5)
        check_open_files(pid, small_kb.root / ".kb/index", 10_000)

        with open(behind, "a", encoding="utf-8") as elsewhere:
            elsewhere.write("\nThe tapir note.\n")
        for _ in range(20):
            # A request that scanned the KB would see the change (size and mtime): it must not scan.
            assert found(base, "tapir") == []
        time.sleep(1.0)
        assert found(base, "tapir") == []

        # Another kb process brings the index up to date: the next request answers from its commit.
        indexed = subprocess.run(
            [sys.executable, "-m", "kb", "--root", str(small_kb.root), "index"], capture_output=True, text=True
        )
        assert indexed.returncode == 0, indexed.stderr
        assert found(base, "tapir") == ["2026-03-02-acme-discovery"]
        for n in range(10):
            with open(call, "a", encoding="utf-8") as editor:
                editor.write(f"\nThe gnu{n} note.\n")
            assert wait_for(lambda n=n: found(base, f"gnu{n}"), timeout=20), n
        # Its other descriptors (the watcher's, waitress's, the database's) vary with the threads at work.
        check_open_files(pid, small_kb.root / ".kb/index", 10_000)
    assert "Traceback" not in served.err, served.err
