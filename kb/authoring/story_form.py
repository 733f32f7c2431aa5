"""Edit records from forms: a case study's fields and answers, a logged call; saves guarded against newer files.

A form changes only what the user changed: a front-matter key is rewritten only when its value
differs from what the form showed, an answer only when its text differs, and everything else (unknown
keys, comments, text before the first `##`, extra sections) stays byte for byte.
"""

from __future__ import annotations

import datetime as dt
import difflib
import posixpath
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from kb.authoring.create import new_customer, skeleton, slugify
from kb.config import Kb
from kb.errors import ERROR, KbError
from kb.records.document import Document, NotEditable, clean_line, list_items, shown_list, shown_value
from kb.records.fields import QUESTION_KEYS, QUESTIONS
from kb.records.parse import atomic_write, content_hash, parse_bytes
from kb.vocabulary import TYPE_DIRS, slug_of
from kb.workspace import scan

__all__ = [
    "Conflict",
    "FieldProblem",
    "Invalid",
    "NotEditable",
    "Saved",
    "StoryForm",
    "casestudy_path",
    "casestudy_text",
    "conflict_diff",
    "kept_as_written",
    "load_casestudy",
    "preview_markdown",
    "rebase",
    "save",
    "save_casestudy",
    "save_exact",
]

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
# Names of existing files and folders kb may write to: no leading dot, no "..", no separators.
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
WRITABLE_DIRS = (TYPE_DIRS["casestudy"], TYPE_DIRS["interview"])
STORY_FIELDS = ("customer", "person", "status", "interviews", "tags")
_write_lock = threading.Lock()  # one check-then-write at a time within this process


