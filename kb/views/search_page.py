"""A search as the interfaces show it: the index's hits as a Table, facets as filters, paging."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kb.errors import QueryError
from kb.records.fields import title_of
from kb.records.quotes import BLOCK_SEPARATOR, anchor
from kb.search.query import FACETS, Filters, Hit, SearchResult
from kb.search.query import search as run_search
from kb.search.snippets import MARK_END, MARK_START
from kb.table import Table
from kb.views.lists import Urls
from kb.views.terminal import filters_text

SORTS = ("relevance", "date")
PER_PAGE = 20
MAX_PER_PAGE = 1000
# The values of a facet the page lists (the most frequent first); the JSON twin has them all.
FACET_VALUES_SHOWN = 12
COLUMNS = [
    ("type", "Type"),
    ("record", "Record"),
    ("title", "Title"),
    ("customer", "Customer"),
    ("date", "Date"),
    ("status", "Status"),
    ("kind", "Kind"),
    ("tags", "Tags"),
    ("snippet", "Snippet"),
]
_MARKED = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")


@dataclass
class FacetValue:
    """One value of a facet: how many hits have it, and whether it is the filter in force."""

    value: str
    count: int
    active: bool
    url: str | None  # None past the values the page lists: no link is made for them
    label: str = ""  # what the page shows: a customer's name for its slug; the value itself otherwise

    def __post_init__(self) -> None:
        self.label = self.label or self.value


@dataclass
class SearchPage:
    """What one search shows: the hits of one page, totals, facets, a suggestion, or why it failed."""

    query: str
    filters: Filters
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE
    total: int = 0
    table: Table = field(default_factory=lambda: Table("Search", list(COLUMNS)))
    snippets: list[str] = field(default_factory=list)  # per row: the snippet with match marks
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    suggestion: str | None = None
    notice: str | None = None  # the search stopped at its time budget: these are the hits found by then
    error: str | None = None  # the parser's message when the query cannot be read
    searched: bool = False

    @property
    def facet_values_shown(self) -> int:
        return FACET_VALUES_SHOWN

    @property
    def filters_text(self) -> str:
        """The filters in force as the query syntax writes them (`customer:acme type:interview`)."""
        return filters_text(self.filters)

    @property
    def filter_labels(self) -> dict[str, str]:
        """What each filter in force shows: a customer's name for its slug; the value itself otherwise."""
        return {name: value.label for name, values in self.facets.items() for value in values if value.active}

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page) if self.total else 0

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


def plain_snippet(snippet: str) -> str:
    """The snippet without its match marks."""
    return snippet.replace(MARK_START, "").replace(MARK_END, "")


def marked_pieces(snippet: str) -> list[tuple[str, bool]]:
    """The snippet as (text, matched) pieces, for an interface to highlight."""
    pieces, cursor = [], 0
    for match in _MARKED.finditer(snippet):
        if match.start() > cursor:
            pieces.append((snippet[cursor : match.start()], False))
        pieces.append((match.group(1), True))
        cursor = match.end()
    if cursor < len(snippet):
        pieces.append((snippet[cursor:], False))
    return [(text.replace(MARK_START, "").replace(MARK_END, ""), matched) for text, matched in pieces]


def titled(hit: Hit, names: dict[str, str]) -> str:
    """A hit's title with its customer's name for the slug ("Acme Corp: Jane Doe", "sales with Acme Corp")."""
    if hit.type == "customer":
        return hit.title  # the customer's own name, stored
    facts = {"customer": hit.customer, "kind": hit.kind, "person": hit.person}
    if hit.type == "quote":  # who said it, in which call ("Laura Chen in discovery with Orchard HR")
        return f"{hit.person or 'Someone'} in {title_of('interview', hit.slug, facts, names.get(hit.customer))}"
    return title_of(hit.type, hit.slug, facts, names.get(hit.customer))


def _block(hit: Hit) -> str:
    """A quote hit's block id (its path is the call's, then `#^` and the id)."""
    return hit.path.partition(BLOCK_SEPARATOR)[2]


def _hit_url(hit: Hit, urls: Urls) -> str:
    """A hit's page: a record's own, a quote's place in its call."""
    if hit.type != "quote":
        return urls.record(hit.type, hit.slug)
    return f"{urls.record('interview', hit.slug)}#{anchor(_block(hit))}"


def search_page(
    ix,
    text: str,
    filters: Filters,
    urls: Urls,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = PER_PAGE,
    names: Callable[[Iterable[str]], dict[str, str]] | None = None,
) -> SearchPage:
    """Run a search for one page of hits; an unreadable query comes back with `error` set, not raised.

    `urls.filtered(**changes)` links this search with one filter changed (facets, "did you mean");
    `names(slugs)` (the display names of these customer slugs) makes titles read as the founder writes
    them; it is asked only for the customers of the hits shown.
    """
    if sort not in SORTS:
        raise QueryError(f"sort: expected one of {', '.join(SORTS)}; got {sort!r}")
    shown = SearchPage(query=text, filters=filters, sort=sort, page=page, per_page=per_page)
    shown.table.title = f"Search for {text.strip()}" if text.strip() else "Search"
    active = {name: getattr(filters, name) for name in FACETS}
    if not text.strip() and not any(active.values()) and not (filters.since or filters.until):
        return shown  # nothing asked yet: the page explains the box
    try:
        result: SearchResult = run_search(ix, text, filters, sort=sort, limit=per_page, page=page, facets=True)
    except QueryError as exc:
        shown.error = str(exc)
        return shown
    shown.searched = True
    shown.total = result.total
    shown.page = min(page, max(shown.pages, 1))
    named = names({hit.customer for hit in result.hits if hit.customer}) if names else {}
    for hit in result.hits:
        url = _hit_url(hit, urls)
        shown.table.add(
            {
                "type": hit.type,
                "record": hit.slug + (BLOCK_SEPARATOR + _block(hit) if hit.type == "quote" else ""),
                "title": titled(hit, named),
                "customer": hit.customer or None,
                "date": hit.date.isoformat() if hit.date else None,
                "status": hit.status or None,
                "kind": hit.kind or None,
                "tags": list(hit.tags),
                "snippet": plain_snippet(hit.snippet),
            },
            {"record": url, "title": url},
        )
        shown.snippets.append(hit.snippet)
    for name in FACETS:
        counts = result.facets.get(name, {})
        current = (active.get(name) or "").lower()
        values = [
            FacetValue(
                value,
                count,
                value == current,
                urls.filtered(**{name: None if value == current else value, "page": None})
                if place < FACET_VALUES_SHOWN or value == current
                else None,
            )
            for place, (value, count) in enumerate(counts.items())
        ]
        if current and current not in counts:
            values.insert(0, FacetValue(current, 0, True, urls.filtered(**{name: None, "page": None})))
        shown.facets[name] = values
    if names and shown.facets.get("customer"):
        # Only the customers the page lists are named (a filter still goes by slug).
        listed = [v for v in shown.facets["customer"][:FACET_VALUES_SHOWN] if v.url is not None]
        known = names({v.value for v in listed})
        for value in listed:
            value.label = known.get(value.value) or value.value
    if result.suggestion:
        shown.suggestion = result.suggestion
    shown.notice = result.notice
    return shown
