"""Marking a quote on a call's page: the selected words, an id and tags written into the call's file.

The form carries the sha256 of the file the page was rendered from; the words are marked in the file on
disk only if it is still that version, and saved through the guarded atomic save. Any refusal shows the
call's page again, with the message above the form and what was typed kept in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from sqlalchemy import select
from sqlmodel import col

from kb.authoring.quote_marking import CannotMark, mark_quote
from kb.authoring.saving import Conflict, save
from kb.errors import KbError
from kb.records.files import content_hash
from kb.records.quotes import anchor
from kb.store.models import FileState
from kb.views import record_pages
from kb.web import core, record_routes

bp = Blueprint("quotes", __name__)

MAX_SELECTION = 4000  # characters: a quote is a sentence or a few, not a page
CHANGED = (
    "{path} changed on disk since this page was opened (in your editor, or another window), so nothing was "
    "written. The page now shows the file as it is: check the words, then save the quote again."
)


@dataclass
class QuoteForm:
    """What the "Mark as quote" form shows: the words, id and tags typed, and the version of the file."""

    selection: str = ""
    block: str = ""
    tags: str = ""
    base_sha256: str = ""
    error: str | None = None


def quote_form(path: str) -> QuoteForm:
    """The form for the call at `path`: as posted, after a refusal; else empty, for the version the page shows."""
    form = g.get("quote_form") or QuoteForm()
    # The version of the body this page shows: the one the store read, whatever is on disk by now.
    query = select(col(FileState.sha256)).where(col(FileState.path) == path)
    form.base_sha256 = core.session().execute(query).scalar() or ""
    return form


@bp.record_once
def _register(state) -> None:
    state.app.add_template_global(quote_form, "quote_form")


@bp.route("/interviews/<slug:slug>/quotes", methods=["POST"])
def mark(slug: str):
    """Mark the selected words of a call as a quote in its file, then show them on the call's page."""
    root = core.workspace().kb.root
    path = record_pages.path_of(core.catalog(), "interview", slug)
    if path is None:
        abort(404)
    form = g.quote_form = QuoteForm(
        selection=request.form.get("selection", ""),
        block=request.form.get("block", "")[:200],
        tags=request.form.get("tags", "")[:500],
    )
    base_sha256 = request.form.get("base_sha256", "")
    if len(form.selection) > MAX_SELECTION:
        return _again(
            slug, f"the selection is {len(form.selection)} characters long: a quote is at most {MAX_SELECTION}"
        )
    try:
        data = (root / path).read_bytes()
    except FileNotFoundError:
        return _again(slug, f"{path} was deleted since this page was opened, so nothing was written", 409, path)
    except OSError as exc:
        return _again(slug, f"{path} cannot be read: {exc.strerror or exc}")
    if content_hash(data) != base_sha256:
        return _again(slug, CHANGED.format(path=path), 409, path)
    try:
        marked = mark_quote(data.decode("utf-8"), form.selection, form.block, form.tags)
        save(core.workspace().kb, path, marked.text, base_sha256)
    except UnicodeDecodeError:
        return _again(slug, f"{path} is not UTF-8 text: open it in your editor and save it as UTF-8")
    except Conflict:
        return _again(slug, CHANGED.format(path=path), 409, path)
    except (CannotMark, KbError) as exc:
        return _again(slug, str(exc))
    core.refresh_now([str(root / path)])  # the page we send the user to shows the quote
    flash(f"Saved {path}: the quote ^{marked.block}.", "saved")
    return redirect(url_for("browse.interview", slug=slug, _anchor=anchor(marked.block)), code=303)


def _again(slug: str, message: str, status: int = 400, changed: str | None = None):
    """The call's page again, with the message above the form and what was typed kept in it."""
    g.quote_form.error = message
    if changed is not None:
        core.refresh_now([str(core.workspace().kb.root / changed)])  # the page shows the file as it is now
    if record_pages.path_of(core.catalog(), "interview", slug) is None:  # the call is gone
        return core.error_response(status, "Not written", message)
    return record_routes.interview(slug), status
