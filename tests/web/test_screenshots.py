"""A full-page screenshot of every kind of page, 1280 and 390 px wide, light and dark, for the developer to look
at before stopping: into screenshots/ at the repository's root (not committed), or the folder KB_SCREENSHOTS
names. Each is also checked for the one fault a screenshot shows plainly: a page wider than the screen."""

from __future__ import annotations

import pytest

from tests.web.pages_walk import PAGES, SCHEMES, SCREENSHOTS, WIDTHS, open_context, walk_servers

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with walk_servers(tmp_path_factory.mktemp("shots")) as found:
        yield found


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_a_screenshot_of_every_page(browser, servers, width, scheme):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    contexts = {server: open_context(browser, servers[server], width, scheme) for server in servers}
    too_wide = []
    try:
        for walked in PAGES:
            _context, page = contexts[walked.server]
            response = page.goto(servers[walked.server][0] + walked.path)
            assert response is not None and response.status == walked.status, walked.name
            page.screenshot(path=str(SCREENSHOTS / f"{walked.name}-{width}-{scheme}.png"), full_page=True)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                too_wide.append(f"{walked.name}: {scroll_width} px wide")
    finally:
        for context, _page in contexts.values():
            context.close()
    assert too_wide == [], f"{width} px, {scheme}: pages wider than the screen: {too_wide}"
