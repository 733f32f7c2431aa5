"""Every kind of page passes axe-core's accessibility check with no serious or critical violation, in the light
and the dark colour scheme, 1280 and 390 px wide.

axe-core comes from npm into .ci/node (see .ci/run); the pages' Content-Security-Policy forbids the script
axe is, so the check's browser context bypasses the policy (the app's own tests keep it on). Without axe-core
the test is skipped on a developer's machine and fails in CI.
"""

from __future__ import annotations

import os

import pytest

from tests.web.pages_walk import AXE, PAGES, SCHEMES, WIDTHS, open_context, walk_servers

pytestmark = pytest.mark.browser
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with walk_servers(tmp_path_factory.mktemp("a11y")) as found:
        yield found


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [v for v in found if v["impact"] in SERIOUS]


def described(name: str, violation: dict) -> str:
    targets = "; ".join(
        " ".join(node["target"]) + f" ({node['failureSummary'][:160]})" for node in violation["nodes"][:4]
    )
    return f"{name}: {violation['id']} [{violation['impact']}] {violation['help']}: {targets}"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_passes_axe_with_no_serious_violation(browser, servers, width, scheme):
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE}: npm install --prefix .ci/node axe-core (see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    contexts = {}
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
            failures += [described(walked.name, v) for v in axe_violations(page)]
            if width < 600:
                # The small screen's menu, opened: its links are checked too.
                page.locator("nav .nav-menu summary").click()
                failures += [described(f"{walked.name} (menu open)", v) for v in axe_violations(page)]
    finally:
        for context, _page in contexts.values():
            context.close()
    assert failures == [], f"{width} px, {scheme}:\n" + "\n".join(failures)
