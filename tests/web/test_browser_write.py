"""Journeys in real Chromium: writing a story and finding it, an editor's change on reload, and a
conflict where nothing typed is lost."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from kb.web import create_app
from tests.web.helpers import close_app, enter, serve

pytestmark = pytest.mark.browser

STORY = "casestudies/kestrel-vp-finance.md"


@pytest.fixture
def watched_server(fresh_demo_root, page):
    """The demo KB served for real with the file watcher on, `page` let in; yields (base URL, app)."""
    app = create_app(fresh_demo_root, {"KB_WATCH": True})
    with serve(app) as url:
        enter(page, url, app)
        yield url, app
    close_app(app)


def test_writes_a_new_case_study_saves_it_and_finds_it_by_search(page: Page, live_server, fresh_demo_root):
    page.goto(live_server + "/casestudies")
    page.get_by_role("link", name="New case study").click()
    expect(page.locator("h1")).to_have_text("New case study")
    page.get_by_label("Customer", exact=True).fill("Quokka Labs")
    page.get_by_label("Person", exact=True).fill("Mia Chen, Head of Ops")
    page.get_by_label("Status", exact=True).select_option("meh")
    page.get_by_label("Tags", exact=True).fill("ops, audit")
    page.get_by_label("1. Why did they have to change?").fill(
        "Their zephyrine audit failed twice and the board asked why."
    )
    page.get_by_label("4. How did we fit into their world?").fill("We fit their **weekly** ops review.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(live_server + "/casestudies/quokka-labs-story")
    expect(page.locator("main")).to_contain_text("Saved casestudies/quokka-labs-story.md")
    expect(page.locator("section#why_change")).to_contain_text("Their zephyrine audit failed twice")
    expect(page.locator("section#fit strong")).to_have_text("weekly")
    assert (fresh_demo_root / "casestudies/quokka-labs-story.md").is_file()
    assert (fresh_demo_root / "content/customers/quokka-labs.md").is_file()
    # Found by search at once, from the box in the header.
    page.locator("#kb-search").fill("zephyrine")
    page.locator("#kb-search").press("Enter")
    hit = page.locator("ol.hits .hit-title a")
    expect(hit).to_have_count(1)
    hit.click()
    expect(page).to_have_url(live_server + "/casestudies/quokka-labs-story")


def test_the_preview_shows_sanitized_html_without_leaving_the_page(page: Page, live_server, fresh_demo_root):
    before = (fresh_demo_root / STORY).read_bytes()
    page.goto(live_server + "/casestudies/kestrel-vp-finance/edit")
    page.locator("textarea[name='answer_options']").fill(
        "They priced **a hire**.<script>window.hacked = 1</script> [[kestrel-payroll]]"
    )
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview).to_be_visible()
    expect(preview.locator("strong")).to_have_text("a hire")
    customer_link = preview.get_by_role("link", name="kestrel-payroll", exact=True)
    expect(customer_link).to_have_attribute("href", "/customers/kestrel-payroll")
    expect(preview.locator("script")).to_have_count(0)
    assert page.evaluate("window.hacked") is None
    expect(page).to_have_url(live_server + "/casestudies/kestrel-vp-finance/edit")
    expect(page.locator("textarea[name='answer_options']")).to_have_value(
        "They priced **a hire**.<script>window.hacked = 1</script> [[kestrel-payroll]]"
    )
    assert (fresh_demo_root / STORY).read_bytes() == before


def test_edits_a_file_on_disk_while_the_server_runs_and_sees_it_on_reload(page: Page, watched_server, fresh_demo_root):
    url, app = watched_server
    page.goto(url + "/casestudies/kestrel-vp-finance")
    expect(page.locator("section#success")).not_to_contain_text("ocelot")
    watcher = app.extensions["kb_watcher"]
    time.sleep(0.3)  # let the watcher settle after the page's own refresh
    before = watcher.refreshes
    path = fresh_demo_root / STORY
    path.write_text(path.read_text().replace("A month-end close on day 6", "An ocelot-fast close on day 6"))
    deadline = time.monotonic() + 2.0
    while watcher.refreshes == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert watcher.refreshes > before, "the watcher did not index the edit within 2 s"
    page.reload()
    expect(page.locator("section#success")).to_contain_text("An ocelot-fast close on day 6")
    page.locator("#kb-search").fill("ocelot")
    page.locator("#kb-search").press("Enter")
    expect(page.locator("ol.hits .hit-title a")).to_have_count(1)


def test_saves_over_a_file_changed_on_disk_and_gets_the_conflict_screen_with_nothing_lost(
    page: Page, live_server, fresh_demo_root
):
    path = fresh_demo_root / STORY
    page.goto(live_server + "/casestudies/kestrel-vp-finance/edit")
    typed_answer = "Typed in the browser: they compared a second compliance hire with doing nothing."
    page.locator("textarea[name='answer_options']").fill(typed_answer)
    path.write_text(path.read_text() + "\n## Notes\nAdded in the editor meanwhile.\n")
    disk = path.read_text()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("h1")).to_have_text("This story changed on disk while you were editing")
    expect(page.locator("#disk-text")).to_have_value(disk)
    typed = page.locator("#typed-text").input_value()
    assert typed_answer in typed and "Added in the editor meanwhile." not in typed
    assert path.read_text() == disk  # nothing was written
    page.get_by_role("button", name="Keep what I typed").click()
    expect(page).to_have_url(live_server + "/casestudies/kestrel-vp-finance")
    expect(page.locator("section#options")).to_contain_text(typed_answer)
    assert path.read_text() == typed


def test_a_refused_preview_keeps_the_page_and_what_was_typed(page: Page, live_server):
    page.goto(live_server + "/new/casestudy")
    page.get_by_label("2. What did success look like?").fill("Typed before the token went stale.")
    page.evaluate("document.querySelector('input[name=csrf_token]').value = 'stale'")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview [role=alert]")).to_contain_text("No preview: kb refused the form")
    expect(page).to_have_url(live_server + "/new/casestudy")
    expect(page.get_by_label("2. What did success look like?")).to_have_value("Typed before the token went stale.")
