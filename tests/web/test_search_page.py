"""The search page: words and fields in one box, facets as filters, paging, order, "did you mean", errors."""

from __future__ import annotations

import html as htmllib
import json
import re

import pytest


@pytest.fixture
def audits(kb_root):
    """Two customers, a hell-yes and a meh story, and three calls, all of them about audits."""
    kb_root.customer("acme", name="Acme", stage="customer", won_on="2026-01-05")
    kb_root.customer("globex", name="Globex")
    kb_root.casestudy(
        "acme-story",
        "acme",
        status="hell-yes",
        tags="[soc2, finance-led]",
        answers={"why_change": "The SOC 2 audit took 14 weeks of the CFO's time."},
    )
    kb_root.casestudy(
        "globex-story", "globex", status="meh", tags="[soc2]", answers={"why_change": "An audit scare, then nothing."}
    )
    kb_root.interview("2026-02-01-acme-discovery", "acme", "2026-02-01", body="The audit is coming in April.")
    kb_root.interview(
        "2026-03-01-acme-check-in",
        "acme",
        "2026-03-01",
        kind="check-in",
        body="Audits went fine. <script>alert('audit')</script>",
    )
    kb_root.interview(
        "2026-02-15-globex-sales", "globex", "2026-02-15", kind="sales", body="They asked about the audit trail."
    )
    return kb_root


def hits(response) -> list[dict]:
    assert response.status_code == 200, response.text[:500]
    return [json.loads(htmllib.unescape(raw)) for raw in re.findall(r"data-row='([^']*)'", response.text)]


def facet_link(page: str, facet: str, value: str) -> str:
    block = page[page.index(f'data-facet="{facet}"') :]
    return htmllib.unescape(re.search(rf'href="([^"]+)" data-value="{re.escape(value)}"', block).group(1))


def test_words_and_field_syntax_in_one_box(audits, client):
    everything = hits(client.get("/search?q=audit"))
    assert len(everything) == 5
    assert 'data-total="5"' in client.get("/search?q=audit").text
    narrowed = hits(client.get("/search?q=audit+status:hell-yes"))
    assert [h["record"] for h in narrowed] == ["acme-story"]
    assert narrowed[0]["title"] == "Acme: Jane Doe, CFO"  # the customer's name, not its slug
    calls = hits(client.get("/search?q=audit+customer:acme+type:interview"))
    assert sorted(h["record"] for h in calls) == ["2026-02-01-acme-discovery", "2026-03-01-acme-check-in"]
    assert {h["title"] for h in calls} == {"discovery with Acme", "check-in with Acme"}
    assert hits(client.get('/search?q="audit+trail"'))[0]["record"] == "2026-02-15-globex-sales"


def test_matches_are_highlighted_and_record_text_is_escaped(audits, client):
    page = client.get("/search?q=audit+customer:acme+kind:check-in").text
    assert "<mark>Audits</mark> went fine." in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;<mark>audit</mark>&#39;)&lt;/script&gt;" in page


def test_facets_count_and_a_click_narrows_to_hell_yes(audits, client):
    page = client.get("/search?q=audit").text
    statuses = page[page.index('data-facet="status"') :]
    counts = dict(re.findall(r'data-value="([^"]+)">[^<]*</a>\s*<span class="count">(\d+)</span>', statuses)[:2])
    assert counts == {"hell-yes": "1", "meh": "1"}
    link = facet_link(page, "status", "hell-yes")
    assert link == "/search?q=audit&status=hell-yes"
    narrowed = client.get(link)
    assert [h["record"] for h in hits(narrowed)] == ["acme-story"]
    # The active facet is marked and its link takes the filter off again.
    assert facet_link(narrowed.text, "status", "hell-yes") == "/search?q=audit"
    assert 'aria-current="true"' in narrowed.text
    types = facet_link(page, "type", "interview")
    assert len(hits(client.get(types))) == 3


