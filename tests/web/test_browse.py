"""Browsing in the web UI: the lists, their filters, and each record's page, as a founder uses them."""

from __future__ import annotations

import json
import re

import pytest

ACME_STORY = """\
---
customer: acme
person: Jane Doe, CFO
status: hell-yes
interviews: [2026-02-10-acme-discovery]
tags: [soc2, finance-led]
champion: Jane
---
Told by Ana after the check-in.

## Why did they have to change?
The audit took **14 weeks** [[2026-02-10-acme-discovery]].

## What did success look like?
A close on day 6.

## What options did they consider?
Hiring a second accountant.

## How did we fit into their world?
One evidence library for both reports.

## Why are they renewing?
<!-- What did they REALLY buy? -->

## Open questions
Does the UK entity need ISO 27001?
"""


@pytest.fixture
def acme(kb_root):
    """A small KB: two customers (one without a file), three calls, two stories."""
    kb_root.write(
        "content/customers/acme.md",
        """\
        ---
        name: Acme Corp
        stage: customer
        source: cold email
        owner: Ana
        qualified_on: 2026-01-02
        won_on: 2026-01-10
        acv: 24000
        segment: fintech
        ---
        Our first customer. Story: [[acme-story|the Acme story]].
        """,
    )
    kb_root.customer("globex", name="Globex", stage="lead")
    kb_root.write(
        "content/interviews/2026-02-10-acme-discovery.md",
        """\
        ---
        customer: acme
        date: 2026-02-10
        kind: discovery
        people: ["Jane Doe, CFO"]
        owner: Ana
        ---
        ## Notes
        They failed the audit evidence request twice.
        """,
    )
    kb_root.write(
        "content/interviews/2026/2026-03-02-acme-check-in.md",
        """\
        ---
        customer: acme
        date: 2026-03-02
        kind: check-in
        owner: Ana
        ---
        Quiet month. See [[customer:acme]].
        """,
    )
    kb_root.interview("2026-03-03-initech-sales", "initech", "2026-03-03", kind="sales")
    kb_root.write("casestudies/acme-story.md", ACME_STORY)
    kb_root.casestudy(
        "initech-story",
        "initech",
        status="meh",
        tags="[soc2]",
        answers={"why_change": "Their bank asked for SOC 2 [[no-such-call]]."},
    )
    return kb_root


def rows(response) -> list[dict]:
    """The rows of the page's table, as its data-row attributes hold them."""
    assert response.status_code == 200, response.text[:500]
    return [
        json.loads(
            raw.replace("&#39;", "'")
            .replace("&amp;", "&")
            .replace("&quot;", '"')
            .replace("&lt;", "<")
            .replace("&gt;", ">")
        )
        for raw in re.findall(r"data-row='([^']*)'", response.text)
    ]


def test_case_studies_list_shows_status_completeness_and_tags(acme, client):
    found = rows(client.get("/casestudies"))
    assert [r["story"] for r in found] == ["acme-story", "initech-story"]  # hell-yes first
    acme_row = found[0]
    assert acme_row["customer"] == "Acme Corp" and acme_row["person"] == "Jane Doe, CFO"
    assert acme_row["status"] == "hell-yes" and acme_row["tags"] == ["soc2", "finance-led"]
    assert [acme_row[q] for q in ("why_change", "success", "options", "fit", "renewal")] == [
        "cited",
        "answered",
        "answered",
        "answered",
        "missing",
    ]
    assert found[1]["customer"] == "initech"  # no customer file: the slug stands in
    page = client.get("/casestudies").text
    assert 'href="/casestudies/acme-story"' in page and 'href="/customers/acme"' in page
    assert 'href="/casestudies?tag=finance-led"' in page


def test_case_studies_filter_by_status_and_tag(acme, client):
    assert [r["story"] for r in rows(client.get("/casestudies?status=meh"))] == ["initech-story"]
    assert [r["story"] for r in rows(client.get("/casestudies?tag=finance-led"))] == ["acme-story"]
    assert [r["story"] for r in rows(client.get("/casestudies?tag=SOC2"))] == ["acme-story", "initech-story"]
    empty = client.get("/casestudies?status=churned")
    assert rows(empty) == [] and "No case study matches these filters." in empty.text
    bad = client.get("/casestudies?status=hellyes")
    assert bad.status_code == 400
    assert "status: expected one of draft, meh, churned, hell-yes; got &#39;hellyes&#39;" in bad.text


