"""What every page of the web UI shares: the KB's state per request, safety checks, errors, helpers.

For views (every blueprint uses these, never `Workspace` directly):

- `workspace()` returns the app's `kb.workspace.Workspace`, up to date with the files: while a file
  watcher follows them (`kb serve`: `kb.web.watcher`), as the watcher keeps it, with no scan of the
  KB; without one, after a scan (`refresh(need_store=True)`) at most once per request. Under `kb serve`
  the refreshes run in the refresher process (`kb.workspace.refresher`), which takes the requests waiting
  at once together; without it (tests, or once it ended) they run here, serialized across the server's
  threads by one lock. Readers never wait for a refresh: a page reads the state
  as last committed while a refresh runs (SQLite in WAL mode; the index's commits), and waits only
  while a rebuild replaces the database or the index (`Workspace.steady`). Call it first in a view that
  reads the KB; after writing files, call `refresh_now(paths)` so that the same request (and the next)
  sees the change: it waits for the refresh under way, then makes its own (of those files alone while
  the watcher follows every change, else after a scan), unless a later one took them meanwhile.
- `session()` is a SQLModel session for this request (closed at teardown); `catalog()` is a
  `kb.catalog.Catalog` on it; `index()` is the Whoosh index for this request: the server's one index
  object of the latest commit (`WebState.indexes`), shared by the requests and given back at teardown.
- `table_routes(bp, rule, endpoint)` registers a list view at `rule`, `rule.csv`, `rule.md` and
  `/api/rule`; the view gets `fmt` and returns `table_response(table, fmt, template, **context)`.
- `arg_int`, `arg_choice`, `arg_date`, `arg_text` read the query string; a bad value is a 400 with a
  message naming the parameter, never a 500.
- A record's slug in a route is `<slug:slug>` (`SlugConverter`): any slug the records layer can have
  (a file name without `.md`: spaces, colons, `#`, `?`, `%`, emoji...), and no other (`valid_slug`).
  Links to a record are made by `url_for` (`record_url`), which percent-encodes the slug.

For templates: `record_url(type, slug)`, the `markdown` filter (sanitized HTML, `[[links]]`
resolved through the catalog), and `csrf_token()` (Flask-WTF) in every form.

Safety: `kb.web.guard` answers only a loopback Host and, when the server has one, its token, and
sets the security headers on every response; every POST needs a CSRF token; a `KbError` is a 4xx page;
`/api/...` errors are `{"error": {"status": N, "message": "..."}}`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import NoReturn, TypeVar
from urllib.parse import urlencode

from flask import Flask, Response, abort, current_app, g, jsonify, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound
from werkzeug.routing import BaseConverter, ValidationError

from kb.config import Kb
from kb.errors import KbError
from kb.search.codec import KbIndex
from kb.search.query import searcher_for
from kb.search.searchers import SharedIndex
from kb.store import cross_problems
from kb.store.catalog import Catalog
from kb.table import Table, number_text
from kb.views.markdown import LinkTarget, call_label, code_spans, render_markdown
from kb.vocabulary import is_date_text
from kb.web.guard import init_guard
from kb.workspace import Workspace
from kb.workspace.refresher import Refresher, RefresherGone

log = logging.getLogger(__name__)

RECORD_ENDPOINTS = {"casestudy": "browse.casestudy", "customer": "browse.customer", "interview": "browse.interview"}
T = TypeVar("T")
# Commits deleting files as an opening maps them: the watcher refreshes back to back under steady edits.
OPEN_ATTEMPTS = 10
FORMATS = {"csv": ("text/csv; charset=utf-8", "csv"), "md": ("text/markdown; charset=utf-8", "md")}


class WebState:
    """The app's one Workspace, the lock that serializes bringing it up to date, whether a file watcher
    keeps it up to date, and the index object the requests share."""

    def __init__(self, kb: Kb):
        self.workspace = Workspace(kb)
        self.lock = threading.Lock()  # serializes the refreshes; readers never take it
        # One index object of the latest commit, shared by every request; a commit (this server's, or
        # another kb process's) makes the next request open a new one (kb.search.searchers).
        self.indexes = SharedIndex(self._open_index)
        # True only while a file watcher follows every change to the files and its last refresh
        # succeeded (kb.web.watcher sets it): requests then answer from that state without a scan.
        self.watched = False
        # What every page must say while it holds (.kb/ read-only, files kb cannot read), as of the last refresh.
        self.lasting_notices: list[str] = []
        # Refreshes are numbered as they start; `fresh_since` is the number of the latest one that ended up to
        # date. Each takes every file said to have changed before it started (`changed`), or all of them
        # (`changed` None: a scan of the KB): a save waiting for the lock while a later refresh took its file
        # need not refresh again (under load, one refresh serves every save that waited for it).
        self.refreshes_started = 0
        self.fresh_since = 0
        self.changed: set[str] | None = None  # None: the next refresh scans every file (as the first does)
        self.changed_lock = threading.Lock()
        # The process that runs the refreshes while a watcher follows the files (kb.workspace.refresher);
        # None: they run in this process.
        self.refresher: Refresher | None = None

    def _open_index(self) -> KbIndex:
        """The index, frozen to its latest commit, its files mapped and a searcher opened."""
        attempts = OPEN_ATTEMPTS
        while True:
            # A refresh may commit meanwhile (it does not wait for readers, nor they for it), deleting files
            # this opening has yet to map: it then opens the newer commit. A rebuild, which replaces the
            # whole index, is waited for.
            with self.workspace.steady():
                ix = None
                try:
                    ix = self.workspace.index()
                    searcher_for(ix)
                    return ix
                except FileNotFoundError:  # a commit (this server's or another process's) removed its files
                    if ix is not None:
                        ix.close()
                    attempts -= 1
                    if not attempts:
                        raise

    def close(self) -> None:
        """Let go of the index and the database (the server ends)."""
        self.indexes.close()
        self.workspace.close()


def _state() -> WebState:
    return current_app.extensions["kb"]


def workspace() -> Workspace:
    """The KB's Workspace, up to date with the files: as the file watcher keeps it, or after a scan
    made once in this request when no watcher does (none runs, or it is starting or failed)."""
    state = _state()
    if not g.get("kb_refreshed"):
        if state.watched:
            g.kb_refreshed, g.kb_stale, g.kb_notices = True, False, state.lasting_notices
        else:
            refresh_now()
    return state.workspace


def files_changed(state: WebState, paths: Iterable[str] | None) -> int:
    """Say which files changed (None: any may have, so the next refresh scans them all); returns the number
    of the latest refresh started, which has not taken these."""
    with state.changed_lock:
        if paths is None or state.changed is None or not state.watched:
            # Without a watcher that saw every change, only a scan of the KB finds what else changed.
            state.changed = None
        else:
            state.changed.update(paths)
        return state.refreshes_started


def refresh_now(changed: Iterable[str] | None = None, urgent: bool = True) -> None:
    """Bring `.kb/` up to date now: after this request wrote the files `changed` (their paths), or after the
    file watcher saw them change; with `changed` None, after a scan of every file."""
    state = _state()
    refresher = state.refresher
    if refresher is not None and refresher.alive:
        try:
            _refreshed_by(state, refresher, changed, urgent)
            return
        except RefresherGone:
            log.warning("kb: the refresher process has ended; refreshing in the server's process")
            files_changed(state, None)  # what it took may not be in .kb/: the next refresh scans every file
    ticket = files_changed(state, changed)  # a refresh numbered above this takes these files (or scans them all)
    with state.lock:
        if state.fresh_since > ticket:
            changes = None  # one that started after this call has ended up to date while it waited
        else:
            with state.changed_lock:
                state.refreshes_started += 1
                number = state.refreshes_started
                taken, state.changed = state.changed, set()
            # kb.toml is read again too: an edited as_of or threshold shows on the next reload.
            state.workspace.settings = state.workspace.kb.settings()
            try:
                changes = state.workspace.refresh(need_store=True, changed=taken)
            except BaseException:
                files_changed(state, None)  # what it took is not in .kb/: the next refresh scans every file
                raise
            if changes.stale:
                files_changed(state, None)
            else:
                state.fresh_since = number
    if changes is None:
        g.kb_refreshed, g.kb_stale, g.kb_notices = True, False, state.lasting_notices
        _close_request_state()  # what this request read before is older than the refresh that covered it
        return
    _refreshed(state, changes)
    if changes.any or changes.rebuilt:
        # What was read before the refresh is out of date: start this request's reads afresh, and let go
        # of the index object of the old commit as soon as no request uses it.
        _close_request_state()
        state.indexes.retire()


def _refreshed_by(state: WebState, refresher: Refresher, changed: Iterable[str] | None, urgent: bool) -> None:
    """Have the refresher process take the files `changed` and wait for it; then read afresh."""
    # Without a watcher that saw every change, only a scan of the KB finds what else changed.
    changes = refresher.refresh(changed if state.watched else None, urgent)
    state.workspace.settings = state.workspace.kb.settings()  # the pages' as_of and thresholds, as refreshed
    if changes.stale:
        files_changed(state, None)
    _refreshed(state, changes)
    if changes.any or changes.rebuilt:
        _close_request_state()
        state.indexes.retire()


def recover_now(damage: Exception) -> None:
    """The index failed to read: rebuild `.kb/` now (raises KbError when it cannot), and read afresh."""
    state = _state()
    _close_request_state()
    state.indexes.retire()  # damaged: the next request opens the index as rebuilt
    with state.lock:
        changes = state.workspace.recover(damage)
    _refreshed(state, changes)


def _refreshed(state: WebState, changes) -> None:
    g.kb_refreshed = True
    g.kb_stale = changes.stale  # the page says so (base.html)
    g.kb_notices = changes.notices(stale=False)
    state.lasting_notices = changes.notices(rebuilt=False, stale=False)


def session():
    """A SQLModel session for this request, closed at teardown."""
    if "kb_session" not in g:
        # Its connection opened now, without waiting for a refresh under way (it reads the last commit);
        # a rebuild is waited for, and one that comes later leaves it reading the database it opened.
        g.kb_session = workspace().reading_session()
    return g.kb_session


def catalog() -> Catalog:
    """The catalog of this request: it reads the slugs a page resolves when asked, and remembers them."""
    if "kb_catalog" not in g:
        g.kb_catalog = Catalog(session(), names=customer_names)
    return g.kb_catalog


def customer_names() -> dict[str, str]:
    """Every customer's display name by slug, read once per change of the customers' files (a search's
    facets, the forms' customer field and each story's evidence panel all ask for them)."""
    return memo("customer names", None, lambda: Catalog(session()).customer_names(None), record_type="customer")


def memo(name: str, key: object, compute: Callable[[], T], record_type: str | None = None) -> T:
    """`compute()`, or what it gave an earlier request while the store is at the same generation and `key`
    (compared with ==: the as-of date, the settings...) is the same: a whole-KB figure is computed once per
    change of the files (with `record_type`, of the files of that type), not once per request. One value a
    name is kept: the latest."""
    generations = g.setdefault("kb_generations", {})  # read once a request
    if record_type not in generations:
        generations[record_type] = cross_problems.generation(session(), record_type)
    generation = generations[record_type]
    memos: dict[str, tuple[str, object, object]] = current_app.extensions.setdefault("kb_memo", {})
    found = memos.get(name)
    if found is not None and found[0] == generation and found[1] == key:
        return found[2]  # type: ignore[return-value]
    value = compute()
    memos[name] = (generation, key, value)  # one assignment: another thread sees the old entry or this one
    return value


def index() -> KbIndex:
    """The Whoosh index for this request: the server's shared index object of the latest commit, held by
    this request until teardown, so that it answers from one version of the index throughout."""
    if "kb_index" not in g:
        workspace()
        g.kb_index = _state().indexes.acquire()
    return g.kb_index


def _close_request_state(_exc: BaseException | None = None) -> None:
    found = g.pop("kb_session", None)
    if found is not None:
        found.close()
    g.pop("kb_catalog", None)
    g.pop("kb_generations", None)
    ix = g.pop("kb_index", None)
    if ix is not None:
        _state().indexes.release(ix)


# -- URLs and the markdown filter ---------------------------------------------------------------


def valid_slug(slug: str) -> bool:
    """A slug the records layer can have: a file name without `.md` that the scan of the folders reads."""
    # Any character a file name may hold but `/` and NUL; never a leading `.` or `#` (the scan skips
    # such files: editors' backups and lock files); with `.md`, at most the 255 bytes of a file name.
    return (
        0 < len(slug.encode("utf-8", "surrogateescape")) <= 255 - len(".md")
        and "/" not in slug
        and "\x00" not in slug
        and not slug.startswith((".", "#"))
    )


class SlugConverter(BaseConverter):
    """`<slug:name>` in a route: one path segment that is a slug the records layer can have (else 404)."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        if not valid_slug(value):
            raise ValidationError()
        return value


