"""kb reads and writes Whoosh's index files its own way (field lengths loaded once per segment, files read
in place through a memory map).

Its answers are Whoosh's answers to the score, and Whoosh itself is left as it was for anything else in
the process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.codec import whoosh3
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.index import FileIndex

from bench.corpus import generate
from kb.records.parse import parse_bytes
from kb.search import index as kb_index
from kb.search.codec import KbCodec, KbStorage, LengthsReader, MappedFile
from kb.search.index import INDEX_DIR, IndexWriter, make_schema, open_index
from kb.search.query import Filters, search
from kb.vocabulary import TYPE_DIRS

QUERIES = [
    ("audit", "relevance", None),
    ("spreadsheet", "relevance", None),
    ("audit evidence", "relevance", None),
    ('"evidence request"', "relevance", None),
    ("spread*", "relevance", None),
    ("why_change:onboarding", "relevance", None),
    ("renewal customer:customer-00003", "relevance", None),
    ("controls OR pilot", "relevance", Filters(type="interview")),
    ("audit", "date", None),
    ("security", "date", Filters(kind="discovery")),
]


@pytest.fixture(scope="module")
def generated_kb(tmp_path_factory) -> Path:
    """A generated KB of 300 records (fixed seed)."""
    return generate(tmp_path_factory.mktemp("codec") / "kb", 300, seed=11)


def records_of(root: Path):
    """Every record of the KB, parsed, in path order."""
    for record_type, folder in sorted(TYPE_DIRS.items()):
        for path in sorted((root / folder).rglob("*.md")):
            yield parse_bytes(path.read_bytes(), path.relative_to(root).as_posix(), record_type)


def answers(ix) -> list:
    """Every query's hits (all of them): path, score, the field and snippet shown, and the facets."""
    found = []
    try:
        for text, sort, filters in QUERIES:
            result = search(ix, text, filters, sort=sort, limit=None)
            assert result.hits, text  # a query that finds nothing would prove nothing
            found.append((result.total, result.facets, [(h.path, h.score, h.field, h.snippet) for h in result.hits]))
    finally:
        ix._kb_searcher.close()
    return found


def codecs_of(ix) -> set[type]:
    """The codec classes the index's segments are read with."""
    with ix.reader() as reader:
        return {type(leaf.codec()) for leaf, _ in reader.leaf_readers()}


@pytest.mark.slow
def test_kb_index_reads_as_plain_whoosh_does(generated_kb, runner):
    built = runner(generated_kb, "index")
    assert built.exit_code == 0, built.output
    # A second commit: changed records replace their documents, so there are deletions and a merge.
    for path in sorted((generated_kb / "content/interviews").rglob("*.md"))[:15]:
        path.write_text(path.read_text(encoding="utf-8") + "\nA late audit note.\n", encoding="utf-8")
    again = runner(generated_kb, "index")
    assert again.exit_code == 0, again.output

    kb_ix = open_index(generated_kb / ".kb")
    plain_ix = whoosh_index.open_dir(str(generated_kb / ".kb" / INDEX_DIR))
    assert codecs_of(kb_ix) == {KbCodec}
    assert codecs_of(plain_ix) == {whoosh3.W3Codec}

    assert answers(kb_ix) == answers(plain_ix)


@pytest.mark.slow
@pytest.mark.parametrize("parallel", [False, True], ids=["one writer", "one writer per core"])
def test_kb_writes_what_whoosh_writes(generated_kb, tmp_path, monkeypatch, parallel):
    """kb's writer (and its flush, through LengthsReader) makes the index Whoosh's own writer makes."""
    records = list(records_of(generated_kb))
    if parallel:
        monkeypatch.setattr(kb_index, "PARALLEL_WRITE_MIN", 100)
        monkeypatch.setattr(kb_index.os, "cpu_count", lambda: 2)
    writer = IndexWriter(open_index(tmp_path / "kb", create=True), len(records), fresh=True)
    for record in records:
        writer.put(record)
    writer.commit()

    (tmp_path / "plain").mkdir()
    plain_ix = whoosh_index.create_in(str(tmp_path / "plain"), make_schema())
    plain = plain_ix.writer(limitmb=128, codec=whoosh3.W3Codec(compression=0))
    for record in records:
        plain.add_document(**kb_index.document(record))
    plain.commit()

    read_by_kb = answers(open_index(tmp_path / "kb"))
    assert read_by_kb == answers(whoosh_index.open_dir(str(tmp_path / "kb" / INDEX_DIR)))
    if not parallel:  # one writer per core numbers the documents otherwise: ties may order differently
        assert read_by_kb == answers(plain_ix)


def test_whoosh_is_left_as_it_was(tmp_path):
    """After kb indexes and searches, Whoosh's per-document reader is still Whoosh's own, in any process."""
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from whoosh.codec.whoosh3 import W3PerDocReader
        from whoosh.filedb.compound import CompoundStorage
        from whoosh.filedb.filestore import FileStorage
        from whoosh.filedb.structfile import BufferFile, StructFile
        from whoosh.index import FileIndex

        def whooshs_own():
            return (
                W3PerDocReader._cached_reader,
                W3PerDocReader.doc_field_length,
                CompoundStorage.open_file,
                FileStorage.open_file,
                FileStorage.file_exists,
                FileStorage.file_length,
                FileIndex._read_toc,
                FileIndex.latest_generation,
                FileIndex.close,
                BufferFile.__init__,
                *(vars(StructFile)[name] for name in ("read", "seek", "tell", "get", "subset", "close")),
            )

        before = whooshs_own()
        from kb.records.parse import parse_bytes
        from kb.search.index import IndexWriter, open_index
        from kb.search.query import search, searcher_for

        state = Path(sys.argv[1])
        text = b"---\\ncustomer: acme\\ndate: 2026-03-02\\n---\\nThe audit failed.\\n"
        record = parse_bytes(text, "c.md", "interview")
        writer = IndexWriter(open_index(state, create=True), 1, fresh=True)
        writer.put(record)
        writer.commit()
        ix = open_index(state)
        assert search(ix, "audit").total == 1
        frozen = open_index(state)
        searcher_for(frozen)
        assert search(frozen, "audit").total == 1
        frozen.close()
        ix._kb_searcher.close()
        assert whooshs_own() == before
        """
    )
    repository = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], cwd=repository, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    whooshs = [
        (whoosh3.W3PerDocReader, "_cached_reader"),
        (whoosh3.W3PerDocReader, "doc_field_length"),
        (CompoundStorage, "open_file"),
        (FileStorage, "open_file"),
        (FileStorage, "file_exists"),
        (FileStorage, "file_length"),
        (FileIndex, "_read_toc"),
        (FileIndex, "latest_generation"),
        (FileIndex, "close"),
        (BufferFile, "__init__"),
        *((StructFile, name) for name in ("read", "seek", "tell", "get", "subset", "close")),
    ]
    for owner, name in whooshs:
        assert vars(owner)[name].__module__.startswith("whoosh."), (owner, name)
        assert vars(owner)[name].__qualname__ == f"{owner.__name__}.{name}"
    assert issubclass(LengthsReader, whoosh3.W3PerDocReader) and LengthsReader is not whoosh3.W3PerDocReader
    assert issubclass(KbStorage, FileStorage) and KbStorage is not FileStorage
    assert issubclass(MappedFile, StructFile) and not issubclass(MappedFile, BufferFile)
