"""Run a process that file permissions apply to, even when the tests run as root (as in a container).

Root reads and writes every file through two capabilities, CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH.
Dropped from the capability bounding set of the child before it runs Python, they are gone for good
from the process (still uid 0, still the owner of the files the test made): the kernel then checks a
file's permission bits for it as for any user, so `chmod 000` makes a file unreadable and `chmod a-w`
a folder read-only, for real. A user who is not root needs nothing of this: the permissions apply.
"""

from __future__ import annotations

import ctypes
import os
import stat
import subprocess
import sys
from pathlib import Path

PR_CAPBSET_DROP = 24  # <linux/prctl.h>
CAP_DAC_OVERRIDE = 1  # <linux/capability.h>
CAP_DAC_READ_SEARCH = 2


def _drop_file_capabilities() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def run_unprivileged(args: list[str], timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """Run `args` as a process that file permissions apply to; output as text."""
    as_root = os.geteuid() == 0 and sys.platform.startswith("linux")
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_drop_file_capabilities if as_root else None,
        **kwargs,
    )


def run_kb_unprivileged(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`kb ARGS` on the KB at `root`, as a process that file permissions apply to."""
    return run_unprivileged([sys.executable, "-m", "kb", *args], env={**os.environ, "KB_ROOT": str(root)})


# Asks the web app for each URL and prints {url: [status, body]} as JSON.
_PAGES = """
import json, sys
from kb.web import create_app
client = create_app(sys.argv[1]).test_client()
print(json.dumps({url: [r.status_code, r.get_data(as_text=True)] for url in sys.argv[2:] for r in [client.get(url)]}))
"""


def pages_unprivileged(root: Path, *urls: str) -> dict[str, tuple[int, str]]:
    """The web app's answer to each URL (status, body), asked by a process that file permissions apply to."""
    import json

    done = run_unprivileged([sys.executable, "-c", _PAGES, str(root), *urls])
    assert done.returncode == 0, done.stderr
    return {url: (status, body) for url, (status, body) in json.loads(done.stdout).items()}


def read_only_tree(path: Path) -> None:
    """Take the write permission off `path` and everything under it."""
    for folder, _folders, files in os.walk(path):
        for name in files:
            _without_write(Path(folder) / name)
        _without_write(Path(folder))


def writable_tree(path: Path) -> None:
    """Give the owner back the write permission on `path` and everything under it (for the clean-up)."""
    for folder, _folders, files in os.walk(path):
        os.chmod(folder, os.stat(folder).st_mode | stat.S_IRWXU)
        for name in files:
            file = Path(folder) / name
            os.chmod(file, file.stat().st_mode | stat.S_IRUSR | stat.S_IWUSR)


def _without_write(path: Path) -> None:
    os.chmod(path, path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
