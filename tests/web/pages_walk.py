"""Every kind of page a user meets, served for real, for the walks of the accessibility check and the screenshots.

`walk_servers(tmp_path)` serves two KBs under waitress: a copy of the demo (its metrics gate is shut: the
403 page) and a KB whose gate is open (five hell-yes customers, as tests/test_metrics.py writes it).
`PAGES` names each page (`name`, which server, its path); `open_context(browser, ...)` is a browser
context at a width and colour scheme, let in to one server with its token.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kb.web import create_app
from tests.helpers import KbFolder, copy_demo
from tests.test_metrics import write_ledger
from tests.web.helpers import close_app, serve

WIDTHS = (1280, 390)
SCHEMES = ("light", "dark")
AXE = Path(__file__).resolve().parents[2] / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"
# Where the screenshots go: a folder the developer looks at, never committed (.gitignore).
SCREENSHOTS = Path(os.environ.get("KB_SCREENSHOTS", Path(__file__).resolve().parents[2] / "screenshots"))


@dataclass(frozen=True)
class Walked:
    """One page of the walk: its name (for files and messages), the server it is on, and its path."""

    name: str
    server: str  # "demo" or "open"
    path: str
    status: int = 200


PAGES = (
    Walked("home", "demo", "/"),
    Walked("casestudies", "demo", "/casestudies"),
    Walked("casestudies-filtered", "demo", "/casestudies?status=hell-yes&sort=-customer"),
    Walked("customers", "demo", "/customers"),
    Walked("interviews", "demo", "/interviews"),
    Walked("problems", "demo", "/problems"),
    Walked("casestudy", "demo", "/casestudies/bramble-it-director"),
    Walked("customer", "demo", "/customers/bramble-health"),
    Walked("interview", "demo", "/interviews/2026-03-02-halyard-robotics-onboarding"),
    Walked("search", "demo", "/search?q=audit"),
    Walked("compare", "demo", "/compare"),
    Walked("metrics-shut", "demo", "/metrics", 403),
    Walked("metrics", "open", "/metrics"),
    Walked("story-form", "demo", "/new/casestudy"),
    Walked("call-form", "demo", "/new/interview"),
    Walked("import-form", "demo", "/customers/bramble-health/import"),
    Walked("error", "demo", "/customers/no-such-customer", 404),
)


@contextlib.contextmanager
def walk_servers(tmp_path: Path) -> Iterator[dict[str, tuple[str, object]]]:
    """The demo KB and an open-gate KB, each served: {"demo": (base URL, app), "open": (base URL, app)}."""
    demo = create_app(copy_demo(tmp_path / "demo"))
    kb = KbFolder(tmp_path / "open")
    write_ledger(kb)
    # Keys before the file's first [table]: the as-of date the ledger's numbers are written for.
    kb.write("kb.toml", "as_of = 2026-03-18\n" + (tmp_path / "open" / "kb.toml").read_text())
    opened = create_app(kb.root)
    try:
        with serve(demo) as demo_url, serve(opened) as open_url:
            yield {"demo": (demo_url, demo), "open": (open_url, opened)}
    finally:
        close_app(demo)
        close_app(opened)


def open_context(browser, server: tuple[str, object], width: int, scheme: str, bypass_csp: bool = False):
    """A browser context `width` px wide in the `scheme` colour scheme, let in to `server` with its token."""
    url, app = server
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, bypass_csp=bypass_csp, reduced_motion="reduce"
    )
    page = context.new_page()
    page.goto(f"{url}/?token={app.config['KB_TOKEN']}")  # type: ignore[attr-defined]
    return context, page
