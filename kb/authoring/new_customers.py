"""A customer typed into a form that has no file yet: the slug to write for it, and its customer file."""

from __future__ import annotations

from kb.authoring.create import new_customer, slugify
from kb.authoring.saving import SLUG_RE
from kb.config import Kb
from kb.errors import KbError
from kb.records.document import clean_line


def customer_for(typed: str, known: set[str]) -> tuple[str, str | None]:
    """The slug to write for a typed customer and, when it has no file yet, the display name for one."""
    typed = clean_line(typed)
    if not typed or typed in known:
        return typed, None
    if SLUG_RE.fullmatch(typed):
        return typed, typed.replace("-", " ").title()
    try:
        return slugify(typed), typed
    except KbError:
        return typed, None  # nothing to make a name from: the parse reports the field


def make_customer(kb: Kb, slug: str, name: str | None, known: set[str]) -> list[str]:
    """Write the customer file for a new customer (as `kb new` does) unless `known` has it; the paths made."""
    if slug in known:
        return []
    try:
        return [kb.relative(new_customer(kb, slug, name))]
    except KbError:
        return []  # made by someone else meanwhile: theirs is kept
