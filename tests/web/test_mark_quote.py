"""Marking a quote on a call's page: the words selected (or pasted) become a quote in the call's file,
guarded like every save; a refusal shows the call's page again with the message and what was typed."""

from __future__ import annotations

import html
import json
import re

import pytest
from playwright.sync_api import Page, expect

from kb.web import create_app
from tests.helpers import copy_demo
from tests.web.helpers import close_app, csrf_token_of, enter, serve

SLUG = "2026-01-12-acme-discovery"
CALL = f"content/interviews/2026-01/{SLUG}.md"
PAGE = f"/interviews/{SLUG}"
TEXT = """\
---
customer: acme
date: 2026-01-12
kind: discovery
people:
  - Maya Chen
  - Tomás Reyes
owner: Tomás Reyes
source_sha256: 3f2a9c1e8b7d4e6fa1b2c3d4e5f6a7b8
---

Imported from `acme-discovery.vtt` (WebVTT).

## Transcript

**Maya Chen** (00:12:04): We failed the audit twice. The board asked why, and nobody could say.

**Tomás Reyes** (00:12:30): What did the auditor ask for first?

> Nobody looked at the alerts. — Maya Chen

## Notes

"""


def write_call(kb_root) -> None:
    kb_root.customer("acme", name="Acme")
    kb_root.write(CALL, TEXT)


def form_of(client, url: str = PAGE) -> dict[str, str]:
    """The hidden fields of the call page's quote form."""
    page = client.get(url).get_data(as_text=True)
    sha = re.search(r'name="base_sha256" value="([0-9a-f]*)"', page)
    assert sha, "the page has no quote form"
    return {"csrf_token": csrf_token_of(page), "base_sha256": sha.group(1)}


def test_the_call_page_has_the_form_that_works_without_javascript(client, kb_root):
    write_call(kb_root)

    page = client.get(PAGE).get_data(as_text=True)

    form = page[page.index('<section class="mark-quote"') :]
    assert f'action="/interviews/{SLUG}/quotes#mark-quote"' in form
    assert '<textarea id="quote-selection" name="selection"' in form
    assert 'name="block"' in form and 'name="tags"' in form and 'name="csrf_token"' in form
    assert re.search(r'name="base_sha256" value="[0-9a-f]{64}"', form)
    assert '<script src="/static/quote.js" defer></script>' in page
    assert 'id="call-body"' in page


def test_marks_words_of_a_turn_as_a_quote_that_check_and_search_find(client, kb_root, runner):
    write_call(kb_root)
    fields = form_of(client)

    response = client.post(
        PAGE + "/quotes",
        data={**fields, "selection": "We failed the audit\ntwice.", "block": "", "tags": "audit, board"},
    )

    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"] == f"{PAGE}#q-we-failed-the-audit"
    written = (kb_root.root / CALL).read_text()
    quote = "> We failed the audit twice. #audit #board — Maya Chen ^we-failed-the-audit"
    turn = "**Maya Chen** (00:12:04): We failed the audit twice. The board asked why, and nobody could say."
    assert f"{turn}\n\n{quote}\n\n**Tomás Reyes**" in written
    assert written.replace(f"\n{quote}\n", "", 1) == TEXT
    page = client.get(PAGE).get_data(as_text=True)
    assert f"Saved {CALL}: the quote ^we-failed-the-audit." in page
    assert 'id="q-we-failed-the-audit"' in page
    check = runner(kb_root, "check", "--json")
    assert check.exit_code == 0, check.output
    assert [p for p in json.loads(check.stdout) if p["path"] == CALL] == []
    hits = client.get("/api/search?q=type:quote+speaker:maya+audit").get_json()
    assert [row["record"] for row in hits["rows"]] == [f"{SLUG}#^we-failed-the-audit"]


def test_an_existing_blockquote_gets_its_id_and_tags(client, kb_root):
    write_call(kb_root)

    response = client.post(
        PAGE + "/quotes",
        data={**form_of(client), "selection": "Nobody looked at the alerts.", "block": "no-alerts", "tags": "#alerts"},
    )

    assert response.status_code == 303
    written = (kb_root.root / CALL).read_text()
    assert written == TEXT.replace(
        "> Nobody looked at the alerts. — Maya Chen", "> Nobody looked at the alerts. #alerts — Maya Chen ^no-alerts"
    )
    hits = client.get("/api/search?q=type:quote+alerts").get_json()
    assert [row["record"] for row in hits["rows"]] == [f"{SLUG}#^no-alerts"]


