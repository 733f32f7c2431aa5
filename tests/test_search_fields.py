"""Search as a user types it: names match on any word and as a quoted phrase, a value no record has gets
a "did you mean", tags are words, links read as their text, `A/B` is a word, and the word typed ranks
above other words of its stem."""

from __future__ import annotations

import json

import pytest

from tests.helpers import KbFolder

OKAFOR_CALL = "content/interviews/2026-03-02-northwind-discovery.md"
REYES_CALL = "content/interviews/2026-03-09-northwind-sales.md"
STORY = "casestudies/northwind-story.md"
EXPERIMENT = "content/interviews/2026-03-12-bramble-check-in.md"
EXPERIENCE = "content/interviews/2026-03-13-bramble-demo.md"


@pytest.fixture(scope="module")
def kb(tmp_path_factory) -> KbFolder:
    """A customer named with two words, three calls with owners and people, and a story with links."""
    folder = KbFolder(tmp_path_factory.mktemp("fields") / "kb")
    folder.customer("northwind-traders", name="Northwind Traders", stage="customer", won_on="2026-01-10")
    folder.customer("bramble", name="Bramble Health", source="cold email", owner="Maya Okafor")
    folder.write(
        OKAFOR_CALL,
        """\
        ---
        customer: northwind-traders
        date: 2026-03-02
        kind: discovery
        owner: Maya Okafor
        people: ["Tomas Reyes, Controller"]
        ---
        We ran an A/B test of the onboarding emails.
        """,
    )
    folder.write(
        REYES_CALL,
        """\
        ---
        customer: northwind-traders
        date: 2026-03-09
        kind: sales
        owner: Tomas Reyes
        ---
        Pricing questions. Maya was not there.
        """,
    )
    folder.write(
        STORY,
        """\
        ---
        customer: northwind-traders
        person: Priya Nair, VP Finance
        status: hell-yes
        tags: [soc2, finance-led]
        ---
        ## Why did they have to change?
        They read our [pricing page](https://northwind.example/pricing-zebra?ref=quux) twice, see
        [[2026-03-02-northwind-discovery|the first call]] and [[zanzibar-notes]].

        ## What did success look like?
        Reviews on https://www.g2.com/products/quokka-board, no spreadsheets.
        """,
    )
    folder.interview(
        "2026-03-12-bramble-check-in", "bramble", "2026-03-12", "check-in", body="One experiment with the export."
    )
    folder.interview(
        "2026-03-13-bramble-demo",
        "bramble",
        "2026-03-13",
        "demo",
        body="Their experience of exports: the experience was slow, an experience to forget, experiences.",
    )
    return folder


def found(runner, kb, query: str, *options: str) -> dict:
    result = runner(kb, "search", query, *options, "--json", "--limit", "100")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def paths(runner, kb, query: str) -> set[str]:
    return {hit["path"] for hit in found(runner, kb, query)["hits"]}


# --- names: owner, person, people, source, name ----------------------------------------------------------


@pytest.mark.parametrize("query", ["owner:maya", "owner:Okafor", 'owner:"Maya Okafor"', "owner:'Maya Okafor'"])
def test_an_owner_is_found_by_any_word_of_the_name_or_the_name_quoted(kb, runner, query):
    assert paths(runner, kb, query) == {OKAFOR_CALL, "content/customers/bramble.md"}


def test_a_quoted_name_is_a_phrase(kb, runner):
    assert paths(runner, kb, 'owner:"Okafor Maya"') == set()
    assert paths(runner, kb, 'person:"Priya Nair"') == {STORY}
    assert paths(runner, kb, "person:priya") == {STORY}


def test_people_source_and_a_customers_name_are_fields(kb, runner):
    assert paths(runner, kb, "people:tomas") == {OKAFOR_CALL}
    assert paths(runner, kb, 'people:"Tomas Reyes"') == {OKAFOR_CALL}
    assert paths(runner, kb, "source:email") == {"content/customers/bramble.md"}
    assert paths(runner, kb, 'source:"cold email"') == {"content/customers/bramble.md"}
    assert paths(runner, kb, "name:northwind") == {"content/customers/northwind-traders.md"}
    assert paths(runner, kb, "name:traders") == {"content/customers/northwind-traders.md"}


