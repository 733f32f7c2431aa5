"""A page never waits for a refresh under way: while the file watcher (or a save) brings `.kb/` up to date,
requests answer at once from the state as last committed, and the next page after the refresh shows the
change. Only a rebuild, which replaces the database and the index, is waited for; a session opened
before it reads on from the database it opened."""

from __future__ import annotations

import gc
import sqlite3
import threading
import time

import pytest
from flask import g
from sqlalchemy import text

from bench.load import FormFields
from kb.snapshot import read_snapshot
from kb.web import core
from tests.web.helpers import hits

SOON = 5.0  # seconds a page may take here; a page that waits for the held refresh never answers


@pytest.fixture
def served(app, kb_root):
    """The app on a small KB, indexed, answering from the state a watcher keeps (no scan per request)."""
    kb_root.customer("acme", name="Acme")
    kb_root.casestudy("acme-story", "acme", answers={"why_change": "The audit took 14 weeks."})
    with app.app_context():
        core.refresh_now()
    app.extensions["kb"].watched = True  # as kb.web.watcher sets it: requests do not refresh themselves
    return app


def edit_story(kb_root, word: str) -> None:
    path = kb_root.root / "casestudies/acme-story.md"
    path.write_text(path.read_text().replace("The audit took", f"The {word} audit took"))


def answer(app, url: str) -> tuple[int, str, float]:
    """GET `url` in another thread: its status, its text and its time; a request still waiting after SOON
    seconds fails the test (and is left to finish once the refresh goes on)."""
    found: dict = {}

    def get() -> None:
        started = time.monotonic()
        response = app.test_client().get(url)
        found["answer"] = (response.status_code, response.get_data(as_text=True), time.monotonic() - started)

    thread = threading.Thread(target=get, daemon=True)
    thread.start()
    thread.join(SOON)
    assert "answer" in found, f"{url} waited for the refresh under way"
    return found["answer"]


class HeldRefresh:
    """A refresh of the app, as the file watcher makes it (under the web core's lock), held in the middle
    of writing the index until `go_on()`."""

    def __init__(self, app):
        self.state = app.extensions["kb"]
        self.reached = threading.Event()
        self.release = threading.Event()
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _pause(self, _done: int, _total: int) -> None:
        self.reached.set()
        self.release.wait(30)

    def _run(self) -> None:
        try:
            with self.state.lock:
                self.state.workspace.refresh(need_store=True, progress=self._pause)
            self.state.indexes.retire()
        except BaseException as exc:  # reported by go_on
            self.failure = exc

    def __enter__(self) -> HeldRefresh:
        self.thread.start()
        assert self.reached.wait(10), "the refresh never reached the files"
        return self

    def go_on(self) -> None:
        self.release.set()
        self.thread.join(30)
        assert not self.thread.is_alive() and self.failure is None, self.failure

    def __exit__(self, *_exc) -> None:
        self.release.set()
        self.thread.join(30)


def test_pages_answer_while_a_refresh_is_under_way_and_show_it_once_done(served, kb_root):
    edit_story(kb_root, "marmoset")
    with HeldRefresh(served) as refresh:
        for url in ("/", "/casestudies", "/casestudies/acme-story", "/search?q=audit", "/api/status"):
            status, text, _seconds = answer(served, url)
            assert status == 200, (url, text[:500])
        # The state as last committed: the edit is not in it yet.
        assert "marmoset" not in answer(served, "/casestudies/acme-story")[1]
        assert "acme-story" not in answer(served, "/search?q=marmoset")[1]
        refresh.go_on()
    assert "marmoset" in answer(served, "/casestudies/acme-story")[1]
    assert "acme-story" in answer(served, "/search?q=marmoset")[1]


def test_pages_answer_while_a_refresh_waits_to_write_the_database(served, kb_root):
    """Another writer holds the database: the refresh waits in its write, the pages do not."""
    edit_story(kb_root, "quetzal")
    state = served.extensions["kb"]
    blocker = sqlite3.connect(kb_root.root / ".kb" / "kb.sqlite3", timeout=30)
    blocker.execute("BEGIN IMMEDIATE")
    refreshed = threading.Event()

    def refresh() -> None:
        with served.app_context():
            core.refresh_now()
        refreshed.set()

    thread = threading.Thread(target=refresh, daemon=True)
    try:
        thread.start()
        time.sleep(0.5)  # the refresh is writing (or waiting to write) the database by now
        assert state.lock.locked() and not refreshed.is_set()
        for url in ("/", "/casestudies/acme-story", "/customers/acme", "/search?q=audit"):
            status, text, _seconds = answer(served, url)
            assert status == 200, (url, text[:500])
    finally:
        blocker.rollback()
        blocker.close()
    assert refreshed.wait(30)
    assert "quetzal" in answer(served, "/casestudies/acme-story")[1]