def test_marks_a_quote_in_a_demo_call_and_check_stays_as_it_was(make_app, tmp_path, runner):
    root = copy_demo(tmp_path / "demo")
    before = runner(root, "check", "--json")
    client = make_app(root).test_client()
    page = "/interviews/2026-01-09-orchard-hr-discovery"

    response = client.post(
        page + "/quotes",
        data={
            **form_of(client, page),
            "selection": "the previous compliance owner, their VP Engineering, left in November",
            "tags": "ownership",
        },
    )

    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert response.headers["Location"] == f"{page}#q-the-previous-compliance-owner"
    text = (root / "content/interviews/2026-01/2026-01-09-orchard-hr-discovery.md").read_text()
    quote = "> the previous compliance owner, their VP Engineering, left in November #ownership"
    assert f"{quote} ^the-previous-compliance-owner\n" in text
    after = runner(root, "check", "--json")
    assert after.exit_code == before.exit_code == 0, after.output
    assert json.loads(after.stdout) == json.loads(before.stdout)
    hits = client.get("/api/search?q=type:quote+ownership").get_json()
    assert [row["record"] for row in hits["rows"]] == ["2026-01-09-orchard-hr-discovery#^the-previous-compliance-owner"]


def test_a_file_changed_since_the_page_is_not_written_and_the_page_shows_it_as_it_is(client, kb_root):
    write_call(kb_root)
    fields = form_of(client)
    changed = TEXT.replace("## Notes\n", "## Notes\nThey call back on Friday.\n")
    (kb_root.root / CALL).write_text(changed)

    response = client.post(PAGE + "/quotes", data={**fields, "selection": "What did the auditor ask for first?"})

    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert f"Not saved: {CALL} changed on disk since this page was opened" in page
    assert "They call back on Friday." in page  # the page shows the file as it is now
    assert ">What did the auditor ask for first?</textarea>" in page  # what was selected is kept
    assert (kb_root.root / CALL).read_text() == changed
    # Sent again from the page as it is now, it is written.
    again = re.search(r'name="base_sha256" value="([0-9a-f]{64})"', page).group(1)
    assert again != fields["base_sha256"]
    response = client.post(
        PAGE + "/quotes", data={**fields, "base_sha256": again, "selection": "What did the auditor ask for first?"}
    )
    assert response.status_code == 303
    assert "— Tomás Reyes ^what-did-the-auditor" in (kb_root.root / CALL).read_text()


def test_refusals_are_400_pages_with_the_message_and_nothing_is_written(client, kb_root):
    write_call(kb_root)
    fields = form_of(client)
    cases = [
        (
            {"selection": "We failed the audit", "block": "bad id!"},
            "quote id 'bad id!': use letters, digits and dashes",
        ),
        ({"selection": "Nobody looked", "tags": "1st"}, "tag '1st': a tag is one word"),
        ({"selection": "Maya Chen"}, "the selected words occur 2 times in the call"),
        ({"selection": "words nobody said"}, "the selected words are not in the call's notes"),
        ({"selection": "customer: acme"}, "the selected words are not in the call's notes"),
        ({"selection": "x" * 5000}, "the selection is 5000 characters long"),
        ({"selection": ""}, "select some words of the call to quote"),
        (
            {"selection": "twice. The board asked why, and nobody could say. Tomás Reyes"},
            "the selection runs across paragraphs",
        ),
    ]
    for extra, message in cases:
        response = client.post(PAGE + "/quotes", data={**fields, **extra})
        assert response.status_code == 400, (extra, response.status_code)
        page = html.unescape(response.get_data(as_text=True))
        assert f"Not saved: {message}" in page, (extra, page[page.find("Not saved") :][:300])
        assert "We failed the audit twice" in page  # the call's page, not an error page
    assert (kb_root.root / CALL).read_text() == TEXT


def test_an_id_already_in_the_call_is_refused(client, kb_root):
    write_call(kb_root)
    client.post(PAGE + "/quotes", data={**form_of(client), "selection": "Nobody looked", "block": "alerts"})

    response = client.post(
        PAGE + "/quotes", data={**form_of(client), "selection": "What did the auditor", "block": "Alerts"}
    )

    assert response.status_code == 400
    assert "Not saved: ^Alerts is already an id in this call: choose another" in response.get_data(as_text=True)
    response = client.post(PAGE + "/quotes", data={**form_of(client), "selection": "Nobody looked at the alerts"})
    assert response.status_code == 400
    assert "Not saved: those words are already quoted as ^alerts" in response.get_data(as_text=True)


