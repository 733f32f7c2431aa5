"""The fast paths of `kb index` keep what the slow ones did: the freshness check that loads no heavy
library, the scan's shortcut for plain record files, and a rebuild that stores and indexes what an
incremental build of the same files does."""

from __future__ import annotations

import os
import subprocess
import sys

from kb.config import Kb
from kb.records.files import FileOnDisk, scan
from tests.helpers import REPO


def test_a_refresh_with_nothing_changed_loads_no_yaml_whoosh_or_database_library(kb_root, runner):
    kb_root.customer("acme", stage="lead")
    kb_root.interview("2026-01-10-acme", "acme", "2026-01-10", body="The audit hurt.")
    for path in kb_root.root.rglob("*.md"):  # edited long ago: no racy mtime makes the next refresh hash them
        os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    assert runner(kb_root, "index").exit_code == 0
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kb.config import Kb\n"
        "from kb.workspace import Workspace\n"
        f"changes = Workspace(Kb(Path({str(kb_root.root)!r}))).refresh()\n"
        "assert not changes.any, changes\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'yaml', 'whoosh', 'sqlalchemy', 'sqlmodel'}))"
    )

    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_scan_finds_plain_and_unusual_names_alike(kb_root):
    """Plain names take the scan's shortcut, other names its full checks: both give the same facts."""
    plain = kb_root.customer("acme", stage="lead")
    accented = kb_root.write("content/customers/café.md", "---\nname: Café\n---\n")
    nested = kb_root.interview("2026/01/2026-01-10-acme", "acme", "2026-01-10")
    kb_root.write("content/customers/.hidden.md", "---\nname: Hidden\n---\n")
    kb_root.write("content/customers/#draft.md", "---\nname: Draft\n---\n")
    kb_root.write("content/customers/notes.txt", "not a record")

    found = scan(Kb(kb_root.root))

    def expected(path, shown: str, record_type: str) -> FileOnDisk:
        info = os.stat(path)
        return FileOnDisk(os.path.realpath(path), shown, record_type, info.st_size, info.st_mtime_ns)

    assert found == {
        "content/customers/acme.md": expected(plain, "content/customers/acme.md", "customer"),
        "content/customers/café.md": expected(accented, "content/customers/café.md", "customer"),
        "content/interviews/2026/01/2026-01-10-acme.md": expected(
            nested, "content/interviews/2026/01/2026-01-10-acme.md", "interview"
        ),
    }
    assert list(found) == sorted(found)
    assert found.problems == []
