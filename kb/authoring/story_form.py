"""The case-study form: a story's text read into a form, the form's changes made to the text, and its save.

A form changes only what the user changed: a front-matter key is rewritten only when its value
differs from what the form showed, an answer only when its text differs, and everything else (unknown
keys, comments, text before the first `##`, extra sections) stays byte for byte.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from kb.authoring.create import skeleton
from kb.authoring.form_checks import FieldProblem, Invalid, form_problems, form_value
from kb.authoring.new_customers import customer_for, make_customer
from kb.authoring.records_on_disk import RecordsOnDisk
from kb.authoring.saving import SLUG_RE, Saved, save
from kb.config import Kb
from kb.errors import KbError
from kb.records.comments import IsPlaceholder, answer_with_comments, shown_answer
from kb.records.document import Document, NotEditable, clean_line, list_items, shown_list, shown_value
from kb.records.fields import QUESTION_KEYS, QUESTIONS, Question
from kb.records.files import content_hash
from kb.vocabulary import TYPE_DIRS, slug_of

STORY_FIELDS = ("customer", "person", "status", "interviews", "tags")
# The sentence templates/new/casestudy.md writes after each question's prompt in a new story's skeleton.
CITE_HINT_RE = re.compile(r"Cite the calls it rests on, e\.g\. \[\[[^\[\]|\n]*\]\]\.")


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


def is_prompt(question: Question) -> IsPlaceholder:
    """Whether a comment in the answer to `question` is the skeleton's placeholder, not the author's note.

    The placeholder is the question's prompt (or its first sentences), alone or followed by the built-in
    skeleton's hint to cite calls; a comment that says anything else is the author's and is kept."""
    prompt = clean_line(question.prompt)

    def placeholder(comment: str) -> bool:
        said = clean_line(comment)
        if said and said.endswith(("?", ".", "!")) and prompt.startswith(said):
            return True
        hint = said.removeprefix(prompt)
        return hint != said and CITE_HINT_RE.fullmatch(hint.strip()) is not None

    return placeholder


def form_from_text(text: str) -> StoryForm:
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
    for question in QUESTIONS:
        # The form shows an answer without its comments; saving a changed answer keeps the author's.
        section = document.answer(question.key)
        form.answers[question.key] = shown_answer(section.text, is_prompt(question)) if section else ""
    return form


def _same_line(a: str, b: str) -> bool:
    return clean_line(a) == clean_line(b)


def casestudy_text(form: StoryForm, original_text: str | None, skeleton: bool = False) -> str:
    """The Markdown of `original_text` (or the built-in skeleton) with the form's changes made.

    `skeleton` says `original_text` is a new story's skeleton: each comment in its answers is a prompt."""
    skeleton = skeleton or original_text is None
    document = Document(original_text if original_text is not None else _builtin_skeleton())
    shown = form_from_text(document.text)
    for key in ("customer", "person", "status"):
        if not _same_line(getattr(form, key), getattr(shown, key)):
            document.set_value(key, clean_line(getattr(form, key)))
    for key, comma_only in (("interviews", False), ("tags", True)):
        items = list_items(getattr(form, key), comma_only)
        if items != list_items(getattr(shown, key), comma_only):
            document.set_value(key, items)
    for question in QUESTIONS:
        typed = form.answers.get(question.key, "")
        if typed.strip() != shown.answers[question.key].strip():
            section = document.answer(question.key)
            placeholder = _any_comment if skeleton else is_prompt(question)
            old_text = section.text if section else ""
            answer = answer_with_comments(old_text, typed, placeholder, f"<!-- {question.prompt} -->")
            document.set_answer(question.key, question.heading, answer)
    return document.text


def _any_comment(_comment: str) -> bool:
    return True


def _builtin_skeleton() -> str:
    sections = "".join(f"## {q.heading}\n<!-- {q.prompt} -->\n\n" for q in QUESTIONS)
    return f"---\ncustomer:\nperson:\nstatus: draft\ninterviews: []\ntags: []\n---\n\n{sections}"


def load_casestudy(path: Path) -> tuple[StoryForm, str]:
    """The form for a case study file and the sha256 of the bytes it was read from."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotEditable(f"{path.name} is not UTF-8 text: fix it in your editor, then edit it here") from None
    form = form_from_text(text)
    form.slug = slug_of(path.name)
    form.base_text, form.base_sha256 = text, content_hash(data)
    return form, form.base_sha256


def save_casestudy(kb: Kb, typed: StoryForm, relative_path: str | None = None) -> Saved:
    """Write a new story (`relative_path` None) or an edited one; raises Invalid or Conflict.

    `typed` is left as it is, so that a form shown again shows what was typed, not what kb made of it."""
    form = replace(typed, answers=dict(typed.answers))
    new = relative_path is None
    name = None
    on_disk = RecordsOnDisk(kb)  # every slug question below is answered from one scan
    if not form.base_text or not _same_line(form.customer, form_from_text(form.base_text).customer):
        form.customer, name = customer_for(form.customer, on_disk.slugs("customer"))
    path, errors = _new_story_path(on_disk, form) if relative_path is None else (relative_path, [])
    from_skeleton = new or not form.base_text
    if from_skeleton:
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
    text = casestudy_text(form, base, skeleton=from_skeleton)
    errors += form_problems(text, path, "casestudy", STORY_FIELDS, base if form.base_text else None)
    if errors:
        raise Invalid(errors)
    save(kb, path, text, "" if new else form.base_sha256)
    created = make_customer(kb, form.customer, name, on_disk.slugs("customer")) if name and form.customer else []
    return Saved(path, slug_of(path), text, created)


def _new_story_path(on_disk: RecordsOnDisk, form: StoryForm) -> tuple[str, list[FieldProblem]]:
    if form.slug and not SLUG_RE.fullmatch(form.slug):
        problem = FieldProblem(
            "slug",
            "use lowercase letters, digits and hyphens, starting with a letter or digit "
            f"(e.g. acme-story); got {form.slug!r}",
        )
        return f"{TYPE_DIRS['casestudy']}/story.md", [problem]
    if not form.slug and SLUG_RE.fullmatch(form.customer):
        # Not the customer's own slug: a bare [[acme]] would then match two records.
        taken, base = on_disk.slugs("casestudy"), f"{form.customer}-story"
        form.slug = next(s for s in (base, *(f"{base}-{n}" for n in range(2, 10_000))) if s not in taken)
    return f"{TYPE_DIRS['casestudy']}/{form.slug or 'story'}.md", []


def save_exact(kb: Kb, relative_path: str, text: str, expected_sha256: str) -> Saved:
    """Write exactly `text` (the conflict page's "keep what I typed"), if it is a valid case study."""
    if not relative_path.startswith(TYPE_DIRS["casestudy"] + "/"):
        raise KbError(f"refused to write {relative_path!r}: a case study goes under {TYPE_DIRS['casestudy']}/")
    errors = form_problems(text, relative_path, "casestudy", STORY_FIELDS)
    if errors:
        raise Invalid(errors)
    save(kb, relative_path, text, expected_sha256)
    return Saved(relative_path, slug_of(relative_path), text)


def rebase(form: StoryForm, disk_text: str, disk_sha256: str) -> StoryForm:
    """The form moved onto the version now on disk: what the user changed stays as typed, every field
    they did not touch takes the disk's value (after a conflict, to edit again)."""
    opened: StoryForm | None
    now: StoryForm | None
    try:
        opened, now = form_from_text(form.base_text), form_from_text(disk_text)
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
