"""The fast paths of `kb index` keep what the slow ones did: the freshness check that loads no heavy
library, the scan's shortcut for plain record files, and a rebuild that stores and indexes what an
incremental build of the same files does."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from whoosh.writing import SegmentWriter

from bench.corpus import generate
from kb.config import Kb
from kb.records.files import FileOnDisk, scan
from kb.records.parse import parse_bytes
from kb.search import index as kb_index
from kb.search.codec import KbCodec
from kb.search.index import document, open_index
from kb.search.postings import TermPool, TermPoolWriter
from tests.helpers import REPO, KbFolder

LONG_AGO_NS = 1_700_000_000_000_000_000


def settle(root: Path) -> None:
    """Date every record file long ago: no racy mtime (remembered as 0) tells two builds apart."""
    for path in root.rglob("*.md"):
        os.utime(path, ns=(LONG_AGO_NS, LONG_AGO_NS))


def test_a_refresh_with_nothing_changed_loads_no_yaml_whoosh_or_database_library(kb_root, runner):
    kb_root.customer("acme", stage="lead")
    kb_root.interview("2026-01-10-acme", "acme", "2026-01-10", body="The audit hurt.")
    settle(kb_root.root)  # no racy mtime makes the next refresh hash the files again
    assert runner(kb_root, "index").exit_code == 0
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kb.config import Kb\n"
        "from kb.workspace import Workspace\n"
        f"changes = Workspace(Kb(Path({str(kb_root.root)!r}))).refresh()\n"
        "assert not changes.any, changes\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'yaml', 'whoosh', 'sqlalchemy', 'sqlmodel'}))"
    )

    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_scan_finds_plain_and_unusual_names_alike(kb_root):
    """Plain names take the scan's shortcut, other names its full checks: both give the same facts."""
    plain = kb_root.customer("acme", stage="lead")
    accented = kb_root.write("content/customers/café.md", "---\nname: Café\n---\n")
    nested = kb_root.interview("2026/01/2026-01-10-acme", "acme", "2026-01-10")
    kb_root.write("content/customers/.hidden.md", "---\nname: Hidden\n---\n")
    kb_root.write("content/customers/#draft.md", "---\nname: Draft\n---\n")
    kb_root.write("content/customers/notes.txt", "not a record")

    found = scan(Kb(kb_root.root))

    def expected(path, shown: str, record_type: str) -> FileOnDisk:
        info = os.stat(path)
        return FileOnDisk(os.path.realpath(path), shown, record_type, info.st_size, info.st_mtime_ns)

    assert found == {
        "content/customers/acme.md": expected(plain, "content/customers/acme.md", "customer"),
        "content/customers/café.md": expected(accented, "content/customers/café.md", "customer"),
        "content/interviews/2026/01/2026-01-10-acme.md": expected(
            nested, "content/interviews/2026/01/2026-01-10-acme.md", "interview"
        ),
    }
    assert list(found) == sorted(found)
    assert found.problems == []


# --- the rebuild's writer ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A small KB from the benchmark's generator: every kind of record, field and link."""
    return generate(tmp_path_factory.mktemp("generated") / "kb", 120, seed=7)


def index_content(ix) -> tuple[list, list, list]:
    """Every term's postings (document, weight, value), the stored fields and the field lengths, by document number."""
    with ix.reader() as reader:
        postings = []
        for fieldname, term in reader.all_terms():
            matcher = reader.postings(fieldname, term)
            found = []
            while matcher.is_active():
                found.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            postings.append((fieldname, term, found))
        stored = list(reader.all_stored_fields())
        lengths = [
            (docnum, name, reader.doc_field_length(docnum, name))
            for docnum in range(reader.doc_count_all())
            for name in ix.schema.scorable_names()
        ]
    return postings, stored, lengths


