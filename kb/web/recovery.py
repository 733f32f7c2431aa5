"""When the web UI cannot trust what it reads: a damaged index is rebuilt and the page answered again;
a file kb may not open is a 409 page that names it, never a 500.

The other failures of `.kb/` are KbErrors that `kb.web.core` turns into their status's page: `.kb` that
is no folder, a read-only `.kb/` with nothing to answer from (503), another process rebuilding (503), a
record whose file kb could not read (409). What a refresh has to say (rebuilt, read-only, files not
read) is on every page, from `kb_notices`.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, current_app, request

from kb.errors import KbError
from kb.search.query import IndexUnreadable
from kb.web import core

# A form sent while the index failed is not sent again: the user sends it once more, knowingly.
ANSWERED_AGAIN = ("GET", "HEAD")


def init_recovery(app: Flask) -> None:
    """Register the handlers of a damaged index and of a file kb may not open."""
    app.register_error_handler(IndexUnreadable, _index_unreadable)
    app.register_error_handler(PermissionError, _cannot_open)


def _index_unreadable(damage: IndexUnreadable):
    """Rebuild `.kb/` from the files, then answer the request again, once."""
    try:
        core.recover_now(damage)
    except KbError as exc:  # busy, or .kb/ cannot be written: nothing to rebuild with now
        status = core.kb_error_status(exc)
        return core.error_response(status, core.TITLES.get(status, "Busy"), str(exc))
    if request.method not in ANSWERED_AGAIN or request.endpoint is None:
        return core.error_response(
            503,
            "The search index was rebuilt",
            f"{damage}; kb rebuilt it from the files, and nothing was lost. Nothing was saved either: "
            "send the form again.",
        )
    view = current_app.view_functions[request.endpoint]
    try:
        return view(**(request.view_args or {}))
    except IndexUnreadable as again:
        # An index just rebuilt from the files is not damaged: this failure is kb's own (the 500 page).
        raise (again.__cause__ or again) from None


def _cannot_open(exc: PermissionError):
    """A file or folder kb may not read or write: say which, and what to do."""
    return core.error_response(
        409,
        "A file kb cannot open",
        f"kb cannot open {_shown(exc.filename)}: {exc.strerror or 'permission denied'}.",
        hint="Give the user running kb the right to read and write it (its permissions, its owner, its "
        "folder's), then reload.",
    )


def _shown(filename: str | bytes | int | None) -> str:
    """The path as kb shows it (relative to the KB), or its name alone when it is outside the KB."""
    if not isinstance(filename, str):
        return "a file"
    root = Path(current_app.config["KB_ROOT"])
    try:
        return Path(filename).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return os.path.basename(filename) or filename
