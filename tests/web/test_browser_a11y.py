"""Every kind of page, 1280 and 390 px wide, in the light and the dark colour scheme: a full-page screenshot
for the developer to look at before stopping (into screenshots/ at the repository's root, not committed, or
the folder KB_SCREENSHOTS names), no page wider than the screen, and axe-core's accessibility check with no
serious or critical violation. One walk does all three: each page is loaded once per width and scheme.

axe-core comes from npm into .ci/node (see .ci/run); the pages' Content-Security-Policy forbids the script
axe is, so the walk's browser context bypasses the policy (the app's own tests keep it on). Without axe-core
the screenshots are still taken, and the test is then skipped on a developer's machine and fails in CI.
"""

from __future__ import annotations

import os

import pytest

from tests.web.pages_walk import AXE, PAGES, SCHEMES, SCREENSHOTS, WIDTHS, open_context, walk_servers

pytestmark = pytest.mark.browser
SERIOUS = ("serious", "critical")
# Moderate rules that fail the walk too: two search forms (the header's and the search page's) must be
# told apart by a screen reader's landmark list.
ALSO_FAILING = ("landmark-unique",)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with walk_servers(tmp_path_factory.mktemp("walk")) as found:
        yield found


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now (and those of ALSO_FAILING)."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [v for v in found if v["impact"] in SERIOUS or v["id"] in ALSO_FAILING]


def described(name: str, violation: dict) -> str:
    targets = "; ".join(
        " ".join(node["target"]) + f" ({node['failureSummary'][:160]})" for node in violation["nodes"][:4]
    )
    return f"{name}: {violation['id']} [{violation['impact']}] {violation['help']}: {targets}"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_screenshot_fits_the_screen_and_passes_axe(browser, servers, width, scheme):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    checking = AXE.exists()
    contexts = {}
    too_wide: list[str] = []
    failures: list[str] = []
    try:
        for server in servers:
            contexts[server] = open_context(browser, servers[server], width, scheme, bypass_csp=True)
        for walked in PAGES:
            _context, page = contexts[walked.server]
            response = page.goto(servers[walked.server][0] + walked.path)
            assert response is not None and response.status == walked.status, (
                walked.name,
                response and response.status,
            )
            page.screenshot(path=str(SCREENSHOTS / f"{walked.name}-{width}-{scheme}.png"), full_page=True)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                too_wide.append(f"{walked.name}: {scroll_width} px wide")
            if not checking:
                continue
            failures += [described(walked.name, v) for v in axe_violations(page)]
            if width < 600 and walked is PAGES[0]:
                # The small screen's menu, opened (the same on every page): its links are checked too.
                page.locator("nav .nav-menu summary").click()
                failures += [described(f"{walked.name} (menu open)", v) for v in axe_violations(page)]
    finally:
        for context, _page in contexts.values():
            context.close()
    assert too_wide == [], f"{width} px, {scheme}: pages wider than the screen: {too_wide}"
    assert failures == [], f"{width} px, {scheme}:\n" + "\n".join(failures)
    if not checking:
        message = f"axe-core is not installed at {AXE}: npm install --prefix .ci/node axe-core (see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
