"""`kb search`: what a founder types to find a call or a story, and what comes back.

One small KB of three customers serves every test here; the tests only read it.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import KbFolder

ACME_STORY = """\
---
customer: acme
person: Jane Doe, CFO
status: hell-yes
tags: [soc2, fintech]
interviews: [2026-03-05-acme-discovery]
region: EMEA north
---
## Why did they have to change?
<!-- Why did ONE PERSON have to change? zebracorn -->
They failed the SOC2 audit twice, see [[2026-03-05-acme-discovery]].

## What did success look like?
Passing audits without overtime.

## What options did they consider?
Spreadsheets and a consultant.

## How did we fit into their world?
We plugged into their ticketing.

## Why are they renewing?
Peace of mind before every auditing season.
"""

GLOBEX_STORY = """\
---
customer: globex
person: Bob Stone, CTO
status: meh
tags: [hiring]
---
## Why did they have to change?
Hiring was too slow.

## What did success look like?
An audit trail for every hire.

## What options did they consider?
Recruiters.

## How did we fit into their world?
Badly, through email.

## Why are they renewing?
They are not sure.
"""

INITECH_STORY = """\
---
customer: initech
person: Peter Gibbons, Controller
status: churned
tags: [soc2, manufacturing]
---
## Why did they have to change?
Their spreadsheet broke at quarter end.

## What did success look like?
Closing the books in three days.

## What options did they consider?
A bigger spreadsheet.

## How did we fit into their world?
We did not.

