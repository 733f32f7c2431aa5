"""Writing in the browser: case-study forms with a preview, the conflict page, and logging a call.

Each view reads the form, calls one function of `kb.authoring`, and renders. What the user
typed goes back into the page on every error. The version of the file a form was opened on travels
in the form base64-encoded, so that it comes back byte for byte (browsers turn line ends into CRLF).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from kb.authoring import call_form, story_form
from kb.authoring.form_checks import FieldProblem, Invalid
from kb.authoring.saving import Conflict, Saved, conflict_diff
from kb.errors import KbError
from kb.records.fields import QUESTIONS
from kb.views import record_pages
from kb.views.evidence_panel import broken_links, evidence_panel
from kb.views.lists import Urls
from kb.vocabulary import INTERVIEW_KINDS, STATUSES, slug_of
from kb.web import core

bp = Blueprint("write", __name__)


class Damaged(KbError):
    """A hidden field of the form did not come back as it was sent."""


def pack(text: str) -> str:
    """Text for a hidden field, so that it comes back exactly."""
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def unpack(name: str) -> str:
    """The text of a hidden field made by `pack`."""
    try:
        return base64.b64decode(request.form.get(name, ""), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Damaged(
            "the form's copy of the file did not come back intact, so nothing was saved; "
            "your text is kept below: copy it, then open the editor again"
        ) from None


def _errors(problems: list[FieldProblem]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in problems:
        found.setdefault(problem.field, []).append(problem.message)
    return found


def _customers() -> list[tuple[str, str]]:
    """Known customers for the forms' datalist, as (slug, name)."""
    # Once per change of the customers' files, not per form: reading every customer's row was 10 % of a busy
    # server's time at 10k.
    return core.memo(
        "customers", None, lambda: sorted(core.catalog().customer_names(None).items()), record_type="customer"
    )


def posted_base(form) -> list[FieldProblem]:
    """Give a posted form the version of the file it was opened on (its hash and text); a problem when
    the form's copy of that text came back damaged."""
    form.base_sha256 = request.form.get("base_sha256", "")
    try:
        form.base_text = unpack("base")
    except Damaged as exc:
        return [FieldProblem("form", str(exc))]
    return []


def conflict_page_values(form, conflict: Conflict, error: str | None) -> dict:
    """What a conflict page shows of any record: the two texts (and the version the form was opened on)
    packed for its hidden fields, their diff, and an error of the last attempt."""
    return {
        "form": form,
        "conflict": conflict,
        "diff": conflict_diff(conflict.disk_text, conflict.typed_text),
        "error": error,
        "base": pack(form.base_text),
        "disk": pack(conflict.disk_text),
        "typed": pack(conflict.typed_text),
    }


def conflict_choice() -> tuple[str, str, str] | None:
    """The conflict page's choice: None for "Keep the version on disk" (nothing is written); for "Keep what
    I typed", the typed text, the disk's text and the disk's hash. Any other answer is a 400."""
    if request.form.get("choice", "") == "disk":
        return None
    if request.form.get("choice", "") != "typed":
        abort(400, description="choose 'Keep what I typed' or 'Keep the version on disk'")
    try:
        return unpack("typed"), unpack("disk"), request.form.get("disk_sha256", "")
    except Damaged as exc:
        abort(400, description=str(exc))


def _posted_story() -> tuple[story_form.StoryForm, list[FieldProblem]]:
    form = story_form.StoryForm.from_fields(request.form)
    return form, posted_base(form)


def _story_page(
    form: story_form.StoryForm,
    path: str | None,
    errors=(),
    preview: bool = False,
    notice: str | None = None,
    status: int = 200,
):
    preview_html = core.markdown_filter(story_form.preview_markdown(form)) if preview else None
    kept_keys, kept_sections = story_form.kept_as_written(form) if form.base_text else ([], [])
    page = render_template(
        "write/casestudy_form.html",
        form=form,
        path=path,
        new=path is None,
        errors=_errors(list(errors)),
        preview_html=preview_html,
        broken=_broken(form, path) if preview else [],
        evidence=evidence_panel(core.catalog(), _urls(), form.customer),
        notice=notice,
        kept_keys=kept_keys,
        kept_sections=kept_sections,
        base=pack(form.base_text),
        customers=_customers(),
        statuses=STATUSES,
        questions=QUESTIONS,
    )
    return page, status


