"""Writing with the evidence beside you: the story form lists the customer's calls and quotes, each with the
citation to copy; the preview names the links that point to no record; "Answer X now" opens the answer.

The client tests read the demo KB's pages; the browser tests (marked `browser`) use the form in Chromium:
filtering, citing at the cursor, `[[` completion, Ctrl+S, the question before leaving, and the journey
from a quote in the panel to the quote under the answer on the story's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from kb.web import create_app
from tests.web.helpers import close_app, csrf_token_of, enter, serve

ORCHARD_CALLS = [  # newest first
    "2026-02-17-orchard-hr-check-in",
    "2026-01-27-orchard-hr-onboarding",
    "2026-01-13-orchard-hr-demo",
    "2026-01-09-orchard-hr-discovery",
]
CLOSE_OR_CHASE = "[[2026-01-09-orchard-hr-discovery#^close-or-chase]]"
NINETEEN_WEEKS = "[[2026-01-27-orchard-hr-onboarding#^nineteen-weeks]]"


def _panel(html: str) -> str:
    start = html.index('<div class="evidence-body"')
    return html[start : html.index("</aside>", start)] if "</aside>" in html[start:] else html[start:]


def _calls(html: str) -> list[str]:
    return re.findall(r'<li class="ev-call" data-cite="\[\[([^\]]+)\]\]"', html)


def test_the_edit_form_lists_the_customers_calls_newest_first_with_quotes_and_citations(demo_client):
    page = demo_client.get("/casestudies/orchard-controller/edit")
    assert page.status_code == 200, page.text[:500]
    panel = _panel(page.text)
    assert _calls(panel) == ORCHARD_CALLS
    assert "4 calls of\n    <strong>Orchard HR</strong>, 2 quotes" in panel
    # Each call: its date and kind linked to its page, its people, the citation of the whole call.
    discovery = '<a class="ev-call-link" href="/interviews/2026-01-09-orchard-hr-discovery">2026-01-09 discovery</a>'
    assert discovery in panel
    assert '<span class="ev-people">Laura Chen, Controller; Jamal Reed, IT Manager</span>' in panel
    assert "<code>[[2026-01-13-orchard-hr-demo]]</code>" in panel
    # Each quote: its words, who said them, its id linked to its place in the call, its citation.
    assert "I cannot do a close and chase 40 engineers" in panel
    assert "— Laura Chen" in panel
    assert 'href="/interviews/2026-01-09-orchard-hr-discovery#q-close-or-chase"' in panel
    assert f"<code>{CLOSE_OR_CHASE}</code>" in panel
    assert f"<code>{NINETEEN_WEEKS}</code>" in panel
    # The quote comes under its own call.
    assert (
        panel.index("2026-01-27-orchard-hr-onboarding]]")
        < panel.index(NINETEEN_WEEKS)
        < panel.index("[[2026-01-13-orchard-hr-demo]]")
    )
    # Without JavaScript the cite buttons and the filter stay hidden: the citations are there to copy.
    assert re.search(r'<button type="button" class="cite" data-cite="[^"]+" hidden', panel)
    assert '<div class="ev-filter" hidden>' in page.text


def test_a_new_story_says_to_choose_the_customer_and_shows_a_given_customers_calls(demo_client):
    blank = demo_client.get("/new/casestudy")
    assert "Choose the customer of the story: their calls and quotes show here" in blank.text
    assert _calls(blank.text) == []
    chosen = demo_client.get("/new/casestudy?customer=orchard-hr")
    assert _calls(chosen.text) == ORCHARD_CALLS


def test_the_endpoint_sends_the_panel_of_another_customer(demo_client):
    kestrel = demo_client.get("/write/evidence?customer=kestrel-payroll")
    assert kestrel.status_code == 200
    calls = _calls(kestrel.text)
    assert calls and all("kestrel-payroll" in call for call in calls)
    assert calls == sorted(calls, reverse=True)  # dated slugs: newest first
    assert "<html" not in kestrel.text  # a fragment for the panel, not a page
    # By the customer's name as typed, too.
    assert _calls(demo_client.get("/write/evidence?customer=Orchard%20HR").text) == ORCHARD_CALLS
    assert "Choose the customer of the story" in demo_client.get("/write/evidence?customer=").text
    new = demo_client.get("/write/evidence?customer=Quokka%20Labs")
    assert new.status_code == 200
    assert "Quokka Labs is a new customer: no calls yet." in new.text
    assert 'href="/new/interview?customer=quokka-labs"' in new.text
    odd = demo_client.get("/write/evidence?customer=" + "%3Cscript%3E" * 50)
    assert odd.status_code == 200 and "<script>" not in odd.text


def test_the_endpoint_is_token_protected_like_every_route(make_app, fresh_demo_root):
    app = make_app(fresh_demo_root, {"KB_TOKEN": "s3cret"})
    client = app.test_client()
    assert client.get("/write/evidence?customer=orchard-hr").status_code == 403
    let_in = client.get("/write/evidence?customer=orchard-hr", headers={"Authorization": "Bearer s3cret"})
    assert let_in.status_code == 200 and _calls(let_in.text) == ORCHARD_CALLS


def _edit_fields(client, slug: str) -> dict[str, str]:
    html = client.get(f"/casestudies/{slug}/edit").text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    fields["csrf_token"] = csrf_token_of(html)
    fields.update(
        customer="orchard-hr",
        person="Laura Chen, Controller",
        status="hell-yes",
        interviews="2026-01-09-orchard-hr-discovery\n2026-01-9-orchard-hr-demo",
        tags="",
    )
    return fields


def test_the_preview_lists_a_broken_link_and_a_missing_quote_before_saving(demo_client, demo_app):
    story = demo_app.extensions["kb"].workspace.kb.root / "casestudies/orchard-controller.md"
    before = story.read_bytes()
    fields = _edit_fields(demo_client, "orchard-controller")
    fields["answer_why_change"] = (
        "She could not chase [[2026-01-09-orchard-hr-discovry]] nor [[2026-01-09-orchard-hr-discovery#^close-or-chse]]."
    )
    fields["answer_options"] = f"Fine: {CLOSE_OR_CHASE}"
    for url, extra in (("/preview", {}), ("/casestudies/orchard-controller/edit", {"action": "preview"})):
        response = demo_client.post(url, data={**fields, **extra})
        assert response.status_code == 200, response.text[:500]
        listed = re.search(r'<div class="notice error broken-links".*?</div>', response.text, re.S)
        assert listed, response.text[:1500]
        items = re.findall(r"<li>(.*?)</li>", listed.group(0))
        assert items == [  # in the order of the file: front matter, then the answers
            "interviews: &#39;2026-01-9-orchard-hr-demo&#39; is not an interview "
            "(did you mean &#39;2026-01-13-orchard-hr-demo&#39;?)",
            "link [[2026-01-09-orchard-hr-discovry]] points to no record "
            "(did you mean &#39;2026-01-09-orchard-hr-discovery&#39;?)",
            "link [[2026-01-09-orchard-hr-discovery#^close-or-chse]] cites a quote that does not exist: "
            "2026-01-09-orchard-hr-discovery has no quote ^close-or-chse (did you mean &#39;^close-or-chase&#39;?)",
        ]
        # Above the rendered text.
        assert response.text.index("broken-links") < response.text.index("preview-body")
    assert story.read_bytes() == before


def test_a_preview_whose_links_all_resolve_lists_nothing(demo_client):
    fields = _edit_fields(demo_client, "orchard-controller")
    fields["interviews"] = "2026-01-09-orchard-hr-discovery"
    fields["answer_why_change"] = f"{CLOSE_OR_CHASE} and [[orchard-hr]]"
    response = demo_client.post("/preview", data=fields)
    assert response.status_code == 200
    assert "broken-links" not in response.text


def test_answer_x_now_opens_the_form_at_that_answer(demo_client):
    home = demo_client.get("/")
    link = re.search(r'href="([^"]+)"[^>]*>Answer “Why are they renewing\?” now<', home.text)
    assert link and link.group(1) == "/casestudies/orchard-controller/edit#answer-renewal"
    form = demo_client.get(link.group(1).split("#")[0]).text
    field = re.search(r'<div class="field answer-field[^"]*" id="answer-renewal">.*?</div>', form, re.S)
    assert field and 'name="answer_renewal"' in field.group(0)


# -- in the browser ----------------------------------------------------------------------------------------


@pytest.fixture
def orchard_form(page: Page, live_server):
    """The orchard-controller story's form, open in the browser; yields the base URL."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + "/casestudies/orchard-controller/edit")
    expect(page.locator("#ev-filter")).to_be_visible()
    return live_server