def test_case_study_page_shows_the_story_and_its_links(acme, client):
    page = client.get("/casestudies/acme-story")
    assert page.status_code == 200
    html = page.text
    assert "<strong>14 weeks</strong>" in html
    # A citation shows the call's date and kind, its slug on hover.
    assert (
        '<a class="kb-link" href="/interviews/2026-02-10-acme-discovery" title="2026-02-10-acme-discovery" '
        'rel="noopener noreferrer">Feb 10 discovery</a>'
    ) in html
    assert re.search(r'data-question="why_change" data-state="cited"', html)
    assert re.search(r'data-question="renewal" data-state="missing"', html)
    assert "Not answered yet." in html and "What did they REALLY buy?" in html  # the prompt is shown as the question
    assert "Open questions" in html and "Does the UK entity need ISO 27001?" in html
    assert "<dt>champion</dt><dd>Jane</dd>" in html
    assert "Told by Ana after the check-in." in html
    assert 'href="/customers/acme">Acme Corp</a>' in html
    assert 'href="/customers/acme">Acme Corp</a>\n    <span class="muted small">· customer, as “the Acme story”' in html
    assert "hell-yes story does not count" in html and "missing an answer to “Why are they renewing?”" in html
    data = client.get("/api/casestudies/acme-story").get_json()
    assert data["customer"]["title"] == "Acme Corp"
    assert [b["slug"] for b in data["backlinks"]] == ["acme"]
    assert [c["slug"] for c in data["calls"]] == ["2026-02-10-acme-discovery"]
    assert [a["state"] for a in data["answers"]] == ["cited", "answered", "answered", "answered", "missing"]
    assert data["sections"] == [["Open questions", "Does the UK entity need ISO 27001?"]]
    assert data["extra"] == [["champion", "Jane"]]


def test_a_story_with_a_broken_link_shows_it_broken_and_says_so(acme, client):
    html = client.get("/casestudies/initech-story").text
    assert '<span class="broken-link"' in html and "no-such-call" in html
    assert "link [[no-such-call]] points to no record" in html  # the file's problems, from kb check
    assert "no profile yet" in html


def test_customers_list_includes_customers_without_a_file(acme, client):
    found = rows(client.get("/customers"))
    assert found == [
        {"name": "Acme Corp", "stage": "customer", "source": "cold email", "owner": "Ana", "won": "2026-01-10"}
        | {"calls": 2, "stories": 1},
        {"name": "Globex", "stage": "lead", "source": None, "owner": None, "won": None, "calls": 0, "stories": 0},
        {"name": "initech", "stage": "no profile yet", "source": None, "owner": None, "won": None}
        | {"calls": 1, "stories": 1},
    ]


def test_customer_page_has_profile_stories_timeline_and_backlinks(acme, client):
    html = client.get("/customers/acme").text
    assert "<dt>Won on</dt><dd>2026-01-10</dd>" in html and "<dt>ACV</dt><dd>24,000</dd>" in html
    assert "<dt>segment</dt><dd>fintech</dd>" in html
    assert 'href="/casestudies/acme-story"' in html
    calls = re.findall(r'data-call="([^"]+)"', html)
    assert calls == ["2026-02-10-acme-discovery", "2026-03-02-acme-check-in"]  # date order
    timeline = html[html.index('class="timeline"') :]
    assert (
        timeline.index("became a qualified lead")
        < timeline.index("won: signed and paid")
        < timeline.index("2026-02-10-acme-discovery")
    )
    data = client.get("/api/customers/acme").get_json()
    # A record's customer: key is not a backlink (its stories and calls are listed already); [[links]] are.
    assert [(b["type"], b["slug"]) for b in data["backlinks"]] == [("interview", "2026-03-02-acme-check-in")]


def test_a_customer_named_only_by_records_has_no_profile_yet(acme, client):
    page = client.get("/customers/initech")
    assert page.status_code == 200
    assert "data-no-profile" in page.text and "kb new customer initech" in page.text
    assert 'href="/casestudies/initech-story"' in page.text
    data = client.get("/api/customers/initech").get_json()
    assert data["path"] is None and [c["slug"] for c in data["calls"]] == ["2026-03-03-initech-sales"]


