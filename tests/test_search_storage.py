"""kb reads its index files where they lie, through a memory map: opening a searcher copies no file into
memory, and closing it (or the index object) lets go of every map and file descriptor."""

from __future__ import annotations

import io
import os
import pickle
import tracemalloc
from pathlib import Path

import pytest
from whoosh.filedb.structfile import BufferFile

from bench.corpus import generate
from kb.config import find_kb
from kb.search.codec import KbStorage, MappedFile
from kb.search.index import INDEX_DIR, open_index
from kb.search.query import search
from kb.workspace import Workspace


@pytest.fixture(scope="module")
def indexed_kb(tmp_path_factory) -> Path:
    """A generated KB of 200 records (fixed seed), indexed: one compound segment of a few MB."""
    root = generate(tmp_path_factory.mktemp("storage") / "kb", 200, seed=5)
    workspace = Workspace(find_kb(root))
    workspace.refresh(need_store=False)
    workspace.close()
    return root


def segment_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in (root / ".kb" / INDEX_DIR).glob("*.seg"))


def index_maps(root: Path) -> int:
    """How many memory maps of the index's files this process holds."""
    folder = str((root / ".kb" / INDEX_DIR).resolve())
    with open("/proc/self/maps", encoding="utf-8") as maps:
        return sum(1 for line in maps if folder in line)


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_opening_a_searcher_copies_no_file_into_memory(indexed_kb):
    size = segment_bytes(indexed_kb)
    assert size > 2_000_000, size  # large enough that a copy would show
    ix = open_index(indexed_kb / ".kb")
    tracemalloc.start()
    try:
        with ix.searcher() as searcher:
            assert searcher.doc_count() > 150
            assert search(ix, "audit").total > 0
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        ix.close()
    # Whoosh's BufferFile copied every file of the segment it opened (postings, terms, stored fields).
    assert peak < size / 10, (peak, size)


def test_the_index_files_are_read_in_place_not_copied(indexed_kb):
    ix = open_index(indexed_kb / ".kb")
    try:
        with ix.reader() as reader:
            for leaf, _ in reader.leaf_readers():
                prefix = f"{leaf.segment().segment_id()}."  # the files of the segment, inside its compound file
                names = [name for name in leaf.storage().list() if name.startswith(prefix) and ".seg" not in name]
                opened = [leaf.storage().open_file(name) for name in names]
                assert opened and all(type(file) is MappedFile for file in opened), opened
                assert not any(isinstance(file, BufferFile) for file in opened)
                for file in opened:
                    file.close()
    finally:
        ix.close()


def test_maps_and_descriptors_are_let_go_when_searchers_and_indexes_close(indexed_kb):
    ix = open_index(indexed_kb / ".kb")
    search(ix, "audit")  # warm: modules, caches
    ix.close()
    maps, descriptors = index_maps(indexed_kb), open_descriptors()
    for _ in range(40):
        ix = open_index(indexed_kb / ".kb")
        assert search(ix, "audit evidence").total > 0
        with ix.searcher() as searcher:
            searcher.doc_count()
        assert index_maps(indexed_kb) > maps  # the pool's searcher maps the segments
        ix.close()
    assert index_maps(indexed_kb) == maps
    assert open_descriptors() == descriptors


def test_a_mapped_file_reads_as_a_file_of_the_same_bytes_does(tmp_path):
    data = b"head\nline two\n" + pickle.dumps({"a": [1, 2, 3]}) + b"\x00\x00\x00\x07tail"
    (tmp_path / "f").write_bytes(b"XX" + data + b"YY")
    storage = KbStorage(str(tmp_path))
    whole = storage.open_file("f")
    file = whole.subset(2, len(data), name="part")  # a file inside a compound file
    plain = io.BytesIO(data)
    assert file.readline() == plain.readline() and file.readline() == plain.readline()
    assert file.read_pickle() == pickle.load(plain)
    assert file.tell() == plain.tell()
    assert file.read_int() == 7
    assert file.read() == b"tail" and file.read(10) == b""
    assert file.get(0, 4) == b"head" and file.get(len(data) - 2, 10) == b"il"
    assert file.seek(-4, os.SEEK_END) == len(data) - 4 and file.read(2) == b"ta"
    file.close()
    whole.close()
    (tmp_path / "empty").write_bytes(b"")
    with storage.open_file("empty") as empty:  # an empty file cannot be mapped: opened as Whoosh does
        assert empty.read() == b""
