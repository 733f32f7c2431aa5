"""The case-study method as a founder lives it: who counts as hell-yes, the ONE milestone, the gate.

Every expected value below is worked out by hand from SPEC 2.4, 3 and 4 on a KB the test writes,
always as of an explicit day D (2026-03-18, a Wednesday of ISO week 2026-W12, unless a test says
otherwise).
"""

from __future__ import annotations

import re

import pytest

from kb.records.fields import QUESTION_KEYS
from tests.helpers import D, milestone, status_json

LONG_AGO = "2025-06-01"  # won long before D: settled by any D in this file


# --- builders ---------------------------------------------------------------------------------------


def hell_yes_customer(kb, slug: str, won_on: str = LONG_AGO, **fields) -> None:
    """A customer won on `won_on` with one complete `status: hell-yes` story."""
    fields.setdefault("stage", "churned" if "churned_on" in fields else "customer")
    kb.customer(slug, won_on=won_on, **fields)
    kb.casestudy(f"{slug}-story", slug)


def answers_without(*missing: str) -> dict[str, str]:
    return {key: f"Answer to {key}." for key in QUESTION_KEYS if key not in missing}


def not_counting(data: dict) -> dict[str, list[str]]:
    """Story slug → the reasons kb gives for a hell-yes story that does not count."""
    return {v["story"]: v["reasons"] for v in data["hell_yes"]["not_counting"]}


# --- the hell-yes rule (SPEC 2.4) and the gate (SPEC 4) ----------------------------------------------


@pytest.mark.parametrize(("count", "open_"), [(4, False), (5, True)])
def test_the_gate_opens_at_five_hell_yes_customers(kb_root, runner, count, open_):
    for i in range(count):
        hell_yes_customer(kb_root, f"happy{i}")

    data = status_json(runner, kb_root)

    assert data["gate"]["open"] is open_
    assert data["gate"]["hell_yes_customers"] == count and data["gate"]["needed"] == 5
    assert f"{count} of 5 hell-yes customers" in data["gate"]["message"]
    assert milestone(data, 4)["reached"] is open_
    assert sorted(data["hell_yes"]["customers"]) == [f"happy{i}" for i in range(count)]


def test_two_hell_yes_stories_of_one_customer_count_once(kb_root, runner):
    for i in range(3):
        hell_yes_customer(kb_root, f"happy{i}")
    hell_yes_customer(kb_root, "acme")
    kb_root.casestudy("acme-second-story", "acme", person="Sam Lee, Controller")

    data = status_json(runner, kb_root)

    assert sorted(data["hell_yes"]["customers"]) == ["acme", "happy0", "happy1", "happy2"]
    assert data["gate"]["open"] is False and data["gate"]["hell_yes_customers"] == 4


def test_a_hell_yes_story_missing_one_answer_names_the_question(kb_root, runner):
    kb_root.customer("acme", stage="customer", won_on=LONG_AGO)
    kb_root.casestudy("acme-story", "acme", answers=answers_without("options"))
    # An answer that holds only the skeleton's prompt (an HTML comment) is not answered.
    kb_root.customer("birch", stage="customer", won_on=LONG_AGO)
    kb_root.casestudy("birch-story", "birch", answers={**answers_without(), "renewal": "<!-- ask in May -->"})

    data = status_json(runner, kb_root)

    assert data["hell_yes"]["customers"] == []
    assert not_counting(data) == {
        "acme-story": ["hell-yes story is missing an answer to “What options did they consider?”"],
        "birch-story": ["hell-yes story is missing an answer to “Why are they renewing?”"],
    }
    messages = [v["message"] for v in data["hell_yes"]["not_counting"]]
    assert "acme: hell-yes story is missing an answer to “What options did they consider?”" in messages
    text = runner(kb_root, "status", "--as-of", D).output
    assert "acme: hell-yes story is missing an answer to “What options did they consider?”" in text


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"stage": "qualified", "qualified_on": "2026-01-05"}, "not won"),
        ({"stage": "customer", "won_on": "2026-03-19"}, "won"),
    ],
    ids=["never-won", "won-after-D"],
)
def test_a_customer_not_won_by_D_does_not_count(kb_root, runner, fields, says):
    kb_root.customer("acme", **fields)
    kb_root.casestudy("acme-story", "acme")

    data = status_json(runner, kb_root)

    assert data["hell_yes"]["customers"] == []
    [reason] = not_counting(data)["acme-story"]
    assert says in reason, reason
    assert milestone(data, 2)["reached"] is False


@pytest.mark.parametrize(
    ("won_on", "reasons"),
    [
        ("2026-02-16", None),  # D − won_on = 30: counts
        ("2026-02-17", ["won 29 days ago, counts from 2026-03-19"]),  # 29: counts from won_on + 30
    ],
)
def test_won_29_versus_30_days_before_D(kb_root, runner, won_on, reasons):
    hell_yes_customer(kb_root, "acme", won_on=won_on)

    data = status_json(runner, kb_root)

    assert data["hell_yes"]["customers"] == ([] if reasons else ["acme"])
    assert not_counting(data).get("acme-story") == reasons
    if reasons:
        assert data["gate"]["closest"][0]["counts_from"] == "2026-03-19"
        assert "acme: won 29 days ago, counts from 2026-03-19" in data["gate"]["message"]


