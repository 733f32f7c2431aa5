"""Helpers the web tests share: closing an app, what its index finds, a form's CSRF token, a real server.

Fixtures live in tests/web/conftest.py; what a test imports by name lives here.
"""

from __future__ import annotations

import contextlib
import re
import threading

from kb.search.query import search

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def close_app(app) -> None:
    """Stop what an app holds: its file watcher, if any, and its database engine."""
    watcher = app.extensions.get("kb_watcher")
    if watcher is not None:
        watcher.stop()
    app.extensions["kb"].workspace.close()


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
    """Run `app` under waitress in a background thread on a free port; yield its base URL."""
    from waitress import create_server

    server = create_server(app, host=host, port=0, threads=4, ident="kb-test")
    port = server.effective_port
    app.config["KB_PORT"] = port
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
