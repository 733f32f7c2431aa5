"""Reading polish on the pages: citations of a call read as its date and kind, the slug on hover."""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import pytest

from kb.web import create_app
from tests.helpers import copy_demo
from tests.web.helpers import close_app

QUOTE = "We failed the audit twice. — Maya ^failed-audit"


def test_a_citation_shows_the_calls_date_and_kind_with_the_slug_on_hover(kb_root, client):
    kb_root.customer("acme", name="Acme Corp")
    kb_root.interview("2026-01-14-acme-check-in", "acme", "2026-01-14", kind="check-in", body=f"> {QUOTE}")
    kb_root.casestudy(
        "acme-story",
        "acme",
        answers={
            "why_change": "Audits [[2026-01-14-acme-check-in]] and [[2026-01-14-acme-check-in#^failed-audit]].",
            "success": "As said [[2026-01-14-acme-check-in|on the call]], and [[acme]].",
        },
    )
    html = client.get("/casestudies/acme-story").text
    links = re.findall(r'<a class="kb-link" href="([^"]*)"(?: title="([^"]*)")?[^>]*>([^<]*)</a>', html)
    assert ("/interviews/2026-01-14-acme-check-in", "2026-01-14-acme-check-in", "Jan 14 check-in") in links
    assert (
        "/interviews/2026-01-14-acme-check-in#q-failed-audit",
        "2026-01-14-acme-check-in#^failed-audit",
        "Jan 14 check-in",
    ) in links
    # A label of the author's own stays, and a link to another kind of record is as it was.
    assert ("/interviews/2026-01-14-acme-check-in", "", "on the call") in links
    assert ("/customers/acme", "", "acme") in links


def test_search_facets_show_customer_names_and_a_filters_only_search_names_them(demo_client):
    page = demo_client.get("/search?customer=orchard-hr&type=interview").text
    summary = re.search(r'<p class="summary"[^>]*>(.*?)</p>', page, re.S).group(1)
    assert "4 hits" in summary and "for <strong>customer:orchard-hr type:interview</strong>" in summary
    block = page[page.index('data-facet="customer"') :]
    link = re.search(r'<a href="([^"]+)" data-value="orchard-hr"[^>]*>([^<]*)</a>', block)
    assert link.group(2).strip().startswith("Orchard HR")  # the name, the filter still by slug
    badges = page[page.index('class="active-filters"') :].split("</p>")[0]
    assert 'title="customer:orchard-hr">customer: Orchard HR <a' in badges
    assert ">type: interview <a" in badges
    words = demo_client.get("/search?q=audit").text
    facet = re.search(r'href="([^"]+)" data-value="orchard-hr">([^<]*)</a>', words)
    assert facet.group(2) == "Orchard HR" and "customer=orchard-hr" in facet.group(1)


def test_customer_names_kept_by_the_server_follow_a_renamed_customer(kb_root, client):
    """The names are read once per change of the files (a search's facets, the forms' customer list and the
    evidence panel share them): a renamed customer shows its new name on the next page."""
    kb_root.customer("acme", name="Acme Corp")
    kb_root.interview("2026-01-14-acme-check-in", "acme", "2026-01-14", body="We failed the audit.")

    def facet_name() -> str:
        page = client.get("/search?q=audit").text
        return re.search(r'data-value="acme">([^<]*)</a>', page).group(1).strip()

    assert facet_name() == "Acme Corp"
    assert '<option value="acme">Acme Corp</option>' in client.get("/new/casestudy").text
    kb_root.customer("acme", name="Acme Holdings")
    assert facet_name() == "Acme Holdings"
    form = client.get("/new/casestudy").text
    assert '<option value="acme">Acme Holdings</option>' in form and "Acme Corp" not in form


@pytest.fixture
def open_root(tmp_path) -> Path:
    """The demo KB with its fifth hell-yes story's missing answer written: the gate is open."""
    root = copy_demo(tmp_path / "open")
    with (root / "casestudies/orchard-controller.md").open("a", encoding="utf-8") as story:
        story.write("They bought certainty: the draft report came back clean.\n")
    return root


def test_metrics_tables_right_align_numbers_under_right_aligned_headers(open_root, runner):
    app = create_app(open_root)
    try:
        html = app.test_client().get("/metrics").text
    finally:
        close_app(app)
    source = html[html.index('data-metric="per-source"') :]
    source = source[: source.index("</table>")]
    headers = re.findall(r"<th( class=\"num\")?>([^<]*)</th>", source)
    assert (
        ("", "Source") in headers
        and (' class="num"', "Cost per win") in headers
        and (' class="num"', "SQLs") in headers
    )
    assert re.search(r'<td data-label="Cost" class="num">18,000</td>', source) and "18000" not in source
    # The terminal writes them the same way.
    text = runner(open_root, "metrics").output
    assert "18,000" in text and "18000" not in text


def _visible_text(html: str) -> str:
    """The text a reader sees: no tags, no scripts or styles, entities read."""
    html = re.sub(r"<(script|style|textarea)\b.*?</\1>", "", html, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", html))


def test_no_literal_backticks_in_messages_and_milestones(kb_root, client, demo_client):
    # A story of a customer with no file: its message says to run `kb new customer acme`, drawn as code.
    kb_root.write("casestudies/acme-story.md", "---\ncustomer: acme\nstatus: draft\n---\n## Trigger stuff\nA.\n")
    for url in ("/casestudies/acme-story", "/problems"):
        html = client.get(url).text
        assert "<code>kb new customer acme</code>" in html and "`" not in _visible_text(html), url
    for url in ("/", "/problems", "/casestudies/orchard-controller", "/customers/orchard-hr"):
        assert "`" not in _visible_text(demo_client.get(url).text), url


def test_the_favicon_is_linked_and_served(demo_client):
    html = demo_client.get("/").text
    href = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', html).group(1)
    with demo_client.get(href) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


@pytest.mark.parametrize("url", ["/customers.csv", "/casestudies.md", "/search.csv?q=audit", "/compare/document.md"])
def test_a_download_names_its_charset_once(demo_client, url):
    response = demo_client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].count("charset") == 1, response.headers["Content-Type"]


def test_the_error_page_writes_kb_in_lowercase(app):
    from kb.web.core import error_response

    with app.test_request_context("/somewhere"):
        failed = error_response(500, "Something went wrong in kb", "kb could not answer this request.")
        missing = error_response(404, "Not found", "there is no page at /somewhere.")
    assert '<p class="message names-kb">kb could not answer this request.</p>' in failed.get_data(as_text=True)
    assert '<p class="message">there is no page at /somewhere.</p>' in missing.get_data(as_text=True)
