"""The Whoosh index: its schema, each record's document, and keeping the index in step with records."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from pathlib import Path

from whoosh import analysis, fields
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter

from kb.records.fields import QUESTION_KEYS, title_of
from kb.records.parse import Record
from kb.records.quotes import BLOCK_SEPARATOR
from kb.search.analyzer import FastStemmingAnalyzer, PairAnalyzer, varied_words
from kb.search.codec import KbCodec, KbIndex, KbStorage
from kb.search.plain import plain_text
from kb.search.postings import TermPoolWriter

INDEX_DIR = "index"
# Words without a field search `all`: every text of the record in one field, so that a word is one
# posting list to score (ten fields' union cost ten times as much). `content:` is another name for it.
DEFAULT_FIELD = "all"
# The words of `all` as written (not stemmed, no positions) where the stem alone does not tell which
# word it was (kb.search.analyzer.varied_words): a query ranks the very word typed above another word
# of the same stem ("experiment", "experience"). Every word as written would cost half as much indexing again.
EXACT_FIELD = "exact"
# The pairs of adjacent common words of `all`, each one term (kb.search.analyzer.common_pairs), records only
# (no frequencies, no positions): a phrase of common words looks its pairs up instead of walking their
# positions (kb.search.parsing.KbPhrase).
PAIRS_FIELD = "pairs"
STORED_TEXT_FIELDS = ("title", "person", "content", *QUESTION_KEYS)
# Above this many new documents, a rebuild writes with one process per core (Whoosh's MpWriter).
PARALLEL_WRITE_MIN = 2000
# How often a worker of the parallel writer looks whether the process that started it is still there.
PARENT_CHECK_SECONDS = 0.25


def make_schema() -> fields.Schema:
    """The index's fields: facts to filter and sort by, each answer on its own, and `all` for free words."""
    # No `spelling=True`: it analyses every text a second time (40% of indexing); "did you mean"
    # works from the stemmed terms instead (see kb.search.suggest).
    stem = FastStemmingAnalyzer()
    # People, companies and channels (owner, person, source, name, people): any word of the name finds
    # it, stop words and initials too ("Will", "An", "J."); a phrase finds the name as written.
    names = FastStemmingAnalyzer(stoplist=frozenset(), minsize=1)
    # One value of a closed set, matched whatever its case (customer:Acme finds acme's records).
    keyword = analysis.IDAnalyzer(lowercase=True)
    # The analyzer of `all` remembers the words it indexed last, and the pairs are made from them.
    words = FastStemmingAnalyzer(remember=True)
    text = {key: fields.TEXT(analyzer=stem, stored=True) for key in QUESTION_KEYS}
    return fields.Schema(
        path=fields.ID(stored=True, unique=True),
        type=fields.ID(stored=True, sortable=True, analyzer=keyword),
        slug=fields.ID(stored=True),
        customer=fields.ID(stored=True, sortable=True, analyzer=keyword),
        status=fields.ID(stored=True, sortable=True, analyzer=keyword),
        stage=fields.ID(stored=True, analyzer=keyword),
        kind=fields.ID(stored=True, sortable=True, analyzer=keyword),
        tag=fields.KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        owner=fields.TEXT(analyzer=names, stored=True),
        source=fields.TEXT(analyzer=names),
        person=fields.TEXT(analyzer=names, stored=True),
        name=fields.TEXT(analyzer=names),  # a customer's name
        people=fields.TEXT(analyzer=names),  # a call's people
        speaker=fields.TEXT(analyzer=names, stored=True),  # who said a quote
        parent=fields.ID(),  # a quote's file: its quotes leave the index with it
        date=fields.DATETIME(stored=True, sortable=True),
        title=fields.TEXT(analyzer=stem, stored=True),
        # The body outside the five answers: shown in snippets, searched through `all`.
        content=fields.STORED(),
        # Title, person, body, answers, and unknown front-matter keys, people, tags, source and owner
        # (searchable, never shown in a snippet): not stored.
        all=fields.TEXT(analyzer=words),
        pairs=fields.ID(analyzer=PairAnalyzer(words)),
        exact=fields.TEXT(analyzer=FastStemmingAnalyzer(stem=False), phrase=False),
        **text,
    )


