"""Importing a call in the browser, from a customer's page: upload a transcript or notes, see the interview it
would write, save exactly that.

Each view reads the form and calls `kb.authoring.importing`. The uploaded bytes travel in the preview's form,
base64-encoded, and saving plans the import again from them: the file is written only if the plan is still
the one previewed (a call imported meanwhile can change its name), else the new plan is shown to save.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from dataclasses import dataclass

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from kb.authoring.importing import ImportPlan, plan_import, write_import
from kb.authoring.transcripts import EXPECTED, LARGEST_FILE, Transcript, read_transcript
from kb.errors import KbError
from kb.records.parse import parse_bytes
from kb.views import lists, record_pages
from kb.vocabulary import INTERVIEW_KINDS, is_date_text, slug_of
from kb.web import core

bp = Blueprint("importing", __name__)

# read_transcript refuses a file above LARGEST_FILE with its own message. The save form carries the file
# base64-encoded (4/3 of its size) beside a few short fields: a request up to this size is read.
LARGEST_POST = LARGEST_FILE * 4 // 3 + 2**20
DEFAULT_KIND = "other"  # as `kb import` without --kind


@dataclass
class ImportOptions:
    """What the form says of the call besides its file: kind, day (YYYY-MM-DD or empty) and owner."""

    kind: str = DEFAULT_KIND
    date: str = ""
    owner: str = ""

    @classmethod
    def posted(cls) -> ImportOptions:
        """The options of the posted form, each cut to a sane length."""
        form = request.form
        kind = form.get("kind", "").strip() or DEFAULT_KIND
        return cls(kind=kind[:50], date=form.get("date", "").strip()[:50], owner=form.get("owner", "").strip()[:200])

    def errors(self) -> dict[str, str]:
        """Each field's problem, by field name."""
        found = {}
        if self.kind not in INTERVIEW_KINDS:
            found["kind"] = f"expected one of {', '.join(INTERVIEW_KINDS)}; got {self.kind!r}"
        if self.date and self.day is None:
            found["date"] = f"expected a date as YYYY-MM-DD; got {self.date!r}"
        return found

    @property
    def day(self) -> dt.date | None:
        """The day given, or None (then the one the file tells is used)."""
        if not is_date_text(self.date):
            return None
        try:
            return dt.date.fromisoformat(self.date)
        except ValueError:
            return None


class NotImported(KbError):
    """The upload cannot become a call: each message is shown beside its field, with the form again."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(errors.values()))


def _customer(slug: str) -> record_pages.CustomerPage:
    """The customer's page facts; 404 (UnknownRecord) where the customer has no page."""
    urls = lists.Urls(record=core.record_url)
    return record_pages.customer(core.catalog(), slug, urls, [])


def _plan(slug: str, name: str, data: bytes, options: ImportOptions) -> tuple[Transcript, ImportPlan]:
    """Read the file and plan its import for this customer; NotImported says what is wrong."""
    errors = options.errors()
    if errors:
        raise NotImported(errors)
    transcript = read_transcript(name, data)  # UnreadableTranscript names the file and what was expected
    try:
        plan = plan_import(core.workspace().kb, transcript, slug, options.kind, options.day, options.owner)
    except KbError as exc:
        if options.day is None and transcript.date is None:
            # Neither the file, its metadata nor its name tells the day: the form asks for it.
            raise NotImported({"date": f"{name}: the file tells no day of the call: give it here"}) from None
        raise NotImported({"file": str(exc)}) from None
    return transcript, plan


def _planned(slug: str, name: str, data: bytes, options: ImportOptions):
    """`_plan`'s transcript and plan, or the form again saying what is wrong (a 400 response)."""
    try:
        return _plan(slug, name, data, options)
    except NotImported as exc:
        return make_response(_form_page(slug, options, exc.errors, status=400))
    except KbError as exc:
        return make_response(_form_page(slug, options, {"file": str(exc)}, status=400))


def _form_page(slug: str, options: ImportOptions | None = None, errors: dict[str, str] | None = None, status=200):
    page = render_template(
        "write/import_form.html",
        customer=_customer(slug),
        options=options or ImportOptions(),
        errors=errors or {},
        kinds=INTERVIEW_KINDS,
        expected=EXPECTED,
        largest_mb=LARGEST_FILE // 2**20,
    )
    return page, status


