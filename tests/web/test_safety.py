"""The web UI's safety rules: loopback Host only, CSRF on forms, sanitized Markdown, no path leaves the
KB, no input answers 500, and `kb serve` refuses to listen beyond this computer."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.error
import urllib.request
from html.parser import HTMLParser

import pytest
from flask import render_template_string, request

from tests.web.helpers import kb_serve

HOSTILE = """\
---
customer: acme
person: "<img src=x onerror=alert('person')>"
status: meh
tags: ["<script>alert('tag')</script>"]
note: "<svg onload=alert('extra')>"
---
## Why did they have to change?
<script>alert('body')</script>
<img src="x" onerror="alert('img')">
<a href="javascript:alert('href')">click</a> [markdown link](javascript:alert('md'))
[[x|<img src=x onerror=alert(1)>]] [[acme|<b onmouseover=alert(2)>label</b>]]
<iframe src="https://evil.example"></iframe><form action="https://evil.example"><input name=a></form>
<div style="background:url(javascript:alert('css'))" onclick="alert('click')">styled</div>
[[<script>alert('slug')</script>]]

## What did success look like?
`[[acme]]` stays code, and so does:

```
<script>alert('fenced')</script> [[acme]]
```
"""


@pytest.fixture
def hostile(kb_root):
    kb_root.customer("acme", name="Acme <script>alert('name')</script>")
    kb_root.write("casestudies/hostile.md", HOSTILE)
    kb_root.write(
        "content/interviews/2026-03-01-acme-sales.md",
        "---\ncustomer: acme\ndate: 2026-03-01\nkind: sales\n---\n<script>alert('call')</script> "
        "[x](javascript:alert('call')) <img src=x onerror=alert('call')>\n",
    )
    return kb_root


class ActiveParts(HTMLParser):
    """What a browser would run or load from a page: scripts, handlers, javascript: URLs, frames, styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.scripts: list[str] = []
        self.script_sources: list[str | None] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
            self.script_sources.append(dict(attrs).get("src"))
        if tag in ("iframe", "object", "embed", "frame", "form", "svg", "math", "base", "meta") and tag != "meta":
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if name == "style":
                self.found.append(f"{tag} style=")
            cleaned = re.sub(r"[\s\x00-\x1f]", "", (value or "")).lower()
            if cleaned.startswith(("javascript:", "vbscript:", "data:text")):
                self.found.append(f"{tag} {name}={value}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def assert_inert(page: str) -> None:
    """No script, event handler or javascript: URL that came from a record reaches the page."""
    parts = ActiveParts()
    parts.feed(page)
    # The scripts are kb's own files: "/" focusing the search box, and on a call's page "Mark as quote"; no
    # script is inline (the CSP runs none).
    own = (["/static/kb.js"], ["/static/kb.js", "/static/quote.js"])
    assert parts.script_sources in own and set(parts.scripts) == {""}, (parts.script_sources, parts.scripts)
    forms = [f for f in parts.found if f == "<form>"]
    kb_forms = r'<form class="(?:search-box|search-form|filters|mark-quote-form)"'
    assert len(forms) == len(re.findall(kb_forms, page)), parts.found
    assert [f for f in parts.found if f != "<form>"] == []


@pytest.mark.parametrize(
    "url",
    [
        "/casestudies/hostile",
        "/casestudies",
        "/customers/acme",
        "/customers",
        "/interviews/2026-03-01-acme-sales",
        "/interviews",
        "/problems",
        "/search?q=alert",
        "/search?q=click",
        "/search?q=person:img",
    ],
)
def test_record_markup_never_becomes_active(hostile, client, url):
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    assert_inert(response.text)


def test_hostile_story_still_reads_as_text(hostile, client):
    page = client.get("/casestudies/hostile").text
    assert '<a class="kb-link" href="/casestudies/x"' not in page  # x is no record: a broken link
    assert (
        '<span class="broken-link" title="broken link: [[x|&lt;img src=x onerror=alert(1)&gt;]] points to '
        'no record">&lt;img src=x onerror=alert(1)&gt;</span>' in page
    )
    assert (
        '<a class="kb-link" href="/customers/acme" rel="noopener noreferrer">'
        "&lt;b onmouseover=alert(2)&gt;label&lt;/b&gt;</a>" in page
    )
    assert "<code>[[acme]]</code>" in page  # links inside code stay as written
    assert (
        "&lt;script&gt;alert(&#39;fenced&#39;) &lt;/script&gt; [[acme]]" in page
        or "&lt;script&gt;alert('fenced')&lt;/script&gt; [[acme]]" in page
    )
    assert ">styled</div>" in page and ">click</a>" in page  # the words stay, the behaviour goes


@pytest.mark.parametrize(
    "host, allowed",
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("[::1]", True),
        ("LOCALHOST", True),
        ("127.0.0.1:8765", True),
        ("localhost:8765", True),
        ("[::1]:8765", True),
        ("evil.com", False),
        ("evil.com:8765", False),
        ("localhost:9999", False),
        ("127.0.0.1:80", False),
        ("127.0.0.1.evil.com", False),
        ("localhost.", False),
        ("localhost:8765@evil.com", False),
        ("127.0.0.2", False),
        ("[::2]", False),
        ("0.0.0.0:8765", False),
        ("", False),
    ],
)
def test_only_loopback_host_headers_with_the_server_port(kb_root, make_app, host, allowed):
    app = make_app(kb_root.root, {"KB_PORT": 8765})
    response = app.test_client().get("/casestudies", headers={"Host": host})
    if allowed:
        assert response.status_code == 200, response.text[:300]
    else:
        assert response.status_code == 400
        assert "kb answers only to the Host 127.0.0.1:8765 or localhost:8765 or [::1]:8765" in response.text
    api = app.test_client().get("/api/casestudies", headers={"Host": host})
    assert api.status_code == (200 if allowed else 400)
    if not allowed:
        assert api.get_json()["error"]["status"] == 400