def _save_story(form: story_form.StoryForm, path: str | None):
    workspace = core.workspace()
    try:
        saved = story_form.save_casestudy(workspace.kb, form, path)
    except Invalid as exc:
        return _story_page(form, path, exc.errors, status=400)
    except Conflict as exc:
        return _conflict_page(form, exc, path)
    except KbError as exc:
        return _story_page(form, path, [FieldProblem("form", str(exc))], status=400)
    return _saved(saved)


def _saved(saved: Saved, note: str | None = None):
    root = core.workspace().kb.root
    core.refresh_now([str(root / path) for path in (saved.path, *saved.created)])  # the next page shows them at once
    made = f" and made {', '.join(saved.created)} for the new customer" if saved.created else ""
    flash(f"Saved {saved.path}{made}.", "saved")
    if note:
        flash(note, "as-of")
    endpoint = "browse.casestudy"
    if saved.path.startswith(("content/interviews/", "content/customers/")):
        endpoint = "browse.interview" if saved.path.startswith("content/interviews/") else "browse.customer"
    return redirect(url_for(endpoint, slug=saved.slug), code=303)


# The forms that make a record live under /new/, never beside the records' pages: a case study or an
# interview may be named `new` (any file name is a slug).
@bp.route("/new/casestudy", methods=["GET", "POST"])
def new_casestudy():
    """The form for a new case study; saving writes casestudies/<slug>.md, never over a file."""
    if request.method == "GET":
        return _story_page(story_form.StoryForm(customer=request.args.get("customer", "")[:200]), None)
    form, damaged = _posted_story()
    action = request.form.get("action", "save")
    if damaged:
        return _story_page(form, None, damaged, status=400)
    if action == "preview":
        return _story_page(form, None, preview=True)
    if action == "reopen":
        taken = f"casestudies/{form.slug}.md exists now: choose another name, or save it from the conflict page"
        return _story_page(form, None, [FieldProblem("slug", taken)] if form.slug else ())
    return _save_story(form, None)


def _opened(path: Path) -> story_form.StoryForm | None:
    """The form of a case study file, or None when it was deleted since the index saw it."""
    try:
        return story_form.load_casestudy(path)[0]
    except FileNotFoundError:
        return None


@bp.route("/casestudies/<slug:slug>/edit", methods=["GET", "POST"])
def edit_casestudy(slug: str):
    """The form for an existing case study; saving writes only if the file is still the version opened."""
    kb = core.workspace().kb
    path = record_pages.path_of(core.catalog(), "casestudy", slug)
    if request.method == "GET":
        opened = _opened(kb.root / path) if path else None
        if opened is None:
            abort(404, description=f"There is no case study '{slug[:100]}' to edit.")
        return _story_page(opened, path)
    form, damaged = _posted_story()
    form.slug = slug
    posted = request.form.get("path", "")
    if posted.startswith("casestudies/") and slug_of(posted) == slug:
        path = posted  # the file it was opened from, even if it has been deleted since (save refuses odd paths)
    if path is None:
        abort(404, description=f"There is no case study '{slug[:100]}' to edit.")
    action = request.form.get("action", "save")
    if damaged:
        return _story_page(form, path, damaged, status=400)
    if action == "preview":
        return _story_page(form, path, preview=True)
    if action == "reopen":
        try:
            disk = unpack("disk")
        except Damaged as exc:
            return _story_page(form, path, [FieldProblem("form", str(exc))], status=400)
        form = story_form.rebase(form, disk, request.form.get("disk_sha256", ""))
        return _story_page(
            form,
            path,
            notice="Your changes are now on top of the version on disk: the fields "
            "you had not touched show the text on disk. Check them, then save.",
        )
    return _save_story(form, path)


