"""The evidence journey in real Chromium, as a founder makes it: import a call's transcript from the
customer's page, mark what the customer said as a quote, write the story citing it from the evidence
beside the form, save, and read the quote under the answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

TRANSCRIPT = Path(__file__).parent.parent / "fixtures" / "import" / "GMT20260112-150312_Recording.transcript.vtt"
CALL = "2026-01-12-kestrel-payroll-discovery"
SAID = "Last year we failed the SOC 2 audit twice because nobody owned the evidence."


def test_import_mark_cite_and_read_the_quote_under_the_answer(page: Page, live_server, fresh_demo_root, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    # 1. The transcript imported from the customer's page.
    page.goto(live_server + "/customers/kestrel-payroll")
    page.get_by_role("link", name="Import a call").click()
    page.get_by_label("File").set_input_files(str(TRANSCRIPT))
    page.get_by_label("Kind").select_option("discovery")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Save the call").click()
    expect(page).to_have_url(live_server + f"/interviews/{CALL}")

    # 2. What Daniel said, selected in the call and marked as a quote with the id kb suggests.
    page.evaluate(
        """(said) => {
            const turn = [...document.querySelectorAll('#call-body p')].find(p => p.textContent.includes(said));
            const node = [...turn.childNodes].find(n => n.nodeType === 3 && n.textContent.includes(said));
            const range = document.createRange();
            range.setStart(node, node.textContent.indexOf(said));
            range.setEnd(node, node.textContent.indexOf(said) + said.length);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }""",
        SAID,
    )
    page.get_by_role("button", name="Mark as quote").click()
    block = page.locator("#quote-block").input_value()
    assert block
    page.get_by_role("button", name="Save quote").click()
    expect(page).to_have_url(live_server + f"/interviews/{CALL}#q-{block}")
    call_file = next((fresh_demo_root / "content/interviews").rglob(f"{CALL}.md"))
    assert f"^{block}" in call_file.read_text()

    # 3. The story written with the evidence beside it: the quote cited at the cursor.
    page.goto(live_server + "/casestudies/kestrel-vp-finance/edit")
    answer = page.locator("textarea[name='answer_why_change']")
    answer.fill("Nobody owned the evidence. ")
    answer.press("End")
    citation = f"[[{CALL}#^{block}]]"
    page.locator(f"#evidence button.cite[data-cite='{citation}']").click()
    expect(answer).to_have_value(f"Nobody owned the evidence. {citation}")
    page.screenshot(path=str(tmp_path / "story-form-with-evidence.png"))
    page.get_by_role("button", name="Save", exact=True).click()

    # 4. The quote under the answer, with who said it and when, linked to its place in the call.
    expect(page).to_have_url(live_server + "/casestudies/kestrel-vp-finance")
    quote = page.locator("section#why_change .cited-quote")
    expect(quote).to_have_count(1)
    expect(quote.locator("blockquote")).to_contain_text("nobody owned the evidence")
    expect(quote.locator("figcaption")).to_contain_text("Daniel Okafor")
    expect(quote.locator("figcaption a")).to_have_text("2026-01-12 discovery")
    page.screenshot(path=str(tmp_path / "story-with-quote.png"))
    quote.locator("figcaption a").click()
    expect(page).to_have_url(live_server + f"/interviews/{CALL}#q-{block}")
