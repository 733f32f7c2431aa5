"""One question of compare on a page of its own: its answers in full, a page of each side at a time, or
only those that use one of its terms (with the term marked by the page)."""

from __future__ import annotations

from dataclasses import dataclass

from kb.errors import UsageError
from kb.method.compare import SIDES, ComparedAnswer, Comparison, reading_text
from kb.method.synthesis import TermScore, terms_of
from kb.records.fields import QUESTIONS


class UnknownQuestion(UsageError):
    """No question has that key: a page about it does not exist (404 on the web)."""

    http_status = 404


@dataclass
class QuestionPage:
    """One question's answers, a page of each side at a time, in full (only those using `term`, when given)."""

    key: str
    heading: str
    question: str
    answers: dict[str, list[ComparedAnswer]]
    totals: dict[str, int]
    page: int
    per: int
    as_of_text: str = ""
    term: TermScore | None = None
    term_asked: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-max(self.totals.values(), default=0) // self.per))


def question_of(key: str):
    """The question of this key, else UnknownQuestion naming the keys."""
    question = next((q for q in QUESTIONS if q.key == key), None)
    if question is None:
        raise UnknownQuestion(f"question: expected one of {', '.join(q.key for q in QUESTIONS)}; got {key[:40]!r}")
    return question


def question_page(comparison: Comparison, key: str, page: int = 1, per: int = 10, term: str = "") -> QuestionPage:
    """Question `key`'s answers on page `page`: `per` of the hell-yes stories and `per` of the others; with
    `term` (a stem, or the term as shown), only the answers that use it."""
    question = question_of(key)
    row = next(r for r in comparison.rows if r.key == key)
    found = None
    sides = {side: row.side(side) for side in SIDES}
    if term:
        wanted = term.strip().casefold()
        found = next((t for t in row.terms.hell_yes + row.terms.others if wanted in (t.term, t.shown)), None)
        probe = terms_of(term)
        stem = found.term if found else next(iter(sorted(probe, key=len, reverse=True)), wanted)
        sides = {
            side: [a for a in answers if stem in terms_of(reading_text(a.text))] for side, answers in sides.items()
        }
        if found is None:
            found = TermScore(
                stem,
                term.strip(),
                len(sides["hell-yes"]),
                len(row.hell_yes),
                len(sides["contrast"]),
                len(row.contrast),
                0.0,
            )
    start = (page - 1) * per
    answers = {side: found_answers[start : start + per] for side, found_answers in sides.items()}
    totals = {side: len(found_answers) for side, found_answers in sides.items()}
    return QuestionPage(
        key, question.heading, question.prompt, answers, totals, page, per, comparison.as_of_text, found, term.strip()
    )