@bp.route("/preview", methods=["POST"])
def preview():
    """The sanitized HTML of the story a form would write (the preview script's endpoint), below the list of
    its links that point to no record."""
    form, _damaged = _posted_story()
    posted = request.form.get("path", "")
    path = posted if posted.startswith("casestudies/") and posted.endswith(".md") else None
    return render_template(
        "write/_preview.html",
        preview_html=core.markdown_filter(story_form.preview_markdown(form)),
        broken=_broken(form, path),
    )


def _urls() -> Urls:
    return Urls(record=core.record_url)


def _broken(form: story_form.StoryForm, path: str | None) -> list[str]:
    """What `kb check` would say of the links of the story the form would write that point to no record."""
    try:
        text = story_form.casestudy_text(form, form.base_text or None)
    except KbError:
        text = story_form.casestudy_text(form, None)  # the file is not editable: the preview shows the same
    return broken_links(core.catalog(), text, path or f"casestudies/{form.slug or 'story'}.md")


@bp.route("/write/evidence")
def evidence():
    """The evidence panel for another customer (the form's script asks when the customer field changes)."""
    panel = evidence_panel(core.catalog(), _urls(), request.args.get("customer", ""))
    return render_template("write/_evidence.html", evidence=panel)


def _conflict_page(form: story_form.StoryForm, conflict: Conflict, path: str | None, error: str | None = None):
    page = render_template(
        "write/conflict.html",
        **conflict_page_values(form, conflict, error),
        what="story",
        slug=slug_of(conflict.path or ""),
        new=path is None,
        questions=QUESTIONS,
    )
    return page, 409


@bp.route("/write/conflict", methods=["POST"])
def resolve_conflict():
    """The conflict page's choice: write exactly the typed text (guarded by the disk's hash), or nothing."""
    form, _damaged = _posted_story()  # only shown again on a new conflict: "typed" carries the text
    path = request.form.get("path", "")
    new = request.form.get("new") == "1"
    chosen = conflict_choice()
    if chosen is None:
        disk_sha256 = request.form.get("disk_sha256", "")
        target = url_for("browse.casestudy", slug=slug_of(path)) if disk_sha256 else url_for("browse.casestudies")
        return redirect(target, code=303)
    typed, disk, disk_sha256 = chosen
    try:
        saved = story_form.save_exact(core.workspace().kb, path, typed, disk_sha256)
    except Conflict as exc:
        return _conflict_page(form, exc, None if new else path)
    except Invalid as exc:
        conflict = Conflict(path, disk, disk_sha256, typed)
        return _conflict_page(form, conflict, None if new else path, error=str(exc))
    return _saved(saved)


@bp.route("/new/interview", methods=["GET", "POST"])
def log_call():
    """Log a call: a short form that writes a new interview (and the customer, when new)."""
    pinned = core.workspace().settings.as_of
    if request.method == "GET":
        # A KB pinned to an as-of date shows only the calls up to that day: a new call is of that day.
        day = (pinned or dt.date.today()).isoformat()
        return _call_page(call_form.CallForm(customer=request.args.get("customer", "")[:200], date=day))
    form = call_form.CallForm.from_fields(request.form)
    try:
        saved = call_form.log_call(core.workspace().kb, form)
    except Invalid as exc:
        return _call_page(form, exc.errors, status=400)
    except KbError as exc:
        return _call_page(form, [FieldProblem("form", str(exc))], status=400)
    return _saved(saved, call_form.after_as_of(form.date, pinned))


def _call_page(form: call_form.CallForm, errors=(), status: int = 200):
    page = render_template(
        "write/call_form.html", form=form, errors=_errors(list(errors)), kinds=INTERVIEW_KINDS, customers=_customers()
    )
    return page, status
