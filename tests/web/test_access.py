"""The server answers only its user: the token `kb serve` prints, the security headers on every
response, and a foreign Host's page that names nothing of the KB."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from flask import url_for

from kb.web import create_app
from kb.web.guard import content_security_policy
from tests.helpers import REPO, copy_demo
from tests.web.helpers import close_app, csrf_token_of, kb_serve

TOKEN = "a-test-token-of-the-kind-kb-serve-makes-0123456789"
DEMO_NAME = "Ledgerline demo"  # kb.toml's name in the demo KB
POLICY = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def every_route() -> list[tuple[str, str]]:
    """(method, URL) of every rule of the app, its placeholders filled with records of the demo KB."""
    app = create_app(REPO)  # reads kb.toml only: no request is made, nothing is written
    try:
        rules = [(rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})) for rule in app.url_map.iter_rules()]
    finally:
        close_app(app)
    filling = {
        "casestudies": sorted(REPO.glob("casestudies/*.md"))[0].stem,
        "customers": sorted(REPO.glob("content/customers/*.md"))[0].stem,
        "interviews": sorted(REPO.glob("content/interviews/**/*.md"))[0].stem,
        "metrics": "calls",
        "static": "kb.css",
    }
    routes = []
    for rule, methods in rules:
        section = rule.removeprefix("/api").split("/")[1]
        url = re.sub(r"<[^>]+>", filling.get(section, "x"), rule)
        routes += [(method, url) for method in methods]
    return routes


ROUTES = every_route()


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """The demo KB's app with a token, as `kb serve` makes it: shared by the module, read only."""
    root = copy_demo(tmp_path_factory.mktemp("guarded") / "kb")
    made = create_app(root, {"KB_TOKEN": TOKEN})
    made.kb_folder = str(root)
    yield made
    close_app(made)


def assert_security_headers(response, cached: bool = False) -> None:
    assert response.headers["Content-Security-Policy"] == POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    if not cached:
        assert response.headers["Cache-Control"] == "no-store"


def assert_nothing_of_the_kb(response, folder: str) -> None:
    text = response.get_data(as_text=True)
    assert DEMO_NAME not in text and folder not in text and "Ledgerline" not in text, text
    assert "<nav" not in text and "stylesheet" not in text and "<script" not in text, text


def test_every_route_is_listed():
    urls = {url for _method, url in ROUTES}
    assert {"/", "/casestudies", "/api/casestudies", "/casestudies.csv", "/static/kb.css", "/preview"} <= urls
    assert ("POST", "/preview") in ROUTES and ("GET", "/metrics/calls.svg") in ROUTES
    assert len([method for method, _url in ROUTES if method == "POST"]) >= 4  # the writing pages' forms


@pytest.mark.parametrize("method, url", ROUTES, ids=[f"{method} {url}" for method, url in ROUTES])
def test_every_route_answers_403_without_the_token_and_then_answers_with_it(guarded, method, url):
    client = guarded.test_client()
    response = client.open(url, method=method)
    assert response.status_code == 403, response.text[:300]
    assert_security_headers(response)
    assert_nothing_of_the_kb(response, guarded.kb_folder)
    if url.startswith("/api/"):
        assert response.get_json()["error"]["status"] == 403
        assert "Authorization: Bearer" in response.get_json()["error"]["message"]
    else:
        assert "Open the address kb serve printed" in response.text
    # The same request with the token is let in (a POST then meets the CSRF check, a 400; the metrics
    # pages answer 403 while the gate is shut, with a page of their own).
    with client.open(url, method=method, headers={"Authorization": f"Bearer {TOKEN}"}) as answered:
        assert answered.status_code != 500, url
        assert b"kb serve printed" not in answered.data, (url, answered.status_code)
        if answered.status_code == 403:
            assert url.startswith(("/metrics", "/api/metrics")), url  # the gate's own refusal


@pytest.mark.parametrize(
    "how",
    [
        {"query_string": {"token": "wrong"}},
        {"query_string": {"token": ""}},
        {"query_string": {"token": TOKEN[:-1]}},
        {"headers": {"Authorization": "Bearer wrong"}},
        {"headers": {"Authorization": f"Basic {TOKEN}"}},
        {"headers": {"Authorization": "Bearer"}},
        {"headers": {"Cookie": "kb_token=wrong"}},
        {"headers": {"Cookie": f"session={TOKEN}"}},
    ],
)
def test_a_wrong_token_is_refused(guarded, how):
    assert guarded.test_client().get("/casestudies", **how).status_code == 403


def test_the_printed_url_sets_the_cookie_and_redirects_to_the_same_url_without_the_token(guarded):
    client = guarded.test_client()
    response = client.get("/casestudies", query_string=[("status", "meh"), ("token", TOKEN), ("tag", "a b")])
    assert response.status_code == 303
    assert response.headers["Location"] == "/casestudies?status=meh&tag=a+b"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"kb_token={TOKEN};"), cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert_security_headers(response)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and DEMO_NAME in page.text
    with client.get("/static/kb.css") as stylesheet:
        assert stylesheet.status_code == 200  # the cookie opens everything
    with client.get("/casestudies.csv") as download:
        assert download.status_code == 200


def test_the_token_in_a_url_opens_no_form(guarded):
    response = guarded.test_client().post("/preview", query_string={"token": TOKEN}, data={"customer": "x"})
    assert response.status_code == 403


