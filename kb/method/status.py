"""What `kb status` and the home page show: D, the ONE goal, the milestones, the metrics gate, warnings.

The gate opens at G hell-yes customers (G = `gate` in kb.toml, 5 or more); while it is shut, it says
what is missing and which hell-yes stories are closest to counting.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb.method.company import Company
from kb.method.hell_yes_rule import Verdict
from kb.method.milestones import Milestone, SalesCalls, current_milestone, milestones, sales_calls


@dataclass
class Gate:
    """The metrics gate: open at G hell-yes customers."""

    hell_yes_customers: list[str]
    needed: int
    closest: list[Verdict]

    @property
    def open(self) -> bool:
        return len(self.hell_yes_customers) >= self.needed

    @property
    def summary(self) -> str:
        return f"{len(self.hell_yes_customers)} of {self.needed} hell-yes customers"

    def explanation(self) -> str:
        """Why metrics wait and what to do next, in plain words (or where they are, once open)."""
        if self.open:
            return "Metrics are open: see them with `kb metrics` or on the Metrics page."
        lines = [
            f"Metrics wait until {self.needed} customers would renew without a second thought: before "
            "that, rates and charts measure noise, not a story you can repeat."
        ]
        if self.closest:
            first = self.closest[0]
            lines.append(f"Next: {first.message} ({first.story.path}).")
        else:
            lines.append(
                "Next: win a customer, write the story of the ONE person who had to change, and mark it "
                "status: hell-yes once they would renew without hesitation."
            )
        return " ".join(lines)

    def message(self, as_of_text: str | None = None) -> str:
        """The gate in a sentence or three: its state (as of D, when given), why, and what next."""
        when = f" {as_of_text}" if as_of_text else ""
        return f"The gate is {'open' if self.open else 'shut'}{when}: {self.summary}. {self.explanation()}"

    def as_dict(self) -> dict:
        return {
            "open": self.open,
            "hell_yes_customers": len(self.hell_yes_customers),
            "needed": self.needed,
            "customers": self.hell_yes_customers,
            "summary": self.summary,
            "message": self.message(),
            "closest": [verdict_dict(v) for v in self.closest],
        }


def verdict_dict(verdict: Verdict) -> dict:
    return {
        "story": verdict.story.slug,
        "path": verdict.story.path,
        "customer": verdict.story.customer,
        "person": verdict.story.person,
        "reasons": verdict.reasons,
        "message": verdict.message,
        "missing_answers": verdict.story.missing,
        "counts_from": verdict.counts_from.isoformat() if verdict.counts_from else None,
    }


def gate(company: Company) -> Gate:
    """The gate as of D, with the hell-yes stories closest to counting."""
    return Gate(company.hell_yes.customers, company.gate_needed, company.hell_yes.closest)


@dataclass
class Status:
    """What `kb status` and the home page show: D, the ONE goal, the milestones, the gate, warnings."""

    company: Company
    milestones: list[Milestone]
    calls: SalesCalls
    gate: Gate
    gas_warning: str | None  # "never take your foot off the gas", shown beside the goal
    setting_problems: list[str]  # what is wrong in kb.toml

    @property
    def warnings(self) -> list[str]:
        return ([self.gas_warning] if self.gas_warning else []) + self.setting_problems

    @property
    def current(self) -> Milestone | None:
        return current_milestone(self.milestones)

    def goal_line(self) -> str:
        goal = self.current
        if goal is None:
            return "All eight milestones are reached. Keep every one of them true."
        progress = f" ({goal.progress})" if goal.progress else ""
        return f"The ONE goal: milestone {goal.number}, {goal.name}{progress}"

    def as_dict(self) -> dict:
        current = self.current
        company = self.company
        return {
            "kb": company.settings.name,
            "as_of": {
                "date": company.day.isoformat(),
                "source": company.as_of.source,
                "pinned": company.as_of.pinned,
                "text": company.as_of.describe(),
            },
            "goal": {
                "milestone": current.number if current else None,
                "name": current.name if current else None,
                "line": self.goal_line(),
            },
            "milestones": [m.as_dict(current is m) for m in self.milestones],
            "sales_calls": {
                "per_week": self.calls.per_week,
                "recent_weeks": [
                    {"week": w.label, "start": w.start.isoformat(), "sales_calls": w.calls} for w in self.calls.recent
                ],
                "this_week": {"week": self.calls.this_week.label, "sales_calls_so_far": self.calls.this_week.calls},
            },
            "gate": self.gate.as_dict(),
            "hell_yes": {
                "customers": company.hell_yes.customers,
                "not_counting": [verdict_dict(v) for v in company.hell_yes.not_counting],
            },
            "warnings": self.warnings,
        }


def status(company: Company) -> Status:
    """Milestones, the ONE goal, the gate and the warnings as of D."""
    calls = sales_calls(company)
    found = milestones(company, calls)
    gas = None
    short = calls.short_weeks
    if calls.reached_with is not None and short:
        named = ", ".join(f"{w.label} ({w.calls})" for w in short)
        gas = (
            f"Never take your foot off the gas: {named} had fewer than {calls.per_week} sales calls. "
            "Milestone 1 stays reached, but the pipeline is thinning."
        )
    return Status(company, found, calls, gate(company), gas, [str(p) for p in company.settings.problems])