def form_value(data: Mapping[str, str], name: str) -> str:
    """A field as the browser sent it, with its line endings made `\n` (browsers send `\r\n`)."""
    return (data.get(name) or "").replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of a form (`form` for the form as a whole)."""

    field: str
    message: str


class Invalid(KbError):
    """The form's values do not make a valid record; nothing was written."""

    def __init__(self, errors: list[FieldProblem]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


class Conflict(KbError):
    """The file on disk is not the version the form was opened on; nothing was written."""

    http_status = 409

    def __init__(self, path: str, disk_text: str, disk_sha256: str, typed_text: str):
        self.path, self.disk_text, self.disk_sha256, self.typed_text = path, disk_text, disk_sha256, typed_text
        what = "was deleted" if not disk_sha256 else "changed on disk since the form was opened"
        super().__init__(f"{path}: not written, the file {what}")

    @property
    def deleted(self) -> bool:
        return not self.disk_sha256


@dataclass
class Saved:
    """A file written from a form, and any customer file made with it."""

    path: str
    slug: str
    text: str
    created: list[str] = field(default_factory=list)


@dataclass
class StoryForm:
    """A case study as its form shows it: each field as typed, the answers by question key, and the
    version of the file it was opened on (`base_text`, `base_sha256`; empty for a new story)."""

    customer: str = ""
    person: str = ""
    status: str = "draft"
    interviews: str = ""
    tags: str = ""
    slug: str = ""
    answers: dict[str, str] = field(default_factory=lambda: dict.fromkeys(QUESTION_KEYS, ""))
    base_text: str = ""
    base_sha256: str = ""

    @classmethod
    def from_fields(cls, data: Mapping[str, str]) -> StoryForm:
        """The form as the browser sent it: fields by name, each answer as `answer_<key>`."""

        def get(name: str) -> str:
            return form_value(data, name)

        return cls(
            customer=get("customer"),
            person=get("person"),
            status=get("status"),
            interviews=get("interviews"),
            tags=get("tags"),
            slug=get("slug").strip(),
            answers={key: get(f"answer_{key}") for key in QUESTION_KEYS},
        )


def story_form(text: str) -> StoryForm:
    """The form a case study's text shows (what the form is compared with to find what changed)."""
    document = Document(text)
    values = document.values()
    form = StoryForm(
        customer=shown_value(values.get("customer")),
        person=shown_value(values.get("person")),
        status=shown_value(values.get("status")),
        interviews=shown_list(values.get("interviews"), "\n"),
        tags=shown_list(values.get("tags"), ", "),
    )
    for key in QUESTION_KEYS:
        section = document.answer(key)
        form.answers[key] = section.shown if section else ""
    return form


def _same_line(a: str, b: str) -> bool:
    return clean_line(a) == clean_line(b)


def casestudy_text(form: StoryForm, original_text: str | None) -> str:
    """The Markdown of `original_text` (or the built-in skeleton) with the form's changes made."""
    document = Document(original_text if original_text is not None else _builtin_skeleton())
    shown = story_form(document.text)
    for key in ("customer", "person", "status"):
        if not _same_line(getattr(form, key), getattr(shown, key)):
            document.set_value(key, clean_line(getattr(form, key)))
    for key, comma_only in (("interviews", False), ("tags", True)):
        typed = list_items(getattr(form, key), comma_only)
        if typed != list_items(getattr(shown, key), comma_only):
            document.set_value(key, typed)
    for question in QUESTIONS:
        typed = form.answers.get(question.key, "")
        if typed.strip() != shown.answers[question.key].strip():
            answer = typed.strip("\n").rstrip() or f"<!-- {question.prompt} -->"
            document.set_answer(question.key, question.heading, answer)
    return document.text


def _builtin_skeleton() -> str:
    sections = "".join(f"## {q.heading}\n<!-- {q.prompt} -->\n\n" for q in QUESTIONS)
    return f"---\ncustomer:\nperson:\nstatus: draft\ninterviews: []\ntags: []\n---\n\n{sections}"


def problems_of(
    text: str, shown_path: str, record_type: str, fields: tuple[str, ...], original: str | None = None
) -> list[FieldProblem]:
    """The errors a record's text would have, each beside the form field it is about."""
    record = parse_bytes(text.encode("utf-8"), shown_path, record_type)
    found = []
    for problem in record.problems:
        if problem.severity != ERROR:
            continue
        key, _, rest = problem.message.partition(": ")
        # "required key is missing (hint)" reads, beside a form field, as "required: hint".
        rest = re.sub(r"^required key is missing \((.*)\)", r"required: \1", rest)
        found.append(FieldProblem(key, rest) if key in fields else FieldProblem("form", problem.message))
    if original is not None and not found:
        before = parse_bytes(original.encode("utf-8"), shown_path, record_type)
        if before.extra != record.extra:  # the splice must never change a key the form does not show
            found.append(
                FieldProblem(
                    "form", "kb could not keep the other front-matter keys exactly; make this change in your editor"
                )
            )
    return found


def casestudy_path(kb: Kb, slug: str) -> str | None:
    """The path (as kb shows it) of the case study named `slug`, or None."""
    if not NAME_RE.fullmatch(slug) or ".." in slug:
        return None
    found = [shown for shown, file in scan(kb).items() if file.type == "casestudy" and slug_of(shown) == slug]
    return found[0] if found else None


def known_slugs(kb: Kb, record_type: str) -> set[str]:
    """The slugs of the files of one type, as they are on disk now."""
    return {slug_of(shown) for shown, file in scan(kb).items() if file.type == record_type}


def load_casestudy(path: Path) -> tuple[StoryForm, str]:
    """The form for a case study file and the sha256 of the bytes it was read from."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotEditable(f"{path.name} is not UTF-8 text: fix it in your editor, then edit it here") from None
    form = story_form(text)
    form.slug = slug_of(path.name)
    form.base_text, form.base_sha256 = text, content_hash(data)
    return form, form.base_sha256


def customer_for(kb: Kb, typed: str, known: set[str]) -> tuple[str, str | None]:
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


def make_customer(kb: Kb, slug: str, name: str | None) -> list[str]:
    """Write the customer file for a new customer (as `kb new` does); the paths made."""
    if slug in known_slugs(kb, "customer"):
        return []
    try:
        return [kb.relative(new_customer(kb, slug, name))]
    except KbError:
        return []  # made by someone else meanwhile: theirs is kept


def save_casestudy(kb: Kb, typed: StoryForm, relative_path: str | None = None) -> Saved:
    """Write a new story (`relative_path` None) or an edited one; raises Invalid or Conflict.

    `typed` is left as it is, so that a form shown again shows what was typed, not what kb made of it."""
    form = replace(typed, answers=dict(typed.answers))
    new = relative_path is None
    name = None
    if not form.base_text or not _same_line(form.customer, story_form(form.base_text).customer):
        form.customer, name = customer_for(kb, form.customer, known_slugs(kb, "customer"))
    errors = []
    if new or not form.base_text:
        relative_path, errors = _new_story_path(kb, form) if new else (relative_path, [])
        customer = form.customer if SLUG_RE.fullmatch(form.customer) else "acme"
        base = skeleton(
            kb,
            "casestudy",
            customer="customer",
            slug=form.slug or "story",
            person="",
            example_call=f"{dt.date.today().isoformat()}-{customer}-discovery",
        )
    else:
        base = form.base_text
    text = casestudy_text(form, base)
    errors += problems_of(text, relative_path, "casestudy", STORY_FIELDS, base if form.base_text else None)
    if errors:
        raise Invalid(errors)
    save(kb, relative_path, text, "" if new else form.base_sha256)
    created = make_customer(kb, form.customer, name) if name and form.customer else []
    return Saved(relative_path, slug_of(relative_path), text, created)


def _new_story_path(kb: Kb, form: StoryForm) -> tuple[str, list[FieldProblem]]:
    if form.slug and not SLUG_RE.fullmatch(form.slug):
        problem = FieldProblem(
            "slug",
            "use lowercase letters, digits and hyphens, starting with a letter or digit "
            f"(e.g. acme-story); got {form.slug!r}",
        )
        return f"{TYPE_DIRS['casestudy']}/story.md", [problem]
    if not form.slug and SLUG_RE.fullmatch(form.customer):
        # Not the customer's own slug: a bare [[acme]] would then match two records.
        taken, base = known_slugs(kb, "casestudy"), f"{form.customer}-story"
        form.slug = next(s for s in (base, *(f"{base}-{n}" for n in range(2, 10_000))) if s not in taken)
    return f"{TYPE_DIRS['casestudy']}/{form.slug or 'story'}.md", []


def save_exact(kb: Kb, relative_path: str, text: str, expected_sha256: str) -> Saved:
    """Write exactly `text` (the conflict page's "keep what I typed"), if it is a valid case study."""
    if not relative_path.startswith(TYPE_DIRS["casestudy"] + "/"):
        raise KbError(f"refused to write {relative_path!r}: a case study goes under {TYPE_DIRS['casestudy']}/")
    errors = problems_of(text, relative_path, "casestudy", STORY_FIELDS)
    if errors:
        raise Invalid(errors)
    save(kb, relative_path, text, expected_sha256)
    return Saved(relative_path, slug_of(relative_path), text)


def _checked_path(kb: Kb, relative_path: str, new: bool) -> Path:
    """The file a relative path names, refused unless it is plainly inside a writable folder of the KB."""

    def refuse(why: str) -> KbError:
        return KbError(f"refused to write {relative_path!r}: {why}")

    if not isinstance(relative_path, str) or "\\" in relative_path or "\x00" in relative_path:
        raise refuse("not a plain relative path")
    if posixpath.normpath(relative_path) != relative_path or relative_path.startswith("/"):
        raise refuse("the path does not normalize to itself")
    folder = next((d for d in WRITABLE_DIRS if relative_path.startswith(d + "/")), None)
    if folder is None:
        raise refuse(f"kb writes only under {' and '.join(d + '/' for d in WRITABLE_DIRS)}")
    parts = relative_path[len(folder) + 1 :].split("/")
    stem = slug_of(parts[-1])
    if not parts[-1].endswith(".md") or not all(NAME_RE.fullmatch(p) and ".." not in p for p in [*parts[:-1], stem]):
        raise refuse("each name must be letters, digits, '-', '_' or '.', not starting with a dot, ending in .md")
    if new and not SLUG_RE.fullmatch(stem):
        raise refuse("a new file's name must be lowercase letters, digits and hyphens")
    path = kb.root / relative_path
    if not path.resolve().is_relative_to((kb.root / folder).resolve()):
        raise refuse("it leads outside the knowledge base")
    return path


def save(kb: Kb, relative_path: str, text: str, expected_sha256: str) -> Path:
    """Write `text` atomically if the file is still the version with `expected_sha256` ("": must not
    exist); raises Conflict, carrying the text on disk, when it is not."""
    path = _checked_path(kb, relative_path, new=expected_sha256 == "")
    with _write_lock:
        disk_text, disk_sha256 = _on_disk(path)
        if disk_sha256 != expected_sha256:
            raise Conflict(relative_path, disk_text, disk_sha256, text)
        try:
            atomic_write(path, text, expected_sha256)
        except (KbError, FileExistsError):  # changed in the instant between the check and the write
            disk_text, disk_sha256 = _on_disk(path)
            raise Conflict(relative_path, disk_text, disk_sha256, text) from None
        except OSError as exc:
            raise KbError(f"{relative_path}: not written: {exc.strerror or exc}") from None
    return path


def _on_disk(path: Path) -> tuple[str, str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "", ""
    except OSError as exc:
        raise KbError(f"{path.name}: cannot be read: {exc.strerror or exc}") from None
    return data.decode("utf-8", errors="replace"), content_hash(data)


def conflict_diff(disk_text: str, typed_text: str) -> list[tuple[str, str]]:
    """A line diff from the text on disk to the text typed, as (kind, line) with kind in hunk, del, add, same."""
    kinds = {"@": "hunk", "-": "del", "+": "add", " ": "same"}
    lines = difflib.unified_diff(disk_text.splitlines(), typed_text.splitlines(), "on disk", "typed", lineterm="")
    return [(kinds[line[0]], line) for line in list(lines)[2:] if line]


def rebase(form: StoryForm, disk_text: str, disk_sha256: str) -> StoryForm:
    """The form moved onto the version now on disk: what the user changed stays as typed, every field
    they did not touch takes the disk's value (after a conflict, to edit again)."""
    try:
        opened, now = story_form(form.base_text), story_form(disk_text)
    except NotEditable:
        opened = now = None  # one version cannot be read: keep everything as typed
    if opened is not None and now is not None:
        for key in STORY_FIELDS:
            if _same_line(getattr(form, key), getattr(opened, key)):
                setattr(form, key, getattr(now, key))
        for key in QUESTION_KEYS:
            if form.answers.get(key, "").strip() == opened.answers[key].strip():
                form.answers[key] = now.answers[key]
        form.base_text = disk_text
    form.base_sha256 = disk_sha256
    return form


def kept_as_written(form: StoryForm) -> tuple[list[str], list[str]]:
    """What the form does not show and saving keeps byte for byte: front-matter keys, and `##` sections
    (extra ones, and a second answer to a question)."""
    try:
        document = Document(form.base_text)
    except NotEditable:
        return [], []
    keys = [key for key in document.values() if key not in STORY_FIELDS]
    shown: set[str] = set()
    sections = []
    for section in document.sections():
        if section.question and section.question not in shown:
            shown.add(section.question)
        else:
            sections.append(section.title)
    return keys, sections


def preview_markdown(form: StoryForm) -> str:
    """The body the form would write, for the preview (front matter left out)."""
    try:
        document = Document(casestudy_text(form, form.base_text or None))
    except NotEditable:
        document = Document(casestudy_text(form, None))
    return document.body()