def test_a_script_reads_the_api_with_a_bearer_header(guarded):
    response = guarded.test_client().get("/api/casestudies", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.get_json()["rows"]
    assert "Set-Cookie" not in response.headers


def test_the_cookie_is_named_after_the_port_so_two_servers_keep_theirs(fresh_demo_root, make_app):
    app = make_app(fresh_demo_root, {"KB_TOKEN": TOKEN, "KB_PORT": 8765})
    client = app.test_client()
    entry = client.get("/", query_string={"token": TOKEN}, headers={"Host": "127.0.0.1:8765"})
    assert entry.headers["Set-Cookie"].startswith(f"kb_token_8765={TOKEN};")
    assert client.get("/", headers={"Host": "127.0.0.1:8765"}).status_code == 200


def test_a_form_is_saved_through_the_cookie(fresh_demo_root, make_app):
    app = make_app(fresh_demo_root, {"KB_TOKEN": TOKEN})
    client = app.test_client()
    client.get("/", query_string={"token": TOKEN})
    with app.test_request_context():
        form_url = url_for("write.log_call")
    token = csrf_token_of(client.get(form_url).text)
    response = client.post(
        form_url,
        data={"csrf_token": token, "customer": "Kestrel Payroll", "date": "2026-03-17", "kind": "sales"},
    )
    assert response.status_code in (200, 303), response.text[:500]


@pytest.mark.parametrize("url", ["/", "/casestudies", "/nope", "/casestudies.csv", "/api/casestudies", "/api/nope"])
def test_every_answer_carries_the_security_headers(guarded, url):
    response = guarded.test_client().get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code in (200, 404)
    assert_security_headers(response)


def test_static_files_carry_the_headers_and_may_be_cached(guarded):
    response = guarded.test_client().get("/static/kb.js", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and "kb-search" in response.text
    assert_security_headers(response, cached=True)
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


def test_a_500_carries_the_security_headers(kb_root, make_app):
    app = make_app(kb_root.root)

    def broken():
        raise RuntimeError("secret detail")

    app.add_url_rule("/broken-for-test", "broken", broken)
    response = app.test_client().get("/broken-for-test")
    assert response.status_code == 500
    assert_security_headers(response)


def test_remote_images_in_kb_toml_let_https_images_through_the_policy(kb_root, make_app):
    kb_root.write("kb.toml", "remote_images = true\n")
    response = make_app(kb_root.root).test_client().get("/casestudies")
    assert response.headers["Content-Security-Policy"] == content_security_policy(remote_images=True)
    assert "img-src 'self' data: https:;" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("url", ["/", "/casestudies", "/casestudies/nope", "/static/kb.css", "/api/casestudies"])
@pytest.mark.parametrize("token", [None, TOKEN])
def test_a_foreign_host_learns_nothing_of_the_kb(fresh_demo_root, make_app, url, token):
    app = make_app(fresh_demo_root, {"KB_TOKEN": token})
    response = app.test_client().get(url, headers={"Host": "rebound.example"})
    assert response.status_code == 400
    assert_security_headers(response)
    assert_nothing_of_the_kb(response, str(fresh_demo_root))
    assert fresh_demo_root.name not in response.text
    if url.startswith("/api/"):
        assert response.get_json()["error"]["status"] == 400
    else:
        assert "<title>kb answers only on this computer</title>" in response.text
    assert "kb answers only to the Host 127.0.0.1 or localhost or [::1]" in response.text


def test_kb_serve_no_token_warns_and_lets_every_request_in(fresh_demo_root):
    with kb_serve(fresh_demo_root, "--no-token") as served:
        with urllib.request.urlopen(f"http://127.0.0.1:{served.port}/casestudies", timeout=30) as response:
            assert response.status == 200
            assert response.headers["Content-Security-Policy"] == POLICY
    assert "?token=" not in served.first_line and f"at http://127.0.0.1:{served.port}/ " in served.first_line
    assert "kb: warning: --no-token: anyone on this computer" in served.err, served.err
    assert "can read and change this KB" in served.err


def test_kb_serve_makes_a_new_token_at_each_start(fresh_demo_root):
    tokens = []
    for _ in range(2):
        with kb_serve(fresh_demo_root) as served:
            tokens.append(re.search(r"\?token=([\w-]+)", served.first_line).group(1))
            with pytest.raises(urllib.error.HTTPError) as error:
                urllib.request.urlopen(f"http://127.0.0.1:{served.port}/api/casestudies", timeout=30)
            assert error.value.code == 403
            error.value.close()
            request = urllib.request.Request(
                f"http://127.0.0.1:{served.port}/api/casestudies", headers={"Authorization": f"Bearer {tokens[-1]}"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
    assert len(tokens[0]) >= 43 and tokens[0] != tokens[1]


def test_kb_serve_stops_cleanly_on_sigterm(fresh_demo_root):
    """A service manager's or `kill`'s SIGTERM stops the server as Ctrl+C does: it says so and exits 0,
    its refresher process with it (a server started in the background ignores Ctrl+C)."""
    with kb_serve(fresh_demo_root, "--no-token") as served:
        with urllib.request.urlopen(f"http://127.0.0.1:{served.port}/casestudies", timeout=30) as response:
            assert response.status == 200
    assert served.process.returncode == 0, served.err
    assert "kb: stopped" in served.err
    assert "Traceback" not in served.err
