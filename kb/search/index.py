"""The Whoosh index: its schema, keeping it in step with records, and answering queries."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import fields, index, qparser, sorting
from whoosh import query as wq
from whoosh.codec import whoosh3
from whoosh.lang.porter import stem as porter_stem

from kb.errors import QueryError
from kb.records.fields import QUESTION_KEYS
from kb.records.parse import COMMENT_RE, LINK_RE, Record
from kb.search.analyzer import FastStemmingAnalyzer
from kb.search.snippets import snippet

INDEX_DIR = "index"
FACETS = ("type", "customer", "status", "kind", "tag")
# Fields a query may name, beyond the five questions.
QUERY_FIELDS = (
    "type",
    "slug",
    "customer",
    "status",
    "stage",
    "kind",
    "tag",
    "owner",
    "person",
    "source",
    "title",
    "content",
    "date",
)
# Words without a field search `all`: every text of the record in one field, so that a word is one
# posting list to score (ten fields' union cost ten times as much). `content:` is another name for it.
DEFAULT_FIELD = "all"
STORED_TEXT_FIELDS = ("title", "person", "content", *QUESTION_KEYS)
# Above this many new documents, a rebuild writes with one process per core (Whoosh's MpWriter).
PARALLEL_WRITE_MIN = 2000


def _cache_missing_length_columns() -> None:
    """Whoosh 2.7 caches a segment's length-column reader only when the column exists, so while
    flushing a segment it asks the filesystem again for every posting of every field without
    lengths (IDs, keywords, dates): a quarter of a rebuild's time. Remember the answer instead."""
    original = whoosh3.W3PerDocReader._cached_reader
    if getattr(original, "kb_patched", False):
        return

    def cached_reader(self, fieldname, column):
        try:
            return self._readers[fieldname]
        except KeyError:
            reader = self._readers[fieldname] = original(self, fieldname, column)
            return reader

    cached_reader.kb_patched = True
    whoosh3.W3PerDocReader._cached_reader = cached_reader


_cache_missing_length_columns()


def _load_length_columns() -> None:
    """Whoosh reads a document's field length from the column file for every posting it writes and
    every document it scores. A segment never changes: read each length column once into an array."""
    if getattr(whoosh3.W3PerDocReader.doc_field_length, "kb_patched", False):
        return
    byte_to_length = whoosh3.byte_to_length

    def doc_field_length(self, docnum, fieldname, default=0):
        table = self.__dict__.setdefault("_kb_lengths", {})
        try:
            column = table[fieldname]
        except KeyError:
            reader = self._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
            column = table[fieldname] = reader.load() if reader is not None else None
        if column is None:
            return default
        lbyte = column[docnum]
        return byte_to_length(lbyte) if lbyte else None  # as Whoosh's own: None for an empty field

    doc_field_length.kb_patched = True
    whoosh3.W3PerDocReader.doc_field_length = doc_field_length


_load_length_columns()


def make_schema() -> fields.Schema:
    # No `spelling=True`: it analyses every text a second time (40% of indexing); "did you mean"
    # works from the stemmed terms instead (see _did_you_mean).
    stem = FastStemmingAnalyzer()
    text = {key: fields.TEXT(analyzer=stem, stored=True) for key in QUESTION_KEYS}
    return fields.Schema(
        path=fields.ID(stored=True, unique=True),
        type=fields.ID(stored=True, sortable=True),
        slug=fields.ID(stored=True),
        customer=fields.ID(stored=True, sortable=True),
        status=fields.ID(stored=True, sortable=True),
        stage=fields.ID(stored=True),
        kind=fields.ID(stored=True, sortable=True),
        tag=fields.KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        owner=fields.KEYWORD(stored=True, commas=True, lowercase=True),
        source=fields.KEYWORD(commas=True, lowercase=True),
        person=fields.TEXT(analyzer=stem, stored=True),
        date=fields.DATETIME(stored=True, sortable=True),
        title=fields.TEXT(analyzer=stem, stored=True),
        # The body outside the five answers: shown in snippets, searched through `all`.
        content=fields.STORED(),
        # Title, person, body, answers, and unknown front-matter keys, people, source and owner
        # (searchable, never shown in a snippet): not stored.
        all=fields.TEXT(analyzer=stem),
        **text,
    )


def open_index(state_dir: Path, create: bool = False) -> index.Index:
    """Open the index under `.kb/`, or make an empty one when `create` is set."""
    folder = state_dir / INDEX_DIR
    if create:
        folder.mkdir(parents=True, exist_ok=True)
        return index.create_in(str(folder), make_schema())
    return index.open_dir(str(folder))