@pytest.mark.parametrize(
    ("fields", "counts"),
    [
        ({"churned_on": "2026-03-10"}, False),  # churned before D
        ({"churned_on": D}, False),  # on D is "on or before D"
        ({"churned_on": "2026-03-19"}, True),  # after D: still paying as of D, whatever the stage says now
        ({"stage": "churned"}, False),  # stage churned with no churned_on
    ],
    ids=["before-D", "on-D", "after-D", "stage-only"],
)
def test_churned_by_D_versus_after_it(kb_root, runner, fields, counts):
    hell_yes_customer(kb_root, "acme", **fields)

    data = status_json(runner, kb_root)

    assert data["hell_yes"]["customers"] == (["acme"] if counts else [])
    if not counts:
        [reason] = not_counting(data)["acme-story"]
        assert "churned" in reason, reason


def test_closest_stories_fewest_failed_rules_then_fewest_missing_answers(kb_root, runner):
    kb_root.customer("alder", stage="customer", won_on=LONG_AGO)
    kb_root.casestudy("alder-story", "alder", answers=answers_without("options", "renewal"))  # 1 rule, 2 missing
    kb_root.customer("birch", stage="customer", won_on=LONG_AGO)
    kb_root.casestudy("birch-story", "birch", answers=answers_without("fit"))  # 1 rule, 1 missing
    kb_root.customer("cedar", stage="customer", won_on="2026-03-08")
    kb_root.casestudy("cedar-story", "cedar")  # 1 rule (won 10 days ago), 0 missing
    kb_root.customer("dune", stage="qualified", qualified_on="2026-02-01")
    kb_root.casestudy("dune-story", "dune", answers=answers_without("fit"))  # 2 rules, 1 missing
    kb_root.customer("elm", stage="customer", won_on=LONG_AGO)
    kb_root.casestudy("elm-story", "elm", answers=answers_without("why_change", "success", "fit"))  # 1 rule, 3

    data = status_json(runner, kb_root)

    closest = data["gate"]["closest"]
    assert [c["story"] for c in closest] == ["cedar-story", "birch-story", "alder-story", "elm-story", "dune-story"]
    assert closest[0]["path"] == "casestudies/cedar-story.md"
    assert [c["missing_answers"] for c in closest] == [
        [],
        ["fit"],
        ["options", "renewal"],
        ["why_change", "success", "fit"],
        ["fit"],
    ]
    assert "cedar-story.md" in data["gate"]["message"]  # the shut gate names the closest story


# --- milestones 2 and 3: churned customers were paying ------------------------------------------------


def test_milestone_2_counts_a_churned_customer(kb_root, runner):
    kb_root.customer("gone", stage="churned", won_on="2025-01-10", churned_on="2025-06-01")
    assert milestone(status_json(runner, kb_root), 2)["reached"] is True


def test_milestone_2_ignores_a_win_after_D(kb_root, runner):
    kb_root.customer("soon", stage="customer", won_on="2026-03-19")
    data = status_json(runner, kb_root)
    assert milestone(data, 2)["reached"] is False
    assert data["goal"]["milestone"] == 1


@pytest.mark.parametrize(
    ("won", "late", "hell_yes", "reached"),
    [
        (5, 0, 1, True),  # two of the five have churned
        (4, 1, 1, False),  # the fifth is won after D
        (5, 0, 0, False),  # five paying, none hell-yes
    ],
)
def test_milestone_3_counts_churned_customers(kb_root, runner, won, late, hell_yes, reached):
    for i in range(won):
        fields = {"stage": "churned", "churned_on": "2026-02-01"} if i < 2 else {"stage": "customer"}
        kb_root.customer(f"paid{i}", won_on="2025-10-01", **fields)
    for i in range(late):
        kb_root.customer(f"late{i}", stage="customer", won_on="2026-03-25")
    if hell_yes:
        kb_root.casestudy("paid2-story", "paid2")

    data = status_json(runner, kb_root)

    assert milestone(data, 2)["reached"] is True
    assert milestone(data, 3)["reached"] is reached
    assert len(data["hell_yes"]["customers"]) == hell_yes


# --- milestone 4 and the gate's number --------------------------------------------------------------


def test_a_gate_below_5_is_an_error_and_not_honoured(kb_root, runner):
    kb_root.write("kb.toml", 'name = "Tiny"\ngate = 4\n')
    for i in range(4):
        hell_yes_customer(kb_root, f"happy{i}")

    check = runner(kb_root, "check", "--as-of", D)
    data = status_json(runner, kb_root)

    assert check.exit_code == 1, check.output
    assert re.search(r"^kb\.toml:2: error: .*gate", check.stdout, re.M), check.output
    assert data["gate"]["open"] is False and data["gate"]["needed"] == 5
    assert "4 of 5 hell-yes customers" in data["gate"]["message"]
    assert milestone(data, 4)["reached"] is False and "5" in milestone(data, 4)["name"]


@pytest.mark.parametrize(("count", "open_"), [(5, False), (6, True)])
def test_a_gate_of_6_is_honoured(kb_root, runner, count, open_):
    kb_root.write("kb.toml", "gate = 6\n")
    for i in range(count):
        hell_yes_customer(kb_root, f"happy{i}")

    check = runner(kb_root, "check", "--as-of", D)
    data = status_json(runner, kb_root)

    assert check.exit_code == 0, check.output
    assert data["gate"]["open"] is open_ and data["gate"]["needed"] == 6
    assert f"{count} of 6 hell-yes customers" in data["gate"]["message"]
    m4 = milestone(data, 4)
    assert m4["reached"] is open_ and "6" in m4["name"] and "5" not in m4["name"]
    metrics = runner(kb_root, "metrics", "--as-of", D)
    assert metrics.exit_code == (0 if open_ else 3), metrics.output