def _answer(page: Page, key: str):
    return page.locator(f"textarea[name='answer_{key}']")


@pytest.mark.browser
def test_a_word_narrows_the_calls_and_quotes(page: Page, orchard_form):
    calls = page.locator("#evidence .ev-call:visible")
    expect(calls).to_have_count(4)
    page.locator("#ev-filter").fill("nineteen")
    expect(calls).to_have_count(1)
    expect(calls.first).to_contain_text("2026-01-27 onboarding")
    expect(page.locator("#evidence .ev-quote:visible")).to_have_count(1)
    page.locator("#ev-filter").fill("discovery")  # a call's kind: the call with all its quotes
    expect(calls).to_have_count(1)
    expect(page.locator("#evidence .ev-quote:visible")).to_contain_text("I cannot do a close")
    page.locator("#ev-filter").fill("zzzz")
    expect(calls).to_have_count(0)
    expect(page.locator("#evidence .ev-none")).to_be_visible()
    page.locator("#ev-filter").fill("")
    expect(calls).to_have_count(4)


@pytest.mark.browser
def test_cite_inserts_the_citation_at_the_cursor_of_the_answer_last_written_in(page: Page, orchard_form):
    area = _answer(page, "options")
    area.fill("They weighed a hire. Then chose us.")
    area.evaluate("a => { a.focus(); a.setSelectionRange(20, 20); }")  # after "a hire."
    page.locator(f"#evidence button.cite[data-cite='{CLOSE_OR_CHASE}']").click()
    expect(area).to_have_value(f"They weighed a hire. {CLOSE_OR_CHASE} Then chose us.")
    expect(area).to_be_focused()
    # A whole call, after the text, in the same answer.
    area.evaluate("a => a.setSelectionRange(a.value.length, a.value.length)")
    page.locator("#evidence button.cite[data-cite='[[2026-01-13-orchard-hr-demo]]']").click()
    expect(area).to_have_value(f"They weighed a hire. {CLOSE_OR_CHASE} Then chose us. [[2026-01-13-orchard-hr-demo]]")