def _title(record: Record) -> str:
    f = record.fields
    if record.type == "customer":
        return f.get("name") or record.slug
    if record.type == "interview":
        return f"{f.get('kind') or 'call'} with {f.get('customer') or '?'}"
    return f"{f.get('customer') or '?'}: {f.get('person') or ''}".strip()


def _date(record: Record) -> dt.datetime | None:
    f = record.fields
    if record.type == "interview":
        day = f.get("date")
    elif record.type == "customer":
        days = [f.get(k) for k in ("qualified_on", "won_on", "lost_on", "churned_on") if f.get(k)]
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
    answers = {key: [] for key in QUESTION_KEYS}
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
    extras += [f.get(k) or "" for k in ("source", "owner") if record.type == "customer"]
    extras += list(f.get("people") or [])
    doc = {
        "path": record.path,
        "type": record.type,
        "slug": record.slug,
        "customer": (record.slug if record.type == "customer" else f.get("customer") or "").lower(),
        "status": f.get("status") or "",
        "stage": f.get("stage") or "",
        "kind": f.get("kind") or "",
        "tag": ",".join(f.get("tags") or []),
        "owner": f.get("owner") or "",
        "source": f.get("source") or "",
        "person": f.get("person") or "",
        "title": _title(record),
        "content": "\n".join(part for part in content if part),
    }
    day = _date(record)
    if day:
        doc["date"] = day
    for key, texts in answers.items():
        doc[key] = "\n\n".join(texts)
    # The skeleton's prompts are HTML comments: they are not the founder's words, so not searchable.
    # A link reads as its label, or its slug, in snippets.
    for key in ("content", *QUESTION_KEYS):
        doc[key] = LINK_RE.sub(lambda m: m.group(3) or m.group(2), COMMENT_RE.sub("", doc[key])).strip()
    doc[DEFAULT_FIELD] = "\n".join(
        part
        for part in (doc["title"], doc["person"], doc["content"], *(doc[key] for key in QUESTION_KEYS), *extras)
        if part
    )
    return doc


class IndexWriter:
    """One commit's worth of changes to the index: deletions and (re)written records."""

    def __init__(self, ix: index.Index, expected: int, fresh: bool):
        import os

        self.fresh = fresh
        cores = min(os.cpu_count() or 1, 4)
        # Posting blocks uncompressed: zlib took a third of a commit, for an index 1.6 times smaller.
        codec = whoosh3.W3Codec(compression=0)
        if fresh and expected >= PARALLEL_WRITE_MIN and cores > 1:
            # Documents are analysed in one process per core while this one goes on parsing files;
            # each writes its own segment, merged by later commits as they see fit.
            self.writer = ix.writer(
                procs=cores, multisegment=True, limitmb=64, codec=codec, subargs={"codec": codec, "limitmb": 64}
            )
        else:
            self.writer = ix.writer(limitmb=128, codec=codec)

    def delete(self, path: str) -> None:
        self.writer.delete_by_term("path", path)

    def put(self, record: Record) -> None:
        if self.fresh:
            self.writer.add_document(**document(record))
        else:
            self.writer.update_document(**document(record))

    def commit(self) -> None:
        self.writer.commit()

    def cancel(self) -> None:
        self.writer.cancel()


@dataclass
class Hit:
    path: str
    type: str
    slug: str
    customer: str
    title: str
    date: dt.date | None
    status: str
    kind: str
    tags: list[str]
    score: float
    field: str
    snippet: str  # matched words between MARK_START and MARK_END


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None  # "did you mean", when the query found nothing


@dataclass
class Filters:
    type: str | None = None
    customer: str | None = None
    status: str | None = None
    kind: str | None = None
    tag: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def query(self) -> wq.Query | None:
        terms: list[wq.Query] = []
        for name in ("type", "customer", "status", "kind", "tag"):
            value = getattr(self, name)
            if value:
                terms.append(wq.Term(name, value.lower()))
        if self.since or self.until:
            start = dt.datetime.combine(self.since, dt.time()) if self.since else None
            end = dt.datetime.combine(self.until, dt.time.max) if self.until else None
            terms.append(wq.DateRange("date", start, end))
        return wq.And(terms) if terms else None


def _parser(ix: index.Index) -> qparser.QueryParser:
    parser = qparser.QueryParser(DEFAULT_FIELD, ix.schema, group=qparser.AndGroup)
    parser.add_plugin(qparser.FieldAliasPlugin({DEFAULT_FIELD: ["content"]}))
    parser.add_plugin(qparser.GtLtPlugin())
    return parser


