"""The search page: one box for words and field syntax, facets, paging, sort, "did you mean"."""

from __future__ import annotations

from flask import Blueprint, Response, render_template
from markupsafe import Markup, escape

from kb.search.query import Filters
from kb.views import search_page
from kb.views.lists import Urls, customer_names
from kb.vocabulary import INTERVIEW_KINDS, SEARCH_TYPES, STATUSES
from kb.web import core

bp = Blueprint("search", __name__)


@bp.app_template_filter("highlight")
def highlight(snippet: str) -> Markup:
    """A snippet as HTML: its text escaped, its matched words in <mark>."""
    return Markup("").join(
        Markup("<mark>{}</mark>").format(text) if matched else escape(text)
        for text, matched in search_page.marked_pieces(snippet or "")
    )


@core.table_routes(bp, "/search", "search")
def search(fmt: str):
    text = core.arg_text("q", max_length=1000) or ""
    filters = Filters(
        type=core.arg_choice("type", SEARCH_TYPES),
        customer=core.arg_text("customer", 200),
        status=core.arg_choice("status", STATUSES),
        kind=core.arg_choice("kind", INTERVIEW_KINDS),
        tag=core.arg_text("tag", 100),
        since=core.arg_date("since"),
        until=core.arg_date("until"),
    )
    sort = core.arg_choice("sort", search_page.SORTS, "relevance") or "relevance"
    page_number = core.arg_int("page", 1)
    per_page = core.arg_int("limit", search_page.PER_PAGE, maximum=search_page.MAX_PER_PAGE)
    urls = Urls(record=core.record_url, filtered=lambda **changes: core.query_url(**changes))
    page = search_page.search_page(
        core.index(),
        text,
        filters,
        urls,
        sort=sort,
        page=page_number,
        per_page=per_page,
        names=lambda slugs: customer_names(core.catalog(), slugs),
    )
    if page.error:
        if fmt != "html":
            return core.error_response(400, "The query cannot be read", page.error)
        return Response(render_template("search/search.html", page=page, table=page.table), status=400)
    extra = {
        "query": page.query,
        "total": page.total,
        "page": page.page,
        "pages": page.pages,
        "sort": page.sort,
        "suggestion": page.suggestion,
        "notice": page.notice,
        "facets": {name: {v.value: v.count for v in values} for name, values in page.facets.items()},
    }
    return core.table_response(page.table, fmt, "search/search.html", json_extra=extra, page=page)
