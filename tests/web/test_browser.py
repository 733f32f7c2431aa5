"""Journeys in real Chromium against `kb serve`'s stack (waitress) on a copy of the demo KB."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_search_audit_narrow_to_hell_yes_and_open_a_hit(live_server, page, tmp_path):
    page.goto(f"{live_server}/casestudies")
    page.keyboard.press("/")  # the keyboard way to the search box
    expect(page.locator("#kb-search")).to_be_focused()
    page.keyboard.type("audit")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/search\?q=audit"))
    everything = int(page.locator("[data-total]").get_attribute("data-total"))
    assert everything > 5
    expect(page.locator("ol.hits mark").first).to_have_text(re.compile("audit", re.I))

    page.locator('[data-facet="status"] a[data-value="hell-yes"]').click()
    expect(page).to_have_url(re.compile(r"status=hell-yes"))
    narrowed = int(page.locator("[data-total]").get_attribute("data-total"))
    assert 0 < narrowed < everything
    rows = [
        json.loads(raw)
        for raw in page.locator("ol.hits > li").evaluate_all("items => items.map(item => item.dataset.row)")
    ]
    assert rows and all(row["status"] == "hell-yes" and row["type"] == "casestudy" for row in rows)
    expect(page.locator("#q")).to_have_value("audit")

    first = page.locator("ol.hits .hit-title a").first
    title = first.inner_text()
    first.click()
    expect(page).to_have_url(re.compile(rf"/casestudies/{re.escape(rows[0]['record'])}$"))
    expect(page.locator("h1")).to_contain_text(title.split(":", 1)[1].strip())  # the person the story is about
    expect(page.locator(".badge.status-hell-yes")).to_be_visible()
    expect(page.locator("section.answer")).to_have_count(5)
    page.screenshot(path=str(tmp_path / "hell-yes-story.png"), full_page=True)
    assert (tmp_path / "hell-yes-story.png").stat().st_size > 10_000


def test_pages_fit_a_phone_without_sideways_scrolling(live_server, page):
    page.set_viewport_size({"width": 375, "height": 800})
    for path in (
        "/casestudies/kestrel-vp-finance",
        "/customers/kestrel-payroll",
        "/search?q=audit",
        "/interviews/2026-03-12-lumen-clinical-sales",
    ):
        page.goto(f"{live_server}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide on a 375px phone"
    page.goto(f"{live_server}/casestudies")
    # A wide table scrolls inside its own box, not the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "keyboard focus must be visible"