def record_url(record_type: str, slug: str) -> str:
    """The page of a record."""
    return url_for(RECORD_ENDPOINTS[record_type], slug=slug)


def link_url(slug: str, target_type: str | None) -> str | LinkTarget | None:
    """Where a `[[link]]` goes (with a call's date and kind to show), or None when it points to no record."""
    targets = catalog().resolve(slug, target_type)
    if not targets:
        return None
    url = record_url(targets[0].type, targets[0].slug)
    if targets[0].type != "interview":
        return url
    label = call_label(*catalog().call_date_kind(targets[0].path))
    return LinkTarget(url, label) if label else url


def markdown_filter(text: str | None) -> Markup:
    """Jinja filter: a record's Markdown as sanitized HTML with resolved `[[links]]`."""
    return Markup(render_markdown(text or "", link_url, _state().workspace.settings.remote_images))


# -- the query string ---------------------------------------------------------------------------


def bad_request(message: str) -> NoReturn:
    """Answer 400 with `message` (the error page, or the JSON error shape under /api/)."""
    abort(400, description=message)


def arg_text(name: str, max_length: int = 500) -> str | None:
    """A text parameter, stripped; empty is None."""
    value = request.args.get(name, "").strip()
    if len(value) > max_length:
        bad_request(f"{name}: at most {max_length} characters; got {len(value)}")
    return value or None


