"""Reading polish in real Chromium: long unbroken text wraps inside its column at 1280 and 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

WORD = "x" * 300
URL = "https://example.com/" + "a" * 280


def _long_records(root) -> None:
    """A customer, a call and a story, each holding a 300-character word and a long pasted address."""
    (root / "content/customers/longword.md").write_text(
        f"---\nname: Long{WORD}\nstage: lead\nowner: {WORD}\n---\nNotes: {WORD} and {URL}\n", encoding="utf-8"
    )
    (root / "content/interviews/2026-03-01-longword-discovery.md").write_text(
        f"---\ncustomer: longword\ndate: 2026-03-01\nkind: discovery\n---\n> {WORD} — Maya ^long-word\n\n{URL}\n",
        encoding="utf-8",
    )
    answers = "".join(
        f"## {heading}\n{WORD} {URL} [[2026-03-01-longword-discovery]]\n\n"
        for heading in ("Why did they have to change?", "What did success look like?")
    )
    (root / "casestudies/longword-story.md").write_text(
        f"---\ncustomer: longword\nperson: {WORD}\nstatus: draft\ntags: [{WORD}]\n---\n{answers}", encoding="utf-8"
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_word_wraps_inside_its_column(page: Page, live_server, fresh_demo_root, width):
    _long_records(fresh_demo_root)
    page.set_viewport_size({"width": width, "height": 800})
    for url in [
        "/casestudies/longword-story",
        "/customers/longword",
        "/interviews/2026-03-01-longword-discovery",
        "/casestudies",
        "/problems",
        "/search?q=" + "x" * 30,
    ]:
        page.goto(live_server + url)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{url} is {wide} px wide at {width} px"


def test_a_saved_message_is_not_coloured_like_a_warning(page: Page, live_server):
    page.goto(live_server + "/casestudies/kestrel-vp-finance/edit")
    page.locator("textarea[name='answer_renewal']").fill("They renewed for two years.")
    page.get_by_role("button", name="Save", exact=True).click()
    saved = page.locator(".notice.saved")
    expect(saved).to_contain_text("Saved casestudies/kestrel-vp-finance.md")
    colours = page.evaluate(
        """() => {
          const root = getComputedStyle(document.documentElement);
          const probe = document.createElement("p");
          probe.className = "notice";
          document.querySelector("main").append(probe);
          const warning = getComputedStyle(probe).backgroundColor;
          probe.style.background = root.getPropertyValue("--good-wash");
          return [getComputedStyle(document.querySelector(".notice.saved")).backgroundColor, warning,
                  getComputedStyle(probe).backgroundColor];
        }"""
    )
    shown, warning, good = colours
    assert shown != warning and shown == good, colours


def test_an_error_message_starting_with_kb_is_not_capitalised(page: Page, live_server):
    page.set_content(
        f'<link rel="stylesheet" href="{live_server}/static/kb.css"><section class="error">'
        '<p class="message names-kb" id="kb">kb could not answer.</p><p class="message" id="other">there is none.</p>'
        "</section>"
    )
    page.wait_for_load_state("load")
    first = "(id) => getComputedStyle(document.getElementById(id), '::first-letter').textTransform"
    assert page.evaluate(first, "kb") == "none"
    assert page.evaluate(first, "other") == "uppercase"
