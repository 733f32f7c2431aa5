"""`kb compare` in the terminal: the summary (per question its terms and counts, then one line per story),
or with `--full` every answer in full; then the people, the triggers and the tags as counts."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only
    from kb.method.compare import ComparedAnswer, Comparison, QuestionRow

WIDTH = 100
SIDE_TITLES = {"hell-yes": "HELL-YES", "contrast": "MEH AND CHURNED"}


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False) or [
        indent.rstrip()
    ]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _head(comparison: Comparison) -> list[str]:
    filtered = f" · filtered: {comparison.filters.describe()}" if comparison.filters.active else ""
    return [
        f"Compare · {comparison.as_of_text}",
        f"{comparison.hell_yes_stories} hell-yes stories against {comparison.contrast_stories} meh and churned"
        + filtered,
        "",
    ]


def _terms(row: QuestionRow) -> list[str]:
    from kb.method.compare import term_counts

    if row.terms.notice:
        return _wrap(row.terms.notice, "   ")
    if not row.terms.hell_yes and not row.terms.others:
        return ["   No word or phrase sets one side apart yet."]
    lines = []
    for title, terms in (("Hell-yes answers share", row.terms.hell_yes), ("Only the others say", row.terms.others)):
        said = "; ".join(term_counts(t) for t in terms) or "no term stands out"
        lines += _wrap(f"{title}: {said}", "   ")
    return lines


def _who(answer: ComparedAnswer) -> str:
    name = answer.customer_name or answer.customer or answer.story
    status = "" if answer.status == "hell-yes" else f" ({answer.status})"
    flag = " (not counting yet)" if answer.not_counting else ""
    return f"{name}{status}{flag}"


def compare_summary_text(comparison: Comparison) -> str:
    """Per question: its terms with counts, then one line per story (its summary or first sentence and the
    quotes it cites); then the people, triggers and tags."""
    lines = _head(comparison)
    for row in comparison.rows:
        lines += [f"== {row.heading}", *_terms(row)]
        for side in ("hell-yes", "contrast"):
            answers = row.side(side)
            answered = sum(1 for a in answers if a.answered)
            lines.append(f"  {SIDE_TITLES[side]} ({answered} of {len(answers)} answered)")
            if not answers:
                lines.append("    (no stories)")
            for answer in answers:
                said = answer.line if answer.answered else "(not answered)"
                quotes = f" [{' '.join('^' + q.block for q in answer.quotes)}]" if answer.quotes else ""
                lines.append(_cut(f"    {_who(answer)}{quotes}: {said}", WIDTH))
        lines.append("")
    return "\n".join(lines + _counts(comparison)) + "\n"


def compare_full_text(comparison: Comparison) -> str:
    """Per question: its terms, the hell-yes answers in full, then meh and churned ones; then the counts."""
    lines = _head(comparison)
    for row in comparison.rows:
        lines += [f"== {row.heading}", f"   {row.question}", *_terms(row), ""]
        for title, answers in (("HELL-YES", row.hell_yes), ("FOR CONTRAST (meh, churned)", row.contrast)):
            lines.append(f"  {title}")
            if not answers:
                lines.append("    (no stories)")
            for answer in answers:
                who = ", ".join(x for x in (answer.customer_name or answer.customer, answer.person) if x)
                flag = ", does not count yet" if answer.not_counting else ""
                lines.append(f"  - {answer.story} ({who}; {answer.status}{flag})")
                text = answer.text if answer.answered else "(not answered)"
                for paragraph in text.split("\n\n"):
                    lines += _wrap(" ".join(paragraph.split()), "      ")
                if answer.cites:
                    lines.append(f"      cites: {', '.join(answer.cites)}")
                for quote in answer.quotes:
                    said = f" — {quote.speaker}" if quote.speaker else ""
                    lines += _wrap(f"> {quote.text or '(no such quote)'}{said} [{quote.ref}]", "      ")
            lines.append("")
    return "\n".join(lines + _counts(comparison)) + "\n"


def _counts(comparison: Comparison) -> list[str]:
    """The people, the triggers and the tags, as counts of stories (hell-yes / others)."""
    lines = []
    for _key, title, counts in comparison.people.groups():
        lines.append(f"{title} (hell-yes / others):")
        lines += _wrap(", ".join(f"{c.value} ({c.hell_yes}/{c.others})" for c in counts[:25]) or "none", "  ")
    lines.append("Tags shared by hell-yes stories (hell-yes / others carrying them):")
    lines += _wrap(", ".join(f"{t.tag} ({t.hell_yes}/{t.others})" for t in comparison.shared_tags) or "none", "  ")
    lines.append("Tags only the meh and churned stories carry:")
    lines += _wrap(", ".join(f"{t.tag} ({t.others})" for t in comparison.other_tags) or "none", "  ")
    return lines