def open_index(state_dir: Path, create: bool = False) -> KbIndex:
    """Open the index under `.kb/`, or make an empty one when `create` is set."""
    folder = state_dir / INDEX_DIR
    if create:
        folder.mkdir(parents=True, exist_ok=True)
        return KbIndex.create(KbStorage(str(folder)), make_schema())
    return KbIndex(KbStorage(str(folder)))


def _date(record: Record) -> dt.datetime | None:
    f = record.fields
    if record.type == "interview":
        day = f.get("date")
    elif record.type == "customer":
        days: list[dt.date] = [f[k] for k in ("qualified_on", "won_on", "lost_on", "churned_on") if f.get(k)]
        day = max(days) if days else None
    else:
        day = None
    return dt.datetime.combine(day, dt.time()) if day else None


def _flatten(value) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k} {_flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return " ".join(_flatten(v) for v in value)
    return "" if value is None else str(value)


def document(record: Record) -> dict:
    """The Whoosh document of a record: each answer in its own field, the rest in `content`."""
    f = record.fields
    answers: dict[str, list[str]] = {key: [] for key in QUESTION_KEYS}
    content: list[str] = []
    lines = record.body.split("\n")
    bounds = [(s.line - record.body_line, s) for s in record.sections]
    head_end = bounds[0][0] if bounds else len(lines)
    content.append("\n".join(lines[:head_end]))
    for section in record.sections:
        if section.question:
            answers[section.question].append(section.text)
        else:
            content.append(f"{section.heading}\n{section.text}")
    extras = [f"{k} {_flatten(v)}" for k, v in record.extra.items()]
    extras += [_flatten(f.get(k)) for k in ("source", "owner") if record.type == "customer"]
    extras += [_flatten(f.get("people")), _flatten(f.get("tags"))]
    doc = {
        "path": record.path,
        "type": record.type,
        "slug": record.slug,
        "customer": (record.slug if record.type == "customer" else f.get("customer") or "").lower(),
        "status": f.get("status") or "",
        "stage": f.get("stage") or "",
        "kind": f.get("kind") or "",
        "tag": ",".join(f.get("tags") or []),
        "owner": _flatten(f.get("owner")),
        "source": _flatten(f.get("source")),
        "person": f.get("person") or "",
        "name": _flatten(f.get("name")) if record.type == "customer" else "",
        "people": "\n".join(_flatten(one) for one in f.get("people") or []),
        "title": title_of(record.type, record.slug, f),
        "content": "\n".join(part for part in content if part),
    }
    day = _date(record)
    if day:
        doc["date"] = day
    for key, texts in answers.items():
        doc[key] = "\n\n".join(texts)
    # The skeleton's prompts are HTML comments: they are not the founder's words, so not searchable.
    # A link reads as its label (a [[link]] without one as its slug), a web address as its host, in the
    # index and in snippets alike.
    for key in ("content", *QUESTION_KEYS):
        doc[key] = plain_text(doc[key])
    doc[DEFAULT_FIELD] = "\n".join(
        part
        for part in (
            doc["title"],
            doc["person"],
            doc["content"],
            *(doc[key] for key in QUESTION_KEYS),
            *(plain_text(extra) for extra in extras),
        )
        if part
    )
    doc[EXACT_FIELD] = varied_words(doc[DEFAULT_FIELD])
    doc[PAIRS_FIELD] = doc[DEFAULT_FIELD]  # the same text, analysed into its common-word pairs
    return doc


def quote_documents(record: Record, call: dict) -> list[dict]:
    """A Whoosh document for each quote of a call (`call`: the call's own document): found as its own hit
    (`type:quote`, `speaker:maya`), with the call's customer, kind and date."""
    found = []
    for quote in record.quotes:
        words = plain_text(quote.text)
        doc = {
            "path": f"{record.path}{BLOCK_SEPARATOR}{quote.block}",
            "parent": record.path,
            "type": "quote",
            "slug": record.slug,
            "customer": call["customer"],
            "kind": call["kind"],
            "tag": ",".join(quote.tags),
            "speaker": quote.speaker or "",
            "title": f"{quote.speaker or 'Someone'} in {call['title']}",
            "content": words,
        }
        if "date" in call:
            doc["date"] = call["date"]
        doc[DEFAULT_FIELD] = "\n".join(part for part in (words, quote.speaker or "", " ".join(quote.tags)) if part)
        doc[EXACT_FIELD] = varied_words(doc[DEFAULT_FIELD])
        doc[PAIRS_FIELD] = doc[DEFAULT_FIELD]
        found.append(doc)
    return found


def _end_with(parent: int) -> None:
    """End this process as soon as `parent` has ended, however it ended (SIGKILL included)."""
    forked = os.getppid() == parent

    def watch() -> None:
        # A forked worker is adopted by another process when its parent dies; one started otherwise
        # asks the kernel whether the parent is still there.
        while os.getppid() == parent if forked else _alive(parent):
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="kb-parent-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, and another user's
        pass
    return True


class _Worker(SubWriterTask):
    """A worker of the parallel writer that does not outlive kb (Whoosh's own would wait on its job queue
    forever once the process feeding it is gone)."""

    def __init__(self, *args, parent: int):
        super().__init__(*args)
        self.parent = parent
        self.daemon = True  # ended by multiprocessing when kb exits on an error, rather than waited for

    def run(self) -> None:
        """Whoosh's SubWriterTask.run (one segment a worker, as `multisegment` asks), with the postings
        gathered by term (kb.search.postings)."""
        _end_with(self.parent)
        ix = self.storage.open_index(self.indexname)
        # _lk=False: the parent holds the index's lock.
        writer = self.writer = TermPoolWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            job = self.jobqueue.get()
            if job is None:  # the parent's word to finish
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        segment = writer._finalize_segment()
        self.resultqueue.put((None, writer.pool.fieldnames, segment), timeout=5)


class _ParallelWriter(MpWriter):
    """Whoosh's MpWriter with workers that end with kb, are ended when the writing is cancelled, and
    whose failure fails the commit instead of leaving their documents out of the index."""

    def _new_task(self) -> _Worker:
        task = _Worker(
            self.storage,
            self.indexname,
            self.jobqueue,
            self.resultqueue,
            self.subargs,
            self.multisegment,
            parent=os.getpid(),
        )
        self.tasks.append(task)
        task.start()
        return task

    def commit(self, *args, **kwargs) -> None:
        super().commit(*args, **kwargs)
        failed = [task.exitcode for task in self.tasks if task.exitcode != 0]
        if failed:
            # Whoosh commits without the segments of workers that died: this index lacks documents.
            raise RuntimeError(f"a worker of the parallel index writer failed (exit code {failed[0]})")

    def cancel(self) -> None:
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
            for task in self.tasks:
                task.join(5)
        finally:
            if not self.is_closed:  # a commit that failed after writing closed it already
                SegmentWriter.cancel(self)


# An incremental commit merges segments of like size only, ten at a time: the segments an edit writes
# (a record or a few) are merged together every ten commits, those merged ten times more rarely, and the
# large segments of a rebuild only once ten of their size have built up. Whoosh's own policy
# (MERGE_SMALL) also rewrites larger segments every few commits: 1 to 2 s of a one-file commit at 10,000
# records, while a save waits for it.
SEGMENTS_PER_TIER = 10


# A commit that must not wait for a merge (a server's, under load) merges only past this many segments;
# the server merges when it is idle (`merge_segments`), and before that its refreshes index again the
# records of the smallest segments (`crowding_records`).
CROWDED_SEGMENTS = 40
# Past this many segments, a server's refresh indexes again (from their files) the records of the smallest
# segments, at most ABSORBED_RECORDS of them, leaving those segments empty: Whoosh merges by reading every
# posting back one at a time (1.25 s for 14 records at 10,000), ten times what indexing them costs.
ABSORBING_SEGMENTS = 12
ABSORBED_RECORDS = 16
# A refresh a request waits for absorbs only this few records, and only past twice as many segments.
URGENT_ABSORBED_RECORDS = 8


def _to_merge(segments: list) -> list:
    """The segments `merge_like_sizes` merges: the smallest tier of SEGMENTS_PER_TIER segments of like size."""
    tiers: dict[int, list] = {}
    for segment in segments:
        tiers.setdefault(len(str(segment.doc_count_all())), []).append(segment)
    full = [tier for tier, members in sorted(tiers.items()) if len(members) >= SEGMENTS_PER_TIER]
    return tiers[full[0]] if full else []


def merge_like_sizes(writer, segments: list) -> list:
    """Whoosh merge policy: drop the segments with nothing live; when SEGMENTS_PER_TIER segments have the
    same number of digits in their record count, merge those (the smallest such tier) into the new one."""
    from whoosh.reading import SegmentReader

    # A segment whose every record was deleted since holds nothing: drop it without reading it.
    segments = [segment for segment in segments if segment.doc_count() > 0]
    merged = _to_merge(segments)
    if not merged:
        return segments
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in segments if segment not in merged]