def test_filters_in_the_query_string(audits, client):
    assert [h["record"] for h in hits(client.get("/search?q=audit&tag=finance-led"))] == ["acme-story"]
    assert [h["record"] for h in hits(client.get("/search?q=audit&kind=sales"))] == ["2026-02-15-globex-sales"]
    dated = hits(client.get("/search?q=audit&since=2026-02-10&until=2026-02-28"))
    assert [h["record"] for h in dated] == ["2026-02-15-globex-sales"]
    only_filters = hits(client.get("/search?customer=globex"))
    assert sorted(h["record"] for h in only_filters) == ["2026-02-15-globex-sales", "globex", "globex-story"]


def test_paging_and_date_order(audits, client):
    by_date = [h["record"] for h in hits(client.get("/search?q=audit&sort=date"))]
    assert by_date[:3] == ["2026-03-01-acme-check-in", "2026-02-15-globex-sales", "2026-02-01-acme-discovery"]
    assert set(by_date[3:]) == {"acme-story", "globex-story"}  # undated stories last
    first = client.get("/search?q=audit&sort=date&limit=2")
    assert [h["record"] for h in hits(first)] == by_date[:2]
    assert "1–2 of 5 hits" in first.text and "Page 1 of 3" in first.text
    next_link = htmllib.unescape(re.search(r'href="([^"]+)" rel="next"', first.text).group(1))
    assert next_link == "/search?q=audit&sort=date&limit=2&page=2"
    second = client.get(next_link)
    assert [h["record"] for h in hits(second)] == by_date[2:4] and 'rel="prev"' in second.text
    beyond = client.get("/search?q=audit&sort=date&limit=2&page=40")
    assert [h["record"] for h in hits(beyond)] == by_date[4:] and "Page 3 of 3" in beyond.text


def test_did_you_mean_offers_the_word_the_records_use(audits, client):
    page = client.get("/search?q=audti")
    assert hits(page) == []
    suggestion = re.search(r'<a href="([^"]+)" data-suggestion>([^<]+)</a>', page.text)
    assert suggestion and suggestion.group(2) == "audit"
    assert len(hits(client.get(htmllib.unescape(suggestion.group(1))))) == 5


@pytest.mark.parametrize(
    "query, message",
    [
        ("(audit", "&#39;(&#39; is not closed"),
        ('"audit', "a quote &#34; is not closed"),
        ("colour:red", "there is no field &#39;colour&#39;"),
        ("date:someday", "cannot read the dates"),
    ],
)
def test_an_unreadable_query_is_a_400_with_the_reason_above_the_box(audits, client, query, message):
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 400
    page = response.text
    assert "data-query-error" in page and message in page
    assert page.index("data-query-error") < page.index('id="q"')
    box = re.search(r'<input id="q"[^>]*value="([^"]*)"', page)
    assert htmllib.unescape(box.group(1)) == query  # the typed query stays in the box
    api = client.get("/api/search", query_string={"q": query})
    assert api.status_code == 400 and api.get_json()["error"]["status"] == 400
    assert client.get("/search.csv", query_string={"q": query}).status_code == 400


@pytest.mark.parametrize(
    "query, message",
    [
        ("q=audit&sort=newest", "sort: expected one of relevance, date"),
        ("q=audit&page=0", "page: expected a whole number from 1 to"),
        ("q=audit&page=two", "page: expected a whole number from 1"),
        ("q=audit&limit=5000", "limit: expected a whole number from 1 to 1000"),
        ("q=audit&status=great", "status: expected one of draft, meh, churned, hell-yes"),
        ("q=audit&type=note", "type: expected one of customer, interview, casestudy"),
        ("q=audit&since=2026-02-30", "since: expected a date as YYYY-MM-DD"),
    ],
)
def test_bad_parameters_are_a_400_that_names_them(audits, client, query, message):
    response = client.get(f"/search?{query}")
    assert response.status_code == 400 and message in htmllib.unescape(response.text)


def test_an_empty_search_explains_the_box(audits, client):
    page = client.get("/search")
    assert page.status_code == 200 and hits(page) == []
    assert "Type words in the box above" in page.text
    assert client.get("/api/search").get_json()["rows"] == []


