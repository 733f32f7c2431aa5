"""The statistic behind compare's distinguishing terms, on its own: the terms of an answer, the log-odds
ratio with an informative Dirichlet prior, and which terms are shown."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from kb.method.synthesis import (
    MIN_STORIES,
    Z_MIN,
    distinguishing,
    log_odds_z,
    term_spans,
    terms_of,
)


def test_terms_are_stemmed_words_and_phrases_without_stop_or_common_words():
    found = terms_of("The auditors asked for evidence. Then we were audited!")

    assert found["auditor"] == "auditors"  # the stem, shown as written
    assert "ask" in found and "evid" in found and "audit" in found
    assert "auditor ask" in found  # adjacent words make a phrase
    assert not {"the", "for", "then", "we", "were"} & set(found)  # stop words and common words
    assert "evid audit" not in found  # a phrase never spans the end of a sentence
    assert "2026" not in terms_of("In 2026 the board met")


def test_term_spans_find_a_word_in_any_form_and_a_phrase():
    text = "Auditors came. The auditor asked; an auditor asked again."

    assert [text[a:b] for a, b in term_spans(text, "auditor")] == ["Auditors", "auditor", "auditor"]
    assert [text[a:b] for a, b in term_spans(text, "auditor ask")] == ["auditor asked", "auditor asked"]


def log_odds_by_hand(y, n, z, m, share, strength):
    a, b = strength * share, strength * (1 - share)
    delta = math.log((y + a) / (n - y + b)) - math.log((z + a) / (m - z + b))
    return delta / math.sqrt(1 / (y + a) + 1 / (n - y + b) + 1 / (z + a) + 1 / (m - z + b))


@pytest.mark.parametrize(("y", "n", "z", "m"), [(9, 12, 1, 10), (3, 30, 0, 30), (15, 30, 15, 30), (0, 5, 4, 5)])
def test_the_z_score_is_the_log_odds_ratio_over_its_standard_error(y, n, z, m):
    assert log_odds_z(y, n, z, m, 0.2, 5) == pytest.approx(log_odds_by_hand(y, n, z, m, 0.2, 5))


def test_the_z_score_is_zero_for_equal_rates_and_antisymmetric():
    assert log_odds_z(10, 20, 15, 30, 0.5, 10) == pytest.approx(0)
    assert abs(log_odds_z(10, 20, 15, 30, 0.3, 10)) < 0.2  # the prior's rate moves it only a little
    assert abs(log_odds_z(0, 12, 0, 10, 0.1, 5)) < 0.1  # neither side uses it
    assert log_odds_z(9, 12, 1, 10, 0.2, 5) == pytest.approx(-log_odds_z(1, 10, 9, 12, 0.2, 5))
    assert log_odds_z(9, 12, 1, 10, 0.2, 5) > log_odds_z(7, 12, 1, 10, 0.2, 5) > 0


def test_the_prior_keeps_a_few_stories_from_being_a_discovery():
    # Three of thirty against none is chance; twenty-seven of thirty against two is not.
    assert log_odds_z(3, 30, 0, 30, 3 / 60, 10) < Z_MIN
    assert log_odds_z(27, 30, 2, 34, 0.15, 10) > 2 * Z_MIN


def answers(*texts: str) -> list[dict[str, str]]:
    return [terms_of(text) for text in texts]


def test_distinguishing_ranks_the_planted_word_first_with_its_counts_and_leaves_out_shared_ones():
    hell = answers(*(["The auditor came. We kept evidence."] * 9 + ["We kept evidence. Slow month."] * 3))
    others = answers(*(["Pricing was high. We kept evidence."] * 9 + ["The auditor came back."]))
    background = Counter(term for found in hell + others for term in found)

    found = distinguishing(hell, others, background, len(hell) + len(others))

    top = found.hell_yes[0]
    assert (top.shown, top.hell_yes, top.hell_yes_of, top.others, top.others_of) == ("auditor", 9, 12, 1, 10)
    assert [t.shown for t in found.others][:1] == ["pricing"]
    shown = {t.term for t in found.hell_yes + found.others}
    assert "evid" not in shown and "kept" not in shown and "kept evid" not in shown  # both sides alike
    assert "auditor came" not in shown and "came" not in shown  # the same answers as "auditor": said once
    assert found.notice is None


def test_too_few_answers_on_a_side_say_so_instead_of_ranking():
    found = distinguishing(answers("Auditor.", "Auditor."), answers("Pricing."), Counter(), 3)

    assert found.hell_yes == [] and found.others == []
    assert found.notice == (
        f"Too few answers to tell terms apart: 1 meh or churned answer (at least {MIN_STORIES} a side)."
    )