def merge_only_when_crowded(writer, segments: list) -> list:
    """Whoosh merge policy for a commit that must be quick: drop the segments with nothing live, and merge
    as `merge_like_sizes` does only once there are more than CROWDED_SEGMENTS."""
    live = [segment for segment in segments if segment.doc_count() > 0]
    return merge_like_sizes(writer, live) if len(live) > CROWDED_SEGMENTS else live


def crowding_records(state_dir: Path, above: int, records: int) -> list[str]:
    """The records (their paths as shown) of the smallest segments, at most `records` of them from two
    segments at least, to be indexed again so that those segments empty, once there are more than `above`
    segments; none before."""
    from whoosh.reading import SegmentReader

    ix = open_index(state_dir)
    try:
        segments = sorted((s for s in ix._segments() if s.doc_count() > 0), key=lambda s: s.doc_count())
        if len(segments) <= above:
            return []
        paths: set[str] = set()
        taken = 0
        for segment in segments:
            if len(paths) + segment.doc_count() > records:
                break
            reader = SegmentReader(ix.storage, ix.schema, segment)
            try:
                paths |= {fields["path"].split(BLOCK_SEPARATOR)[0] for _number, fields in reader.iter_docs()}
            finally:
                reader.close()
            taken += 1
        # Two segments at least: the refresh's own new segment then leaves one fewer.
        return sorted(paths) if taken >= 2 else []
    finally:
        ix.close()