def _preview_page(
    slug: str, name: str, data: bytes, options: ImportOptions, transcript: Transcript, plan: ImportPlan, notice=None
):
    front, body = _split(plan) if not plan.already_imported else ("", "")
    page = render_template(
        "write/import_preview.html",
        customer=_customer(slug),
        name=name,
        options=options,
        transcript=transcript,
        plan=plan,
        front=front,
        body=body,
        rendered=core.markdown_filter(body) if body else None,
        upload=base64.b64encode(data).decode("ascii"),
        text_sha256=hashlib.sha256(plan.text.encode("utf-8")).hexdigest(),
        imported_url=url_for("browse.interview", slug=slug_of(plan.path)) if plan.already_imported else None,
        notice=notice,
    )
    return page, 409 if notice else 200


def _split(plan: ImportPlan) -> tuple[str, str]:
    """The planned text's front matter (with its `---` lines) and its body, as the call's page reads them."""
    record = parse_bytes(plan.text.encode("utf-8"), plan.path, "interview")
    lines = plan.text.split("\n")
    return "\n".join(lines[: record.body_line - 1]) + "\n", record.body


@bp.route("/customers/<slug:slug>/import", methods=["GET"])
def import_form(slug: str):
    """The form to import a call with this customer from a transcript or notes file."""
    return _form_page(slug)


@bp.route("/customers/<slug:slug>/import", methods=["POST"])
def import_preview(slug: str):
    """The interview an uploaded file would become (nothing is written), or the call it already is."""
    options = ImportOptions.posted()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _form_page(slug, options, {"file": f"choose a file: {EXPECTED}"}, status=400)
    name, data = upload.filename[:255], upload.read()
    planned = _planned(slug, name, data, options)
    if not isinstance(planned, tuple):
        return planned
    transcript, plan = planned
    return _preview_page(slug, name, data, options, transcript, plan)


@bp.route("/customers/<slug:slug>/import/save", methods=["POST"])
def import_save(slug: str):
    """Write the previewed call, if saving now would write exactly what was previewed; else show what it would."""
    options = ImportOptions.posted()
    name = request.form.get("name", "")[:255]
    try:
        data = base64.b64decode(request.form.get("upload", ""), validate=True)
    except (binascii.Error, ValueError):
        message = "the preview's copy of the file did not come back intact, so nothing was saved: choose the file again"
        return _form_page(slug, options, {"file": message}, status=400)
    planned = _planned(slug, name, data, options)
    if not isinstance(planned, tuple):
        return planned
    transcript, plan = planned
    if plan.already_imported:
        return _preview_page(slug, name, data, options, transcript, plan, notice="Nothing was saved.")
    previewed = (request.form.get("path", ""), request.form.get("text_sha256", ""))
    if previewed != (plan.path, hashlib.sha256(plan.text.encode("utf-8")).hexdigest()):
        notice = "Nothing was saved: the KB changed since the preview, so saving now writes this instead. Check it."
        return _preview_page(slug, name, data, options, transcript, plan, notice=notice)
    try:
        saved = write_import(core.workspace().kb, plan)
    except KbError as exc:
        return _form_page(slug, options, {"file": str(exc)}, status=400)
    root = core.workspace().kb.root
    core.refresh_now([str(root / path) for path in (saved.path, *saved.created)])  # the next page shows them
    made = f" and made {', '.join(saved.created)} for the new customer" if saved.created else ""
    flash(f"Saved {saved.path}{made}.", "saved")
    return redirect(url_for("browse.interview", slug=saved.slug), code=303)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge):
    """An upload above the size kb reads: the form again, saying so."""
    slug = (request.view_args or {}).get("slug", "")
    message = (
        f"the file is too large to import: kb reads a transcript or notes file of up to {LARGEST_FILE // 2**20} MB "
        "(a two-hour call's transcript is a few hundred kilobytes)"
    )
    try:
        return _form_page(slug, errors={"file": message}, status=413)
    except KbError:  # no such customer: the plain error page says the same
        return core.error_response(413, "Too large", message[0].upper() + message[1:])
