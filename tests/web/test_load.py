"""`kb serve` under load: 8 clients read, search and save stories through the form for a while, and
another thread edits, renames and deletes files on disk meanwhile. Nothing fails, no save is lost or
made twice, no file is left half written, and afterwards search finds every word that is on disk.

The driver is bench/load.py (the benchmark reports its throughput and latency: python -m bench.run
--load); this test checks what the run did.
"""

from __future__ import annotations

import re
import time

import pytest

from bench.load import found_by_search, kb_serve, run_load
from kb.errors import ERROR
from kb.records.parse import parse_bytes
from kb.vocabulary import TYPE_DIRS
from tests.helpers import copy_demo

pytestmark = pytest.mark.slow

SECONDS = 8  # enough for dozens of saves and a hundred edits on disk on a slow machine


def on_disk(root) -> dict[str, str]:
    """Every record file's text, by its path relative to the KB."""
    return {
        str(path.relative_to(root)): path.read_text(encoding="utf-8")
        for folder in ("casestudies", "content")
        for path in (root / folder).rglob("*.md")
    }


def times(word: str, texts: dict[str, str]) -> dict[str, int]:
    """How many times `word` is in each file that has it."""
    pattern = re.compile(rf"\b{word}\b")
    return {path: len(found) for path, text in texts.items() if (found := pattern.findall(text))}


def slug(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".md")


def test_kb_serve_under_load_loses_nothing_and_finds_every_word(tmp_path):
    root = copy_demo(tmp_path / "kb")
    with kb_serve(root) as server:
        run = run_load(server, root, seconds=SECONDS)
        texts = on_disk(root)
        words = {word: times(word, texts) for word in [*run.saved, *run.refused, *run.disk_words]}
        on_disk_words = {word: files for word, files in words.items() if files}
        deadline = time.monotonic() + 10  # the watcher takes the last edits in within a second or so
        missing = dict(on_disk_words)
        while missing and time.monotonic() < deadline:
            missing = {
                word: files
                for word, files in missing.items()
                if found_by_search(server, word) != [slug(path) for path in files]
            }
            if missing:
                time.sleep(0.2)
        gone = [word for word, where in run.disk_words.items() if where is None and found_by_search(server, word)]
    # Ctrl+C (SIGINT) stopped it once the load was over, its refresher process with it.
    assert server.stopped == "exit 0" and "kb: stopped" in server.log, server.stopped
    summary = run.summary()
    assert summary["saves"] >= 10 and summary["disk_edits"] >= 50, summary
    assert not [status for status in run.statuses if status == "no answer" or int(status) >= 500], run.statuses
    assert run.odd_answers == [], run.odd_answers[:20]
    assert "Traceback" not in server.log and "ERROR" not in server.log, server.log[-3000:]
    # Each save is on disk exactly once, in its story; a refused one (409) nowhere.
    assert {word: words[word] for word in run.saved if words[word] != {f"casestudies/{run.saved[word]}.md": 1}} == {}
    assert {word: words[word] for word in run.refused if words[word]} == {}
    # The disk editor's words are where it left them.
    assert {
        word: words[word] for word, where in run.disk_words.items() if words[word] != ({where: 1} if where else {})
    } == {}
    # No file half written: each parses as a record without an error; no temporary file is left.
    for path, text in texts.items():
        record_type = next(kind for kind, folder in TYPE_DIRS.items() if path.startswith(folder + "/"))
        record = parse_bytes(text.encode("utf-8"), path, record_type)
        assert [p for p in record.problems if p.severity == ERROR] == [], path
    assert [p.name for p in root.rglob(".*") if p.is_file() and p.parent.name != ".kb" and ".kb" not in p.parts] == []
    # Search finds every word on disk, in its file, and none of a deleted file.
    assert missing == {}
    assert gone == []
