"""Compare's synthesis on a generated KB of 64 stories with planted differences.

Per question one word is planted in most hell-yes answers and few others ("auditor" answering why they
had to change), one in most of the others' answers and few hell-yes ("procurement"), and one in half of
every side's answers ("evidence"); the rest of each answer is drawn from one pool of words for both
sides. Hell-yes stories are mostly about a Controller found through the founders' network, the others
about a CTO found by cold email. The counts the tests expect are those the generator wrote.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kb.method.compare_filters import CompareFilter
from kb.method.compare_question import question_page
from tests.helpers import KbFolder, compared_at

D = "2026-03-18"
# Per question: the word most hell-yes answers use, the word most others use.
PLANTED = {
    "why_change": ("auditor", "procurement"),
    "success": ("dashboard", "discount"),
    "options": ("spreadsheet", "consultant"),
    "fit": ("slack", "onsite"),
    "renewal": ("expansion", "budget"),
}
EQUAL = "evidence"  # half the answers of every side use it
POOL = """
    team quarter process review month customer plan week company report data risk control policy
    vendor contract meeting call owner product account system tool number goal update cycle office
    project board email question answer growth price hiring market sales revenue finance security
    access approval schedule partner client service support ticket issue release feature setup
    training document folder invoice payment order record request rollout pilot launch metric target
