"""Helpers the web tests share: closing an app, what its index finds, a form's CSRF token, a real server.

Fixtures live in tests/web/conftest.py; what a test imports by name lives here.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from kb.search.query import search

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def close_app(app) -> None:
    """Stop what an app holds: its file watcher, if any, its index and its database engine."""
    watcher = app.extensions.get("kb_watcher")
    if watcher is not None:
        watcher.stop()
    app.extensions["kb"].close()


def hits(app, text: str) -> list[str]:
    """The paths the app's index finds for `text`, as a request would see them now."""
    ix = app.extensions["kb"].workspace.index()
    try:
        return [hit.path for hit in search(ix, text).hits]
    finally:
        searcher = getattr(ix, "_kb_searcher", None)
        if searcher is not None:
            searcher.close()
        ix.close()


def csrf_token_of(html: str) -> str:
    """The CSRF token in a page's form."""
    match = CSRF_RE.search(html)
    assert match, "the page has no csrf_token field"
    return match.group(1) or match.group(2)


@contextlib.contextmanager
def serve(app, host: str = "127.0.0.1"):
    """Run `app` under waitress in a background thread on a free port; yield its base URL.

    The server has a token, as `kb serve` does (in `app.config["KB_TOKEN"]`): a browser enters with
    `enter(page, url, app)`.
    """
    from waitress import create_server

    server = create_server(app, host=host, port=0, threads=4, ident="kb-test")
    port = server.effective_port
    app.config["KB_PORT"] = port
    app.config["KB_TOKEN"] = secrets.token_urlsafe(32)
    thread = threading.Thread(target=server.run, name="kb-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{port}"
    finally:

        def close_everything() -> None:  # runs in the server's own loop, which then ends
            for dispatcher in list(server._map.values()):
                dispatcher.close()

        server.trigger.pull_trigger(close_everything)
        thread.join(10)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive(), "the test server did not stop"


def enter(page, url: str, app) -> None:
    """Open the served app in the browser as its user does: through the URL with the token, once."""
    page.goto(f"{url}/?token={app.config['KB_TOKEN']}")
    assert page.url == f"{url}/", page.url  # the token went into a cookie and out of the address


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class KbServe:
    """A `kb serve` process: its port, the first line it printed, and (once stopped) all it printed."""

    port: int
    process: subprocess.Popen
    first_line: str = ""
    out: str = ""
    err: str = ""


@contextlib.contextmanager
def kb_serve(root, *options: str):
    """Run `kb --root ROOT serve --port P OPTIONS` until the block ends; yield a KbServe once it listens."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kb", "--root", str(root), "serve", "--port", str(port), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    served = KbServe(port, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert process.poll() is None, process.communicate()[1]
                assert time.monotonic() < deadline, "kb serve did not start listening"
                time.sleep(0.1)
        served.first_line = process.stdout.readline()  # printed as it starts to listen
        yield served
    finally:
        process.terminate()
        out, served.err = process.communicate(timeout=30)
        served.out = served.first_line + out


def wait_for(condition, timeout: float = 10.0, every: float = 0.05):
    """Poll `condition` until it is true or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(every)


class RowCount:
    """Rows SQLite hands to Python, per statement, and statements run, on every connection opened while
    it is installed (`install`): a page that read every link or every file would read thousands more."""

    def __init__(self) -> None:
        self.by_statement: dict[str, int] = {}
        self.statement = ""
        self.statements = 0

    def connect(self, connection, _record) -> None:
        if hasattr(connection, "row_factory"):  # SQLite's own connection
            connection.row_factory = self.row

    def row(self, _cursor, values):
        self.by_statement[self.statement] = self.by_statement.get(self.statement, 0) + 1
        return values

    def execute(self, _connection, _cursor, statement, *_args) -> None:
        self.statement = " ".join(statement.split())
        self.by_statement.setdefault(self.statement, 0)
        self.statements += 1

    @property
    def rows(self) -> int:
        return sum(self.by_statement.values())

    def reset(self) -> None:
        self.by_statement, self.statements = {}, 0

    @contextlib.contextmanager
    def install(self):
        """Count while the block runs, on every engine and connection."""
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
        from sqlalchemy.pool import Pool

        event.listen(Pool, "connect", self.connect)
        event.listen(Engine, "before_cursor_execute", self.execute)
        try:
            yield self
        finally:
            event.remove(Engine, "before_cursor_execute", self.execute)
            event.remove(Pool, "connect", self.connect)
