"""kb writes a segment's terms and postings through its own writer (kb.search.fieldwriter): the bytes must
be exactly those Whoosh's W3 writer writes for the same documents, whatever the fields, the number of
postings a term has (one block or several), the weights and the lengths."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh import fields, index
from whoosh.codec import whoosh3
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import md5_hash
from whoosh.query import Term

from bench.corpus import generate
from kb.records.parse import parse_bytes
from kb.search.codec import KbCodec
from kb.search.fieldwriter import KbFieldWriter, _md5_low32
from kb.search.index import document, make_schema, quote_documents
from kb.search.postings import TermPoolWriter
from kb.vocabulary import TYPE_DIRS

WORDS = [f"w{n}" for n in range(400)]


def mixed_schema() -> fields.Schema:
    """Every kind of posting format: positions, frequencies, existence; boosted fields; numbers and dates."""
    return fields.Schema(
        path=fields.ID(stored=True, unique=True),
        body=fields.TEXT(stored=True),
        boosted=fields.TEXT(field_boost=2.5),
        tags=fields.KEYWORD(commas=True, scorable=True),
        flags=fields.KEYWORD(),
        count=fields.NUMERIC(stored=True),
        day=fields.DATETIME(),
        plain=fields.TEXT(phrase=False),
    )


def mixed_documents(count: int, seed: int) -> list[dict]:
    """Documents whose common words are in hundreds of them (several posting blocks), with empty fields
    (length 0), repeated words (weights above 1) and long ones (lengths past the length byte's fine range)."""
    import datetime as dt

    rng = random.Random(seed)
    docs = []
    for n in range(count):
        words = [WORDS[min(int(rng.paretovariate(1.1)) - 1, len(WORDS) - 1)] for _ in range(rng.randrange(0, 900))]
        docs.append(
            {
                "path": f"/doc/{n}",
                "body": " ".join(words),
                "boosted": " ".join(rng.sample(WORDS[:40], rng.randrange(0, 6))),
                "tags": ",".join(rng.sample(WORDS[:12], rng.randrange(0, 4))),
                "flags": " ".join(rng.sample(["a", "b", "c"], rng.randrange(0, 3))),
                "count": rng.randrange(-5, 10_000),
                "day": dt.datetime(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 700)),
                "plain": " ".join(rng.choices(WORDS[:30], k=rng.randrange(0, 20))),
            }
        )
    return docs


def segment_files(folder: Path) -> dict[str, bytes]:
    """The bytes of the index's terms and postings files, by extension (one segment: uncompounded)."""
    found = {}
    for path in folder.iterdir():
        if path.suffix in (".trm", ".pst"):
            assert path.suffix not in found, "one segment expected"
            found[path.suffix] = path.read_bytes()
    return found


def write(folder: Path, schema, batches: list[list[dict]], codec, merge: bool = False, pooled: bool = False):
    """Write `batches` of documents as one commit each (uncompounded segments), then optimize if `merge`."""
    folder.mkdir()
    ix = index.create_in(str(folder), schema)
    for batch in batches:
        if pooled:
            writer = TermPoolWriter(ix, codec=codec, compound=False)
        else:
            writer = ix.writer(codec=codec, compound=False)
        for doc in batch:
            writer.add_document(**doc)
        writer.commit()
    if merge:
        ix.writer(codec=codec, compound=False).commit(optimize=True)
    ix.close()
    return segment_files(folder) if len(batches) == 1 or merge else None


@pytest.mark.parametrize("compression", [0, 3])
@pytest.mark.parametrize("pooled", [False, True], ids=["whoosh-pool", "kb-term-pool"])
def test_the_same_bytes_as_whoosh_for_every_kind_of_field(tmp_path, compression, pooled):
    docs = mixed_documents(420, seed=compression)
    theirs = write(tmp_path / "whoosh", mixed_schema(), [docs], whoosh3.W3Codec(compression=compression), pooled=pooled)
    ours = write(tmp_path / "kb", mixed_schema(), [docs], KbCodec(compression=compression), pooled=pooled)
    assert set(ours) == {".trm", ".pst"}
    assert len(ours[".pst"]) > 100_000  # terms of several blocks were written
    assert ours == theirs


def test_the_same_bytes_when_segments_are_merged(tmp_path):
    docs = mixed_documents(300, seed=5)
    batches = [docs[:100], docs[100:130], docs[130:]]
    theirs = write(tmp_path / "whoosh", mixed_schema(), batches, whoosh3.W3Codec(compression=0), merge=True)
    ours = write(tmp_path / "kb", mixed_schema(), batches, KbCodec(compression=0), merge=True)
    assert ours == theirs


def test_the_same_bytes_for_kbs_own_documents(tmp_path):
    """kb's schema and documents (answers, exact words, common-word pairs, quotes) from a generated KB."""
    root = generate(tmp_path / "kb", 120, seed=3)
    docs = []
    for record_type, folder in sorted(TYPE_DIRS.items()):
        for path in sorted((root / folder).rglob("*.md")):
            record = parse_bytes(path.read_bytes(), path.relative_to(root).as_posix(), record_type)
            doc = document(record)
            docs += [doc, *quote_documents(record, doc)]
    theirs = write(tmp_path / "index-whoosh", make_schema(), [docs], whoosh3.W3Codec(compression=0))
    ours = write(tmp_path / "index-kb", make_schema(), [docs], KbCodec(compression=0))
    assert ours == theirs


def test_kbs_codec_writes_through_its_writer_and_reads_back(tmp_path):
    folder = tmp_path / "ix"
    folder.mkdir()
    ix = index.create_in(str(folder), mixed_schema())
    (tmp_path / "one").mkdir()
    fieldwriter = KbCodec().field_writer(FileStorage(str(tmp_path / "one")), whoosh3.W3Segment(KbCodec(), "MAIN"))
    fieldwriter.close()
    assert isinstance(fieldwriter, KbFieldWriter)
    docs = mixed_documents(200, seed=9)
    writer = ix.writer(codec=KbCodec(compression=0))
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    for word in ("w0", "w1", "w7", "w300"):
        expected = {doc["path"] for doc in docs if word in doc["body"].split()}
        with ix.searcher() as searcher:
            found = {hit["path"] for hit in searcher.search(Term("body", word), limit=None)}
        assert found == expected


def test_the_term_hash_is_whooshs():
    rng = random.Random(1)
    for _ in range(2000):
        key = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
        assert _md5_low32(key) == md5_hash(key)
