"""The file watcher: while the server runs, edits made in an editor reach the index within a second or two."""

from __future__ import annotations

import time

import pytest

from kb.web import create_app
from tests.web.helpers import hits, wait_for


@pytest.fixture
def watched_app(kb_root):
    kb_root.customer("acme", name="Acme")
    kb_root.casestudy("acme-story", "acme", answers={"why_change": "The audit took 14 weeks."})
    app = create_app(kb_root.root, {"KB_WATCH": True})
    watcher = app.extensions["kb_watcher"]
    assert wait_for(lambda: watcher.alive)
    with app.app_context():  # build .kb/ before the test starts editing
        from kb.web import core

        core.refresh_now()
    time.sleep(0.3)  # let inotify settle on the folders
    yield app
    watcher.stop()
    assert not watcher.alive, "the watcher threads did not stop"
    app.extensions["kb"].workspace.close()


def test_an_edit_in_the_editor_is_searchable_within_two_seconds(watched_app, kb_root):
    path = kb_root.root / "casestudies/acme-story.md"
    path.write_text(path.read_text().replace("The audit took 14 weeks.", "The marmoset audit took 14 weeks."))
    started = time.monotonic()
    assert wait_for(lambda: hits(watched_app, "marmoset") == ["casestudies/acme-story.md"], timeout=2.0)
    assert time.monotonic() - started < 2.0


def test_new_and_deleted_files_and_subfolders_are_followed(watched_app, kb_root):
    note = kb_root.interview("2026-03-02-acme-demo", "acme", "2026-03-02", body="A quetzal showed up.")
    assert wait_for(lambda: hits(watched_app, "quetzal") == ["content/interviews/2026-03-02-acme-demo.md"])
    note.unlink()
    assert wait_for(lambda: hits(watched_app, "quetzal") == [])
    kb_root.write(
        "content/interviews/2026-04/2026-04-01-acme-sales.md",
        "---\ncustomer: acme\ndate: 2026-04-01\nkind: sales\n---\nThe narwhal pitch.\n",
    )
    assert wait_for(lambda: hits(watched_app, "narwhal") == ["content/interviews/2026-04/2026-04-01-acme-sales.md"])


def test_a_broken_file_does_not_stop_the_watcher(watched_app, kb_root):
    kb_root.write("casestudies/broken.md", b"\xff\xfe not utf-8 \x00 and no front matter")
    kb_root.write("content/customers/broken.md", "---\nname: [unclosed\n---\n")
    kb_root.write("casestudies/good.md", "---\ncustomer: acme\nperson: P\nstatus: draft\n---\nThe axolotl.\n")
    assert wait_for(lambda: hits(watched_app, "axolotl") == ["casestudies/good.md"])
    watcher = watched_app.extensions["kb_watcher"]
    assert watcher.alive
    kb_root.write("casestudies/later.md", "---\ncustomer: acme\nperson: P\nstatus: draft\n---\nThe pangolin.\n")
    assert wait_for(lambda: hits(watched_app, "pangolin") == ["casestudies/later.md"])


def test_changes_under_dot_folders_and_other_files_are_ignored(watched_app, kb_root):
    watcher = watched_app.extensions["kb_watcher"]
    time.sleep(0.5)
    before = watcher.refreshes
    (kb_root.root / "casestudies/.drafts").mkdir()
    (kb_root.root / "casestudies/.drafts/x.md").write_text("scratch")
    (kb_root.root / "casestudies/notes.txt").write_text("not a record")
    (kb_root.root / ".kb/scratch").write_text("derived")
    time.sleep(0.8)
    assert watcher.refreshes == before
    (kb_root.root / "casestudies/acme-story.md").write_text(
        (kb_root.root / "casestudies/acme-story.md").read_text() + "\nThe ibex.\n"
    )
    assert wait_for(lambda: watcher.refreshes > before)


def test_kb_toml_is_followed_too(watched_app, kb_root):
    (kb_root.root / "kb.toml").write_text('name = "Renamed KB"\n')
    workspace = watched_app.extensions["kb"].workspace
    assert wait_for(lambda: workspace.settings.name == "Renamed KB")


def test_the_watcher_stops_cleanly_and_only_when_asked(kb_root):
    app = create_app(kb_root.root, {"KB_WATCH": True})
    watcher = app.extensions["kb_watcher"]
    assert wait_for(lambda: watcher.alive)
    started = time.monotonic()
    watcher.stop()
    assert not watcher.alive and time.monotonic() - started < 2.0
    app.extensions["kb"].workspace.close()


def test_without_kb_watch_there_is_no_watcher(kb_root):
    app = create_app(kb_root.root)
    assert "kb_watcher" not in app.extensions
    app.extensions["kb"].workspace.close()


def test_search_sees_what_the_watcher_indexed(watched_app, kb_root):
    kb_root.write("casestudies/other.md", "---\ncustomer: acme\nperson: P\nstatus: meh\n---\nThe okapi story.\n")
    assert wait_for(lambda: hits(watched_app, "okapi"))
    assert hits(watched_app, "okapi status:meh") == ["casestudies/other.md"]


