"""Browsing: the lists of case studies, customers, interviews and problems, and each record's page."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from kb.method.as_of import resolve_as_of
from kb.method.problems import problems_in_file
from kb.views import lists, paging, record_pages
from kb.vocabulary import INTERVIEW_KINDS, STATUSES
from kb.web import core

bp = Blueprint("browse", __name__)


def _urls() -> lists.Urls:
    return lists.Urls(record=core.record_url, filtered=lambda **filters: core.query_url(**filters))


@core.table_routes(bp, "/casestudies", "casestudies")
def casestudies(fmt: str):
    status = core.arg_choice("status", STATUSES)
    tag = core.arg_text("tag", max_length=100)
    customer = core.arg_text("customer", max_length=200)
    sort = core.arg_choice("sort", lists.CASE_STUDY_SORTS.choices())
    page = lists.case_studies(
        core.session(), _urls(), status=status, tag=tag, customer=customer, sort=sort, **_paging(fmt)
    )
    return core.table_response(page.table, fmt, "browse/casestudies.html", page=page)


@core.table_routes(bp, "/customers", "customers")
def customers(fmt: str):
    stage, source, owner = (core.arg_text(name, max_length=200) for name in ("stage", "source", "owner"))
    won = core.arg_text("won", max_length=20)
    sort = core.arg_choice("sort", paging.sort_choices(lists.CUSTOMER_SORTS))
    page = lists.customers(
        core.session(), _urls(), sort=sort, stage=stage, source=source, owner=owner, won=won, **_paging(fmt)
    )
    return core.table_response(page.table, fmt, "browse/customers.html", page=page)


@core.table_routes(bp, "/interviews", "interviews")
def interviews(fmt: str):
    kind = core.arg_choice("kind", INTERVIEW_KINDS)
    customer = core.arg_text("customer", max_length=200)
    owner = core.arg_text("owner", max_length=200)
    week = core.arg_text("week", max_length=20)
    since, until = core.arg_date("since"), core.arg_date("until")
    sort = core.arg_choice("sort", lists.INTERVIEW_SORTS.choices())
    page = lists.interviews(
        core.session(),
        _urls(),
        kind=kind,
        customer=customer,
        owner=owner,
        week=week,
        sort=sort,
        since=since,
        until=until,
        **_paging(fmt),
    )
    return core.table_response(page.table, fmt, "browse/interviews.html", page=page)


def _paging(fmt: str) -> dict:
    """The page asked for (`page`, `per`) of an HTML list; a download or the /api/ twin holds every row."""
    page = core.arg_int("page", 1, maximum=1_000_000)
    per = core.arg_int("per", paging.DEFAULT_PER, maximum=paging.MAX_PER)
    return {"page": page, "per": per} if fmt == "html" else {}


@core.table_routes(bp, "/problems", "problems")
def problems(fmt: str):
    workspace = core.workspace()
    as_of = resolve_as_of(None, workspace.settings)
    page = lists.problems(workspace.settings, core.catalog(), as_of, _urls(), **_paging(fmt))
    return core.table_response(page.table, fmt, "browse/problems.html", page=page, as_of=as_of)


def _record_page(record_type: str, slug: str, build, template: str):
    """One record's page (HTML or, under /api/, JSON); an unknown slug is 404 (the route refuses odd ones)."""
    workspace = core.workspace()
    catalog = core.catalog()
    path = record_pages.path_of(catalog, record_type, slug)
    found = problems_in_file(workspace.settings, catalog, resolve_as_of(None, workspace.settings), path) if path else []
    page = build(catalog, slug, _urls(), found)
    if request.path.startswith("/api/"):
        return jsonify(record_pages.as_json(page))
    return render_template(template, page=page)


@bp.route("/casestudies/<slug:slug>")
@bp.route("/api/casestudies/<slug:slug>", endpoint="casestudy_json")
def casestudy(slug: str):
    return _record_page("casestudy", slug, record_pages.case_study, "browse/casestudy.html")


@bp.route("/customers/<slug:slug>")
@bp.route("/api/customers/<slug:slug>", endpoint="customer_json")
def customer(slug: str):
    return _record_page("customer", slug, record_pages.customer, "browse/customer.html")


@bp.route("/interviews/<slug:slug>")
@bp.route("/api/interviews/<slug:slug>", endpoint="interview_json")
def interview(slug: str):
    return _record_page("interview", slug, record_pages.interview, "browse/interview.html")
