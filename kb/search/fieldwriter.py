"""Whoosh's W3 term and postings writer with less Python per term: the same bytes, written faster.

A commit spends most of its time writing terms: a one-file refresh at 10,000 records writes about 560
terms a record, and Whoosh 2.7 handles each through a dozen calls (`W3FieldWriter.start_term`,
`W3PostingsWriter.add_posting` with its type checks, `finish_postings`, `_write_block`, `W3TermInfo`,
`OrderedHashWriter.add`), asking the system for the file's position (an lseek) five times a term. Under
`kb serve` that was 60 % of the refresh every save waits for.

`KbFieldWriter` keeps a term's postings and statistics in its own attributes, holds what it writes in
memory until a megabyte has built up (so a position is arithmetic), and writes exactly the bytes Whoosh's
writer writes: `tests/test_search_fieldwriter.py` writes the same documents through both and compares the
files byte for byte. The files stay Whoosh's W3 format; only `KbCodec` (kb's index) uses this writer.
"""

from __future__ import annotations

import hashlib
import zlib
from array import array
from pickle import dumps

from whoosh.codec import whoosh3
from whoosh.filedb.filetables import OrderedHashWriter, _lengths, md5_hash
from whoosh.filedb.structfile import StructFile
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte

# What is held in memory before it goes to the file.
FLUSH_BYTES = 1 << 20
NO_ID = 0xFFFFFFFF  # W3TermInfo's stand-in for "no document number"
_TERM_INFO = whoosh3.W3TermInfo._struct


class _Pending:
    """The bytes written to a file since its last flush: the file's position without asking the system."""

    __slots__ = ("file", "flushed", "data")

    def __init__(self, file: StructFile):
        self.file = file
        self.flushed = file.tell()
        self.data = bytearray()

    def tell(self) -> int:
        return self.flushed + len(self.data)

    def flush(self) -> None:
        if self.data:
            self.file.write(bytes(self.data))
            self.flushed += len(self.data)
            self.data.clear()


def _md5_low32(key: bytes) -> int:
    """Whoosh's md5_hash (the low 32 bits of the key's MD5, big-endian) without the hex round trip."""
    return int.from_bytes(hashlib.md5(key, usedforsecurity=False).digest()[-4:], "big")


class _TermsWriter(OrderedHashWriter):
    """Whoosh's ordered hash file of terms, each key and value held in memory until a flush."""

    lastkey: bytes

    def __init__(self, dbfile: StructFile):
        super().__init__(dbfile)
        self.pending = _Pending(dbfile)
        self.fasthash = _md5_low32 if self.hashfn is md5_hash else self.hashfn

    def tell(self) -> int:
        return self.pending.tell()

    def add(self, key: bytes, value: bytes) -> None:
        if key <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{key!r}")
        pending = self.pending
        position = pending.flushed + len(pending.data)
        self.index.append(position)
        data = pending.data
        data += _lengths.pack(len(key), len(value))
        data += key
        data += value
        hashed = self.fasthash(key)
        self.buckets[hashed & 255].append((hashed, position))
        self.lastkey = key
        if len(data) > FLUSH_BYTES:
            pending.flush()

    def close(self) -> None:
        self.pending.flush()
        super().close()