def arg_int(name: str, default: int, minimum: int = 1, maximum: int = 100_000) -> int:
    """A whole number parameter within bounds."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"\d{1,7}", raw):
        bad_request(f"{name}: expected a whole number from {minimum}; got {raw[:50]!r}")
    value = int(raw)
    if not minimum <= value <= maximum:
        bad_request(f"{name}: expected a whole number from {minimum} to {maximum}; got {value}")
    return value


def arg_choice(name: str, choices: Iterable[str], default: str | None = None) -> str | None:
    """One of `choices`, or the default when absent."""
    choices = list(choices)
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if raw not in choices:
        bad_request(f"{name}: expected one of {', '.join(choices)}; got {raw[:50]!r}")
    return raw


def arg_date(name: str) -> dt.date | None:
    """A YYYY-MM-DD parameter."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        if not is_date_text(raw):
            raise ValueError
        return dt.date.fromisoformat(raw)
    except ValueError:
        bad_request(f"{name}: expected a date as YYYY-MM-DD; got {raw[:50]!r}")


def _url_with(args: dict[str, str]) -> str:
    base = url_for(request.endpoint or "", **(request.view_args or {}))
    return f"{base}?{urlencode(args)}" if args else base


def query_url(**changes) -> str:
    """This page's URL with some query parameters changed (None or "" removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = str(value)
    return _url_with(args)


def format_url(fmt: str) -> str:
    """This list page in another format (html, csv, md, json), same query string."""
    base = url_for(request.endpoint or "", **{**(request.view_args or {}), "fmt": fmt})
    args = request.args.to_dict()
    return f"{base}?{urlencode(args)}" if args else base


# -- lists in four formats ----------------------------------------------------------------------


def table_routes(bp, rule: str, endpoint: str) -> Callable:
    """Register a list view at `rule`, `rule.csv`, `rule.md` and `/api` + `rule`; it gets `fmt`."""

    def register(view: Callable) -> Callable:
        bp.add_url_rule(rule, endpoint, view, defaults={"fmt": "html"})
        bp.add_url_rule(f"{rule}.csv", endpoint, view, defaults={"fmt": "csv"})
        bp.add_url_rule(f"{rule}.md", endpoint, view, defaults={"fmt": "md"})
        bp.add_url_rule(f"/api{rule}", endpoint, view, defaults={"fmt": "json"})
        return view

    return register


def table_response(table: Table, fmt: str, template: str, json_extra: dict | None = None, **context) -> Response:
    """The table as an HTML page, a CSV or Markdown download, or JSON: always the same rows."""
    if fmt == "json":
        return jsonify({**table.to_json(), **(json_extra or {})})
    if fmt in FORMATS:
        mimetype, extension = FORMATS[fmt]
        text = table.to_csv() if fmt == "csv" else table.to_markdown()
        name = re.sub(r"[^a-z0-9]+", "-", table.title.lower()).strip("-") or "kb"
        # content_type, not mimetype: Werkzeug would add its own charset to the one already given.
        return Response(
            text,
            content_type=mimetype,
            headers={"Content-Disposition": f'attachment; filename="{name[:80]}.{extension}"'},
        )
    return Response(render_template(template, table=table, **context))


# -- safety and errors --------------------------------------------------------------------------


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def error_response(status: int, title: str, message: str, hint: str | None = None) -> Response:
    """The one error shape: JSON under /api/, else a calm page."""
    if _wants_json():
        response = jsonify({"error": {"status": status, "message": message}})
    else:
        try:
            body = render_template("error.html", status=status, title=title, message=message, hint=hint)
        except Exception:  # the error page itself must never fail
            body = f"<!doctype html><title>{status}</title><p>{Markup.escape(message)}</p>"
        response = Response(body, mimetype="text/html")
    response.status_code = status
    return response


TITLES = {
    400: "That request cannot be answered",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "A conflict",
    413: "Too large",
    503: "Busy",
}


def _http_error(exc: HTTPException):
    status = exc.code or 500
    message = exc.description or exc.name
    if isinstance(exc, NotFound) and message == NotFound.description:
        message = f"There is no page at {request.path[:200]}."
    return error_response(status, TITLES.get(status, exc.name), message)


def _csrf_error(exc: CSRFError):
    return error_response(
        400,
        "The form could not be sent",
        f"Its security token was {'missing' if 'missing' in exc.description else 'not valid'} "
        "(kb may have restarted since the page was opened), so nothing was saved.",
        hint="Go back: your text is still in the form. Reload it there if needed, then send it again.",
    )


def kb_error_status(exc: KbError) -> int:
    """The HTTP status of a domain error: 400 unless the error says otherwise."""
    # QueryError and UsageError are the user's input: 400, as is any other unless it says otherwise.
    return int(getattr(exc, "http_status", None) or 400)


def _kb_error(exc: KbError):
    status = kb_error_status(exc)
    return error_response(status, TITLES.get(status, "That request cannot be answered"), str(exc))


def _server_error(exc: InternalServerError):
    original = getattr(exc, "original_exception", None)
    if original is not None:
        current_app.logger.error("unexpected failure on %s", request.path, exc_info=original)
    return error_response(
        500,
        "Something went wrong in kb",
        "kb could not answer this request. Your files are untouched; please report it with the URL.",
    )


def init_app(app: Flask, kb: Kb) -> None:
    """Attach the KB, the safety checks, the error handlers and the template helpers to `app`."""
    app.extensions["kb"] = WebState(kb)
    app.url_map.converters["slug"] = SlugConverter  # before any blueprint's routes use it
    init_guard(app)  # the Host, then the token, before CSRF: a stranger learns nothing more
    CSRFProtect(app)
    app.teardown_appcontext(_close_request_state)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(KbError, _kb_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.add_template_global(record_url, "record_url")
    app.add_template_global(query_url, "query_url")
    app.add_template_global(format_url, "format_url")
    app.add_template_filter(markdown_filter, "markdown")
    app.add_template_filter(number_text, "number")  # 18,000: numbers as the terminal shows them too
    app.add_template_filter(lambda text: Markup(code_spans(str(text or ""))), "code")  # a message's `code`

    @app.context_processor
    def _kb_context() -> dict:
        state = app.extensions["kb"]
        return {
            "kb_name": state.workspace.settings.name or state.workspace.kb.root.name,
            "kb_stale": g.get("kb_stale", False),
            "kb_notices": g.get("kb_notices", []),
        }
