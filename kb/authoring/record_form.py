"""The customer and interview forms: a record's front matter as fields and its body as one text, the form's
changes made to the file, and its guarded save.

As with a story, a save changes only what the user changed: a key is rewritten only when its value differs
from what the form showed, the body only when its text differs, and everything else (keys the form does not
show, comments, the body of an untouched form) stays byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from kb.authoring.form_checks import Invalid, form_problems, form_value
from kb.authoring.saving import Saved, save
from kb.config import Kb
from kb.errors import KbError
from kb.records.document import Document, NotEditable, clean_line, shown_value
from kb.records.files import content_hash
from kb.vocabulary import INTERVIEW_KINDS, STAGES, TYPE_DIRS, is_date_text, slug_of

# A number as YAML reads it without quotes (a customer's yearly contract value).
NUMBER_RE = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True)
class FormField:
    """One front-matter key as a form shows it: `kind` is line, date, choice, number or lines (one per line)."""

    key: str
    label: str
    kind: str = "line"
    hint: str = ""
    choices: tuple[str, ...] = ()


# The fields of each type's form (kb.records.fields says what each key holds).
FORM_FIELDS: dict[str, tuple[FormField, ...]] = {
    "customer": (
        FormField("name", "Name", hint="The customer's name as pages show it."),
        FormField("stage", "Stage", "choice", "Where they are: a customer has signed and paid.", STAGES),
        FormField("source", "Source", hint="Where they came from, e.g. cold email, referral."),
        FormField("owner", "Owner", hint="Who on the team owns them."),
        FormField("qualified_on", "Qualified on", "date"),
        FormField("won_on", "Won on", "date", "The day they signed and paid."),
        FormField("lost_on", "Lost on", "date"),
        FormField("churned_on", "Churned on", "date"),
        FormField("acv", "Yearly contract value", "number", "A number, such as 18000."),
    ),
    "interview": (
        FormField("customer", "Customer", hint="The customer's slug."),
        FormField("date", "Date", "date", "The day of the call; the file keeps its name."),
        FormField("kind", "Kind", "choice", choices=INTERVIEW_KINDS),
        FormField("owner", "Owner", hint="Who ran the call."),
        FormField("people", "People", "lines", "Who was on the call: one person per line."),
    ),
}
BODY_LABEL = {"customer": "Profile and notes", "interview": "Notes"}


@dataclass
class RecordForm:
    """A customer or interview as its form shows it: each field as typed, the body, and the version of the
    file it was opened on (`base_text`, `base_sha256`)."""

    type: str
    values: dict[str, str] = field(default_factory=dict)
    body: str = ""
    slug: str = ""
    base_text: str = ""
    base_sha256: str = ""

    @classmethod
    def from_fields(cls, record_type: str, data: Mapping[str, str]) -> RecordForm:
        """The form as the browser sent it: each field by its key, the body as `body`."""
        values = {f.key: form_value(data, f.key) for f in FORM_FIELDS[record_type]}
        return cls(record_type, values, form_value(data, "body"))


def form_from_text(record_type: str, text: str) -> RecordForm:
    """The form a customer's or interview's text shows (what a posted form is compared with)."""
    document = Document(text)
    found = document.values()
    values = {}
    for shown in FORM_FIELDS[record_type]:
        value = found.get(shown.key)
        if shown.kind == "lines" and isinstance(value, list):
            values[shown.key] = "\n".join(shown_value(item) for item in value)
        else:
            values[shown.key] = shown_value(value)
    return RecordForm(record_type, values, document.body().strip("\n").rstrip())


def _lines(text: str) -> list[str]:
    return [clean_line(line) for line in text.split("\n") if line.strip()]


def _is_plain(kind: str, text: str) -> bool:
    """A date or a number, written unquoted so that YAML reads it as one (anything else is quoted text)."""
    return (kind == "date" and is_date_text(text)) or (kind == "number" and NUMBER_RE.fullmatch(text) is not None)


def record_text(form: RecordForm, original_text: str) -> str:
    """`original_text` with the form's changes made, and nothing else."""
    document = Document(original_text)
    shown = form_from_text(form.type, original_text)
    for spec in FORM_FIELDS[form.type]:
        typed, before = form.values.get(spec.key, ""), shown.values.get(spec.key, "")
        if spec.kind == "lines":
            if _lines(typed) != _lines(before):
                document.set_value(spec.key, _lines(typed), block=True)
        elif clean_line(typed) != clean_line(before):
            value = clean_line(typed)
            document.set_value(spec.key, value, plain=_is_plain(spec.kind, value))
    body = form.body.strip("\n").rstrip()
    if body != shown.body:
        document.set_body(body)
    return document.text


