"""The local web UI: `create_app(root)` builds the Flask app over one knowledge base."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from kb.config import find_kb
from kb.resources import builtin_templates
from kb.web import (
    core,
    import_routes,
    method_routes,
    quote_routes,
    record_edit_routes,
    record_routes,
    recovery,
    search_routes,
    writing_routes,
)

STATIC = Path(__file__).parent / "static"


class InOrderJSON(DefaultJSONProvider):
    """JSON with its keys in the order kb builds them (the order a page shows), not sorted."""

    sort_keys = False


def create_app(root: str | os.PathLike | None, test_config: dict | None = None) -> Flask:
    """The web UI of the KB at `root` (found as the CLI finds it when None)."""
    kb = find_kb(root)
    app = Flask(
        "kb.web", template_folder=str(builtin_templates() / "web"), static_folder=str(STATIC), static_url_path="/static"
    )
    app.config.update(
        # A new key each start: sessions and CSRF tokens never outlive the process that issued them.
        SECRET_KEY=os.urandom(32),
        # A founder may spend an hour on a story: the form's token lasts as long as the server runs.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        KB_ROOT=str(kb.root),
        KB_PORT=None,
        # The token every request must carry (kb.web.guard); None lets every request in, as tests do.
        KB_TOKEN=None,
        KB_WATCH=False,
        # With the watcher, refresh in a process of its own (kb.workspace.refresher), as `kb serve` does.
        KB_REFRESHER=False,
        # The largest request read: an imported call's file, carried again base64-encoded by its preview's
        # Save (Flask's own limit on one form field, 500 kB, would refuse a long transcript there).
        MAX_CONTENT_LENGTH=import_routes.LARGEST_POST,
        MAX_FORM_MEMORY_SIZE=import_routes.LARGEST_POST,
    )
    if test_config:
        app.config.update(test_config)
    app.json = InOrderJSON(app)
    core.init_app(app, kb)
    recovery.init_recovery(app)
    blueprints = (
        record_routes.bp,
        search_routes.bp,
        writing_routes.bp,
        record_edit_routes.bp,
        import_routes.bp,
        quote_routes.bp,
    )
    for blueprint in (*blueprints, method_routes.bp):
        app.register_blueprint(blueprint)
    if app.config.get("KB_WATCH"):
        from kb.web.watcher import start_watcher

        start_watcher(app)
    return app