def merge_segments(ix: KbIndex) -> bool:
    """Merge the segments `merge_like_sizes` would (when there are such); whether there were. The caller
    holds the KB's lock."""
    if not _to_merge([segment for segment in ix._segments() if segment.doc_count() > 0]):
        return False
    writer = ix.writer(limitmb=128, codec=KbCodec(compression=0))
    writer.commit(mergetype=merge_like_sizes)
    return True


class IndexWriter:
    """One commit's worth of changes to the index: deletions and (re)written records."""

    def __init__(self, ix: KbIndex, expected: int, fresh: bool):
        self.fresh = fresh
        cores = min(os.cpu_count() or 1, 4)
        # Posting blocks uncompressed: zlib took a third of a commit, for an index 1.6 times smaller.
        codec = KbCodec(compression=0)
        if fresh and expected >= PARALLEL_WRITE_MIN and cores > 1:
            # Documents are analysed in one process per core while this one goes on parsing files;
            # each writes its own segment, merged by later commits as they see fit.
            self.writer = _ParallelWriter(
                ix, procs=cores, multisegment=True, limitmb=64, codec=codec, subargs={"codec": codec, "limitmb": 64}
            )
        elif fresh:
            self.writer = TermPoolWriter(ix, limitmb=128, codec=codec)
        else:
            self.writer = ix.writer(limitmb=128, codec=codec)

    def delete(self, path: str) -> None:
        """Remove the record of `path` (and its quotes) from the index."""
        self.writer.delete_by_term("path", path)
        self.writer.delete_by_term("parent", path)

    def put(self, record: Record) -> None:
        """Add a record (and its quotes), or replace the one of the same path."""
        doc = document(record)
        if self.fresh:
            self.writer.add_document(**doc)
        else:
            self.writer.update_document(**doc)
            self.writer.delete_by_term("parent", record.path)
        for quote in quote_documents(record, doc):
            self.writer.add_document(**quote)

    def commit(self, merge: bool = True) -> None:
        """Write the changes for good; without `merge`, merging segments only when they are crowded."""
        if self.fresh:
            self.writer.commit()
        else:
            self.writer.commit(mergetype=merge_like_sizes if merge else merge_only_when_crowded)

    def cancel(self) -> None:
        """Drop the changes."""
        self.writer.cancel()
