"""The writing forms in real Chromium, at 1280 and 390 px: "Answer X now" puts the cursor in X's answer,
the sticky Save bar never covers the field being typed in, and the preview shows in place of the fields."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

WIDTHS = [1280, 390]

# Whether the element is in the viewport and is what the page shows at its centre (nothing, such as the
# sticky bar, over it).
UNCOVERED = """(el) => {
  const box = el.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + Math.min(box.height / 2, 20);
  if (y < 0 || y > window.innerHeight || x < 0 || x > window.innerWidth) return "outside the viewport";
  const seen = document.elementFromPoint(x, y);
  return seen === el || el.contains(seen) ? "ok" : "covered by " + (seen ? seen.outerHTML.slice(0, 80) : "nothing");
}"""

FIELDS = "form.story-form :is(input:not([type=hidden]), select, textarea)"


@pytest.mark.parametrize("width", WIDTHS)
def test_answer_now_focuses_the_answer_the_link_names(page: Page, live_server, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server + "/")
    link = page.get_by_role("link", name="Answer “Why are they renewing?” now")
    expect(link).to_have_count(1)
    link.click()
    expect(page).to_have_url(live_server + "/casestudies/orchard-controller/edit#answer-renewal")
    field = page.locator("textarea#answer_renewal")
    expect(field).to_be_focused()
    assert field.evaluate(UNCOVERED) == "ok"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("url", ["/casestudies/kestrel-vp-finance/edit", "/customers/bramble-health/edit"])
def test_no_field_is_covered_by_the_save_bar_when_focused(page: Page, live_server, width, url):
    page.set_viewport_size({"width": width, "height": 700})
    page.goto(live_server + url)
    fields = page.locator(FIELDS.replace("form.story-form", "form"))
    count = fields.count()
    assert count >= 6
    for index in range(count):
        field = fields.nth(index)
        if not field.is_visible():
            continue
        field.focus()
        name = field.get_attribute("name")
        assert field.evaluate(UNCOVERED) == "ok", f"{name} at {width} px"
    # Tags, the field the bar used to hide, when the page opens and the user clicks into it.
    if "casestudies" in url:
        page.evaluate("window.scrollTo(0, 0)")
        tags = page.get_by_label("Tags", exact=True)
        tags.focus()
        assert tags.evaluate(UNCOVERED) == "ok"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_preview_shows_in_place_of_the_fields_and_back(page: Page, live_server, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(live_server + "/casestudies/kestrel-vp-finance/edit")
    answer = page.locator("textarea[name='answer_renewal']")
    answer.fill("They **renewed** for two years.")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview.locator("strong", has_text="renewed")).to_be_visible()
    expect(answer).to_be_hidden()
    # In view where the fields were: its top is in the window, not a long page away.
    top = preview.evaluate("(el) => el.getBoundingClientRect().top")
    assert -2 <= top < 200
    back = page.get_by_role("button", name="Back to writing")
    expect(back).to_have_attribute("aria-pressed", "true")
    back.click()
    expect(preview).to_be_hidden()
    expect(answer).to_be_visible()
    expect(answer).to_have_value("They **renewed** for two years.")
    expect(page.locator("#evidence")).to_be_visible()  # the evidence beside the form stays