@pytest.mark.parametrize("limitmb", [1, 128], ids=["runs on disk", "in memory"])
def test_the_term_pool_writes_the_segment_whoosh_writes(generated, tmp_path, limitmb):
    """Postings gathered by term, spilled to runs or not, give the segment Whoosh's own pool gives."""
    documents = []
    for file in scan(Kb(generated)).values():
        with open(file.path, "rb") as stream:
            documents.append(document(parse_bytes(stream.read(), file.shown, file.type)))
    built = []
    for name, make in (("whoosh", SegmentWriter), ("kb", TermPoolWriter)):
        ix = open_index(tmp_path / name, create=True)
        writer = make(ix, limitmb=limitmb, codec=KbCodec(compression=0))
        for one in documents:
            writer.add_document(**one)
        if name == "kb" and limitmb == 1:
            assert len(writer.pool.runs) > 1
        writer.commit()
        built.append(index_content(open_index(tmp_path / name)))

    assert built[0] == built[1]
    assert len(built[0][0]) > 1000


def test_a_term_pool_sorts_postings_added_out_of_document_order(tmp_path):
    pool = TermPool(str(tmp_path), limitmb=1)
    for item in [("all", b"b", 3, 1.0, b"x"), ("all", b"a", 5, 2.0, None), ("all", b"b", 1, 1.0, b"y")]:
        pool.add(item)
    pool.save()
    pool.add(("all", b"b", 2, 1.0, b"z"))

    assert list(pool.iter_postings()) == [
        ("all", b"a", 5, 2.0, None),
        ("all", b"b", 1, 1.0, b"y"),
        ("all", b"b", 2, 1.0, b"z"),
        ("all", b"b", 3, 1.0, b"x"),
    ]
    assert list(tmp_path.iterdir()) == []  # its runs are read once, then removed


def store_rows(root: Path) -> dict[str, list]:
    """Every row of every table of the database, without row ids (they count inserts, not content)."""
    with sqlite3.connect(root / ".kb" / "kb.sqlite3") as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = {}
        for table in tables:
            columns = [column for _, column, *_ in db.execute(f"PRAGMA table_info({table})") if column != "id"]
            rows[table] = sorted(db.execute(f"SELECT {', '.join(columns)} FROM {table}"), key=repr)
    rows.pop("meta", None)  # the store's generation counts writes
    return rows


def documents_by_path(root: Path) -> dict[str, dict]:
    """Each indexed record's stored fields and its terms (field, term, weight, value), by its path."""
    ix = open_index(root / ".kb")
    with ix.reader() as reader:
        path_of = {docnum: fields["path"] for docnum, fields in reader.iter_docs()}
        found: dict[str, dict] = {
            path: {"stored": fields} for path, fields in ((f["path"], f) for _, f in reader.iter_docs())
        }
        for path in found:
            found[path]["terms"] = []
        for fieldname, term in reader.all_terms():
            matcher = reader.postings(fieldname, term)
            while matcher.is_active():
                found[path_of[matcher.id()]]["terms"].append((fieldname, term, matcher.weight(), matcher.value()))
                matcher.next()
    ix.close()
    return found


def test_a_rebuild_stores_and_indexes_what_an_incremental_build_does(generated, tmp_path, runner, monkeypatch):
    """A rebuild with one index writer per core and the term pool, and a build of the same files added to
    an empty KB through Whoosh's own writer: the same rows, the same documents."""
    monkeypatch.setattr(kb_index, "PARALLEL_WRITE_MIN", 50)
    monkeypatch.setattr(kb_index.os, "cpu_count", lambda: 2)
    rebuilt, added = tmp_path / "rebuilt", tmp_path / "added"
    shutil.copytree(generated, rebuilt)
    settle(rebuilt)
    result = runner(rebuilt, "index", "--rebuild")
    assert result.exit_code == 0, result.output
    KbFolder(added)  # the record folders, empty
    shutil.copy(generated / "kb.toml", added / "kb.toml")
    empty = runner(added, "index")  # .kb/ made with nothing in it
    assert empty.exit_code == 0, empty.output
    for folder in ("casestudies", "content"):
        shutil.rmtree(added / folder)
        shutil.copytree(generated / folder, added / folder)
    settle(added)
    result = runner(added, "index")  # every file added to the index by Whoosh's own writer
    assert result.exit_code == 0, result.output
    assert f"indexed {len(scan(Kb(added)))} files: {len(scan(Kb(added)))} new" in result.output

    assert store_rows(rebuilt) == store_rows(added)
    assert documents_by_path(rebuilt) == documents_by_path(added)
