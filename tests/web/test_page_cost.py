"""What a page costs does not grow with the KB: a record's page and home read about as many rows (and run
about as many statements) on a KB of 4N records as on one of N.

Rows are counted as SQLite hands them to Python (a row factory on every connection the pool opens while a
test runs); statements by the engine's own event. A page that read every link, every file's state or every
call to show one record would read thousands more rows on the larger KB.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bench.corpus import generate
from kb.web import create_app
from tests.web.helpers import RowCount, close_app

SMALL = 60
LARGE = 4 * SMALL


def pages_of(root: Path) -> dict[str, str]:
    """The first story, customer and call by name, as bench.pages chooses them."""
    story = min(path.stem for path in (root / "casestudies").glob("*.md"))
    customer = min(path.stem for path in (root / "content/customers").glob("*.md"))
    call = min((root / "content/interviews").rglob("*.md")).stem
    return {
        "home": "/",
        "a case study": f"/casestudies/{story}",
        "a customer": f"/customers/{customer}",
        "an interview": f"/interviews/{call}",
        "the problems": "/problems",
    }


def cost(root: Path, counter: RowCount) -> dict[str, tuple[int, int]]:
    """(rows, statements) of each page, measured on its second visit (the first may build .kb/)."""
    app = create_app(root)
    try:
        client = app.test_client()
        found = {}
        for name, url in pages_of(root).items():
            assert client.get(url).status_code == 200, url
            counter.reset()
            response = client.get(url)
            assert response.status_code == 200, url
            found[name] = (counter.rows, counter.statements)
        return found
    finally:
        close_app(app)


def generated(root: Path, records: int) -> Path:
    """A KB from bench.corpus, its files dated a day back: none is too recent for kb to trust its stat,
    so no visit measured hashes files again."""
    generate(root, records)
    day_ago = time.time() - 86_400
    for path in root.rglob("*.md"):
        os.utime(path, (day_ago, day_ago))
    return root


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("cost")
    return generated(base / "small", SMALL), generated(base / "large", LARGE)


def test_record_pages_and_home_read_what_they_show_at_any_size(corpora, row_count):
    small, large = (cost(root, row_count) for root in corpora)
    for name in ("home", "a case study", "a customer", "an interview"):
        (rows_small, statements_small), (rows_large, statements_large) = small[name], large[name]
        # 3N more records: a page that read every record's row would read 3N rows more, or more.
        assert rows_large < rows_small + SMALL, (name, small[name], large[name])
        assert statements_large <= statements_small + 5, (name, small[name], large[name])


def test_home_is_computed_again_once_a_file_changes(corpora, tmp_path):
    import shutil

    root = tmp_path / "kb"
    shutil.copytree(corpora[0], root)
    app = create_app(root)
    try:
        client = app.test_client()
        before = client.get("/api/status").get_json()
        for path in (root / "content/customers").glob("*.md"):
            path.unlink()  # no customer is won any more: no milestone past the first can hold
        after = client.get("/api/status").get_json()
        assert after["milestones"][1]["counts"]["paying_customers"] == 0
        assert before != after
    finally:
        close_app(app)