def check_query(text: str, schema: fields.Schema) -> None:
    """Refuse what Whoosh would silently misread: unbalanced brackets or quotes, unknown fields."""
    outside = re.sub(r'"[^"]*"', "", text)
    if text.count('"') % 2:
        raise QueryError(f'cannot read the query {text!r}: a quote " is not closed')
    for opening, closing in ("()", "[]", "{}"):
        depth = 0
        for char in outside:
            depth += (char == opening) - (char == closing)
            if depth < 0:
                raise QueryError(f"cannot read the query {text!r}: '{closing}' without '{opening}'")
        if depth:
            raise QueryError(f"cannot read the query {text!r}: '{opening}' is not closed")
    known = set(QUERY_FIELDS) | set(QUESTION_KEYS)
    for match in re.finditer(r"(?:^|[\s(])([A-Za-z_]+):(?!//)(\S?)", outside):
        name, after = match.group(1), match.group(2)
        if name not in known:
            from kb.errors import did_you_mean

            raise QueryError(
                f"cannot read the query {text!r}: there is no field '{name}'"
                f"{did_you_mean(name, known)}; fields: {', '.join(sorted(known))}"
            )
        if not after:
            raise QueryError(f"cannot read the query {text!r}: '{name}:' needs a value, as in {name}:word")


def parse_query(ix: index.Index, text: str) -> wq.Query:
    """Parse a query; a query that cannot be read raises QueryError with the reason."""
    check_query(text, ix.schema)
    date_hint = (
        f"cannot read the dates in {text!r}: write date:2026-03-02, date:[2026-03-01 to 2026-03-31] or date:>2026-03-01"
    )
    try:
        parsed = _parser(ix).parse(text)
    except Exception as exc:  # Whoosh raises bare ValueError or TimeError for a date range it cannot read
        raise QueryError(date_hint if "date:" in text else f"cannot read the query {text!r}: {exc}") from None
    if "date:" in text and _mentions_null_date(parsed):
        raise QueryError(date_hint)
    return parsed


def _mentions_null_date(q: wq.Query) -> bool:
    # An unreadable date becomes a fresh _NullQuery carrying the error, not the NullQuery singleton.
    if isinstance(q, type(wq.NullQuery)):
        return True
    if q.is_leaf():
        return False
    children = list(q.children())
    return len(children) == 0 or any(_mentions_null_date(child) for child in children)


def searcher_for(ix: index.Index):
    """A searcher kept on the index object and reused across queries; refreshed only after a commit."""
    current = getattr(ix, "_kb_searcher", None)
    if current is None:
        fresh = ix.searcher()
    else:
        fresh = current.refresh()
        if fresh is not current:
            current.close()
    ix._kb_searcher = fresh
    return fresh


def search(
    ix: index.Index,
    text: str,
    filters: Filters | None = None,
    sort: str = "relevance",
    limit: int | None = 10,
    page: int = 1,
    facets: bool = True,
) -> SearchResult:
    """Run a query: ranked (or dated) hits with snippets, facet counts and a "did you mean"."""
    text = text.strip()
    parsed = parse_query(ix, text) if text else wq.Every()
    filter_query = (filters or Filters()).query()
    searcher = searcher_for(ix)
    options = dict(filter=filter_query)
    if facets:
        options["groupedby"] = {name: sorting.FieldFacet(name, allow_overlap=(name == "tag")) for name in FACETS}
    if sort == "date":
        # Newest first, and records without a date (case studies) after every dated one:
        # Whoosh alone would put them first, as if they were the newest.
        options["sortedby"] = sorting.MultiFacet(
            [
                sorting.QueryFacet({"dated": wq.Every("date")}, other="undated"),
                sorting.FieldFacet("date", reverse=True),
            ]
        )
    if limit is None:
        results = searcher.search(parsed, limit=None, **options)
        chosen = list(results)
    else:
        results = searcher.search_page(parsed, page, pagelen=limit, **options)
        chosen = list(results)
        results = results.results
    stems = _query_stems(parsed, searcher.reader())
    hits = [_hit(hit, stems) for hit in chosen]
    facet_counts = {name: _counts(results.groups(name)) for name in FACETS} if facets else {}
    suggestion = None
    if not len(results) and text:
        suggestion = _did_you_mean(ix, searcher, text, filter_query)
    return SearchResult(text, hits, len(results), facet_counts, suggestion)


