"""Compare in real Chromium, on the KB of 64 stories with planted differences: filtered by a tag from the
form, one answer opened in place; and on a KB whose answers are too long for one page, an answer read when
its line is opened."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from kb.web import create_app
from tests.test_compare_synthesis import planted_kb
from tests.web.helpers import close_app, enter, serve

pytestmark = pytest.mark.browser


def test_filter_compare_by_a_tag_and_open_one_answer(page: Page, tmp_path):
    planted = planted_kb(tmp_path / "kb")
    finance = {s for s, tags in planted.tags.items() if "finance-led" in tags}
    app = create_app(planted.root)
    with serve(app) as url:
        enter(page, url, app)
        page.goto(url + "/compare")
        why = page.locator("section#why_change")
        expect(why.locator("[data-terms='hell-yes'] li").first).to_contain_text("auditor")
        expect(why.locator("[data-group='hell-yes'] li.line")).to_have_count(30)

        page.get_by_label("Tag").select_option("finance-led")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"/compare\?.*tag=finance-led"))
        expect(page.locator("[data-compared]")).to_contain_text(f"{len(finance)} hell-yes stories against 0")
        expect(why.locator("li.line")).to_have_count(len(finance))
        expect(why.locator("[data-terms-notice]")).to_contain_text("Too few answers")

        line = why.locator("li.line").first
        answer = line.locator("[data-full-answer]")
        expect(answer).to_be_hidden()
        line.locator("summary").click()
        expect(answer).to_be_visible()
        story = line.get_attribute("data-story")
        expect(answer).to_contain_text(story or "")
        expect(answer.locator(".prose")).not_to_be_empty()
    close_app(app)


def test_a_long_answer_is_read_when_its_line_is_opened(page: Page, tmp_path):
    planted = planted_kb(tmp_path / "kb", times=2, sentences=9)
    app = create_app(planted.root)
    with serve(app) as url:
        enter(page, url, app)
        page.goto(url + "/compare")
        line = page.locator("section#fit li.line").first
        answer = line.locator("[data-full-answer]")
        expect(answer.locator("[data-answer-link]")).to_have_count(1)  # the link without JavaScript
        line.locator("summary").click()
        expect(answer.locator(".prose")).to_be_visible()
        expect(answer.locator("[data-answer-link]")).to_have_count(0)
    close_app(app)