def test_the_api_twin_has_totals_facets_and_suggestion(audits, client):
    data = client.get("/api/search?q=audit&limit=2").get_json()
    assert data["total"] == 5 and data["pages"] == 3 and len(data["rows"]) == 2
    assert data["facets"]["status"] == {"hell-yes": 1, "meh": 1}
    assert data["facets"]["type"] == {"interview": 3, "casestudy": 2}
    assert client.get("/api/search?q=audti").get_json()["suggestion"] == "audit"


def test_a_new_empty_kb_answers_no_hits(client):
    for _ in range(2):  # the second request reuses what the first opened
        page = client.get("/search?q=a")
        assert page.status_code == 200 and hits(page) == [] and 'data-total="0"' in page.text
        data = client.get("/api/search?q=a").get_json()
        assert (data["total"], data["rows"], data["suggestion"]) == (0, [], None)


def test_a_kb_whose_every_file_was_deleted_while_serving_answers_no_hits(audits, client):
    assert len(hits(client.get("/search?q=audit"))) == 5
    for path in [*audits.root.glob("casestudies/*.md"), *audits.root.glob("content/**/*.md")]:
        path.unlink()
    assert hits(client.get("/search?q=audit")) == []
    data = client.get("/api/search?q=audit").get_json()
    assert (data["total"], data["facets"]["status"]) == (0, {})


def test_an_expensive_query_is_a_400_and_a_search_out_of_time_says_so(audits, client, monkeypatch):
    from kb.search import limits

    page = client.get("/search", query_string={"q": "?*"})
    assert page.status_code == 400 and "a wildcard needs a letter or digit before it" in page.text
    api = client.get("/api/search", query_string={"q": "[a to z]"})
    assert api.status_code == 400 and "a range of words" in api.get_json()["error"]["message"]
    monkeypatch.setattr(limits, "TIME_BUDGET", 0.0)
    stopped = client.get("/search", query_string={"q": "audit"})
    assert stopped.status_code == 200
    assert "data-search-notice>search stopped after 0 s; narrow the query<" in stopped.text
    assert client.get("/api/search?q=audit").get_json()["notice"] == "search stopped after 0 s; narrow the query"


def test_names_match_any_word_and_values_get_did_you_mean(audits, client):
    audits.customer("initech", name="Initech Global", owner="Maya Okafor")
    assert [h["record"] for h in hits(client.get("/search?q=owner:maya"))] == ["initech"]
    assert [h["record"] for h in hits(client.get('/search?q=owner:"Maya Okafor"'))] == ["initech"]
    assert [h["record"] for h in hits(client.get("/search?q=finance-led"))] == ["acme-story"]  # a tag
    assert client.get("/api/search?q=status:hellyes").get_json()["suggestion"] == "status:hell-yes"
    page = client.get("/search?q=customer:acm")
    suggestion = re.search(r'<a href="([^"]+)" data-suggestion>([^<]+)</a>', page.text)
    assert suggestion and suggestion.group(2) == "customer:acme"


def test_a_facet_links_the_values_it_lists_and_the_json_twin_counts_them_all(kb_root, client):
    for n in range(20):
        kb_root.customer(f"firm-{n:02}", name=f"Firm Number {n:02}")
        for call in range(n % 3 + 1):
            kb_root.interview(
                f"2026-02-{call + 1:02}-firm-{n:02}", f"firm-{n:02}", f"2026-02-{call + 1:02}", body="Ledger."
            )
    page = client.get("/search?q=ledger").get_data(as_text=True)
    listed = re.findall(r'<ul data-facet="customer">(.*?)</ul>', page, re.S)[0]
    assert len(re.findall(r"<li", listed)) == 12
    assert all("href=" in item for item in re.findall(r"<li.*?</li>", listed, re.S))
    counts = client.get("/api/search?q=ledger").get_json()["facets"]["customer"]
    assert len(counts) == 20 and sum(counts.values()) == sum(n % 3 + 1 for n in range(20))
    rows = client.get("/api/search?q=ledger&limit=50").get_json()["rows"]
    assert all("Firm Number" in row["title"] for row in rows), rows[0]  # titles carry the customers' names
