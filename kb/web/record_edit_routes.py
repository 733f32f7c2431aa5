"""Editing a customer or an interview in the browser: its form, the change-only guarded save, and the
conflict page when the file changed on disk since the form was opened.

As with a story, what the user typed comes back into the page on every error, and the version of the file
the form was opened on travels in the form base64-encoded, so that it comes back byte for byte.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, redirect, render_template, request, url_for

from kb.authoring import record_form
from kb.authoring.form_checks import FieldProblem, Invalid
from kb.authoring.saving import Conflict
from kb.errors import KbError
from kb.views import record_pages
from kb.vocabulary import TYPE_DIRS, slug_of
from kb.web import core
from kb.web.writing_routes import (
    Damaged,
    _customers,
    _errors,
    _saved,
    conflict_choice,
    conflict_page_values,
    pack,
    posted_base,
    unpack,
)

bp = Blueprint("edit", __name__)

NAMES = {"customer": "customer", "interview": "call"}
PAGES = {"customer": "browse.customer", "interview": "browse.interview"}


def _posted(record_type: str) -> tuple[record_form.RecordForm, list[FieldProblem]]:
    form = record_form.RecordForm.from_fields(record_type, request.form)
    return form, posted_base(form)


def _page(form: record_form.RecordForm, path: str, errors=(), notice: str | None = None, status: int = 200):
    page = render_template(
        "write/record_form.html",
        form=form,
        path=path,
        what=NAMES[form.type],
        fields=record_form.FORM_FIELDS[form.type],
        body_label=record_form.BODY_LABEL[form.type],
        errors=_errors(list(errors)),
        kept_keys=record_form.kept_keys(form) if form.base_text else [],
        notice=notice,
        base=pack(form.base_text),
        customers=_customers() if form.type == "interview" else [],
        action=url_for(f"edit.edit_{form.type}", slug=form.slug),
        page_url=url_for(PAGES[form.type], slug=form.slug),
    )
    return page, status


def _conflict(form: record_form.RecordForm, conflict: Conflict, error: str | None = None):
    page = render_template(
        "write/record_conflict.html",
        **conflict_page_values(form, conflict, error),
        what=NAMES[form.type],
        fields=record_form.FORM_FIELDS[form.type],
        reopen=url_for(f"edit.edit_{form.type}", slug=form.slug),
    )
    return page, 409


def _edit(record_type: str, slug: str):
    """The form of a customer or interview file; saving writes only if the file is still the version opened."""
    what = NAMES[record_type]
    path = record_pages.path_of(core.catalog(), record_type, slug)
    if request.method == "GET":
        opened = _opened(record_type, core.workspace().kb.root / path) if path else None
        if opened is None or path is None:
            abort(404, description=f"There is no {what} '{slug[:100]}' to edit.")
        return _page(opened, path)
    form, damaged = _posted(record_type)
    form.slug = slug
    posted = request.form.get("path", "")
    if posted.startswith(TYPE_DIRS[record_type] + "/") and slug_of(posted) == slug:
        path = posted  # the file it was opened from, even if deleted since (save refuses odd paths)
    if path is None:
        abort(404, description=f"There is no {what} '{slug[:100]}' to edit.")
    if damaged:
        return _page(form, path, damaged, status=400)
    if request.form.get("action") == "reopen":
        try:
            disk = unpack("disk")
        except Damaged as exc:
            return _page(form, path, [FieldProblem("form", str(exc))], status=400)
        form = record_form.rebase_record(form, disk, request.form.get("disk_sha256", ""))
        notice = (
            "Your changes are now on top of the version on disk: the fields you had not touched show "
            "the text on disk. Check them, then save."
        )
        return _page(form, path, notice=notice)
    try:
        saved = record_form.save_record(core.workspace().kb, form, path)
    except Invalid as exc:
        return _page(form, path, exc.errors, status=400)
    except Conflict as exc:
        return _conflict(form, exc)
    except KbError as exc:
        return _page(form, path, [FieldProblem("form", str(exc))], status=400)
    return _saved(saved)


def _opened(record_type: str, path: Path) -> record_form.RecordForm | None:
    try:
        return record_form.load_record(record_type, path)
    except FileNotFoundError:
        return None


@bp.route("/customers/<slug:slug>/edit", methods=["GET", "POST"])
def edit_customer(slug: str):
    """Edit a customer's file: its fields and its profile and notes."""
    return _edit("customer", slug)


@bp.route("/interviews/<slug:slug>/edit", methods=["GET", "POST"])
def edit_interview(slug: str):
    """Edit a call's file: its fields and its notes."""
    return _edit("interview", slug)


@bp.route("/write/record-conflict", methods=["POST"])
def resolve_conflict():
    """The conflict page's choice: write exactly the typed text (guarded by the disk's hash), or nothing."""
    record_type = request.form.get("type", "")
    if record_type not in NAMES:
        abort(400, description="the form names no record type kb edits here")
    form, _damaged = _posted(record_type)
    path = request.form.get("path", "")
    form.slug = slug_of(path)
    chosen = conflict_choice()
    if chosen is None:
        disk_sha256 = request.form.get("disk_sha256", "")
        return redirect(url_for(PAGES[record_type], slug=form.slug) if disk_sha256 else url_for("method.home"), 303)
    typed, disk, disk_sha256 = chosen
    try:
        saved = record_form.save_exact_record(core.workspace().kb, record_type, path, typed, disk_sha256)
    except Conflict as exc:
        return _conflict(form, exc)
    except Invalid as exc:
        return _conflict(form, Conflict(path, disk, disk_sha256, typed), error=str(exc))
    except KbError as exc:
        abort(400, description=str(exc))
    return _saved(saved)