## Why are they renewing?
They are not: they churned.
"""


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> KbFolder:
    """Three customers, their stories and four calls."""
    folder = KbFolder(tmp_path_factory.mktemp("search") / "kb")
    folder.customer("acme", name="Acme Corp", stage="customer", won_on="2026-01-10")
    folder.customer("globex", name="Globex", stage="customer", won_on="2026-02-10")
    folder.customer("initech", name="Initech", stage="churned", won_on="2025-11-01", churned_on="2026-02-01")
    folder.write("casestudies/acme.md", ACME_STORY)
    folder.write("casestudies/globex.md", GLOBEX_STORY)
    folder.write("casestudies/initech.md", INITECH_STORY)
    folder.interview(
        "2026/2026-03-05-acme-discovery",
        "acme",
        "2026-03-05",
        "discovery",
        body="They talked about the audit and compliance checklists.",
    )
    folder.interview(
        "2026-04-02-globex-sales", "globex", "2026-04-02", "sales", body="Pricing questions, compliance again."
    )
    folder.interview(
        "2026-03-20-initech-demo", "initech", "2026-03-20", "demo", body="Showed the dashboard to the controller."
    )
    folder.write(
        "content/interviews/2026-02-11-acme-check-in.md",
        """\
        ---
        customer: acme
        date: 2026-02-11
        kind: check-in
        competitor: Vanta
        ---
        They compared us with another vendor.
        """,
    )
    return folder


ACME_CALL = "content/interviews/2026/2026-03-05-acme-discovery.md"
ACME_CHECK_IN = "content/interviews/2026-02-11-acme-check-in.md"
GLOBEX_CALL = "content/interviews/2026-04-02-globex-sales.md"
INITECH_CALL = "content/interviews/2026-03-20-initech-demo.md"


def search(runner, kb, *args) -> dict:
    """`kb search ARGS --json`, parsed."""
    result = runner(kb, "search", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def paths(runner, kb, *args) -> set[str]:
    return {hit["path"] for hit in search(runner, kb, *args, "--limit", "1000")["hits"]}


# --- words --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["audit", "audits", "auditing", "Audit"])
def test_stemming_finds_every_form_of_a_word(kb, runner, word):
    assert paths(runner, kb, word) == {"casestudies/acme.md", "casestudies/globex.md", ACME_CALL}


def test_a_phrase_matches_only_words_in_that_order(kb, runner):
    assert paths(runner, kb, '"failed the SOC2 audit"') == {"casestudies/acme.md"}
    assert paths(runner, kb, '"audit failed"') == set()
    assert paths(runner, kb, "audit failed") == {"casestudies/acme.md"}


def test_words_are_all_required_unless_or(kb, runner):
    assert paths(runner, kb, "audit compliance") == {ACME_CALL}
    assert paths(runner, kb, "audit AND compliance") == {ACME_CALL}
    assert paths(runner, kb, "dashboard OR recruiters") == {INITECH_CALL, "casestudies/globex.md"}


def test_not_excludes_records(kb, runner):
    assert paths(runner, kb, "compliance NOT pricing") == {ACME_CALL}
    assert paths(runner, kb, "audit NOT customer:acme") == {"casestudies/globex.md"}


def test_prefix_search(kb, runner):
    assert paths(runner, kb, "aud*") == {"casestudies/acme.md", "casestudies/globex.md", ACME_CALL}
    assert paths(runner, kb, "spreadsh*") == {"casestudies/acme.md", "casestudies/initech.md"}


# --- fields ---------------------------------------------------------------------------------------------


def test_customer_field_finds_every_record_of_the_customer(kb, runner):
    assert paths(runner, kb, "customer:acme") == {
        "content/customers/acme.md",
        "casestudies/acme.md",
        ACME_CALL,
        ACME_CHECK_IN,
    }


def test_status_field(kb, runner):
    assert paths(runner, kb, "status:hell-yes") == {"casestudies/acme.md"}
    assert paths(runner, kb, "status:churned") == {"casestudies/initech.md"}


def test_kind_field(kb, runner):
    assert paths(runner, kb, "kind:discovery") == {ACME_CALL}
    assert paths(runner, kb, "kind:check-in") == {ACME_CHECK_IN}


def test_tag_field(kb, runner):
    assert paths(runner, kb, "tag:soc2") == {"casestudies/acme.md", "casestudies/initech.md"}
    assert paths(runner, kb, "tag:SOC2") == {"casestudies/acme.md", "casestudies/initech.md"}
    assert paths(runner, kb, "tag:hiring") == {"casestudies/globex.md"}


def test_a_question_field_matches_only_that_answer(kb, runner):
    # "audit" is in acme's why_change, globex's success, and acme's call notes.
    assert paths(runner, kb, "why_change:audit") == {"casestudies/acme.md"}
    assert paths(runner, kb, "success:audit") == {"casestudies/acme.md", "casestudies/globex.md"}
    assert paths(runner, kb, "renewal:audit") == {"casestudies/acme.md"}
    assert paths(runner, kb, "options:spreadsheet") == {"casestudies/acme.md", "casestudies/initech.md"}
    assert paths(runner, kb, "fit:email") == {"casestudies/globex.md"}


def test_fields_combine_with_words(kb, runner):
    assert paths(runner, kb, "audit status:hell-yes") == {"casestudies/acme.md"}
    assert paths(runner, kb, "compliance customer:globex") == {GLOBEX_CALL}


@pytest.mark.parametrize(
    "query",
    [
        "date:[2026-03-01 to 2026-03-31]",
        "date:[2026-03-01 TO 2026-03-31]",
        "date:[20260301 to 20260331]",
        "date:[2026-03 to 2026-03]",
    ],
)
def test_date_range(kb, runner, query):
    assert paths(runner, kb, query) == {ACME_CALL, INITECH_CALL}


def test_date_comparisons_and_single_days(kb, runner):
    assert paths(runner, kb, "date:2026-03-05") == {ACME_CALL}
    assert paths(runner, kb, "date:>2026-03-10") == {INITECH_CALL, GLOBEX_CALL}
    assert paths(runner, kb, "date:[2026-03-01 to]") == {ACME_CALL, INITECH_CALL, GLOBEX_CALL}
    # A customer is dated by its latest milestone date.
    assert paths(runner, kb, "date:[2026-01-01 to 2026-01-31]") == {"content/customers/acme.md"}
    assert paths(runner, kb, "compliance date:[2026-03-01 to 2026-03-31]") == {ACME_CALL}


# --- options --------------------------------------------------------------------------------------------


def test_type_option(kb, runner):
    assert paths(runner, kb, "acme", "--type", "customer") == {"content/customers/acme.md"}
    assert paths(runner, kb, "--type", "casestudy") == {
        "casestudies/acme.md",
        "casestudies/globex.md",
        "casestudies/initech.md",
    }


def test_customer_status_kind_and_tag_options(kb, runner):
    assert paths(runner, kb, "compliance", "--customer", "acme") == {ACME_CALL}
    assert paths(runner, kb, "--customer", "ACME", "--type", "interview") == {ACME_CALL, ACME_CHECK_IN}
    assert paths(runner, kb, "audit", "--status", "meh") == {"casestudies/globex.md"}
    assert paths(runner, kb, "--kind", "demo") == {INITECH_CALL}
    assert paths(runner, kb, "--tag", "soc2") == {"casestudies/acme.md", "casestudies/initech.md"}
    assert paths(runner, kb, "spreadsheet", "--tag", "manufacturing") == {"casestudies/initech.md"}


def test_since_and_until_options(kb, runner):
    assert paths(runner, kb, "--type", "interview", "--since", "2026-03-01") == {ACME_CALL, INITECH_CALL, GLOBEX_CALL}
    assert paths(runner, kb, "--type", "interview", "--until", "2026-03-05") == {ACME_CALL, ACME_CHECK_IN}
    assert paths(runner, kb, "--since", "2026-03-05", "--until", "2026-03-20") == {ACME_CALL, INITECH_CALL}


def test_sort_by_date_puts_the_newest_first_and_undated_last(kb, runner):
    hits = search(runner, kb, "acme OR compliance OR controller", "--sort", "date", "--limit", "100")["hits"]
    dated = [hit["date"] for hit in hits if hit["date"]]
    assert (
        dated == sorted(dated, reverse=True) == ["2026-04-02", "2026-03-20", "2026-03-05", "2026-02-11", "2026-01-10"]
    )
    first_undated = next(n for n, hit in enumerate(hits) if not hit["date"])
    assert all(not hit["date"] for hit in hits[first_undated:]), hits
    assert {hit["path"] for hit in hits[first_undated:]} == {"casestudies/acme.md", "casestudies/initech.md"}


def test_relevance_order_puts_the_best_match_first(kb, runner):
    hits = search(runner, kb, "spreadsheet")["hits"]
    # initech's story says spreadsheet twice, acme's once.
    assert [hit["path"] for hit in hits] == ["casestudies/initech.md", "casestudies/acme.md"]


def test_limit_caps_the_hits_but_not_the_total(kb, runner):
    found = search(runner, kb, "customer:acme", "--limit", "2")
    assert len(found["hits"]) == 2
    assert found["total"] == 4


def test_json_shape(kb, runner):
    found = search(runner, kb, "audit")

    assert set(found) == {"query", "total", "hits", "facets", "suggestion", "notice"}
    assert found["query"] == "audit"
    assert found["total"] == 3
    assert found["suggestion"] is None
    assert found["notice"] is None  # set when the search stopped at its time budget
    for hit in found["hits"]:
        assert {"type", "slug", "customer", "date", "snippet", "path", "title", "status", "kind", "tags"} <= set(hit)
    story = next(hit for hit in found["hits"] if hit["path"] == "casestudies/acme.md")
    assert story["type"] == "casestudy"
    assert story["slug"] == "acme"
    assert story["customer"] == "acme"
    assert story["date"] is None
    assert story["status"] == "hell-yes"
    assert story["tags"] == ["soc2", "fintech"]
    assert "**audit**" in story["snippet"]
    call = next(hit for hit in found["hits"] if hit["path"] == ACME_CALL)
    assert (call["type"], call["slug"], call["date"], call["kind"]) == (
        "interview",
        "2026-03-05-acme-discovery",
        "2026-03-05",
        "discovery",
    )
    assert call["snippet"] == "They talked about the **audit** and compliance checklists."


def test_facets_count_by_type_customer_status_kind_and_tag(kb, runner):
    facets = search(runner, kb, "acme OR audit OR spreadsheet")["facets"]

    assert facets["type"] == {"casestudy": 3, "interview": 2, "customer": 1}
    assert facets["customer"] == {"acme": 4, "globex": 1, "initech": 1}
    assert facets["status"] == {"churned": 1, "hell-yes": 1, "meh": 1}
    assert facets["kind"] == {"check-in": 1, "discovery": 1}
    assert facets["tag"] == {"soc2": 2, "fintech": 1, "hiring": 1, "manufacturing": 1}


def test_facets_count_every_match_not_only_the_shown_ones(kb, runner):
    found = search(runner, kb, "customer:acme", "--limit", "1")
    assert found["facets"]["type"] == {"interview": 2, "casestudy": 1, "customer": 1}


def test_text_output_shows_path_snippet_and_count(kb, runner):
    result = runner(kb, "search", "compliance")

    assert result.exit_code == 0, result.output
    assert ACME_CALL in result.stdout and GLOBEX_CALL in result.stdout
    assert "**compliance**" in result.stdout
    assert "2 hits for 'compliance', by relevance" in result.stdout


# --- did you mean ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("complaince", "compliance"),
        ("auditt", "audit"),
        ("spreadsheats", "spreadsheets"),
        ("recruters", "recruiters"),
        ("dashbord", "dashboard"),
        ("audit complaince", "audit compliance"),
    ],
)
def test_a_misspelled_query_with_no_hits_gets_a_suggestion(kb, runner, typed, meant):
    found = search(runner, kb, typed)
    assert found["total"] == 0
    assert found["suggestion"] == meant
    assert search(runner, kb, meant)["total"] > 0

    result = runner(kb, "search", typed)
    assert f"no hits for {typed!r}" in result.stdout
    assert f"did you mean: {meant}?" in result.stdout


def test_no_suggestion_for_words_that_are_nowhere(kb, runner):
    found = search(runner, kb, "xylophone")
    assert (found["total"], found["suggestion"]) == (0, None)
    assert "did you mean" not in runner(kb, "search", "xylophone").stdout


def test_a_suggestion_respects_the_filters(kb, runner):
    # "dashboard" is only in initech's demo call: no suggestion for it among acme's records.
    assert search(runner, kb, "dashbord", "--customer", "acme")["suggestion"] is None


# --- what is and is not searchable ------------------------------------------------------------------------


def test_html_comments_are_not_searchable(kb, runner):
    assert paths(runner, kb, "zebracorn") == set()
    assert paths(runner, kb, '"ONE PERSON"') == set()


def test_skeleton_prompts_of_kb_new_are_not_searchable(kb_root, runner):
    made = runner(kb_root, "new", "casestudy", "acme", "--person", "Jane, CFO", "--no-edit")
    assert made.exit_code == 0, made.output
    assert "impossible" in (kb_root.root / "casestudies/acme-story.md").read_text()

    assert search(runner, kb_root, "impossible")["total"] == 0
    assert search(runner, kb_root, "expanding")["total"] == 0
    assert {hit["path"] for hit in search(runner, kb_root, "jane")["hits"]} == {"casestudies/acme-story.md"}


def test_unknown_front_matter_keys_are_searchable(kb, runner):
    assert paths(runner, kb, "EMEA") == {"casestudies/acme.md"}
    assert paths(runner, kb, "vanta") == {ACME_CHECK_IN}
    assert paths(runner, kb, "competitor") == {ACME_CHECK_IN}


# --- queries kb cannot read -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ('"failed the audit', 'a quote " is not closed'),
        ("(audit OR compliance", "'(' is not closed"),
        ("audit)", "')' without '('"),
        ("region:emea", "there is no field 'region'"),
        ("custmer:acme", "did you mean 'customer'?"),
        ("why_change:", "'why_change:' needs a value"),
        ("date:banana", "cannot read the dates"),
        ("date:2026-02-30", "cannot read the dates"),
        ("date:[2026-03-01 to 2026-13-45]", "cannot read the dates"),
        ("date:>someday", "cannot read the dates"),
    ],
)
def test_an_unreadable_query_is_a_clear_message_and_exit_2(kb, runner, query, reason):
    result = runner(kb, "search", query)

    assert result.exit_code == 2, result.output
    assert reason in result.stderr
    assert "cannot read" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_an_unreadable_query_in_a_real_process_prints_no_traceback(kb, run_kb):
    for query in ('"open', "date:[2026-01-01 to 2026-99-99]", "nosuchfield:x"):
        result = run_kb(kb, "search", query)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("kb: cannot read"), result.stderr
        assert "Traceback" not in result.stderr


def test_search_with_nothing_to_search_is_a_usage_error(kb, runner):
    result = runner(kb, "search")
    assert result.exit_code == 2, result.output
    assert "nothing to search for" in result.stderr
