"""A story's page shows, under each answer, the quotes it cites in full (who said them, when, a link to
their place in the call); a call's page gives each quote a place to link to."""

from __future__ import annotations

import re

CALL = "content/interviews/2026-01-12-acme-discovery.md"


def write_kb(kb_root) -> None:
    kb_root.customer("acme", name="Acme")
    kb_root.write(
        CALL,
        """\
        ---
        customer: acme
        date: 2026-01-12
        kind: discovery
        ---
        > We failed the #audit twice. — Maya Chen ^failed-audit

        > Close takes nine days. ^slow-close
        """,
    )
    kb_root.write(
        "casestudies/acme.md",
        """\
        ---
        customer: acme
        person: Maya Chen, Controller
        status: draft
        ---
        ## Why did they have to change?
        Two failed audits [[2026-01-12-acme-discovery#^failed-audit]].

        ## What did success look like?
        A faster close, as the call says: [[2026-01-12-acme-discovery]].
        """,
    )


def test_the_story_shows_each_cited_quote_under_its_answer(client, kb_root):
    write_kb(kb_root)

    page = client.get("/casestudies/acme").get_data(as_text=True)

    why = page[page.index('id="why_change"') : page.index('id="success"')]
    assert 'data-state="cited"' in why
    assert "<blockquote>We failed the #audit twice.</blockquote>" in why
    call = "/interviews/2026-01-12-acme-discovery#q-failed-audit"
    assert re.search(rf'Maya Chen, <a href="{call}"[^>]*>2026-01-12 discovery</a>', why)
    assert "Cites 1 quote from" in why
    # The call cited reads as its date and kind, the slug on hover (as citations in the text).
    cites = why[why.index("Cites 1 quote from") :].split("</p>")[0]
    call_link = '<a href="/interviews/2026-01-12-acme-discovery" title="2026-01-12-acme-discovery">'
    assert call_link + "2026-01-12 · discovery</a>" in cites
    # The link written in the answer leads to the quote's place too.
    assert 'href="/interviews/2026-01-12-acme-discovery#q-failed-audit"' in why.split("<blockquote>")[0]
    success = page[page.index('id="success"') :]
    assert 'data-state="cited"' in success.split("</section>")[0]  # a whole call still counts as citing
    assert "cited-quote" not in success.split("</section>")[0]


def test_the_call_gives_each_quote_a_place_to_link_to(client, kb_root):
    write_kb(kb_root)

    page = client.get("/interviews/2026-01-12-acme-discovery").get_data(as_text=True)

    assert 'id="q-failed-audit"' in page and 'id="q-slow-close"' in page
    assert "^failed-audit</a>" in page


def test_a_quote_hit_leads_to_its_place_in_the_call(client, kb_root):
    write_kb(kb_root)

    page = client.get("/search?q=type:quote+audit").get_data(as_text=True)

    assert 'href="/interviews/2026-01-12-acme-discovery#q-failed-audit"' in page
    assert "2026-01-12-acme-discovery#^failed-audit" in page
    api = client.get("/api/search?q=speaker:maya").get_json()
    assert [row["record"] for row in api["rows"]] == ["2026-01-12-acme-discovery#^failed-audit"]
