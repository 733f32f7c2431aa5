"""In real Chromium: a browser without the token sees nothing of the KB (`live_server` enters with it,
as every browser test does), and a tracking image pasted into a record is never requested."""

from __future__ import annotations

from playwright.sync_api import Page, expect

BEACON = """\
---
customer: kestrel-payroll
person: Dana Reyes, Controller
status: draft
---
## Why did they have to change?
Forwarded from their email: ![their logo](https://tracker.example/open.png?who=dana)
"""


def test_a_browser_without_the_token_sees_nothing_of_the_kb(live_server, browser):
    stranger = browser.new_context()  # another user of this computer: no cookie
    try:
        page = stranger.new_page()
        response = page.goto(f"{live_server}/casestudies")
        assert response.status == 403
        expect(page.locator("h1")).to_have_text("Open kb through the address kb serve printed")
        expect(page.locator("body")).not_to_contain_text("Ledgerline")
    finally:
        stranger.close()


def test_a_tracking_image_in_a_record_is_never_requested(page: Page, live_server, fresh_demo_root):
    (fresh_demo_root / "casestudies/beacon.md").write_text(BEACON, encoding="utf-8")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server}/casestudies/beacon")
    link = page.locator("a.remote-image")
    expect(link).to_have_text("image: their logo")
    expect(link).to_have_attribute("href", "https://tracker.example/open.png?who=dana")
    expect(page.locator("img")).to_have_count(0)
    assert [url for url in requested if "tracker.example" in url] == []
    page.keyboard.press("/")  # kb's own script still runs under the policy
    expect(page.locator("#kb-search")).to_be_focused()
