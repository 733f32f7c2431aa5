"""Web fixtures: the app on a KB the test writes, the app on a copy of the demo KB, a real server.

- `app` / `client`: `create_app` on `kb_root` (an empty KbFolder: write files first, then request;
  every request brings `.kb/` up to date).
- `demo_app` / `demo_client`: on a copy of the demo KB made once per test module: read only.
  `fresh_demo_root` is a copy of its own for a test that writes.
- `make_app(root, config)`: another app (closed at the end of the test), e.g. with a KB_PORT.
- `csrf_token(client, url)`: the CSRF token of the form on the page at `url`.
- `serve(app)`: a context manager running `app` under waitress in a thread on a free port; yields the
  base URL. `live_server`: the demo app served so (what the Playwright tests open).
- `browser_type_launch_args`: pytest-playwright runs the system Chromium, never a downloaded one.
"""

from __future__ import annotations

import contextlib
import re
import threading
from pathlib import Path

import pytest

from kb.search.index import search
from kb.web import create_app
from tests.conftest import copy_demo

REPO = Path(__file__).resolve().parents[2]
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


@pytest.fixture
def app(kb_root):
    """The web app on the KB the test writes into `kb_root`."""
    made = create_app(kb_root.root)
    yield made
    close_app(made)


@pytest.fixture
def make_app():
    """make_app(root, config=None): create_app, closed again when the test ends."""
    made = []

    def make(root, config: dict | None = None):
        made.append(create_app(root, config))
        return made[-1]

    yield make
    for one in made:
        close_app(one)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """The web app on a copy of the demo KB, shared by a module's tests: do not write to it."""
    made = create_app(copy_demo(tmp_path_factory.mktemp("demo-web") / "kb"))
    yield made
    close_app(made)


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def fresh_demo_root(tmp_path) -> Path:
    """A copy of the demo KB for one test, which may write to it."""
    return copy_demo(tmp_path / "demo")


def csrf_token_of(html: str) -> str:
    """The CSRF token in a page's form."""
    match = CSRF_RE.search(html)
    assert match, "the page has no csrf_token field"
    return match.group(1) or match.group(2)


@pytest.fixture
def csrf_token():
    """csrf_token(client, url): GET the page and return the token of its form."""

    def fetch(test_client, url: str) -> str:
        response = test_client.get(url)
        assert response.status_code == 200, response.text[:500]
        return csrf_token_of(response.text)

    return fetch


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


@pytest.fixture
def live_server(fresh_demo_root):
    """The demo KB's web app served for real (waitress, a free port); yields the base URL."""
    made = create_app(fresh_demo_root)
    with serve(made) as url:
        yield url
    close_app(made)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def base_url():
    """No base URL: tests open `live_server` URLs in full.

    pytest-playwright defines this fixture as an instance method, which pytest 9 deprecates with a
    warning (an error here); defining it plainly avoids that.
    """
    return None
