"""The baselines kb is measured against, on the same files and the same query words.

- The straightforward Whoosh pipeline: parse every file with python-frontmatter, render its body with
  python-markdown, add it to a plain schema (path, title, type, one stemmed `content` field) with the
  default `ix.writer()`, one commit; queries through `QueryParser("content")`, highlights on the top 10.
- SQLite FTS5 (stdlib sqlite3) over the same text (path, content) with the porter tokenizer; queries
  ranked by bm25 (`ORDER BY rank`) with `snippet()`, top 10.
- `grep -ril WORD` and `rg -il WORD` over the record folders, timed as whole processes (in bench.run).

Builds run as their own process (`python -m bench.baselines build whoosh|fts5 ROOT TARGET`) so that the
harness can time them and their peak memory the same way as `kb index --rebuild`; they print their
internal timings as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

RECORD_DIRS = ("casestudies", "content/customers", "content/interviews")
TYPES = {"casestudies": "casestudy", "content/customers": "customer", "content/interviews": "interview"}
FTS_SNIPPET_START, FTS_SNIPPET_END = "\x02", "\x03"


def record_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(type, path) of every record file of a KB, in a stable order."""
    for folder in RECORD_DIRS:
        for path in sorted((root / folder).rglob("*.md")):
            yield TYPES[folder], path


# --- the straightforward Whoosh pipeline -------------------------------------------------------------


def whoosh_schema():
    from whoosh import fields
    from whoosh.analysis import StemmingAnalyzer

    return fields.Schema(
        path=fields.ID(stored=True, unique=True),
        title=fields.ID(stored=True),
        type=fields.ID(stored=True),
        content=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
    )


def build_whoosh(root: Path, target: Path) -> dict:
    """Parse, render and index every record of `root` into a new Whoosh index at `target`."""
    started = time.perf_counter()
    import frontmatter
    import markdown
    from whoosh import index

    imported = time.perf_counter()
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    ix = index.create_in(str(target), whoosh_schema())
    writer = ix.writer()
    parse_s = render_s = add_s = 0.0
    count = 0
    for record_type, path in record_files(root):
        t0 = time.perf_counter()
        post = frontmatter.load(path)
        t1 = time.perf_counter()
        markdown.markdown(post.content)  # what the app would show; the straightforward pipeline renders all
        t2 = time.perf_counter()
        title = str(post.get("name") or post.get("person") or path.stem)
        writer.add_document(path=str(path.relative_to(root)), title=title, type=record_type, content=post.content)
        t3 = time.perf_counter()
        parse_s, render_s, add_s = parse_s + t1 - t0, render_s + t2 - t1, add_s + t3 - t2
        count += 1
    t4 = time.perf_counter()
    writer.commit()
    done = time.perf_counter()
    return {
        "records": count,
        "import_s": imported - started,
        "parse_s": parse_s,
        "render_s": render_s,
        "add_s": add_s,
        "commit_s": done - t4,
        "total_s": done - started,
    }


class WhooshBaseline:
    """Queries on the baseline index, with ONE searcher reused across queries (the fairer choice)."""

    def __init__(self, target: Path):
        from whoosh import index, qparser

        self.ix = index.open_dir(str(target))
        self.parser = qparser.QueryParser("content", self.ix.schema)
        self.searcher = self.ix.searcher()

    def search(self, text: str) -> tuple[int, list[tuple[str, str]]]:
        results = self.searcher.search(self.parser.parse(text), limit=10)
        return len(results), [(hit["path"], hit.highlights("content")) for hit in results]

    def close(self) -> None:
        self.searcher.close()


# --- SQLite FTS5 -------------------------------------------------------------------------------------


def fts5_available() -> bool:
    try:
        sqlite3.connect(":memory:").execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='porter')")
    except sqlite3.OperationalError:
        return False
    return True


def build_fts5(root: Path, target: Path) -> dict:
    """Parse every record of `root` (python-frontmatter, as the Whoosh baseline) into a new FTS5 table."""
    started = time.perf_counter()
    import frontmatter

    imported = time.perf_counter()
    target.unlink(missing_ok=True)
    db = sqlite3.connect(target)
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(path UNINDEXED, content, tokenize='porter')")
    parse_s = insert_s = 0.0
    count = 0
    with db:  # one transaction
        for _, path in record_files(root):
            t0 = time.perf_counter()
            post = frontmatter.load(path)
            t1 = time.perf_counter()
            db.execute("INSERT INTO docs (path, content) VALUES (?, ?)", (str(path.relative_to(root)), post.content))
            parse_s, insert_s = parse_s + t1 - t0, insert_s + time.perf_counter() - t1
            count += 1
    db.close()
    done = time.perf_counter()
    return {
        "records": count,
        "import_s": imported - started,
        "parse_s": parse_s,
        "insert_s": insert_s,
        "total_s": done - started,
    }


class Fts5Baseline:
    SQL = (
        f"SELECT path, snippet(docs, 1, '{FTS_SNIPPET_START}', '{FTS_SNIPPET_END}', '…', 24) "
        "FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT 10"
    )

    def __init__(self, target: Path):
        self.db = sqlite3.connect(target)

    def search(self, text: str) -> tuple[int, list[tuple[str, str]]]:
        rows = self.db.execute(self.SQL, (text,)).fetchall()
        return len(rows), rows

    def close(self) -> None:
        self.db.close()


# --- command line, for the harness ---------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Build a baseline index and print its timings as JSON.")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build")
    build.add_argument("engine", choices=("whoosh", "fts5"))
    build.add_argument("root", type=Path)
    build.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    builder = build_whoosh if args.engine == "whoosh" else build_fts5
    json.dump(builder(args.root, args.target), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