def test_a_save_during_a_refresh_shows_its_change_once_it_answers(served, kb_root):
    """A request that wrote a file waits for the refresh under way, then makes its own: its answer, and
    the next page, show the change."""
    client = served.test_client()
    form = FormFields(client.get("/casestudies/acme-story/edit").get_data(as_text=True)).fields
    form["answer_why_change"] = form["answer_why_change"].replace("The audit", "The pangolin audit")
    customer = kb_root.root / "content/customers/acme.md"
    customer.write_text(customer.read_text() + "\nA new note.\n")  # what the held refresh reads
    saved: list = []
    with HeldRefresh(served) as refresh:
        saving = threading.Thread(
            target=lambda: saved.append(client.post("/casestudies/acme-story/edit", data=form)), daemon=True
        )
        saving.start()
        time.sleep(0.3)
        refresh.go_on()
        saving.join(SOON)
    assert saved and saved[0].status_code == 303, saved and saved[0].get_data(as_text=True)[:500]
    assert "pangolin" in answer(served, "/casestudies/acme-story")[1]
    assert "acme-story" in answer(served, "/search?q=pangolin")[1]


def test_a_rebuild_is_waited_for_and_a_session_opened_before_it_reads_on(served, kb_root):
    state = served.extensions["kb"]
    workspace = state.workspace
    before = workspace.reading_session()
    try:
        count = before.execute(text("select count(*) from casestudy")).scalar_one()
        assert count == 1
        reached, release = threading.Event(), threading.Event()

        def pause(_done: int, _total: int) -> None:
            reached.set()
            release.wait(30)

        def rebuild() -> None:
            with state.lock:
                workspace.refresh(rebuild=True, progress=pause)

        rebuilding = threading.Thread(target=rebuild, daemon=True)
        rebuilding.start()
        assert reached.wait(10)
        # The session opened before the rebuild reads on, from the database it opened.
        assert before.execute(text("select count(*) from casestudy")).scalar_one() == 1
        # A new reader waits for the rebuild: a database half made would answer wrong.
        opened: list = []
        reader = threading.Thread(target=lambda: opened.append(workspace.reading_session()), daemon=True)
        reader.start()
        reader.join(0.5)
        assert opened == []
        release.set()
        rebuilding.join(30)
        reader.join(10)
        assert len(opened) == 1
        try:
            assert opened[0].execute(text("select count(*) from casestudy")).scalar_one() == 1
        finally:
            opened[0].close()
    finally:
        before.close()
    status, page, _seconds = answer(served, "/casestudies/acme-story")
    assert status == 200 and "14 weeks" in page


def test_a_session_open_across_a_refresh_reads_on_and_leaves_the_state_vouched_for(served, kb_root):
    """The refresh replaces the engine under a session another thread keeps open: the session reads on,
    the new rows too, and once it closes the database file is still as the refresh left it (no rebuild)."""
    state = served.extensions["kb"]
    reader = state.workspace.reading_session()
    assert reader.execute(text("select count(*) from customer")).scalar_one() == 1
    kb_root.customer("beta", name="Beta")
    with served.app_context():
        core.refresh_now()
    assert reader.execute(text("select count(*) from customer")).scalar_one() == 2
    reader.close()
    del reader
    gc.collect()  # the connections of the engine let go of are closed now
    assert read_snapshot(state.workspace.kb) is not None
    with served.app_context():
        core.refresh_now()
        assert not g.kb_notices


def test_saves_waiting_for_the_lock_are_covered_by_one_refresh_that_read_their_files(served, kb_root):
    """Files written, then refresh_now called by six requests while the lock is held: the first refresh after
    the lock is let go reads all six files; the other five need no scan of their own, and each request then
    finds its own file."""
    state = served.extensions["kb"]
    started = state.refreshes_started
    found: dict[int, list[str]] = {}
    waiting = threading.Barrier(7)

    def save(n: int) -> None:
        kb_root.interview(f"2026-03-0{n}-acme-call", "acme", f"2026-03-0{n}", body=f"Word wombat{n}q.")
        with served.app_context():
            waiting.wait(SOON)
            core.refresh_now()
            found[n] = hits(served, f"wombat{n}q")

    threads = [threading.Thread(target=save, args=(n,), daemon=True) for n in range(1, 7)]
    with state.lock:  # a refresh under way: every save waits for it
        for thread in threads:
            thread.start()
        waiting.wait(SOON)
        time.sleep(0.2)  # each has taken its ticket and waits for the lock
    for thread in threads:
        thread.join(SOON * 4)
    assert sorted(found) == [1, 2, 3, 4, 5, 6]
    for n, paths in found.items():
        assert paths == [f"content/interviews/2026-03-0{n}-acme-call.md"], (n, paths)
    assert state.refreshes_started == started + 1