def test_interviews_list_filters_by_kind_customer_owner_and_week(acme, client):
    assert [r["call"] for r in rows(client.get("/interviews"))] == [
        "2026-03-03-initech-sales",
        "2026-03-02-acme-check-in",
        "2026-02-10-acme-discovery",
    ]  # newest first
    assert [r["call"] for r in rows(client.get("/interviews?kind=discovery"))] == ["2026-02-10-acme-discovery"]
    assert [r["call"] for r in rows(client.get("/interviews?customer=initech"))] == ["2026-03-03-initech-sales"]
    assert [r["call"] for r in rows(client.get("/interviews?owner=ana"))] == [
        "2026-03-02-acme-check-in",
        "2026-02-10-acme-discovery",
    ]
    assert [r["call"] for r in rows(client.get("/interviews?week=2026-W10"))] == [
        "2026-03-03-initech-sales",
        "2026-03-02-acme-check-in",
    ]
    both = rows(client.get("/interviews?week=2026-W10&customer=acme&kind=check-in"))
    assert both == [
        {
            "date": "2026-03-02",
            "call": "2026-03-02-acme-check-in",
            "customer": "Acme Corp",
            "kind": "check-in",
            "owner": "Ana",
            "people": [],
        }
    ]
    for bad, message in (
        ("week=2026-10", "week: expected an ISO week such as 2026-W09"),
        ("week=2026-W54", "week: expected an ISO week"),
        ("kind=call", "kind: expected one of discovery"),
    ):
        response = client.get(f"/interviews?{bad}")
        assert response.status_code == 400 and message in response.text, bad


def test_interview_page_shows_notes_people_and_customer(acme, client):
    html = client.get("/interviews/2026-02-10-acme-discovery").text
    assert "They failed the audit evidence request twice." in html
    assert "Jane Doe, CFO" in html and 'href="/customers/acme">Acme Corp</a>' in html
    assert 'href="/casestudies/acme-story"' in html  # backlink: the story cites this call
    nested = client.get("/interviews/2026-03-02-acme-check-in")
    assert nested.status_code == 200 and "Quiet month." in nested.text  # a record in a subfolder


def test_problems_page_lists_what_kb_check_reports(acme, client, runner):
    found = rows(client.get("/problems"))
    checked = [line for line in runner(acme, "check").stdout.splitlines() if line]
    assert [f"{r['path']}:{r['line']}: {r['severity']}: {r['message']}" for r in found] == checked
    html = client.get("/problems").text
    assert 'href="/casestudies/initech-story">casestudies/initech-story.md</a>' in html


@pytest.mark.parametrize(
    "url",
    [
        "/casestudies/nope",
        "/customers/nope",
        "/interviews/nope",
        "/casestudies/..",
        "/casestudies/.hidden",
        "/customers/a%20b",
        "/casestudies/acme-story/extra",
        "/nowhere",
    ],
)
def test_unknown_records_and_pages_are_404(acme, client, url):
    response = client.get(url)
    assert response.status_code == 404, response.text[:300]
    assert "Not found" in response.text


def test_api_errors_share_one_json_shape(acme, client):
    response = client.get("/api/casestudies/nope")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"status": 404, "message": "there is no case study 'nope'"}}
    bad = client.get("/api/interviews?week=someday")
    assert bad.status_code == 400 and bad.get_json()["error"]["status"] == 400
    assert "week: expected an ISO week" in bad.get_json()["error"]["message"]


def test_an_edit_on_disk_shows_on_the_next_request(acme, client):
    assert "Globex" in client.get("/customers").text
    acme.customer("globex", name="Globex International", stage="qualified")
    assert "Globex International" in client.get("/customers").text


@pytest.mark.parametrize(
    "url",
    [
        "/casestudies",
        "/casestudies/kestrel-vp-finance",
        "/customers",
        "/customers/kestrel-payroll",
        "/interviews",
        "/interviews/2026-03-12-lumen-clinical-sales",
        "/problems",
        "/search?q=audit",
        "/static/kb.css",
    ],
)
def test_every_page_of_the_demo_answers(demo_client, url):
    with demo_client.get(url) as response:  # a static file is streamed: closing the response closes it
        assert response.status_code == 200, response.text[:500]


def test_demo_orchard_story_shows_its_missing_answer_as_a_problem(demo_client):
    html = demo_client.get("/casestudies/orchard-controller").text
    assert "hell-yes story does not count" in html and "missing an answer to “Why are they renewing?”" in html
    problems = rows(demo_client.get("/problems"))
    assert [p["path"] for p in problems] == ["casestudies/orchard-controller.md"]
