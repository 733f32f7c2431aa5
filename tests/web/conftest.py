"""Web fixtures: the app on a KB the test writes, the app on a copy of the demo KB, a real server.

- `app` / `client`: `create_app` on `kb_root` (an empty KbFolder: write files first, then request;
  every request brings `.kb/` up to date).
- `demo_app` / `demo_client`: on a copy of the demo KB made once per test module: read only.
  `fresh_demo_root` is a copy of its own for a test that writes.
- `make_app(root, config)`: another app (closed at the end of the test), e.g. with a KB_PORT.
- `csrf_token(client, url)`: the CSRF token of the form on the page at `url`.
- `live_server`: the demo app served for real, under waitress on a free port, with a token as
  `kb serve` has; the test's browser `page` has entered through the URL with the token, as its user
  does, so the pages it opens then are the real path. `serve(app)` and `enter(page, url, app)` in
  tests/web/helpers.py do the serving and the entering.
- Every test with a `page` fails on a console error of the Content-Security-Policy: kb's pages must
  work under their own policy.
- `browser_type_launch_args`: pytest-playwright runs the system Chromium, never a downloaded one.

The helpers a test imports by name (close_app, hits, csrf_token_of, serve, enter, kb_serve) are in
tests/web/helpers.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.web import create_app
from tests.helpers import copy_demo
from tests.web.helpers import RowCount, close_app, csrf_token_of, enter, serve


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


@pytest.fixture
def row_count():
    """A RowCount installed for the test: rows read per statement, and statements run."""
    with RowCount().install() as found:
        yield found


@pytest.fixture
def csrf_token():
    """csrf_token(client, url): GET the page and return the token of its form."""

    def fetch(test_client, url: str) -> str:
        response = test_client.get(url)
        assert response.status_code == 200, response.text[:500]
        return csrf_token_of(response.text)

    return fetch


@pytest.fixture
def live_server(fresh_demo_root, page):
    """The demo KB's web app served for real (waitress, a free port, a token), `page` let in; yields the base URL."""
    made = create_app(fresh_demo_root)
    with serve(made) as url:
        enter(page, url, made)
        yield url
    close_app(made)


@pytest.fixture(autouse=True)
def _no_content_security_policy_errors(request):
    """A browser test fails on any console error of the Content-Security-Policy."""
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    refused: list[str] = []

    def note(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", note)
    yield
    assert refused == [], "\n".join(refused)


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
