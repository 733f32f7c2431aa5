"""What keeps the web UI to the person who started it: the Host check, the token, the security headers.

- `check_host`: only the Host headers `127.0.0.1`, `localhost` and `[::1]`, with no port or the
  server's (`KB_PORT` when set), are answered. Any other (a DNS-rebinding page names its own host)
  gets a bare page, or JSON under /api/, that names nothing of the KB: no name, no folder.
- `check_token`: when `KB_TOKEN` is set (`kb serve` makes a new random one at each start), every
  request, static files included, must carry it. A GET with `?token=TOKEN` (the URL `kb serve`
  prints) gets it as a cookie (HttpOnly, SameSite=Strict, named after the port so that two servers
  keep theirs) and a redirect to the same URL without it, so that it stays out of the history; later
  requests carry the cookie. Scripts send `Authorization: Bearer TOKEN`. Anything else is a bare
  403 saying how to get in. `KB_TOKEN` None (tests, `kb serve --no-token`) lets every request in.
- `security_headers`: on every response, errors and refusals included: a Content-Security-Policy
  with no inline script or style and no frame around kb, `X-Frame-Options`, `X-Content-Type-Options`,
  `Referrer-Policy: no-referrer`, and `Cache-Control: no-store` on everything but kb's own static
  files. Remote images are allowed (`https:` only) when kb.toml says `remote_images = true`.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import urlencode

from flask import Flask, Response, current_app, jsonify, redirect, request
from markupsafe import escape
from werkzeug.wrappers import Response as BaseResponse

from kb.config import LOOPBACK_HOSTS

_HOST_RE = re.compile(r"^(?P<name>127\.0\.0\.1|localhost|\[::1\])(?::(?P<port>\d{1,5}))?$", re.I)
TOKEN_PARAMETER = "token"

PAGE_POLICY = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# A chart is a standalone SVG document (kb.views.charts) styled by its own <style> element, and has
# no script: inline style is what it needs, nothing else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def content_security_policy(remote_images: bool = False) -> str:
    """The policy of kb's pages: its own scripts, styles and images only (and https images if allowed)."""
    policy = dict(PAGE_POLICY)
    if remote_images:
        policy["img-src"] += " https:"
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def bare_response(status: int, title: str, message: str) -> Response:
    """An answer that shows nothing of the KB: JSON under /api/, else a page with no template or style."""
    if _wants_json():
        response = jsonify({"error": {"status": status, "message": message}})
    else:
        body = (
            '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title></head>\n"
            f"<body><main><h1>{escape(title)}</h1>\n<p>{escape(message)}</p></main></body>\n</html>\n"
        )
        response = Response(body, mimetype="text/html")
    response.status_code = status
    return response


def check_host() -> Response | None:
    """Refuse any Host header but loopback with the server's port (DNS rebinding)."""
    host = request.headers.get("Host", "")
    match = _HOST_RE.match(host.strip())
    port = current_app.config.get("KB_PORT")
    if match and (match.group("port") is None or port is None or int(match.group("port")) == int(port)):
        return None
    allowed = " or ".join(f"{name}:{port}" if port else name for name in LOOPBACK_HOSTS)
    shown = host[:100] if host else "(none)"
    return bare_response(
        400,
        "kb answers only on this computer",
        f"kb answers only to the Host {allowed}; this request came for {shown!r}. "
        f"Open kb at http://127.0.0.1{':' + str(port) if port else ''}/ instead.",
    )


def token_cookie_name() -> str:
    """The cookie that carries the token: one per port, as browsers share cookies across ports."""
    port = current_app.config.get("KB_PORT")
    return f"kb_token_{port}" if port else "kb_token"


def _matches(offered: str | None, token: str) -> bool:
    # Constant time: how long a refusal takes says nothing of how much of a guess was right.
    return offered is not None and hmac.compare_digest(offered.encode("utf-8"), token.encode("utf-8"))


def _bearer() -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def _enter(token: str) -> BaseResponse:
    """The answer to the printed URL: the token as a cookie, and the same URL without it."""
    rest = [(key, value) for key, value in request.args.items(multi=True) if key != TOKEN_PARAMETER]
    location = request.script_root + request.path + (f"?{urlencode(rest)}" if rest else "")
    response = redirect(location, 303)
    response.set_cookie(token_cookie_name(), token, httponly=True, samesite="Strict", path="/")
    return response


def check_token() -> BaseResponse | None:
    """Let in only requests carrying the server's token (when it has one); refuse the rest with 403."""
    token = current_app.config.get("KB_TOKEN")
    if not token:
        return None
    if request.method in ("GET", "HEAD") and _matches(request.args.get(TOKEN_PARAMETER), token):
        return _enter(token)
    if _matches(request.cookies.get(token_cookie_name()), token) or _matches(_bearer(), token):
        return None
    if _wants_json():
        message = (
            "this kb server answers only to the person who started it: send the token kb serve printed "
            "as the header Authorization: Bearer TOKEN"
        )
    else:
        message = (
            "This kb server answers only to the person who started it. Open the address kb serve printed "
            "in its terminal (it ends in ?token=…); the token changes each time kb serve starts."
        )
    return bare_response(403, "Open kb through the address kb serve printed", message)


def security_headers(response: Response) -> Response:
    """Set the security headers on a response, whatever it is."""
    state = current_app.extensions.get("kb")
    remote_images = bool(state and getattr(state.workspace.settings, "remote_images", False))
    svg = response.mimetype == "image/svg+xml"
    response.headers["Content-Security-Policy"] = SVG_POLICY if svg else content_security_policy(remote_images)
    response.headers.update(HEADERS)
    # kb's own CSS and script may be cached; what the KB holds, and any refusal, may not.
    if request.endpoint != "static" or response.status_code >= 400:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_guard(app: Flask) -> None:
    """Check the Host, then the token, before anything else runs; set the headers on every response."""
    app.before_request(check_host)
    app.before_request(check_token)
    app.after_request(security_headers)
