"""kb's way of reading and writing Whoosh's index files: the same files, field lengths read once.

Whoosh (2.7) reads a document's field length from a column file for every posting it writes and
every document it scores, and asks the filesystem again, each time, for the length column of a field
that has none (IDs, keywords, dates): together about a third of a rebuild. A segment never changes
once written, so `LengthsReader` keeps both answers. Only the index objects made here use it
(`KbIndex` for reading, `KbCodec` for writing); Whoosh's own classes are left as they are, and the
files on disk stay Whoosh's W3 format, readable by any Whoosh.

Whoosh reads a segment's compound file through a memory map, but hands each file inside it out as a
`BufferFile`, which copies that file into a `BytesIO` first: every searcher opened held its own copy of
the whole index (hundreds of MB at 10,000 records, and a third of a cold search's time). `KbStorage`
opens each file as a `MappedFile`, which reads the memory-mapped bytes where they are; a compound
segment's files are then `subset`s of it, the map read in place (Whoosh's `CompoundStorage` takes
that branch for a file without a descriptor).
"""

from __future__ import annotations

import mmap
import os
import pickle
from collections.abc import Iterable, Sequence

from whoosh.codec import whoosh3
from whoosh.filedb.filestore import FileStorage, Storage
from whoosh.filedb.structfile import StructFile
from whoosh.index import TOC, FileIndex

from kb.search.fieldwriter import KbFieldWriter
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
    """Whoosh's W3 codec, reading per-document values through `LengthsReader` and writing terms through
    `KbFieldWriter`."""

    @classmethod
    def reading(cls, codec: whoosh3.W3Codec) -> KbCodec:
        """The same codec (block size, compression, inlining) with kb's reader."""
        return cls(codec._blocklimit, codec._compression, codec._inlinelimit)

    def per_document_reader(self, storage: Storage, segment: whoosh3.W3Segment) -> LengthsReader:
        return LengthsReader(storage, segment)

    def field_writer(self, storage: Storage, segment: whoosh3.W3Segment) -> whoosh3.W3FieldWriter:
        """kb.search.fieldwriter's writer of the same bytes, when postings are not inlined (Whoosh 2.7's
        inlining writer fails, and kb's codecs never ask for it)."""
        if self._inlinelimit > 1:
            return super().field_writer(storage, segment)
        return KbFieldWriter(self, storage, segment)

    def __reduce__(self):
        # A segment keeps its codec in the index's table of contents: save it as Whoosh's own, so that
        # the files stay Whoosh's format and need nothing of kb's to be read.
        return whoosh3.W3Codec, (self._blocklimit, self._compression, self._inlinelimit)


class MappedFile(StructFile):
    """A file of the index read where it lies in a memory map: a read slices the map, nothing is copied
    but the bytes asked for. Positions are relative to the file's start within the map."""

    is_closed: bool

    def __init__(
        self, source: mmap.mmap, start: int, length: int, name: str | None = None, owner: bool = False, onclose=None
    ):
        super().__init__(None, name=name, onclose=onclose)
        self._map = source
        self._start = start
        self._end = start + length
        self._pos = start
        self._owner = owner  # the file opened from disk unmaps when closed; its subsets share its map

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = self._end if size is None or size < 0 else min(start + size, self._end)
        if end <= start:
            return b""
        self._pos = end
        return self._map[start:end]

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        found = self._map.find(b"\n", self._pos, self._end)
        end = self._end if found < 0 else found + 1
        if size is not None and size >= 0:
            end = min(end, self._pos + size)
        return self.read(end - self._pos)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: self._start, os.SEEK_CUR: self._pos, os.SEEK_END: self._end}[whence]
        self._pos = max(base + offset, self._start)
        return self._pos - self._start

    def tell(self) -> int:
        return self._pos - self._start

    def get(self, position: int, length: int) -> bytes:
        # As Whoosh's BufferFile: a random read that leaves the position where it was.
        start = self._start + position
        return self._map[start : min(start + length, self._end)]

    def read_pickle(self):
        return pickle.load(self)

    def subset(self, position: int, length: int, name: str | None = None) -> MappedFile:
        """One file of a compound file: the same map, read from `position` on."""
        return MappedFile(self._map, self._start + position, length, name=name or self._name)

    def raw_file(self) -> MappedFile:
        return self

    def write(self, *args, **kwargs):
        raise OSError(f"{self._name} is open for reading only")

    def flush(self) -> None:
        pass

    def close(self) -> None:
        """Let go of the file; the one opened from disk unmaps it (no read holds a view of the map)."""
        if self.is_closed:
            return
        self.is_closed = True
        if self.onclose:
            self.onclose(self)
        if self._owner:
            self._map.close()


