"""kb's way of reading and writing Whoosh's index files: the same files, field lengths read once.

Whoosh (2.7) reads a document's field length from a column file for every posting it writes and
every document it scores, and asks the filesystem again, each time, for the length column of a field
that has none (IDs, keywords, dates): together about a third of a rebuild. A segment never changes
once written, so `LengthsReader` keeps both answers. Only the index objects made here use it
(`KbIndex` for reading, `KbCodec` for writing); Whoosh's own classes are left as they are, and the
files on disk stay Whoosh's W3 format, readable by any Whoosh.
"""

from __future__ import annotations

from collections.abc import Sequence

from whoosh.codec import whoosh3
from whoosh.filedb.filestore import Storage
from whoosh.index import TOC, FileIndex

from kb.search.searchers import close_searchers


class LengthsReader(whoosh3.W3PerDocReader):
    """Whoosh's per-document reader of one segment, with its field-length columns loaded once."""

    def __init__(self, storage: Storage, segment: whoosh3.W3Segment):
        super().__init__(storage, segment)
        self._lengths: dict[str, Sequence[int] | None] = {}

    def _cached_reader(self, fieldname, column):
        # Whoosh caches a column reader only when the column exists: remember a missing one too.
        try:
            return self._readers[fieldname]
        except KeyError:
            reader = self._readers[fieldname] = super()._cached_reader(fieldname, column)
            return reader

    def doc_field_length(self, docnum, fieldname, default=0):
        """The length of one document's field, from the field's length column read once."""
        try:
            column = self._lengths[fieldname]
        except KeyError:
            reader = self._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
            column = self._lengths[fieldname] = reader.load() if reader is not None else None
        if column is None:
            return default
        lbyte = column[docnum]
        return whoosh3.byte_to_length(lbyte) if lbyte else None  # as Whoosh's own: None for an empty field


class KbCodec(whoosh3.W3Codec):
    """Whoosh's W3 codec, reading per-document values through `LengthsReader`."""

    @classmethod
    def reading(cls, codec: whoosh3.W3Codec) -> KbCodec:
        """The same codec (block size, compression, inlining) with kb's reader."""
        return cls(codec._blocklimit, codec._compression, codec._inlinelimit)

    def per_document_reader(self, storage: Storage, segment: whoosh3.W3Segment) -> LengthsReader:
        return LengthsReader(storage, segment)

    def __reduce__(self):
        # A segment keeps its codec in the index's table of contents: save it as Whoosh's own, so that
        # the files stay Whoosh's format and need nothing of kb's to be read.
        return whoosh3.W3Codec, (self._blocklimit, self._compression, self._inlinelimit)


class KbIndex(FileIndex):
    """A Whoosh file index whose segments are read through `KbCodec`."""

    def _read_toc(self) -> TOC:
        # Every reader, searcher and merge of this index gets its segments here; the segments are
        # fresh objects of this call, so giving them kb's codec touches nothing else.
        toc = super()._read_toc()
        for segment in toc.segments:
            codec = segment.codec()
            if type(codec) is whoosh3.W3Codec:
                segment._codec = KbCodec.reading(codec)
        return toc

    def close(self) -> None:
        """Close the searchers that queries opened on this index object (kb.search.searchers)."""
        close_searchers(self)