@pytest.fixture
def form_app(kb_root, make_app):
    """The app with one small form, as the writing pages post theirs."""
    app = make_app(kb_root.root)
    seen = []

    def form():
        if request.method == "POST":
            seen.append(request.form["text"])
            return "saved"
        return render_template_string(
            '<form method="post"><input type="hidden" name="csrf_token" '
            'value="{{ csrf_token() }}"><textarea name="text"></textarea></form>'
        )

    app.add_url_rule("/form-for-test", "form_for_test", form, methods=["GET", "POST"])
    app.seen = seen
    return app


def test_a_form_posted_with_its_token_is_accepted(form_app, csrf_token):
    client = form_app.test_client()
    token = csrf_token(client, "/form-for-test")
    response = client.post("/form-for-test", data={"csrf_token": token, "text": "Jane's story"})
    assert response.status_code == 200 and form_app.seen == ["Jane's story"]


@pytest.mark.parametrize("token", [None, "", "not-a-token", "IjEyMyI.Zz.bad"])
def test_a_form_without_a_good_token_is_refused_and_nothing_is_lost(form_app, csrf_token, token):
    client = form_app.test_client()
    csrf_token(client, "/form-for-test")  # a session exists, as when the form was opened
    data = {"text": "Jane's story"} | ({} if token is None else {"csrf_token": token})
    response = client.post("/form-for-test", data=data)
    assert response.status_code == 400
    assert "The form could not be sent" in response.text
    assert "Go back: your text is still in the form" in response.text
    assert form_app.seen == []


def test_a_token_from_before_a_restart_is_refused(form_app, kb_root, make_app, csrf_token):
    client = form_app.test_client()
    old = csrf_token(client, "/form-for-test")
    restarted = make_app(kb_root.root)  # a new kb serve: a new secret key
    restarted.add_url_rule("/form-for-test", "form_for_test", lambda: "saved", methods=["POST"])
    browser = restarted.test_client()
    browser.set_cookie("session", client.get_cookie("session").value)  # the page was opened before
    response = browser.post("/form-for-test", data={"csrf_token": old, "text": "Jane's story"})
    assert response.status_code == 400 and "your text is still in the form" in response.text


@pytest.mark.parametrize(
    "url",
    [
        "/casestudies/..%2f..%2fetc%2fpasswd",
        "/casestudies/..%2F..%2Fkb.toml",
        "/customers/%2e%2e",
        "/customers/..",
        "/interviews/..%5c..%5cetc%5cpasswd",
        "/interviews/.kb",
        "/casestudies/hostile.md",
        "/static/..%2f..%2f..%2fkb.toml",
        "/static/../../kb.toml",
        "/api/casestudies/..%2fhostile",
        "/casestudies/%00",
        "/customers/acme%2f..%2f..%2f..%2fetc%2fpasswd",
    ],
)
def test_paths_that_would_leave_the_kb_are_refused(hostile, client, url):
    with client.get(url) as response:
        assert response.status_code in (400, 404), (url, response.status_code)
        assert b"root:" not in response.data and b"as_of" not in response.data


GARBAGE = ["", "\x00é😀\u202e", "x" * 3000, "'\"<>%ff&a=b;../..", "[::1]"]
TEXT = ["../../etc/passwd", "<script>alert(1)</script>", "\x00", "ACME"]
NUMBER = ["-1", "0", "1.5", "abc", "99999999999999", "1e3", "０", "1000", "1001"]
DAY = ["2026-02-30", "9999-12-31", "0001-01-01", "2026-13-01", "tomorrow", "2026-3-1", "20260301"]
CHOICE = ["hell-yes", "date", "customer", "discovery", "x", "HELL-YES", "hell yes"]
# Each query parameter any page reads, with the values worth trying on it (the GARBAGE goes to all).
PARAMS = {
    "q": [
        *TEXT,
        "(",
        ")",
        '"',
        "*",
        "AND",
        "NOT",
        "date:[a to b]",
        "date:>2026-99-99",
        "title:",
        "a:b:c",
        "{",
        "~2",
        "^3",
        "why_change:(",
        "content:*",
    ],
    "page": NUMBER,
    "limit": NUMBER,
    "sort": CHOICE,
    "status": CHOICE,
    "type": CHOICE,
    "kind": CHOICE,
    "tag": TEXT,
    "customer": TEXT,
    "owner": TEXT,
    "person": TEXT,
    "slug": TEXT,
    "week": ["2026-W00", "2026-W53", "2026-W54", "0000-W01", "2026W10", "2026-w10", "9999-W52"],
    "since": DAY,
    "until": DAY,
    "as_of": DAY,
    "date": DAY,
    "fmt": ["csv", "json", "../x"],
    "_external": ["1"],
    "_anchor": ["x"],
    "_method": ["POST"],
    "_scheme": ["javascript"],
}
ODD_SLUGS = ["nope", "a b", "%2e%2e", "..", "x" * 300, "é😀", "acme.md", "%00"]


