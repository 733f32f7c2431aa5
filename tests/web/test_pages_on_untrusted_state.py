"""The web UI on state kb cannot trust and files it cannot read: a clear page, never a 500 nor a page that
answers as if nothing were wrong. Permissions are real (tests/unprivileged.py); the CLI's side of the same
cases is in tests/test_untrusted_state.py.
"""

from __future__ import annotations

import fcntl
import json
import os

import pytest

from tests.unprivileged import pages_unprivileged, read_only_tree, writable_tree


@pytest.fixture
def small_kb(kb_root, runner):
    """A KB with a customer, a call and a story, indexed once."""
    kb_root.customer("acme", stage="customer", won_on="2026-01-10")
    body = "They failed the audit twice and the controller quit."
    kb_root.interview("2026/2026-03-02-acme-discovery", "acme", "2026-03-02", body=body)
    kb_root.casestudy("acme", "acme", answers={"why_change": "The auditor found gaps in the ledger."})
    assert runner(kb_root, "index").exit_code == 0
    return kb_root


def test_kb_as_a_file_is_a_clear_page_on_every_page(kb_root, make_app):
    kb_root.customer("acme")
    (kb_root.root / ".kb").write_text("not a folder")
    client = make_app(kb_root.root).test_client()

    page = client.get("/customers/acme")
    api = client.get("/api/search?q=acme")

    assert page.status_code == 503
    assert "`.kb` is a file, not a folder: move it away; kb keeps its index there" in page.get_data(as_text=True)
    assert api.status_code == 503
    assert api.get_json()["error"]["message"] == "`.kb` is a file, not a folder: move it away; kb keeps its index there"


def test_a_search_that_fails_to_read_the_index_rebuilds_it_and_answers(small_kb, make_app):
    from kb.config import Kb
    from kb.snapshot import Fingerprint, Snapshot, write_snapshot

    client = make_app(small_kb.root).test_client()
    assert client.get("/search?q=audit").status_code == 200
    for path in (small_kb.root / ".kb/index").iterdir():
        if path.suffix == ".seg":
            before = path.stat()
            path.write_bytes(bytes(before.st_size))
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    # Damage no stat shows, as a failing disk's: the snapshot vouches for the damaged files.
    data = json.loads((small_kb.root / ".kb/snapshot.json").read_text())
    files = {path: Fingerprint(*known) for path, known in data["files"].items()}
    write_snapshot(Kb(small_kb.root), Snapshot(files, data["store_in_step"]))
    fresh = make_app(small_kb.root).test_client()

    page = fresh.get("/search?q=audit")
    api = fresh.get("/api/search?q=audit")

    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    assert "rebuilt .kb/ from the files (the search index cannot be read (UnpicklingError)); nothing was lost" in text
    assert "2026-03-02-acme-discovery" in text
    assert api.status_code == 200 and api.get_json()["total"] == 1


@pytest.fixture
def unreadable_story(small_kb):
    """small_kb with its case study made unreadable (mode 000), readable again at the end."""
    path = small_kb.root / "casestudies/acme.md"
    path.chmod(0)
    yield path
    path.chmod(0o644)


def test_a_record_kb_cannot_read_is_a_clear_page_and_a_problem(small_kb, unreadable_story):
    pages = pages_unprivileged(
        small_kb.root, "/problems", "/casestudies/acme", "/api/casestudies/acme", "/casestudies/acme/edit", "/"
    )

    status, body = pages["/problems"]
    assert status == 200 and "cannot be read: Permission denied" in body
    for url in ("/casestudies/acme", "/casestudies/acme/edit"):
        status, body = pages[url]
        assert status == 409, (url, body)
        assert "casestudies/acme.md" in body and "Permission denied" in body
    status, body = pages["/api/casestudies/acme"]
    assert status == 409 and "cannot be read: Permission denied" in json.loads(body)["error"]["message"]
    status, body = pages["/"]
    assert status == 200 and "cannot read casestudies/acme.md (Permission denied)" in body


def test_a_read_only_state_answers_with_a_notice_on_every_page(small_kb):
    read_only_tree(small_kb.root / ".kb")
    try:
        pages = pages_unprivileged(small_kb.root, "/", "/search?q=audit", "/api/search?q=audit")
    finally:
        writable_tree(small_kb.root / ".kb")

    notice = "cannot write .kb/ (no permission to write): answering from the index as last built"
    for url in ("/", "/search?q=audit"):
        status, body = pages[url]
        assert status == 200 and notice in body, (url, body)
    status, body = pages["/api/search?q=audit"]
    assert status == 200 and json.loads(body)["total"] == 1


@pytest.mark.slow
def test_a_held_lock_is_said_on_the_page(small_kb, make_app):
    small_kb.customer("globex")
    client = make_app(small_kb.root).test_client()
    with open(small_kb.root / ".kb/lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        page = client.get("/customers")
        fcntl.flock(handle, fcntl.LOCK_UN)

    assert page.status_code == 200
    assert "Another kb process is busy with the index" in page.get_data(as_text=True)


@pytest.mark.slow
def test_a_half_built_state_is_busy_not_empty_while_another_process_holds_the_lock(small_kb, make_app):
    client = make_app(small_kb.root).test_client()
    (small_kb.root / ".kb/rebuilding").touch()  # what a rebuild under way leaves in .kb/ until it commits
    with open(small_kb.root / ".kb/lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        page = client.get("/search?q=audit")
        fcntl.flock(handle, fcntl.LOCK_UN)

    assert page.status_code == 503
    assert "another kb process is building the index and it is not ready yet" in page.get_data(as_text=True)