def load_record(record_type: str, path: Path) -> RecordForm:
    """The form for a customer's or interview's file, with the version it was read from."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotEditable(f"{path.name} is not UTF-8 text: fix it in your editor, then edit it here") from None
    form = form_from_text(record_type, text)
    form.slug, form.base_text, form.base_sha256 = slug_of(path.name), text, content_hash(data)
    return form


def _checked(record_type: str, relative_path: str) -> None:
    if record_type not in FORM_FIELDS or not relative_path.startswith(TYPE_DIRS[record_type] + "/"):
        raise KbError(f"refused to write {relative_path!r}: not a {record_type} file")


def save_record(kb: Kb, form: RecordForm, relative_path: str) -> Saved:
    """Write the form's changes to the file it was opened from; raises Invalid, Conflict or NotEditable."""
    _checked(form.type, relative_path)
    if not form.base_text:
        raise KbError(f"{relative_path}: the form lost the version it was opened on; open the editor again")
    text = record_text(form, form.base_text)
    keys = tuple(spec.key for spec in FORM_FIELDS[form.type])
    errors = form_problems(text, relative_path, form.type, keys, form.base_text)
    if errors:
        raise Invalid(errors)
    save(kb, relative_path, text, form.base_sha256)
    return Saved(relative_path, slug_of(relative_path), text)


def save_exact_record(kb: Kb, record_type: str, relative_path: str, text: str, expected_sha256: str) -> Saved:
    """Write exactly `text` (the conflict page's "keep what I typed"), if it is a valid record of its type."""
    _checked(record_type, relative_path)
    keys = tuple(spec.key for spec in FORM_FIELDS[record_type])
    errors = form_problems(text, relative_path, record_type, keys)
    if errors:
        raise Invalid(errors)
    save(kb, relative_path, text, expected_sha256)
    return Saved(relative_path, slug_of(relative_path), text)


def rebase_record(form: RecordForm, disk_text: str, disk_sha256: str) -> RecordForm:
    """The form moved onto the version now on disk: what the user changed stays as typed, the rest takes the
    disk's value (after a conflict, to edit again)."""
    form = replace(form, values=dict(form.values))
    try:
        opened, now = form_from_text(form.type, form.base_text), form_from_text(form.type, disk_text)
    except NotEditable:
        form.base_sha256 = disk_sha256
        return form  # one version cannot be read: keep everything as typed
    for key, typed in form.values.items():
        if clean_line(typed) == clean_line(opened.values.get(key, "")) and (
            _lines(typed) == _lines(opened.values.get(key, ""))
        ):
            form.values[key] = now.values.get(key, "")
    if form.body.strip("\n").rstrip() == opened.body:
        form.body = now.body
    form.base_text, form.base_sha256 = disk_text, disk_sha256
    return form


def kept_keys(form: RecordForm) -> list[str]:
    """The front-matter keys the form does not show, which saving keeps byte for byte."""
    try:
        found = Document(form.base_text).values()
    except NotEditable:
        return []
    shown = {spec.key for spec in FORM_FIELDS[form.type]}
    return [key for key in found if key not in shown]
