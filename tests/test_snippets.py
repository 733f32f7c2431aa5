"""Snippets mark every form of a matched stem and show the densest window of matches."""

from __future__ import annotations

from kb.search.snippets import MARK_END, MARK_START, matches, snippet


def marked(text: str) -> str:
    return text.replace(MARK_START, "[").replace(MARK_END, "]")


def test_every_form_of_the_stem_is_marked_and_only_those():
    text = "We audit. Audits failed; auditing is hard. The auditors came. Audio was bad."
    assert (
        marked(snippet(text, frozenset({"audit"})))
        == "We [audit]. [Audits] failed; [auditing] is hard. The auditors came. Audio was bad."
    )


def test_a_stem_that_is_not_the_word_start_still_matches():
    assert [("The happy controller"[a:b]) for a, b in matches("The happy controller", frozenset({"happi"}))] == [
        "happy"
    ]


def test_the_window_with_most_matches_wins_and_is_cut_at_words():
    text = "audit once. " + "filler " * 60 + "pricing pricing pricing here. " + "tail " * 60
    result = marked(snippet(text, frozenset({"audit", "price"}), width=80))
    assert result.startswith("… ") and result.endswith(" …")
    assert result.count("[pricing]") == 3 and "[audit]" not in result
    assert "fill…" not in result and " tai " not in result


def test_no_match_gives_none():
    assert snippet("Nothing to see here.", frozenset({"audit"})) is None
    assert snippet("Nothing to see here.", frozenset()) is None
