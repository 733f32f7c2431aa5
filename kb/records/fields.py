"""Field types of each record type, their normalizers, and the five questions' aliases."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kb.errors import did_you_mean
from kb.vocabulary import INTERVIEW_KINDS, STAGES, STATUSES, is_date_text


class FieldError(ValueError):
    """A value that does not fit its field; the message says what was expected and found."""


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise FieldError(f"expected text; got a {'list' if isinstance(value, list) else 'mapping'}")
    if isinstance(value, bool):
        raise FieldError(f"expected text; got {str(value).lower()}")
    return str(value).strip()


def _slug(value: Any) -> str:
    text = _text(value)
    if not re.fullmatch(r"[^\s/\\\[\]|:]+", text):
        raise FieldError(f"expected a slug (a file name without .md, no spaces or slashes); got {text!r}")
    return text


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if not is_date_text(text):
        raise FieldError(f"expected a date as YYYY-MM-DD; got {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise FieldError(f"expected a real date as YYYY-MM-DD; got {text!r} ({exc})") from None


# Amounts past this are typing mistakes; the database's integers also end near 9.2e18.
LARGEST_NUMBER = 10**15


def yaml_number(value: float) -> str:
    """A number as YAML writes it (`.inf`, `-.inf` and `.nan` for the values JSON has no word for)."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def _number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldError(f"expected a number such as 12000; got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldError(f"expected a finite number such as 12000; got {yaml_number(value)}")
    if abs(value) >= LARGEST_NUMBER:
        shown = f"{value:.3g}" if isinstance(value, float) else f"a number of {len(str(abs(value))):,} digits"
        raise FieldError(f"expected a number below {LARGEST_NUMBER:,} such as 12000; got {shown}")
    return value


def _list_of(item: Callable[[Any], Any], split_commas: bool = True) -> Callable[[Any], list]:
    """A list; a single text is one item, or (for slugs and tags) a comma-separated list."""

    def normalize(value: Any) -> list:
        if value is None:
            return []
        if isinstance(value, str):
            parts = value.split(",") if split_commas else [value]
            value = [part for part in (p.strip() for p in parts) if part]
        if not isinstance(value, list):
            raise FieldError(f"expected a list such as [a, b]; got {value!r}")
        items = []
        for position, entry in enumerate(value, start=1):
            try:
                items.append(item(entry))
            except FieldError as exc:
                raise FieldError(f"item {position}: {exc}") from None
        return items

    return normalize


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def normalize(value: Any) -> str:
        text = _text(value).lower()
        if text not in choices:
            raise FieldError(f"expected one of {', '.join(choices)}; got {value!r}{did_you_mean(text, choices)}")
        return text

    return normalize


@dataclass(frozen=True)
class Field:
    """One front-matter key of a record type."""

    normalize: Callable[[Any], Any]
    required: bool = False
    default: Any = None
    hint: str = ""


FIELDS: dict[str, dict[str, Field]] = {
    "customer": {
        "name": Field(_text, required=True, hint="the customer's display name"),
        "stage": Field(_one_of(STAGES), default="lead"),
        "source": Field(_text),
        "owner": Field(_text),
        "qualified_on": Field(_date),
        "won_on": Field(_date),
        "lost_on": Field(_date),
        "churned_on": Field(_date),
        "acv": Field(_number),
    },
    "interview": {
        "customer": Field(_slug, required=True, hint="the slug of the customer the call was with"),
        "date": Field(_date, required=True, hint="the day of the call, YYYY-MM-DD"),
        "kind": Field(_one_of(INTERVIEW_KINDS), default="other"),
        "people": Field(_list_of(_text, split_commas=False), default=()),
        "owner": Field(_text),
    },
    "casestudy": {
        "customer": Field(_slug, required=True, hint="the slug of the customer whose story it is"),
        "person": Field(_text, required=True, hint="the ONE person who had to change, e.g. 'Jane Doe, VP Finance'"),
        "status": Field(_one_of(STATUSES), required=True, hint=f"one of {', '.join(STATUSES)}"),
        "interviews": Field(_list_of(_slug), default=()),
        "tags": Field(_list_of(lambda v: _text(v).lower()), default=()),
    },
}


@dataclass(frozen=True)
class Question:
    """One of the five causal-story questions and the headings that answer it."""

    key: str
    heading: str
    prompt: str
    aliases: tuple[str, ...]