def test_a_keyword_value_matches_whatever_its_case(kb, runner):
    assert paths(runner, kb, "customer:Bramble type:Interview") == {EXPERIMENT, EXPERIENCE}
    assert paths(runner, kb, "status:HELL-YES") == {STORY}


# --- did you mean, for a value no record has -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("customer:northwind", "customer:northwind-traders"),
        ("status:hellyes", "status:hell-yes"),
        ("kind:discvery", "kind:discovery"),
        ("tag:soc", "tag:soc2"),
        ("type:casestudys", "type:casestudy"),
        ("pricing customer:nortwind-traders", "pricing customer:northwind-traders"),
    ],
)
def test_a_value_no_record_has_gets_the_closest_value_records_have(kb, runner, typed, meant):
    answer = found(runner, kb, typed)
    assert (answer["total"], answer["suggestion"]) == (0, meant)
    assert found(runner, kb, meant)["total"] > 0
    assert f"did you mean: {meant}?" in runner(kb, "search", typed).stdout


def test_no_suggestion_for_a_value_nothing_is_close_to(kb, runner):
    assert found(runner, kb, "customer:zzzzqqq")["suggestion"] is None


# --- what a plain word finds ------------------------------------------------------------------------------


def test_a_tag_is_found_by_a_plain_word(kb, runner):
    assert paths(runner, kb, "soc2") == {STORY}
    assert paths(runner, kb, "finance-led") == {STORY}


def test_link_targets_and_addresses_are_not_words_of_the_record(kb, runner):
    for word in ("quux", "zebra", "https", "ref", "quokka", "products", "northwind.example"):
        assert paths(runner, kb, word) == set(), word
    assert paths(runner, kb, "first call") == {STORY}  # a [[link]]'s label
    assert paths(runner, kb, "zanzibar notes") == {STORY}  # a [[link]] without a label reads as its slug
    assert paths(runner, kb, "g2.com") == {STORY}  # an address keeps its site


def test_a_snippet_shows_a_links_text_not_its_markdown(kb, runner):
    snippet = found(runner, kb, "pricing page")["hits"][0]["snippet"]
    assert "our **pricing** **page** twice, see the first call and zanzibar-notes" in snippet
    assert "](" not in snippet and "[[" not in snippet and "http" not in snippet


def test_a_b_is_a_word(kb, runner):
    for query in ("A/B", "a/b", '"A/B test"'):
        assert paths(runner, kb, query) == {OKAFOR_CALL}, query
    assert "**A/B**" in found(runner, kb, "A/B")["hits"][0]["snippet"]


# --- the word typed first ---------------------------------------------------------------------------------


def test_the_word_typed_ranks_above_other_words_of_its_stem(kb, runner):
    # "experiment" and "experience" have one stem: both calls match either word, but the one that says
    # the word typed comes first, though the other says its word four times.
    assert [hit["path"] for hit in found(runner, kb, "experiment")["hits"]] == [EXPERIMENT, EXPERIENCE]
    assert [hit["path"] for hit in found(runner, kb, "experience")["hits"]] == [EXPERIENCE, EXPERIMENT]


def test_a_word_that_is_its_own_stem_ranks_the_records_that_have_it_first(kb_root, runner):
    kb_root.customer("acme")
    kb_root.interview("2026-01-01-acme-sales", "acme", "2026-01-01", body="Audits, audits and more auditing audits.")
    kb_root.interview("2026-01-02-acme-demo", "acme", "2026-01-02", body="One audit.")
    kb_root.interview("2026-01-03-acme-other", "acme", "2026-01-03", body="The audit, and the audits after it.")
    ranked = [hit["path"] for hit in found(runner, kb_root, "audit")["hits"]]
    # The two that say "audit" first (the one that says it once beside "audits" too), then the one that
    # says only other words of its stem, however often.
    assert set(ranked[:2]) == {
        "content/interviews/2026-01-02-acme-demo.md",
        "content/interviews/2026-01-03-acme-other.md",
    }
    assert ranked[2] == "content/interviews/2026-01-01-acme-sales.md"


# --- queries that are not words ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("<b>", "'<' and '>' compare a field with a value"),
        ("a > b", "'<' and '>' compare a field with a value"),
        ('owner:""', "'owner:' needs a value"),
    ],
)
def test_junk_is_a_clear_message(kb, runner, query, reason):
    result = runner(kb, "search", query)
    assert result.exit_code == 2, result.output
    assert reason in result.stderr and "Traceback" not in result.output