def test_a_post_without_its_token_or_for_no_call_writes_nothing(client, kb_root):
    write_call(kb_root)
    fields = form_of(client)

    assert (
        client.post(PAGE + "/quotes", data={"base_sha256": fields["base_sha256"], "selection": "x"}).status_code == 400
    )
    assert client.post("/interviews/no-such-call/quotes", data={**fields, "selection": "x"}).status_code == 404
    assert client.post(PAGE + "/quotes", data={**fields, "base_sha256": "", "selection": "twice"}).status_code == 409
    assert (kb_root.root / CALL).read_text() == TEXT


@pytest.mark.browser
def test_selects_a_sentence_marks_it_and_sees_the_quote_lit(page: Page, live_server, fresh_demo_root, tmp_path):
    call = "/interviews/2026-01-09-orchard-hr-discovery"
    sentence = "Two enterprise renewals (one at $400k ARR) list the report as a contract obligation."
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + call)
    button = page.get_by_role("button", name="Mark as quote")
    expect(button).to_be_hidden()
    # Select the sentence (it runs over a line break of the file), as a reader's mouse would.
    page.evaluate(
        """(sentence) => {
            const all = [...document.querySelectorAll('#call-body p')];
            const node = all.find(e => e.textContent.includes('Two enterprise')).firstChild;
            const at = node.textContent.indexOf('Two enterprise');
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, node.textContent.indexOf('obligation.') + 'obligation.'.length);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }""",
        sentence,
    )
    expect(button).to_be_visible()
    button.click()
    expect(page.locator("#quote-block")).to_have_value("two-enterprise-renewals-one")
    expect(page.locator("#quote-block")).to_be_focused()
    assert " ".join(page.locator("#quote-selection").input_value().split()) == sentence
    page.locator("#quote-tags").fill("renewals")
    page.screenshot(path=str(tmp_path / "mark-quote-1280.png"))
    page.get_by_role("button", name="Save quote").click()

    expect(page).to_have_url(live_server + call + "#q-two-enterprise-renewals-one")
    expect(page.locator("main")).to_contain_text("Saved content/interviews/2026-01/2026-01-09-orchard-hr-discovery.md")
    quote = page.locator("#call-body blockquote", has=page.locator("#q-two-enterprise-renewals-one"))
    expect(quote).to_contain_text("Two enterprise renewals (one at $400k ARR)")
    expect(quote).to_have_css("background-color", "rgb(254, 249, 195)")
    page.screenshot(path=str(tmp_path / "marked-1280.png"))
    text = (fresh_demo_root / "content/interviews/2026-01/2026-01-09-orchard-hr-discovery.md").read_text()
    assert f"\n> {sentence} #renewals ^two-enterprise-renewals-one\n" in text

    # At 390 px: the button under the selection, the form over the bottom of the window.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + call)
    page.locator("#call-body p", has_text="Options she named").select_text()
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    button.click()
    expect(page.locator("#mark-quote")).to_have_class(re.compile("is-open"))
    page.screenshot(path=str(tmp_path / "mark-quote-390.png"))
    page.get_by_role("button", name="Close").click()
    expect(page.locator("#mark-quote")).not_to_have_class(re.compile("is-open"))
    page.screenshot(path=str(tmp_path / "call-390.png"), full_page=True)


@pytest.mark.browser
def test_without_javascript_the_words_are_pasted_into_the_form(browser, fresh_demo_root):
    app = create_app(fresh_demo_root)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        with serve(app) as url:
            enter(page, url, app)
            page.goto(url + "/interviews/2026-01-09-orchard-hr-discovery")
            page.get_by_label("Words").fill("hire a compliance analyst")
            page.get_by_role("button", name="Save quote").click()
            expect(page).to_have_url(url + "/interviews/2026-01-09-orchard-hr-discovery#q-hire-a-compliance-analyst")
            quote = page.locator("#call-body blockquote", has=page.locator("#q-hire-a-compliance-analyst"))
            expect(quote).to_have_text(re.compile(r"^\s*hire a compliance analyst\s+\^hire-a-compliance-analyst\s*$"))
            # A refusal comes back to the form, in view, with the message and the words kept.
            page.get_by_label("Words").fill("the consultant")
            page.get_by_role("button", name="Save quote").click()
            expect(page.locator("#mark-quote-error")).to_contain_text("occur")
            expect(page.locator("#mark-quote-error")).to_be_in_viewport()
            expect(page.get_by_label("Words")).to_have_value("the consultant")
            expect(page.get_by_role("button", name="Close")).to_be_hidden()
    finally:
        context.close()
        close_app(app)
