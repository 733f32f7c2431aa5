"""The method pages: home (the ONE goal and the gate), compare, and metrics behind the gate.

Each view reads the request, asks the method engine (`kb.milestones`, `kb.metrics`, `kb.compare`) for
what it computes as of D, and renders it; the `/api/` twins hold the same facts as JSON.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, url_for

from kb.errors import GateShut
from kb.method.as_of import resolve_as_of
from kb.method.company import Company, company_of
from kb.method.compare import comparison_of, first_sentence, question_page, summary_of
from kb.method.metrics import metrics as company_metrics
from kb.method.status import Status, status
from kb.views.charts import metric_svg
from kb.views.lists import Urls
from kb.views.paging import Paging
from kb.views.recent_edits import recent_edits
from kb.web.core import arg_date, arg_int, catalog, memo, record_url, table_response, table_routes, workspace

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


@table_routes(bp, "/compare", "compare")
def compare(fmt: str):
    company = _company()
    if fmt == "html":
        # The page summarises (counts per status, first sentences); each question's answers are paged,
        # so the page stays small at any size. The downloads and /api/ twin hold every answer.
        summary = memo("compare", (company.as_of, company.settings), lambda: summary_of(catalog(), company))
        return table_response(
            summary.shown_table(),
            fmt,
            "method/compare.html",
            comparison=summary,
            as_of=company.as_of,
            as_of_args=_as_of_arg(),
            document_url=url_for("method.compare_document", **_as_of_arg()),
            first_sentence=first_sentence,
        )
    comparison = comparison_of(catalog(), company)
    return table_response(
        comparison.answers_table(), fmt, "", json_extra={"tags": comparison.tags_table().to_json()["rows"]}
    )


@bp.get("/compare/questions/<key>")
def compare_question(key: str):
    """One question's answers in full, a page of each side at a time."""
    company = _company()
    found = question_page(catalog(), company, key, arg_int("page", 1, maximum=1_000_000))
    paging = Paging(found.page, found.per, max(found.totals.values()))
    return render_template(
        "method/compare_question.html", found=found, paging=paging, as_of=company.as_of, as_of_args=_as_of_arg()
    )


@bp.get("/compare/document.md")
def compare_document():
    """The compare view as one Markdown document (what `kb compare --format markdown` prints)."""
    company = _company()
    text = comparison_of(catalog(), company).to_markdown()
    return Response(
        text,
        mimetype="text/markdown; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="compare.md"'},
    )


@table_routes(bp, "/compare/tags", "compare_tags")
def compare_tags(fmt: str):
    company = _company()
    summary = summary_of(catalog(), company, shown=0)  # the tags alone: no answer is read
    return table_response(summary.tags_table(), fmt, "method/compare_tags.html", comparison=summary)


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