@pytest.mark.browser
def test_typing_two_brackets_offers_the_calls_and_quotes_and_enter_inserts_one(page: Page, orchard_form):
    area = _answer(page, "fit")
    area.fill("")
    area.click()
    page.keyboard.type("Weeks of work: [[ninet")
    listbox = page.locator("#ev-complete")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option").first).to_contain_text("Nineteen weeks in an afternoon")
    page.keyboard.press("Enter")
    expect(area).to_have_value(f"Weeks of work: {NINETEEN_WEEKS}")
    expect(listbox).to_be_hidden()
    # Arrows move through the offers; Esc closes the list and leaves the text as typed.
    page.keyboard.type(" and [[orchard")
    expect(listbox.get_by_role("option")).to_have_count(6)  # four calls, two quotes
    page.keyboard.press("ArrowDown")
    expect(listbox.get_by_role("option").nth(1)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(area).to_have_value(f"Weeks of work: {NINETEEN_WEEKS} and [[orchard")
    page.keyboard.type("-hr-check")
    expect(listbox.get_by_role("option")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(area).to_have_value(f"Weeks of work: {NINETEEN_WEEKS} and [[2026-02-17-orchard-hr-check-in]]")


@pytest.mark.browser
def test_ctrl_s_saves(page: Page, orchard_form, fresh_demo_root):
    _answer(page, "renewal").fill("They renew because the audit came back clean.")
    page.keyboard.press("Control+s")
    expect(page).to_have_url(orchard_form + "/casestudies/orchard-controller")
    expect(page.locator("main")).to_contain_text("Saved casestudies/orchard-controller.md")
    text = (fresh_demo_root / "casestudies/orchard-controller.md").read_text()
    assert "They renew because the audit came back clean." in text


@pytest.mark.browser
def test_leaving_with_unsaved_changes_asks_first(page: Page, orchard_form):
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()  # stay

    page.on("dialog", answer)
    area = _answer(page, "renewal")
    area.click()
    page.keyboard.type("Half a thought")
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    expect(page).to_have_url(orchard_form + "/casestudies/orchard-controller/edit")
    expect(area).to_have_value(re.compile("Half a thought$"))
    # Saving is no leaving: no question.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(orchard_form + "/casestudies/orchard-controller")
    assert asked == ["beforeunload"]


@pytest.mark.browser
def test_leaving_an_unchanged_form_asks_nothing(page: Page, orchard_form):
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))
    _answer(page, "renewal").click()
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(orchard_form + "/casestudies/orchard-controller")
    assert asked == []