def _query_stems(parsed: wq.Query, reader) -> dict[str, frozenset[str]]:
    """The indexed terms the query can match, by field (prefixes and wildcards expanded)."""
    # Query.existing_terms would do, but in Whoosh 2.7 it stops looking after the first field.
    found: dict[str, set[str]] = {}
    for leaf in parsed.leaves():
        try:
            terms = leaf.expanded_terms(reader, phrases=True)
        except Exception:  # a leaf without terms (Every, ranges): nothing to highlight
            continue
        for name, value in terms:
            if name in STORED_TEXT_FIELDS or name == DEFAULT_FIELD:
                found.setdefault(name, set()).add(value.decode("utf-8") if isinstance(value, bytes) else value)
    return {name: frozenset(values) for name, values in found.items()}


# A free word of the query: not a field name, a field's value, a prefix* or part of a range.
_FREE_WORD = re.compile(r"(?<![\w:*\[{-])[^\W\d_]{3,}(?![\w:*-])")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def _did_you_mean(ix: index.Index, searcher, text: str, filter_query) -> str | None:
    """The query with each word the index does not know replaced by the closest one it does, if that finds hits.

    The index holds stems, so a word is stemmed, the nearest stems (edit distance 1, then 2; ties
    to the more frequent) are looked up, and the suggestion shows a real word of a record with that stem.
    """
    reader = searcher.reader()
    present = set(reader.indexed_field_names())
    names = [name for name in (DEFAULT_FIELD, *QUESTION_KEYS, "title", "person") if name in present]
    analyzer = ix.schema[DEFAULT_FIELD].analyzer

    def stem_of(word: str) -> str | None:
        stems = [token.text for token in analyzer(word)]
        return stems[0] if stems else None

    def frequency(stem: str) -> int:
        return sum(reader.doc_frequency(name, stem) for name in names)

    def closest(match: re.Match) -> str:
        word = match.group(0)
        stem = stem_of(word.lower())
        if word in _OPERATORS or stem is None or frequency(stem):
            return word
        for distance in (1, 2):
            # Typos seldom touch the first letter: holding it keeps the search among few terms.
            found = {t for name in names for t in reader.terms_within(name, stem, distance, prefix=1)}
            found.discard(stem)
            if found:
                best = max(sorted(found), key=frequency)
                return _surface_word(reader, names, best, word.lower()) or word
        return word

    corrected = _FREE_WORD.sub(closest, text)
    if corrected == text:
        return None
    again = searcher.search(parse_query(ix, corrected), filter=filter_query, limit=1)
    return corrected if len(again) else None


def _surface_word(reader, names: list[str], stem: str, typed: str) -> str | None:
    """The word, as written in the records, whose stem is `stem` and that is closest to what was
    typed ("spreadsheats" → "spreadsheets", not "spreadsheet")."""
    import difflib
    from itertools import islice

    forms: set[str] = set()
    for name in names:
        if not reader.doc_frequency(name, stem):
            continue
        for docnum in islice(reader.postings(name, stem).all_ids(), 20):
            stored = reader.stored_fields(docnum)
            text = " ".join(stored.get(field) or "" for field in STORED_TEXT_FIELDS).lower()
            forms.update(word for word in re.findall(r"\w+", text) if porter_stem(word) == stem)
        if forms:
            break
    if not forms:
        return None
    return max(sorted(forms), key=lambda form: difflib.SequenceMatcher(None, typed, form).ratio())


def _counts(groups: dict) -> dict[str, int]:
    counted = {str(k): len(v) if not isinstance(v, int) else v for k, v in groups.items() if k not in (None, "")}
    return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))


def _hit(hit, stems: dict[str, frozenset[str]]) -> Hit:
    stored = hit.fields()
    text, matched = "", ""
    anywhere = stems.get(DEFAULT_FIELD, frozenset())
    for name in (*QUESTION_KEYS, "content", "person", "title"):
        wanted = anywhere | stems.get(name, frozenset())
        if wanted and stored.get(name):
            text = snippet(stored[name], wanted) or ""
            if text:
                matched = name
                break
    if not text:
        body = stored.get("content") or next((stored.get(k) for k in QUESTION_KEYS if stored.get(k)), "")
        text = " ".join(body.split())[:200]
    day = stored.get("date")
    return Hit(
        path=stored["path"],
        type=stored["type"],
        slug=stored["slug"],
        customer=stored.get("customer", ""),
        title=stored.get("title", ""),
        date=day.date() if day else None,
        status=stored.get("status", ""),
        kind=stored.get("kind", ""),
        tags=[t for t in (stored.get("tag") or "").split(",") if t],
        # Sorted by date, Whoosh puts the sort key where the score goes: no relevance then.
        score=float(hit.score) if isinstance(hit.score, (int, float)) else 0.0,
        field=matched,
        snippet=text,
    )