class KbFieldWriter(whoosh3.W3FieldWriter):
    """W3FieldWriter and W3PostingsWriter in one, for a codec without inlined postings (Whoosh's default,
    and kb's): the same calls (`start_field`, `start_term`, `add`, `finish_term`, `finish_field`,
    `close`) and the same bytes."""

    def __init__(self, codec: whoosh3.W3Codec, storage, segment):
        # W3FieldWriter.__init__, with the terms written through _TermsWriter.
        self._codec = codec
        self._storage = storage
        self._segment = segment
        self._fieldname: str | None = None
        self._fieldid: int | None = None
        self._btext: bytes | None = None
        self._fieldobj = None
        self._format = None
        self._tindex = _TermsWriter(self._create_file(whoosh3.W3Codec.TERMS_EXT))
        self._fieldmap: dict[str, int] = {}
        self._tindex.extras["fieldmap"] = self._fieldmap
        self._postfile = self._create_file(whoosh3.W3Codec.POSTS_EXT)
        self._posts = _Pending(self._postfile)
        self._postwriter = None
        self._infield = False
        self.is_closed = False
        self._blocklimit = codec._blocklimit
        self._compression = codec._compression
        self._fixedsize: int | None = None

    def start_field(self, fieldname, fieldobj) -> None:
        fieldmap = self._fieldmap
        if fieldname not in fieldmap:
            fieldmap[fieldname] = len(fieldmap)
        self._fieldid = fieldmap[fieldname]
        self._fieldname = fieldname
        self._fieldobj = fieldobj
        self._format = fieldobj.format
        self._fixedsize = fieldobj.format.fixed_value_size()
        self._infield = True

    def start_term(self, btext: bytes) -> None:
        if not self._infield:
            raise Exception("Called start_term before start_field")
        self._btext = btext
        self._start = self._posts.tell()
        self._blocks = 0
        # The term's statistics (W3TermInfo's), over its blocks.
        self._t_weight: float = 0
        self._t_df = 0
        self._t_minlength: int | None = None
        self._t_maxlength = 0
        self._t_maxweight: float = 0
        self._t_minid: int | None = None
        self._t_maxid = 0
        self._new_block()

    def _new_block(self) -> None:
        self._ids: list[int] = []
        self._weights = array("f")
        self._values: list[bytes] = []
        self._minlength: int | None = None
        self._maxlength = 0
        self._maxweight: float = 0

    def add(self, docnum: int, weight, vbytes: bytes, length) -> None:
        if len(self._ids) >= self._blocklimit:
            self._write_block(last=False)
        self._ids.append(docnum)
        self._weights.append(weight)
        if weight > self._maxweight:
            self._maxweight = weight
        if vbytes:
            self._values.append(vbytes)
        if length:
            if self._minlength is None or length < self._minlength:
                self._minlength = length
            if length > self._maxlength:
                self._maxlength = length

    def _write_block(self, last: bool) -> None:
        """W3PostingsWriter._write_block: the buffered postings as one block, and their statistics added to
        the term's (W3TermInfo.add_block)."""
        ids, weights = self._ids, self._weights
        data = self._posts.data
        if not self._blocks:
            data += whoosh3.WHOOSH3_HEADER_MAGIC
        self._t_weight += sum(weights)
        self._t_df += len(ids)
        if self._t_minlength is None:
            self._t_minlength = self._minlength
        elif self._minlength is not None:  # (where Whoosh's min() of a length and None would fail)
            self._t_minlength = min(self._t_minlength, self._minlength)
        self._t_maxlength = max(self._t_maxlength, self._maxlength)
        self._t_maxweight = max(self._t_maxweight, self._maxweight)
        if self._t_minid is None:
            self._t_minid = ids[0]
        self._t_maxid = ids[-1]

        if len(ids) == 1:
            deltas: tuple[int, ...] = (ids[0],)
        else:
            deltas = tuple(b - a for a, b in zip([0, *ids], ids, strict=False))
        mini_weights: float | tuple[float, ...] | None
        mini_values: tuple[bytes, ...] | bytes | None
        if all(w == 1.0 for w in weights):
            mini_weights = None
        elif all(w == weights[0] for w in weights):
            mini_weights = weights[0]
        else:
            mini_weights = tuple(weights)
        fixedsize = self._fixedsize
        if fixedsize is None or fixedsize < 0:
            mini_values = tuple(self._values)
        elif fixedsize == 0:
            mini_values = None
        else:
            mini_values = b"".join(self._values)
        databytes = dumps((deltas, mini_weights, mini_values), 2)
        compression = self._compression
        if compression:
            databytes = zlib.compress(databytes, compression)
        infobytes = dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                compression,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,
        )
        blocklength = len(infobytes) + len(databytes)
        data += pack_int(-blocklength if last else blocklength)
        data += infobytes
        data += databytes
        self._blocks += 1
        self._new_block()

    def finish_term(self) -> None:
        if not self._blocks and not self._ids:
            raise ValueError(f"term {self._btext!r} of field {self._fieldname!r} has no postings")
        if self._ids:
            self._write_block(last=True)
        posts = self._posts
        minlength = self._t_minlength
        info = _TERM_INFO.pack(
            False,
            self._t_weight,
            self._t_df,
            0 if minlength is None else length_to_byte(minlength),
            length_to_byte(self._t_maxlength),
            self._t_maxweight,
            NO_ID if self._t_minid is None else self._t_minid,
            NO_ID if self._t_maxid is None else self._t_maxid,
        )
        info += pack_long(self._start) + pack_int(posts.tell() - self._start)
        self._tindex.add(pack_ushort(self._fieldid) + self._btext, info)
        if len(posts.data) > FLUSH_BYTES:
            posts.flush()

    def close(self) -> None:
        self._posts.flush()
        super().close()