class KbStorage(FileStorage):
    """Whoosh's file storage of a folder, whose files are read in place through a memory map.

    Files may also be kept mapped (`keep`): they are then read from that one map by every reader, even
    after a commit deleted them, until `unmap`.
    """

    def __init__(self, path: str, **kwargs):
        super().__init__(path, **kwargs)
        self._kept: dict[str, mmap.mmap] = {}

    def open_file(self, name: str, **kwargs) -> StructFile:
        """The file `name`, memory-mapped (an empty file, which cannot be mapped, is opened as Whoosh does)."""
        kept = self._kept.get(name)
        if kept is not None:
            return MappedFile(kept, 0, len(kept), name=name, **kwargs)
        source = self._map(name)
        if source is None:
            return super().open_file(name, **kwargs)
        return MappedFile(source, 0, len(source), name=name, owner=True, **kwargs)

    def _map(self, name: str) -> mmap.mmap | None:
        with open(self._fpath(name), "rb") as file:
            if os.fstat(file.fileno()).st_size == 0:
                return None
            # The map keeps a descriptor of its own until it is closed.
            return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)

    def keep(self, names: Iterable[str]) -> None:
        """Map these files now, and read them from these maps until `unmap`, whatever happens on disk."""
        for name in names:
            if name not in self._kept:
                source = self._map(name)
                if source is not None:
                    self._kept[name] = source

    def kept_whole(self) -> bool:
        """Whether every file kept mapped is still on disk at the size it was mapped at (a map of a file
        cut short fails the process that reads past its new end: such a map is not to be read again)."""
        try:
            return all(os.stat(self._fpath(name)).st_size == len(source) for name, source in self._kept.items())
        except FileNotFoundError:
            return False

    def unmap(self) -> None:
        """Let go of the files kept mapped (once no reader of this storage reads them)."""
        kept, self._kept = self._kept, {}
        for source in kept.values():
            source.close()

    def file_exists(self, name: str) -> bool:
        return name in self._kept or super().file_exists(name)

    def file_length(self, name: str) -> int:
        kept = self._kept.get(name)
        return len(kept) if kept is not None else super().file_length(name)


class KbIndex(FileIndex):
    """A Whoosh file index whose segments are read through `KbCodec`; `freeze` holds it to one commit."""

    _frozen: TOC | None = None
    _frozen_key: tuple[int, int, int] | None = None

    def _read_toc(self) -> TOC:
        if self._frozen is not None:
            return self._frozen
        return self._toc()

    def _toc(self, generation: int | None = None) -> TOC:
        # Every reader, searcher and merge of this index gets its segments here; the segments are
        # fresh objects of this call, so giving them kb's codec touches nothing else.
        toc = TOC.read(self.storage, self.indexname, generation, schema=self._schema)
        for segment in toc.segments:
            codec = segment.codec()
            if type(codec) is whoosh3.W3Codec:
                segment._codec = KbCodec.reading(codec)
        return toc

    def _commit_key(self, generation: int) -> tuple[int, int, int]:
        # A rebuild numbers its commits from the start again: the file itself tells two commits apart.
        found = os.stat(os.path.join(self.storage.folder, TOC._filename(self.indexname, generation)))
        return generation, found.st_ino, found.st_mtime_ns

    def freeze(self) -> None:
        """Answer from the commit the index holds now, however many commits come, for as long as this
        object is open: its files are mapped now, so a commit that deletes them changes nothing here.
        Raises FileNotFoundError when another process's commit removed them meanwhile (open it again)."""
        if self._frozen is not None or not isinstance(self.storage, KbStorage):
            return
        generation = super().latest_generation()
        key = self._commit_key(generation)
        toc = self._toc(generation)
        for segment in toc.segments:
            self.storage.keep(segment.list_files(self.storage))
        self._frozen, self._frozen_key = toc, key

    def latest_generation(self) -> int:
        """The generation this object reads: the one it is frozen to, else the latest on disk."""
        return self._frozen.generation if self._frozen is not None else super().latest_generation()

    def is_latest(self) -> bool:
        """Whether the commit this object reads is still the index's latest (always, unless frozen)."""
        if self._frozen_key is None:
            return True
        try:
            latest = self._commit_key(super().latest_generation()) == self._frozen_key
        except FileNotFoundError:  # a commit is replacing the latest right now
            return False
        return latest and (not isinstance(self.storage, KbStorage) or self.storage.kept_whole())

    def close(self) -> None:
        """Close the searchers that queries opened on this index object (kb.search.searchers), and its maps."""
        close_searchers(self)
        if isinstance(self.storage, KbStorage):
            self.storage.unmap()