# A heading matches when, lowercased, without punctuation or a leading number, it matches one
# pattern; `*` stands for any words. The README's alias table is this table.
QUESTIONS: tuple[Question, ...] = (
    Question(
        "why_change",
        "Why did they have to change?",
        "Why did ONE PERSON have to change? What happened that made the old way impossible?",
        (
            "why did * have to change",
            "why did * need to change",
            "why did * change *",
            "why change *",
            "why now *",
            "what was the trigger *",
            "trigger *",
            "the trigger *",
        ),
    ),
    Question(
        "success",
        "What did success look like?",
        "What did success look like to them? How would they know it worked?",
        ("what did success look like *", "what does success look like *", "success *", "what did * want to achieve *"),
    ),
    Question(
        "options",
        "What options did they consider?",
        "What options did they consider? Other tools, building it, hiring, doing nothing.",
        (
            "what options did * consider *",
            "what options did * have *",
            "options *",
            "alternatives *",
            "what else did * consider *",
            "what else did * try *",
        ),
    ),
    Question(
        "fit",
        "How did we fit into their world?",
        "How did you fit into their world and help them accomplish their goal?",
        ("how did * fit *", "how we fit *", "fit *", "how did * help *"),
    ),
    Question(
        "renewal",
        "Why are they renewing?",
        "Why are they renewing / expanding with you? What did they REALLY buy?",
        ("why * renew *", "why * renewing *", "why * expanding *", "renewal *", "what did * really buy *"),
    ),
)
QUESTION_KEYS = tuple(q.key for q in QUESTIONS)
QUESTION_HEADINGS = {q.key: q.heading for q in QUESTIONS}


def question_names(keys: list[str] | tuple[str, ...]) -> str:
    """The questions of `keys` as a reader knows them: “Why are they renewing?”, joined by commas and “and”."""
    named = [f"“{QUESTION_HEADINGS.get(key, key)}”" for key in keys]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1] if named else ""


def missing_answers(keys: list[str] | tuple[str, ...]) -> str:
    """What a story lacks, in the questions' words: “missing an answer to “Why are they renewing?””."""
    return f"missing {'an answer' if len(keys) == 1 else 'answers'} to {question_names(keys)}"


def _matches(pattern: list[str], words: list[str]) -> bool:
    """Word-wise wildcard match: `*` stands for any words, none included.

    Greedy with one point to return to (the last `*`), as shell globs are matched: time grows with
    the words times the pattern's few words, so a heading of thousands of words is still quick.
    """
    at = matched = 0  # the next pattern word, the next heading word
    star, resume = -1, 0  # the last `*` seen, and the heading word it would swallow next
    while matched < len(words):
        if at < len(pattern) and pattern[at] == "*":
            star, resume = at, matched
            at += 1
        elif at < len(pattern) and pattern[at] == words[matched]:
            at += 1
            matched += 1
        elif star >= 0:
            resume += 1  # let the last `*` take one more word and try again from there
            at, matched = star + 1, resume
        else:
            return False
    return all(word == "*" for word in pattern[at:])


_ALIASES = [(q.key, alias.split()) for q in QUESTIONS for alias in q.aliases]


def normalize_heading(heading: str) -> str:
    """Lowercase, drop punctuation and a leading number ("2.", "Q2:"), squeeze spaces."""
    text = heading.lower()
    text = re.sub(r"^\s*(?:q\s*)?\d+\s*[.):-]?\s*", "", text)
    text = re.sub(r"[^\w\s]", " ", text.replace("’", "").replace("'", ""))
    return " ".join(text.split())


def question_for(heading: str) -> str | None:
    """The key of the question a `##` heading answers, or None for another section."""
    words = normalize_heading(heading).split()
    for key, pattern in _ALIASES:
        if _matches(pattern, words):
            return key
    return None


def customer_date_warnings(fields: dict[str, Any]) -> list[tuple[str, str]]:
    """Where a customer's stage and dates disagree (the README's customer section), as (key, message) pairs."""
    stage = fields.get("stage")
    won, lost = fields.get("won_on"), fields.get("lost_on")
    qualified, churned = fields.get("qualified_on"), fields.get("churned_on")
    found: list[tuple[str, str]] = []
    if stage in ("customer", "churned") and won is None:
        found.append(("stage", f"stage: '{stage}' but no won_on date: when did they sign and pay?"))
    if stage == "churned" and churned is None:
        found.append(("stage", "stage: 'churned' but no churned_on date: when did they stop paying?"))
    if won and qualified and won < qualified:
        found.append(("won_on", f"won_on: {won} is before qualified_on {qualified}"))
    if churned and won and churned < won:
        found.append(("churned_on", f"churned_on: {churned} is before won_on {won}"))
    if won and lost:
        found.append(
            ("lost_on", f"lost_on: both won_on ({won}) and lost_on ({lost}) are set; keep the one that is true")
        )
    return found


def title_of(
    record_type: str, slug: str, fields: Mapping[str, Any], customer_name: str | None = None, dated: bool = False
) -> str:
    """How kb names a record: a customer's name, a story's customer and person, a call's kind and customer.

    `customer_name` stands for the customer's slug when known; `dated` puts a call's day first, as a
    page that lists calls among other records does ("2026-01-12 · discovery call with Acme").
    """
    if record_type == "customer":
        return fields.get("name") or slug
    customer = customer_name or fields.get("customer") or "?"
    if record_type == "interview":
        if dated:
            day = fields.get("date")
            return f"{day.isoformat() if day else 'undated'} · {fields.get('kind') or 'call'} call with {customer}"
        return f"{fields.get('kind') or 'call'} with {customer}"
    return f"{customer}: {fields.get('person') or slug}"
