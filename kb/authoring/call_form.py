"""Log a call from a form: an interview named <date>-<customer>-<kind>, and its customer when new."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from kb.authoring.create import skeleton
from kb.authoring.form_checks import FieldProblem, Invalid, form_problems, form_value
from kb.authoring.new_customers import customer_for, make_customer
from kb.authoring.records_on_disk import RecordsOnDisk
from kb.authoring.saving import SLUG_RE, Conflict, Saved, save
from kb.config import Kb
from kb.errors import KbError
from kb.records.document import Document, clean_line, shown_value
from kb.records.parse import COMMENT_RE
from kb.vocabulary import INTERVIEW_KINDS, TYPE_DIRS, is_date_text, slug_of

CALL_FIELDS = ("customer", "date", "kind", "people", "owner")


@dataclass
class CallForm:
    """A logged call as its form shows it: each field as typed; people one per line."""

    customer: str = ""
    date: str = ""
    kind: str = INTERVIEW_KINDS[0]
    people: str = ""
    owner: str = ""
    notes: str = ""

    @classmethod
    def from_fields(cls, data: Mapping[str, str]) -> CallForm:
        """The form as the browser sent it."""

        def get(name: str) -> str:
            return form_value(data, name)

        return cls(
            customer=get("customer"),
            date=get("date").strip(),
            kind=get("kind").strip(),
            people=get("people"),
            owner=get("owner"),
            notes=get("notes"),
        )


def call_text(kb: Kb, form: CallForm, customer: str, only_filled: bool = False) -> str:
    """The Markdown of a logged call: the KB's interview skeleton with the form's values and notes
    (`only_filled`: without the skeleton's sections that hold nothing but its comments)."""
    # The skeleton writes its values unquoted: render it with safe ones, then set what differs.
    document = Document(
        skeleton(
            kb,
            "interview",
            customer=customer if SLUG_RE.fullmatch(customer) else "customer",
            date=form.date if is_date_text(form.date) else "2000-01-01",
            kind=form.kind if form.kind in INTERVIEW_KINDS else "other",
        )
    )
    values = document.values()
    for key, typed in (
        ("customer", customer),
        ("date", form.date),
        ("kind", form.kind),
        ("owner", clean_line(form.owner)),
    ):
        if typed != shown_value(values.get(key)):
            document.set_value(key, typed)
    people = [clean_line(line) for line in form.people.split("\n") if line.strip()]
    listed = values.get("people") or []
    if people != [clean_line(shown_value(p)) for p in (listed if isinstance(listed, list) else [listed])]:
        document.set_value("people", people, block=True)
    notes = form.notes.strip("\n").rstrip()
    if notes:
        document.set_notes(notes)
    if only_filled:
        drop_unfilled_sections(document)
    return document.text


def drop_unfilled_sections(document: Document) -> None:
    """Remove the sections that hold nothing but the skeleton's comments: a logged call shows only what was
    written, not empty "Quotes" and "Next steps" headings."""
    for span in reversed(document.sections(questions=False)):
        if COMMENT_RE.sub("", span.text).strip():
            continue
        del document.lines[span.heading : span.end]
    while len(document.lines) > 1 and not document.lines[-1].strip() and not document.lines[-2].strip():
        document.lines.pop()  # one line break at the end, as the skeleton has


def log_call(kb: Kb, form: CallForm) -> Saved:
    """Write a new interview from a logged call (and the customer file for a new customer); raises Invalid."""
    errors = []
    if not clean_line(form.customer):
        errors.append(FieldProblem("customer", "required: who was the call with?"))
    try:
        if not is_date_text(form.date):
            raise ValueError
        day = dt.date.fromisoformat(form.date)
    except ValueError:
        errors.append(FieldProblem("date", f"expected a real date as YYYY-MM-DD; got {form.date!r}"))
    if form.kind not in INTERVIEW_KINDS:
        errors.append(FieldProblem("kind", f"expected one of {', '.join(INTERVIEW_KINDS)}; got {form.kind!r}"))
    if errors:
        raise Invalid(errors)
    on_disk = RecordsOnDisk(kb)  # every slug question below is answered from one scan
    customer, name = customer_for(form.customer, on_disk.slugs("customer"))
    text = call_text(kb, form, customer, only_filled=True)
    folder = calls_folder(kb, day)
    base, taken = f"{day.isoformat()}-{customer}-{form.kind}", on_disk.slugs("interview")
    errors = form_problems(text, f"{folder}/{base}.md", "interview", CALL_FIELDS)
    if not SLUG_RE.fullmatch(base):
        errors.append(
            FieldProblem("customer", f"cannot make a file name from {form.customer!r}: use letters or digits")
        )
    if errors:
        raise Invalid(errors)
    path = save_new_call(kb, folder, base, text, taken)
    created = make_customer(kb, customer, name, on_disk.slugs("customer")) if name else []
    return Saved(path, slug_of(path), text, created)


def after_as_of(day_text: str, pinned: dt.date | None) -> str | None:
    """What to tell the user of a call dated after the as-of date kb.toml pins (None when it is not)."""
    try:
        day = dt.date.fromisoformat(day_text)
    except ValueError:
        return None
    if pinned is None or day <= pinned:
        return None
    return (
        f"This call is dated {day.isoformat()}, after the as-of date {pinned.isoformat()} pinned in kb.toml: "
        "Home and the method count it only once as_of in kb.toml is moved to that day or later."
    )


def calls_folder(kb: Kb, day: dt.date) -> str:
    """The folder a new call of `day` is written in: content/interviews/, or its month's folder there when the
    KB files its calls by month."""
    folder = TYPE_DIRS["interview"]
    if any(re.fullmatch(r"\d{4}-\d{2}", p.name) for p in (kb.root / folder).glob("*") if p.is_dir()):
        folder = f"{folder}/{day:%Y-%m}"  # the KB files calls by month: follow it
    return folder


def save_new_call(kb: Kb, folder: str, base: str, text: str, taken: set[str]) -> str:
    """Write a new call as <folder>/<base>.md, or <base>-2.md and on when a call has that name; the path written."""
    for number in range(1, 10_000):
        slug = base if number == 1 else f"{base}-{number}"
        if slug in taken:
            continue
        try:
            save(kb, f"{folder}/{slug}.md", text, "")
        except Conflict:
            continue  # appeared meanwhile: take the next number
        return f"{folder}/{slug}.md"
    raise KbError(f"no free file name for {base}")
