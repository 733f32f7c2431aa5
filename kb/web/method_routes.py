"""The method pages: home (the ONE goal and the gate), compare, and metrics behind the gate.

Each view reads the request, asks the method engine (`kb.milestones`, `kb.metrics`, `kb.compare`) for
what it computes as of D, and renders it; the `/api/` twins hold the same facts as JSON.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from kb.errors import GateShut
from kb.method.as_of import resolve_as_of
from kb.method.company import Company, company_of
from kb.method.compare import Comparison, comparison_of, term_counts
from kb.method.compare_filters import COMPARED_STATUSES, CompareFilter
from kb.method.compare_question import question_of, question_page
from kb.method.metrics import metrics as company_metrics
from kb.method.status import Status, status
from kb.method.synthesis import term_spans
from kb.search.plain import plain_text
from kb.views.charts import metric_svg
from kb.views.lists import Urls
from kb.views.paging import Paging
from kb.views.recent_edits import recent_edits
from kb.web.core import (
    arg_date,
    arg_int,
    bad_request,
    catalog,
    memo,
    record_url,
    table_response,
    table_routes,
    workspace,
)

bp = Blueprint("method", __name__)


def _company() -> Company:
    """Everything the method reads, as of `?as_of=` (else kb.toml's, else today); the future is a 400.
    It reads the whole KB: computed once per change of the files, as-of date and settings."""
    settings = workspace().settings
    as_of = resolve_as_of(arg_date("as_of"), settings)
    return memo("company", (as_of, settings), lambda: company_of(catalog(), settings, as_of))


def _status() -> Status:
    """The status as of `?as_of=` (else kb.toml's, else today), kept as the company is."""
    company = _company()
    return memo("status", (company.as_of, company.settings), lambda: status(company))


@bp.get("/")
def home():
    found = _status()
    return render_template(
        "method/home.html",
        status=found,
        gate=found.gate,
        calls=catalog().recent_calls(found.company.day),
        edits=recent_edits(catalog(), Urls(record=record_url), workspace().kb.root, found.company.day),
    )


@bp.get("/api/status")
def status_json():
    return jsonify(_status().as_dict())


# Lines of each question on the compare page: a side shows at least half, and more when the other has fewer;
# the rest are on the question's own pages. The page is then of a bounded size, whatever the KB's.
LINES_PER_QUESTION = 100
# Answers together shorter than this are on the page, each in its <details>; longer, each is read when opened.
INLINE_ANSWER_CHARS = 120_000


def _filters() -> CompareFilter:
    """The compare filters of the query (?status=, ?tag=, ?source=, ?owner=, ?segment=, ?won_from=, ?won_to=)."""
    statuses = tuple(dict.fromkeys(s.strip() for s in request.args.getlist("status") if s.strip()))
    for wrong in (s for s in statuses if s not in COMPARED_STATUSES):
        bad_request(f"status: expected one of {', '.join(COMPARED_STATUSES)}; got {wrong[:40]!r}")
    tags = tuple(dict.fromkeys(t.strip().lower() for t in request.args.getlist("tag") if t.strip()))
    texts = {}
    for name in ("source", "owner", "segment"):
        texts[name] = request.args.get(name, "").strip()
        if len(texts[name]) > 200:
            bad_request(f"{name}: expected at most 200 characters; got {len(texts[name]):,}")
    won_from, won_to = arg_date("won_from"), arg_date("won_to")
    if won_from and won_to and won_from > won_to:
        bad_request(f"won_to: expected a day on or after won_from ({won_from.isoformat()}); got {won_to.isoformat()}")
    return CompareFilter(statuses, tags, texts["source"], texts["owner"], texts["segment"], won_from, won_to)


def _comparison() -> Comparison:
    """The compare view of the stories the query's filters keep, kept until the files change."""
    company = _company()
    filters = _filters()
    return memo(
        "compare", (company.as_of, company.settings, filters), lambda: comparison_of(catalog(), company, filters)
    )


def _compare_args(**more) -> dict:
    """The as-of date and the filters of this page, for links to another compare page."""
    return {**_as_of_arg(), **_filters().as_args(), **more}


@table_routes(bp, "/compare", "compare")
def compare(fmt: str):
    comparison = _comparison()
    if fmt == "html":
        # One line per story and question, up to LINES_PER_QUESTION; every answer in the downloads.
        per_side = max(
            LINES_PER_QUESTION // 2,
            LINES_PER_QUESTION - min(comparison.hell_yes_stories, comparison.contrast_stories),
        )
        return table_response(
            comparison.answers_table(per_side=per_side),
            fmt,
            "method/compare.html",
            comparison=comparison,
            as_of=_company().as_of,
            as_of_args=_as_of_arg(),
            compare_args=_compare_args(),
            per_side=per_side,
            inline=comparison.answer_chars <= INLINE_ANSWER_CHARS,
            document_url=url_for("method.compare_document", **_compare_args()),
            term_counts=term_counts,
        )
    return table_response(
        comparison.answers_table(),
        fmt,
        "",
        json_extra={
            "filters": comparison.filters.as_args(),
            "terms": comparison.terms_table().to_json()["rows"],
            "people": comparison.people_table().to_json()["rows"],
            "tags": comparison.tags_table().to_json()["rows"],
        },
    )


@bp.get("/compare/questions/<key>")
def compare_question(key: str):
    """One question's answers in full, a page of each side at a time; with ?term=, those using the term."""
    question_of(key)
    term = request.args.get("term", "").strip()
    if len(term) > 100:
        bad_request(f"term: expected at most 100 characters; got {len(term):,}")
    # A term's answers are a short read (a line marked each): fifty a side a page, else ten in full.
    page = arg_int("page", 1, maximum=1_000_000)
    found = question_page(_comparison(), key, page, per=50 if term else 10, term=term)
    paging = Paging(found.page, found.per, max(found.totals.values()))
    return render_template(
        "method/compare_question.html",
        found=found,
        paging=paging,
        as_of=_company().as_of,
        as_of_args=_as_of_arg(),
        compare_args=_compare_args(),
        marked=lambda text: _marked(text, found.term.term if found.term else ""),
        term_counts=term_counts,
    )


@bp.get("/compare/questions/<key>/<slug:story>")
def compare_answer(key: str, story: str):
    """One story's answer to one question in full, with the quotes it cites (what a line of compare opens)."""
    question = question_of(key)
    comparison = _comparison()
    row = next(r for r in comparison.rows if r.key == key)
    answer = next((a for a in row.hell_yes + row.contrast if a.story == story), None)
    if answer is None:
        abort(404, description=f"No hell-yes, meh or churned story called {story[:60]!r} is compared here.")
    return render_template(
        "method/compare_answer.html",
        question=question,
        answer=answer,
        as_of=_company().as_of,
        compare_args=_compare_args(),
    )


def _marked(text: str, term: str) -> list[tuple[str, bool]]:
    """The text as a reader reads it, in pieces, those that are the term marked."""
    shown = plain_text(text)
    pieces, at = [], 0
    for start, end in term_spans(shown, term) if term else []:
        pieces += [(shown[at:start], False), (shown[start:end], True)]
        at = end
    return [*pieces, (shown[at:], False)]


@bp.get("/compare/document.md")
def compare_document():
    """The compare view as one Markdown document (what `kb compare --format markdown` prints)."""
    text = _comparison().to_markdown()
    return Response(
        text,
        content_type="text/markdown; charset=utf-8",  # not mimetype: Werkzeug would add a second charset
        headers={"Content-Disposition": 'attachment; filename="compare.md"'},
    )


@table_routes(bp, "/compare/tags", "compare_tags")
def compare_tags(fmt: str):
    comparison = _comparison()
    return table_response(comparison.tags_table(), fmt, "method/compare_tags.html", comparison=comparison)


@table_routes(bp, "/compare/terms", "compare_terms")
def compare_terms(fmt: str):
    comparison = _comparison()
    return table_response(comparison.terms_table(), fmt, "method/compare_tags.html", comparison=comparison)


@table_routes(bp, "/compare/people", "compare_people")
def compare_people(fmt: str):
    comparison = _comparison()
    return table_response(comparison.people_table(), fmt, "method/compare_tags.html", comparison=comparison)


@bp.get("/metrics")
def metrics_page():
    company = _company()
    try:
        found = company_metrics(company)
    except GateShut:
        found_status = status(company)
        body = render_template("method/metrics_shut.html", status=found_status, gate=found_status.gate)
        return Response(body, status=403)
    return render_template(
        "method/metrics.html",
        metrics=found,
        as_of=company.as_of,
        chart_url=lambda key: url_for("method.chart", key=key, **_as_of_arg()),
    )


@bp.get("/api/metrics")
def metrics_json():
    company = _company()
    try:
        found = company_metrics(company)
    except GateShut as shut:
        response = jsonify({"error": {"status": 403, "message": str(shut)}, **shut.facts})
        response.status_code = 403
        return response
    return jsonify({"as_of": company.day.isoformat(), "metrics": [m.as_dict() for m in found]})


@bp.get("/metrics/<key>.svg")
def chart(key: str):
    company = _company()
    try:
        found = {m.key: m for m in company_metrics(company)}
    except GateShut as shut:
        abort(403, description=str(shut))
    if key not in found:
        abort(404, description=f"There is no metric called {key[:60]!r}; the metrics are {', '.join(found)}.")
    return Response(
        metric_svg(found[key]),
        mimetype="image/svg+xml",
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


def _as_of_arg() -> dict:
    chosen = arg_date("as_of")
    return {"as_of": chosen.isoformat()} if chosen else {}