def count_refreshes(app) -> list[str]:
    """Record each freshness scan of the app's workspace (by a request or by the watcher): its thread's name."""
    import threading

    workspace = app.extensions["kb"].workspace
    real = workspace.refresh
    calls: list[str] = []

    def counted(*args, **kwargs):
        calls.append(threading.current_thread().name)
        return real(*args, **kwargs)

    workspace.refresh = counted
    return calls


def found(client, word: str) -> list[str]:
    """The slugs /api/search finds for `word`."""
    return [row["record"] for row in client.get(f"/api/search?q={word}").get_json()["rows"]]


def by_requests(calls: list[str]) -> list[str]:
    return [name for name in calls if not name.startswith("kb-watch-")]


def test_while_the_watcher_follows_the_files_requests_do_not_scan_them(watched_app):
    state = watched_app.extensions["kb"]
    assert wait_for(lambda: state.watched)
    calls = count_refreshes(watched_app)
    client = watched_app.test_client()
    for url in ("/casestudies", "/casestudies/acme-story", "/search?q=audit", "/api/search?q=audit", "/customers"):
        assert client.get(url).status_code == 200, url
    assert by_requests(calls) == []


def test_without_a_watcher_each_request_scans_the_files(app, kb_root):
    kb_root.customer("acme", name="Acme")
    calls = count_refreshes(app)
    client = app.test_client()
    for url in ("/casestudies", "/customers", "/search?q=acme"):
        assert client.get(url).status_code == 200, url
    assert len(by_requests(calls)) == 3


def test_the_first_request_after_start_sees_the_files(kb_root):
    kb_root.customer("acme", name="Acme")
    kb_root.casestudy("acme-story", "acme", answers={"why_change": "The tapir audit."})
    app = create_app(kb_root.root, {"KB_WATCH": True})
    try:
        assert not app.extensions["kb"].watched  # the watches are not in place yet: the request scans
        assert found(app.test_client(), "tapir") == ["acme-story"]
    finally:
        app.extensions["kb_watcher"].stop()
        app.extensions["kb"].workspace.close()


def test_a_request_sees_an_edit_made_on_disk_once_the_watcher_took_it_in(watched_app, kb_root):
    state = watched_app.extensions["kb"]
    assert wait_for(lambda: state.watched)
    client = watched_app.test_client()
    kb_root.write("casestudies/other.md", "---\ncustomer: acme\nperson: P\nstatus: meh\n---\nThe quokka story.\n")
    assert wait_for(lambda: found(client, "quokka") == ["other"], timeout=2.0)
    (kb_root.root / "casestudies/other.md").unlink()
    assert wait_for(lambda: found(client, "quokka") == [], timeout=2.0)


def test_a_change_made_while_the_watcher_refreshes_is_taken_in_too(watched_app, kb_root):
    state = watched_app.extensions["kb"]
    assert wait_for(lambda: state.watched)
    workspace = state.workspace
    real = workspace.refresh
    written = []

    def refresh_then_edit(*args, **kwargs):
        changes = real(*args, **kwargs)
        if not written:  # right after the scan of the first refresh, before the watcher returns
            written.append(
                kb_root.write("casestudies/late.md", "---\ncustomer: acme\nperson: P\nstatus: meh\n---\nThe dugong.\n")
            )
        return changes

    workspace.refresh = refresh_then_edit
    kb_root.write("casestudies/early.md", "---\ncustomer: acme\nperson: P\nstatus: meh\n---\nThe manatee.\n")
    client = watched_app.test_client()
    assert wait_for(lambda: written and found(client, "manatee") == ["early"])
    assert wait_for(lambda: found(client, "dugong") == ["late"], timeout=2.0)


def test_after_a_failed_refresh_of_the_watcher_requests_scan_again(watched_app, kb_root):
    state = watched_app.extensions["kb"]
    assert wait_for(lambda: state.watched)
    workspace = state.workspace
    real = workspace.refresh
    failed = []

    def fail_once(*args, **kwargs):
        if not failed:
            failed.append(True)
            raise OSError("the disk hiccupped")
        return real(*args, **kwargs)

    workspace.refresh = fail_once
    kb_root.write("casestudies/other.md", "---\ncustomer: acme\nperson: P\nstatus: meh\n---\nThe wombat.\n")
    assert wait_for(lambda: failed and not state.watched)
    assert found(watched_app.test_client(), "wombat") == ["other"]  # this request scanned


def test_a_stopped_watcher_leaves_requests_to_scan(watched_app):
    state = watched_app.extensions["kb"]
    assert wait_for(lambda: state.watched)
    watched_app.extensions["kb_watcher"].stop()
    assert not state.watched


def test_a_save_through_the_form_is_found_at_once_while_the_watcher_follows(watched_app):
    from tests.web.test_write import fields_of

    state = watched_app.extensions["kb"]
    assert wait_for(lambda: state.watched)
    client = watched_app.test_client()
    form = fields_of(client.get("/casestudies/acme-story/edit").text)
    form["answer_success"] = "The gharial close."
    response = client.post("/casestudies/acme-story/edit", data=form)
    assert response.status_code == 303, response.text[:500]
    assert "The gharial close." in client.get(response.headers["Location"]).text  # no wait for the watcher
    assert found(client, "gharial") == ["acme-story"]
