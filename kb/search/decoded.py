"""A word's posting list in a segment as two arrays (the records and the term frequencies), decoded as Whoosh
decodes them, and kept: a segment never changes once written (a deletion only hides records, which the
reader leaves out at each query), so a word's postings are decoded once, not at each query.

Whoosh's matcher decodes a list a block at a time as it steps through it, one Python call a record; here
the whole list is read at once and each block is unpickled once (the positions with it: Whoosh stores
them in the same pickle), and the ids and frequencies taken from it.
"""

from __future__ import annotations

import io
import pickle
import struct
import threading
import zlib
from array import array
from collections import OrderedDict
from itertools import accumulate

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import SegmentReader

Key = tuple[str, int, str, bytes]  # segment id, its number of records, field, word
_INT = struct.Struct("!i")  # a block's length, as Whoosh's StructFile.read_int reads it
_ONES = array("f", [1.0])

# Decoded posting lists, by segment and word: a segment never changes once written (a deletion only
# hides records, left out at each query), so a word's postings are decoded once, not at each query
# (decoding is most of a query of common words: 2 to 3 ms for a word in 6,000 records). At most this
# many postings are kept (12 bytes each), the least recently used let go first.
MAX_KEPT_POSTINGS = 1_000_000
_KEPT: OrderedDict[Key, tuple[array, array]] = OrderedDict()
_SIZE = [0]
_LOCK = threading.Lock()


def kept(key: Key) -> tuple[array, array] | None:
    """The postings kept under `key` (segment id, its number of records, field, word), or None."""
    with _LOCK:
        found = _KEPT.get(key)
        if found is not None:
            _KEPT.move_to_end(key)
    return found


def keep(key: Key, decoded: tuple[array, array]) -> None:
    """Keep a word's decoded postings (a list past a quarter of the whole is not kept)."""
    size = len(decoded[0])
    if size > MAX_KEPT_POSTINGS // 4:
        return
    with _LOCK:
        if key in _KEPT:
            return
        _KEPT[key] = decoded
        _SIZE[0] += size
        while _SIZE[0] > MAX_KEPT_POSTINGS:
            _, (gone, _) = _KEPT.popitem(last=False)
            _SIZE[0] -= len(gone)


def decode(reader: SegmentReader, fieldname: str, btext: bytes) -> tuple[array, array]:
    """Every posting of a word in a segment, deleted records too: the records and the term frequencies."""
    m = reader.postings(fieldname, btext)
    if isinstance(m, FilterMatcher):  # the segment's deleted records, left out by the caller
        m = m.child
    ids: list[int] = []
    weights: list[float] = []
    if type(m) is W3LeafMatcher:
        ids, weights = _w3_postings(m)
    else:  # postings kept in the term's entry: a few records
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            m.next()
    return array("q", ids), array("d", weights)


def _w3_postings(m: W3LeafMatcher) -> tuple[list[int], list[float]]:
    """Every posting's record and term frequency, decoded block by block as the matcher decodes each
    (its `_goto`, `_read_ids` and `_read_weights`), from one read of the whole list."""
    extent = m._length
    if isinstance(extent, tuple):  # Whoosh 2.7's term info keeps the length in a 1-tuple
        (extent,) = extent
    raw = m._postfile.get(m._startoffset, extent)
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        raise ValueError("not a Whoosh 3 posting list")
    stream = io.BytesIO(raw)
    ids: list[int] = []
    weights: list[float] = []
    position = 4
    while True:
        (length,) = _INT.unpack_from(raw, position)
        following = position + _INT.size + abs(length)
        stream.seek(position + _INT.size)
        count, _, _, compressed, _, _ = pickle.load(stream)
        data = raw[stream.tell() : following]
        block = pickle.loads(zlib.decompress(data) if compressed else data)
        ids.extend(block[0] if m._byteids else accumulate(block[0]))
        if block[1] is None:
            weights.extend(_ONES * count)
        elif isinstance(block[1], float):
            weights.extend(array("f", [block[1]]) * count)
        else:
            weights.extend(block[1])
        if length < 0 or following >= len(raw):  # the last block has its length negated
            return ids, weights
        position = following