def get_routes(app) -> tuple[list[str], list[str]]:
    """Every GET page of the app (not the .csv, .md and /api/ twins of a list: the same view runs),
    and its record pages filled with odd slugs."""
    pages, odd, endpoints = set(), set(), set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in endpoints or rule.endpoint == "static":
            continue
        endpoints.add(rule.endpoint)
        if "<" in rule.rule:
            real = {"casestudies": "hostile", "customers": "acme", "interviews": "2026-03-01-acme-sales"}
            section = next((real[k] for k in real if f"/{k}/" in rule.rule), "hostile")
            pages.add(re.sub(r"<[^>]+>", section, rule.rule))
            odd.update(re.sub(r"<[^>]+>", slug, rule.rule) for slug in ODD_SLUGS)
        else:
            pages.add(rule.rule)
    return sorted(pages), sorted(odd)


@pytest.mark.slow
def test_no_odd_query_string_on_any_page_answers_500(hostile, client, app):
    pages, odd_pages = get_routes(app)
    assert {"/casestudies", "/search", "/casestudies/hostile", "/api/casestudies/hostile"} <= set(pages)
    failures = []

    def attempt(url, query):
        with client.get(url, query_string=query) as response:
            if response.status_code >= 500:
                failures.append((url, {k: str(v)[:30] for k, v in query.items()}, response.status_code))

    for url in pages:
        for value in GARBAGE:
            attempt(url, {name: value for name in PARAMS})
        for name, values in PARAMS.items():
            for value in values:
                attempt(url, {name: value})
        attempt(url, [("page", "1"), ("page", "2"), ("status", "meh"), ("status", "x"), ("q", "a"), ("q", "(")])
    for url in odd_pages:
        attempt(url, {})
    assert failures == [], "\n".join(map(str, failures))


def test_an_unexpected_failure_is_a_calm_500_page(kb_root, make_app):
    app = make_app(kb_root.root)

    def broken():
        raise RuntimeError("secret detail")

    app.add_url_rule("/broken-for-test", "broken", broken)
    app.add_url_rule("/api/broken-for-test", "broken_json", broken)
    page = app.test_client().get("/broken-for-test")
    assert page.status_code == 500
    assert "Something went wrong in kb" in page.text and "Your files are untouched" in page.text
    assert "secret detail" not in page.text and "Traceback" not in page.text
    api = app.test_client().get("/api/broken-for-test")
    assert api.status_code == 500 and api.get_json()["error"]["status"] == 500


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.com"])
def test_kb_serve_refuses_a_host_beyond_this_computer(kb_root, runner, host):
    result = runner(kb_root, "serve", "--host", host)
    assert result.exit_code == 2, result.output
    assert "team serving with authentication will come later" in result.output


def test_kb_help_does_not_load_the_web_stack():
    code = "import sys, kb.cli; print(sorted(m for m in ('flask', 'waitress', 'jinja2') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_kb_serve_really_serves_with_waitress(hostile):
    with kb_serve(hostile.root) as served:
        port = served.port
        entry = re.search(r" at (http://127\.0\.0\.1:\d+/\?token=[\w-]{40,})  ", served.first_line)
        assert entry, served.first_line
        with pytest.raises(urllib.error.HTTPError) as error:  # without the token: nothing
            urllib.request.urlopen(f"http://127.0.0.1:{port}/casestudies", timeout=30)
        assert error.value.code == 403
        error.value.close()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with browser.open(entry.group(1), timeout=30) as response:
            assert response.status == 200 and response.url == f"http://127.0.0.1:{port}/"
        with browser.open(f"http://127.0.0.1:{port}/casestudies", timeout=30) as response:
            assert response.status == 200
            assert response.headers["Server"] == "kb"  # waitress, not Flask's development server
            assert b"hostile" in response.read()
        refused = urllib.request.Request(f"http://127.0.0.1:{port}/casestudies", headers={"Host": "evil.com"})
        with pytest.raises(urllib.error.HTTPError) as error:
            browser.open(refused, timeout=30)
        assert error.value.code == 400
        error.value.close()
    assert f"at http://127.0.0.1:{port}/" in served.out, served.out + served.err
    assert "Traceback" not in served.err, served.err