@pytest.mark.browser
def test_answer_x_now_focuses_that_answer(page: Page, live_server):
    page.goto(live_server + "/")
    page.locator("#gate").get_by_role("link", name="Answer “Why are they renewing?” now").click()
    expect(page).to_have_url(live_server + "/casestudies/orchard-controller/edit#answer-renewal")
    expect(_answer(page, "renewal")).to_be_focused()
    expect(page.locator("#answer-renewal label")).to_be_in_viewport()


@pytest.mark.browser
def test_the_panel_follows_the_customer_field(page: Page, live_server):
    page.goto(live_server + "/new/casestudy")
    expect(page.locator("#evidence")).to_contain_text("Choose the customer of the story")
    expect(page.locator("#ev-filter")).to_be_hidden()  # nothing to filter yet
    page.get_by_label("Customer", exact=True).fill("kestrel-payroll")
    page.get_by_label("Person", exact=True).click()  # leaving the field: its change
    expect(page.locator("#evidence .ev-call").first).to_contain_text("check-in")
    expect(page.locator("#evidence .evidence-body")).to_have_attribute("data-customer", "kestrel-payroll")
    expect(page.locator("#evidence button.cite").first).to_be_visible()
    expect(page.locator("#ev-filter")).to_be_visible()


@pytest.mark.browser
def test_journey_cite_a_quote_from_the_panel_save_and_see_it_under_the_answer(page: Page, live_server, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server + "/new/casestudy?customer=orchard-hr")
    page.get_by_label("Person", exact=True).fill("Jamal Reed, IT Manager")
    page.screenshot(path=str(tmp_path / "story-form-1280.png"), full_page=True)
    area = _answer(page, "why_change")
    area.click()
    page.keyboard.type("Finance could not close the books and chase engineers at once. ")
    page.locator("#ev-filter").fill("chase")
    page.locator(f"#evidence button.cite[data-cite='{CLOSE_OR_CHASE}']").click()
    expect(area).to_have_value(f"Finance could not close the books and chase engineers at once. {CLOSE_OR_CHASE}")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(live_server + "/casestudies/orchard-hr-story")
    cited = page.locator("section#why_change")
    expect(cited).to_contain_text("I cannot do a close and chase 40 engineers")
    expect(cited).to_contain_text("Laura Chen")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/casestudies/orchard-hr-story/edit")
    page.screenshot(path=str(tmp_path / "story-form-390.png"), full_page=True)


@pytest.mark.browser
def test_without_javascript_the_panel_shows_citations_to_copy_and_the_form_saves(browser, fresh_demo_root):
    app = create_app(fresh_demo_root)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        with serve(app) as url:
            enter(page, url, app)
            page.goto(url + "/casestudies/orchard-controller/edit#answer-renewal")
            panel = page.locator("#evidence")
            expect(panel.locator("code", has_text=CLOSE_OR_CHASE)).to_be_visible()
            expect(panel.locator("button.cite").first).to_be_hidden()
            expect(page.locator("#ev-filter")).to_be_hidden()
            expect(page.locator("#answer-renewal label")).to_be_in_viewport()  # the anchor scrolled there
            _answer(page, "renewal").fill(f"The draft report came back clean {CLOSE_OR_CHASE}")
            page.get_by_role("button", name="Preview").click()  # a round trip: the page comes back with it
            expect(page.locator("#preview")).to_contain_text("The draft report came back clean")
            page.get_by_role("button", name="Save", exact=True).click()
            expect(page).to_have_url(url + "/casestudies/orchard-controller")
            expect(page.locator("section#renewal")).to_contain_text("I cannot do a close and chase 40 engineers")
    finally:
        context.close()
        close_app(app)
