"""Journeys in real Chromium: the ONE goal and the shut gate, and the gate opening from the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

RENEWAL = "They bought certainty: the draft report came back clean and Laura expanded to the HR entity."


def test_a_newcomer_understands_the_one_goal_and_the_shut_gate(page: Page, live_server, tmp_path):
    page.goto(live_server + "/")
    goal = page.locator("#goal")
    expect(goal).to_contain_text("The ONE goal")
    expect(goal).to_contain_text("milestone 4 of 8")
    expect(goal.locator("h1")).to_have_text("5 hell-yes customers")
    expect(goal).to_contain_text("4 of 5 so far")
    gate = page.locator("#gate")
    expect(gate.locator("h2")).to_have_text("The metrics gate is shut")
    expect(gate).to_contain_text("4 of 5 hell-yes customers")
    expect(gate).to_contain_text("Metrics wait until 5 customers would renew")
    expect(gate.locator("ol.closest li").first).to_contain_text("orchard-controller")
    expect(gate.locator("ol.closest li").first).to_contain_text("missing an answer to “Why are they renewing?”")
    expect(page.locator("#milestones li[data-milestone='1']")).to_have_attribute("data-reached", "yes")
    expect(page.locator("#milestones li[data-milestone='5']")).not_to_contain_text("%)")
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    # The metrics page says the same, and shows no numbers of its own.
    page.get_by_role("link", name="Metrics", exact=True).click()
    expect(page.locator("h1")).to_have_text("Metrics are locked")
    expect(page.locator("#gate")).to_contain_text("4 of 5 hell-yes customers")
    expect(page.locator("img")).to_have_count(0)


def test_answering_the_missing_question_opens_the_gate_and_metrics_appear(page: Page, live_server, tmp_path):
    page.goto(live_server + "/")
    page.locator("#gate").get_by_role("link", name="Answer “Why are they renewing?” now").click()
    expect(page.locator("textarea[name='answer_renewal']")).to_be_visible()
    page.locator("textarea[name='answer_renewal']").fill(RENEWAL)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("main")).to_contain_text("Laura expanded to the HR entity")
    page.goto(live_server + "/")
    gate = page.locator("#gate")
    expect(gate.locator("h2")).to_have_text("The metrics gate is open")
    expect(gate).to_contain_text("5 of 5 hell-yes customers")
    expect(page.locator("#goal")).to_contain_text("milestone 5 of 8")
    gate.get_by_role("link", name="See the metrics").click()
    expect(page.locator("h1")).to_have_text("Metrics")
    expect(page.locator("section.metric")).to_have_count(8)
    funnel = page.locator("#funnel")
    expect(funnel.locator("tbody tr").last).to_contain_text("5")
    # Every chart loaded as a picture (an SVG the browser could draw).
    images = page.locator("section.metric img")
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    page.screenshot(path=str(tmp_path / "metrics.png"), full_page=True)
