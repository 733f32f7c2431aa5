"""The web app on a KB with entries the scan leaves out: the Problems page lists them, the rest works."""

from __future__ import annotations

import os
import sys

import pytest


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_the_problems_page_lists_a_link_out_of_the_kb_and_the_rest_works(kb_root, client):
    kb_root.customer("acme", stage="lead")
    kb_root.interview("2026-01-10-acme", "acme", "2026-01-10", body="The audit hurt.")
    os.symlink("/etc/passwd", kb_root.root / "content/interviews/passwd.md")

    problems = client.get("/problems")
    calls = client.get("/interviews")
    search = client.get("/search?q=root")

    assert problems.status_code == 200
    assert "content/interviews/passwd.md" in problems.text
    assert "links outside the knowledge base; kb does not follow it" in problems.text
    assert calls.status_code == 200 and "2026-01-10" in calls.text
    assert search.status_code == 200
    assert "/bin/" not in problems.text + calls.text + search.text  # nothing of /etc/passwd is shown
