"""The scan of the record folders against hostile entries: links out of the KB, link loops, names that
are not UTF-8, FIFOs. Each is a problem at its path that `kb check` and every other command see (the
web's Problems page: tests/web/test_scan_problems.py), and the rest of the KB works."""

from __future__ import annotations

import json
import os
import sys

import pytest

from kb.config import Kb
from kb.records.files import scan

AS_OF = "2026-03-13"

needs_symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")


@pytest.fixture
def acme(kb_root):
    """A KB with one customer and one call."""
    kb_root.customer("acme", stage="lead")
    kb_root.interview("2026-01-10-acme", "acme", "2026-01-10", body="The audit hurt.")
    return kb_root


@pytest.fixture
def outside(tmp_path):
    """A folder beside the KB, with a secret in a Markdown file."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "secret.md").write_text("---\ncustomer: acme\ndate: 2026-01-11\n---\nThe vault code is 0451.\n")
    return folder


def scanned(kb_root):
    found = scan(Kb(kb_root.root))
    return sorted(found), [f"{p.path}: {p.severity}: {p.message}" for p in found.problems]


def check_lines(runner, kb_root, *args) -> tuple[int, list[str]]:
    result = runner(kb_root, "check", "--as-of", AS_OF, *args)
    return result.exit_code, [line for line in result.stdout.splitlines() if line.strip()]


RECORDS = ["content/customers/acme.md", "content/interviews/2026-01-10-acme.md"]


# --- links out of the KB ----------------------------------------------------------------------------


@needs_symlinks
def test_a_file_link_out_of_the_kb_is_not_followed(acme, outside, runner):
    os.symlink(outside / "secret.md", acme.root / "content/interviews/secret.md")
    os.symlink("/etc/passwd", acme.root / "content/interviews/passwd.md")

    assert scanned(acme) == (
        RECORDS,
        [
            "content/interviews/passwd.md: error: links outside the knowledge base; kb does not follow it",
            "content/interviews/secret.md: error: links outside the knowledge base; kb does not follow it",
        ],
    )
    code, lines = check_lines(runner, acme)
    assert code == 1, lines
    assert lines == [
        "content/interviews/passwd.md:1: error: links outside the knowledge base; kb does not follow it",
        "content/interviews/secret.md:1: error: links outside the knowledge base; kb does not follow it",
    ]
    search = runner(acme, "search", "vault", "--json")
    assert search.exit_code == 0, search.output
    assert json.loads(search.stdout)["hits"] == []


@needs_symlinks
def test_a_folder_link_out_of_the_kb_is_not_followed(acme, outside, tmp_path):
    os.symlink(outside, acme.root / "content/interviews/more")
    os.symlink("/", acme.root / "casestudies/everything")

    assert scanned(acme) == (
        RECORDS,
        [
            "casestudies/everything: error: links outside the knowledge base; kb does not follow it",
            "content/interviews/more: error: links outside the knowledge base; kb does not follow it",
        ],
    )


@needs_symlinks
def test_a_record_folder_that_links_out_of_the_kb_is_not_read(kb_root, outside):
    (kb_root.root / "content/interviews").rmdir()
    os.symlink(outside, kb_root.root / "content/interviews")

    assert scanned(kb_root) == (
        [],
        ["content/interviews: error: links outside the knowledge base; kb does not follow it"],
    )


@needs_symlinks
def test_links_inside_the_kb_are_followed(acme):
    acme.write("shared/calls/2026-01-12-acme.md", "---\ncustomer: acme\ndate: 2026-01-12\n---\nShared.\n")
    acme.write("notes/beta.md", "---\nname: Beta\n---\n")
    os.symlink("../../shared/calls", acme.root / "content/interviews/shared")
    os.symlink("../../notes/beta.md", acme.root / "content/customers/beta.md")

    files, problems = scanned(acme)

    assert problems == []
    assert files == [
        "content/customers/acme.md",
        "content/customers/beta.md",
        "content/interviews/2026-01-10-acme.md",
        "content/interviews/shared/2026-01-12-acme.md",
    ]


# --- loops ---------------------------------------------------------------------------------------------


@needs_symlinks
def test_a_folder_link_loop_is_reported_and_read_once(acme, runner):
    os.symlink("..", acme.root / "content/interviews/up")  # content/, which holds content/interviews
    os.symlink(".", acme.root / "content/customers/here")
    os.symlink("../customers", acme.root / "content/interviews/customers")  # another record folder

    assert scanned(acme) == (
        RECORDS,
        [
            "content/customers/here: warning: is a symbolic link loop (to a folder that holds it); "
            "kb does not follow it",
            "content/interviews/customers: warning: links to a folder kb reads already; kb does not follow it",
            "content/interviews/up: warning: is a symbolic link loop (to a folder that holds it); "
            "kb does not follow it",
        ],
    )
    code, lines = check_lines(runner, acme)
    assert code == 0, lines
    assert len(lines) == 3 and all(":1: warning: " in line for line in lines), lines


@needs_symlinks
def test_file_link_loops_are_reported(acme, runner):
    os.symlink("self.md", acme.root / "content/interviews/self.md")
    os.symlink("pong.md", acme.root / "content/interviews/ping.md")
    os.symlink("ping.md", acme.root / "content/interviews/pong.md")
    os.symlink("missing.md", acme.root / "content/interviews/gone.md")

    code, lines = check_lines(runner, acme)

    assert code == 1, lines
    assert lines == [
        "content/interviews/gone.md:1: warning: is a symbolic link to nothing (its target does not exist)",
        "content/interviews/ping.md:1: error: is a symbolic link loop; kb does not follow it",
        "content/interviews/pong.md:1: error: is a symbolic link loop; kb does not follow it",
        "content/interviews/self.md:1: error: is a symbolic link loop; kb does not follow it",
    ]


# --- names and kinds of file ------------------------------------------------------------------------------


@pytest.fixture
def latin1_name(acme):
    """A call saved under a Latin-1 name: 'café' with the byte e9."""
    folder = os.fsencode(acme.root / "content/interviews")
    try:
        with open(os.path.join(folder, b"caf\xe9.md"), "wb") as stream:
            stream.write(b"---\ncustomer: acme\ndate: 2026-01-11\n---\nCroissants.\n")
        os.mkdir(os.path.join(folder, b"r\xe9sum\xe9s"))
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    return acme


def test_a_file_name_that_is_not_utf8_is_a_problem_and_the_rest_works(latin1_name, runner):
    kb_root = latin1_name

    assert scanned(kb_root) == (
        RECORDS,
        [
            "content/interviews/caf\\xe9.md: error: file name is not UTF-8; rename it",
            "content/interviews/r\\xe9sum\\xe9s: error: folder name is not UTF-8; rename it "
            "(kb does not read the files in it)",
        ],
    )
    code, lines = check_lines(runner, kb_root)
    assert code == 1, lines
    assert lines[0] == "content/interviews/caf\\xe9.md:1: error: file name is not UTF-8; rename it"

    result = runner(kb_root, "check", "--as-of", AS_OF, "--json")
    assert result.exit_code == 1, result.output
    assert [p["path"] for p in json.loads(result.stdout)] == [
        "content/interviews/caf\\xe9.md",
        "content/interviews/r\\xe9sum\\xe9s",
    ]
    for command in (("export", "--format", "json"), ("search", "audit", "--json"), ("status", "--as-of", AS_OF)):
        result = runner(kb_root, *command)
        assert result.exit_code == 0, (command, result.output)


def test_a_fifo_is_never_opened(acme, run_kb):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(acme.root / "content/interviews/pipe.md")
    os.mkfifo(acme.root / "content/interviews/pipe.txt")

    result = run_kb(acme, "check", "--as-of", AS_OF, timeout=60)  # opening the FIFO would wait forever

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "content/interviews/pipe.md:1: warning: is not a regular file (a FIFO); kb does not read it"
    ]


def test_a_socket_is_skipped(acme, tmp_path):
    import socket

    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets here")
    path = acme.root / "content/interviews/talk.md"
    if len(os.fsencode(path)) > 100:
        pytest.skip("the socket's path is too long for AF_UNIX")
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(path))
        assert scanned(acme) == (
            RECORDS,
            ["content/interviews/talk.md: warning: is not a regular file (a socket); kb does not read it"],
        )


# --- the problems reach every reader, and leave with their cause ------------------------------------------


@needs_symlinks
def test_scan_problems_come_and_go_with_their_cause(acme, runner):
    code, lines = check_lines(runner, acme)
    assert (code, lines) == (0, [])

    link = acme.root / "content/interviews/passwd.md"
    os.symlink("/etc/passwd", link)
    code, lines = check_lines(runner, acme)
    assert (code, lines) == (
        1,
        ["content/interviews/passwd.md:1: error: links outside the knowledge base; kb does not follow it"],
    )
    code, lines = check_lines(runner, acme)  # still there on the next command
    assert code == 1, lines

    link.unlink()
    code, lines = check_lines(runner, acme)
    assert (code, lines) == (0, [])


def test_a_deep_tree_is_read_to_the_bottom(kb_root):
    folder = kb_root.root / "content/interviews"
    for depth in range(60):
        folder = folder / f"d{depth}"
    folder.mkdir(parents=True)
    (folder / "deep.md").write_text("---\ncustomer: acme\ndate: 2026-01-10\n---\n")

    files, problems = scanned(kb_root)

    assert problems == []
    assert len(files) == 1 and files[0].endswith("/d58/d59/deep.md")
