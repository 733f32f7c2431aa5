"""The words every layer shares: record types and where their files live, the enumerated values, and
how a file's path and a date are written."""

from __future__ import annotations

import re

RECORD_TYPES = ("customer", "interview", "casestudy")
# What a search finds: records, and the quotes of calls as their own hits.
SEARCH_TYPES = (*RECORD_TYPES, "quote")
# Where each type's files live, relative to the KB's root (subfolders are fine).
TYPE_DIRS = {
    "customer": "content/customers",
    "interview": "content/interviews",
    "casestudy": "casestudies",
}
STAGES = ("lead", "qualified", "customer", "churned")
STATUSES = ("draft", "meh", "churned", "hell-yes")
INTERVIEW_KINDS = ("discovery", "sales", "demo", "onboarding", "check-in", "renewal", "other")

# A date as records write it: YYYY-MM-DD.
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
RECORD_SUFFIX = ".md"


def slug_of(path: str) -> str:
    """A record's slug: its file name without `.md` (from a path as kb shows it, or a file name)."""
    return path.rsplit("/", 1)[-1].removesuffix(RECORD_SUFFIX)


def is_date_text(text: str) -> bool:
    """Whether `text` is written as a date, YYYY-MM-DD (not whether that day exists)."""
    return DATE_RE.fullmatch(text) is not None