""".split()
# The sentences a planted word comes in: its neighbours vary, as in what people write.
FRAMES = ["The {} was what mattered.", "Our {} asked first.", "Everything hinged on the {}.", "A {} changed it."]
STATUSES = ["hell-yes"] * 30 + ["meh"] * 20 + ["churned"] * 14


@dataclass
class Planted:
    """The generated KB and what was planted in it."""

    root: Path
    status: dict[str, str] = field(default_factory=dict)  # story -> status
    uses: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (question, word) -> stories using it
    tags: dict[str, list[str]] = field(default_factory=dict)

    def count(self, key: str, word: str, stories: set[str] | None = None) -> tuple[int, int]:
        """(hell-yes, others) answers to `key` that use `word`, among `stories` when given."""
        using = self.uses[(key, word)] & (stories if stories is not None else set(self.status))
        hell = sum(1 for s in using if self.status[s] == "hell-yes")
        return hell, len(using) - hell

    def sides(self, stories: set[str] | None = None) -> tuple[int, int]:
        """(hell-yes, others) stories, among `stories` when given."""
        chosen = stories if stories is not None else set(self.status)
        hell = sum(1 for s in chosen if self.status[s] == "hell-yes")
        return hell, len(chosen) - hell


def sentence(rng: random.Random) -> str:
    words = [rng.choice(POOL) for _ in range(rng.randint(6, 10))]
    return " ".join(words).capitalize() + "."


def planted_kb(root: Path, seed: int = 7, times: int = 1, sentences: int = 2) -> Planted:
    """Write the KB of 64 stories (30 hell-yes, 20 meh, 14 churned) `times` over, and two drafts, under
    `root`; each answer has `sentences` sentences drawn from the shared pool beside what is planted."""
    rng = random.Random(seed)
    kb = KbFolder(root)
    kb.write("kb.toml", f"as_of = {D}\n")
    found = Planted(kb.root)
    statuses = list(STATUSES) * times
    rng.shuffle(statuses)
    for n, status in enumerate([*statuses, "draft", "draft"]):
        slug, customer = f"story-{n:02d}", f"co-{n:02d}"
        hell = status == "hell-yes"
        source = "founder network" if (hell and n % 5) or (not hell and n % 7 == 0) else "cold email"
        won = dt.date(2025, 1, 1) + dt.timedelta(days=7 * (n % 40))
        if hell and n % 10 == 3:
            won = dt.date(2026, 3, 10)  # won 8 days before D: its story does not count yet
        kb.customer(
            customer,
            name=f"Company {n}",
            stage="customer",
            source=source,
            owner="Ana" if n % 2 else "Ben",
            qualified_on="2024-12-01",
            won_on=won.isoformat(),
        )
        role = "Controller" if (hell and n % 6) or (not hell and n % 9 == 0) else "CTO"
        if n % 4 == 0:
            role = role.lower()  # grouped case-insensitively
        tags = (
            ["soc2"]
            + (["finance-led"] if hell and n % 3 else ["it-led"])
            + [f"segment:{'fintech' if n % 2 else 'health'}"]
        )
        kb.interview(
            f"2026-01-05-{customer}",
            customer,
            "2026-01-05",
            body=f"> We needed this before the board met. — Pat {n} ^need-{n}\n",
        )
        answers = {}
        for key, (ours, theirs) in PLANTED.items():
            if hell and n % 10 == 7 and key == "renewal":
                continue  # an incomplete hell-yes story: it does not count
            parts = [sentence(rng) for _ in range(sentences)]
            # Most of their own side, a few of the other.
            if rng.random() < (0.8 if hell else 0.1):
                parts.insert(1, rng.choice(FRAMES).format(ours))
                found.uses.setdefault((key, ours), set()).add(slug)
            if rng.random() < (0.08 if hell else 0.75):
                parts.append(rng.choice(FRAMES).format(theirs))
                found.uses.setdefault((key, theirs), set()).add(slug)
            if n % 2 == 0:
                parts.append(f"We kept the {EQUAL} close.")
                found.uses.setdefault((key, EQUAL), set()).add(slug)
            found.uses.setdefault((key, ours), set())
            found.uses.setdefault((key, theirs), set())
            found.uses.setdefault((key, EQUAL), set())
            if key == "why_change" and n % 3 == 0:
                parts.append(f"As said on [[2026-01-05-{customer}#^need-{n}]].")
            answers[key] = " ".join(parts)
        kb.casestudy(
            slug, customer, status=status, person=f"Person {n}, {role}", answers=answers, tags=f"[{', '.join(tags)}]"
        )
        if status != "draft":
            found.status[slug] = status
            found.tags[slug] = tags
    return found


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Planted:
    return planted_kb(tmp_path_factory.mktemp("planted") / "kb")


def test_the_planted_term_of_each_question_ranks_first_with_its_counts(planted):
    found = compared_at(planted.root, D)

    for row in found.rows:
        ours, theirs = PLANTED[row.key]
        hell_answers = sum(1 for a in row.hell_yes if a.answered)
        other_answers = sum(1 for a in row.contrast if a.answered)
        top = row.terms.hell_yes[0]
        assert top.shown == ours, (row.key, [t.shown for t in row.terms.hell_yes])
        assert (top.hell_yes, top.others) == planted.count(row.key, ours), row.key
        assert (top.hell_yes_of, top.others_of) == (hell_answers, other_answers)
        assert row.terms.others[0].shown == theirs, (row.key, [t.shown for t in row.terms.others])
        assert (row.terms.others[0].hell_yes, row.terms.others[0].others) == planted.count(row.key, theirs)


def test_a_term_both_sides_use_alike_is_not_shown(planted):
    found = compared_at(planted.root, D)

    for row in found.rows:
        shown = {t.term for t in row.terms.hell_yes + row.terms.others}
        assert "evid" not in shown and not any("evid" in t.split() for t in shown), (row.key, shown)
        # Nothing drawn from the shared pool stands out either.
        ours, theirs = PLANTED[row.key]
        assert {t.shown for t in row.terms.hell_yes[:1] + row.terms.others[:1]} == {ours, theirs}


def test_filters_recompute_the_terms_and_the_counts(planted):
    fintech = {s for s, tags in planted.tags.items() if "segment:fintech" in tags}
    found = compared_at(planted.root, D, CompareFilter(segment="fintech"))

    assert (found.hell_yes_stories, found.contrast_stories) == planted.sides(fintech)
    why = found.rows[0]
    assert {a.story for a in why.hell_yes + why.contrast} == fintech
    top = why.terms.hell_yes[0]
    assert (top.shown, top.hell_yes, top.others) == ("auditor", *planted.count("why_change", "auditor", fintech))

    only_meh = compared_at(planted.root, D, CompareFilter(statuses=("meh",)))
    assert only_meh.hell_yes_stories == 0 and only_meh.rows[0].terms.notice
    assert "0 hell-yes answers" in only_meh.rows[0].terms.notice


def test_people_and_triggers_as_counts(planted):
    found = compared_at(planted.root, D)

    roles = {c.value.casefold(): (c.hell_yes, c.others) for c in found.people.roles}
    assert found.people.roles[0].value.casefold() == "controller"
    assert set(roles) == {"controller", "cto"}
    assert sum(roles[r][0] for r in roles) == 30 and sum(roles[r][1] for r in roles) == 34
    assert found.people.sources[0].value == "founder network"
    assert {c.value for c in found.people.tags} >= {"finance-led", "soc2"}


def test_answers_show_their_lines_and_quotes_and_not_counting_is_marked(planted):
    found = compared_at(planted.root, D)

    why = found.rows[0]
    cited = [a for a in why.hell_yes + why.contrast if a.quotes]
    assert cited and all(q.text == "We needed this before the board met." for a in cited for q in a.quotes)
    assert all(a.line and a.line.endswith(".") and len(a.line) <= 240 for a in why.hell_yes if a.answered)
    not_counting = {a.story for a in why.hell_yes if a.not_counting}
    assert not_counting and all(planted.status[s] == "hell-yes" for s in not_counting)
    behind = why.quotes_behind()
    assert behind and all(a.status == "hell-yes" for a, _q in behind)


def test_a_term_shows_exactly_the_answers_that_use_it(planted):
    found = compared_at(planted.root, D)

    page = question_page(found, "why_change", per=100, term="auditor")
    using = planted.uses[("why_change", "auditor")]
    assert {a.story for side in page.answers.values() for a in side} == using
    assert page.term is not None and (page.term.hell_yes, page.term.others) == planted.count("why_change", "auditor")
