"""The hell-yes rule: which customers are hell-yes customers as of D, and why a hell-yes story does not count.

A customer is a hell-yes customer when it has a complete `status: hell-yes` story, was won at least
`settle_days` days before D, and has not churned by D; two stories of one customer count once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kb.records.fields import QUESTION_HEADINGS, missing_answers
from kb.store.catalog import CustomerFacts, StoryFacts


@dataclass
class Verdict:
    """Whether one hell-yes story makes its customer a hell-yes customer, and if not, why."""

    story: StoryFacts
    counts: bool
    reasons: list[str]
    failed_rules: int
    counts_from: dt.date | None = None

    @property
    def message(self) -> str:
        return f"{self.story.customer}: " + "; ".join(self.reasons)

    @property
    def missing_questions(self) -> list[str]:
        """The questions this story has no answer to, in their own words."""
        return [QUESTION_HEADINGS[key] for key in self.story.missing if key in QUESTION_HEADINGS]


def churned_by(customer: CustomerFacts, day: dt.date) -> bool:
    """Not churned by D: no churned_on on or before D, and with no churned_on, stage is not churned."""
    if customer.churned_on is not None:
        return customer.churned_on <= day
    return customer.stage == "churned"


def judge_story(story: StoryFacts, customer: CustomerFacts | None, as_of: dt.date, settle_days: int) -> Verdict:
    """Judge one `status: hell-yes` story: complete, and its customer won `settle_days` before D, not churned?"""
    reasons: list[str] = []
    failed = 0
    counts_from = None
    if story.missing:
        failed += 1
        reasons.append(f"hell-yes story is {missing_answers(story.missing)}")
    if customer is None:
        failed += 1
        reasons.append(f"no customer file content/customers/{story.customer}.md, so it is not won")
    elif customer.won_on is None or customer.won_on > as_of:
        failed += 1
        reasons.append(
            "not won yet (no won_on)"
            if customer.won_on is None
            else f"won on {customer.won_on.isoformat()}, after the as-of date {as_of.isoformat()}"
        )
    else:
        days = (as_of - customer.won_on).days
        if days < settle_days:
            failed += 1
            counts_from = customer.won_on + dt.timedelta(days=settle_days)
            reasons.append(f"won {days} day{'s' if days != 1 else ''} ago, counts from {counts_from.isoformat()}")
        if churned_by(customer, as_of):
            failed += 1
            when = f"on {customer.churned_on.isoformat()}" if customer.churned_on else "(stage: churned)"
            reasons.append(f"churned {when}")
    return Verdict(story, counts=failed == 0, reasons=reasons, failed_rules=failed, counts_from=counts_from)


@dataclass
class HellYes:
    """The hell-yes customers as of D, and the hell-yes stories that do not count."""

    customers: list[str]
    verdicts: list[Verdict]

    @property
    def not_counting(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.counts]

    @property
    def closest(self) -> list[Verdict]:
        """Stories closest to counting: fewest failed rules, then fewest missing answers.

        A story whose customer already counts through another story brings no one closer: left out.
        """
        counted = set(self.customers)
        waiting = [v for v in self.not_counting if v.story.customer not in counted]
        return sorted(
            waiting, key=lambda v: (v.failed_rules, len(v.story.missing), v.story.customer or "", v.story.slug)
        )


def hell_yes(
    stories: list[StoryFacts], customers: dict[str, CustomerFacts], as_of: dt.date, settle_days: int
) -> HellYes:
    """Judge every `status: hell-yes` story; two stories of one customer count once."""
    verdicts = [
        judge_story(s, customers.get(s.customer or ""), as_of, settle_days) for s in stories if s.status == "hell-yes"
    ]
    counted = sorted({v.story.customer for v in verdicts if v.counts and v.story.customer})
    return HellYes(counted, verdicts)
