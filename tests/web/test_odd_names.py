"""Any file name the records layer reads is a record the web UI can show: its page, its edit form and
its JSON open from the links on the lists and in search, whatever the name holds (spaces, `:`, `#`,
`?`, `%`, emoji, `new`), and a story with no `##` heading opens in the form."""

from __future__ import annotations

import http.client
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from kb.web import create_app
from tests.web.helpers import close_app, serve

ODD = [
    "with space",
    "colon:name",
    "émoji-🙂",
    "UPPER",
    "dots.in.name",
    "percent%20",
    "hash#",
    "question?",
    "plus+sign",
    "quote'",
    "ampersand&",
    "tab\tname",
    "semi;colon",
    "back\\slash",
    "brack[et]",
    "pipe|bar",
    "<angle>",
    'double"quote',
    "new",
    "edit",
    "-",
    "trailing space ",
]


class Links(HTMLParser):
    """Every href of a page, as a browser reads it (character references resolved)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links_of(html: str) -> list[str]:
    return Links(html).hrefs


@pytest.fixture
def odd_kb(kb_root):
    """A case study, a customer and an interview under each odd name (where the filesystem takes it)."""
    kb_root.customer("acme", name="Acme")
    made = []
    for number, name in enumerate(ODD):
        word = f"zorblax{number}q"  # not a part of another
        try:
            kb_root.write(
                f"casestudies/{name}.md",
                f"---\ncustomer: acme\nperson: P\nstatus: draft\n---\n## Why did they have to change?\n{word}\n",
            )
        except OSError:
            continue
        kb_root.write(f"content/customers/{name}.md", f"---\nname: Customer {word}\n---\n{word} notes.\n")
        kb_root.write(
            f"content/interviews/{name}.md",
            f"---\ncustomer: acme\ndate: 2026-02-{number % 28 + 1:02d}\nkind: discovery\n---\n{word} call.\n",
        )
        made.append((name, word))
    kb_root.write("casestudies/bare.md", "---\ncustomer: acme\nperson: P\nstatus: draft\n---\nNo headings yet.\n")
    assert len(made) >= len(ODD) - 2, made  # only a name the filesystem refuses may be left out
    return made


def reached(client, page: str, prefix: str | tuple[str, ...], words: list[str]) -> dict[str, str]:
    """Which of `words` each link under `prefix` on `page` leads to: {word: href}."""
    found: dict[str, str] = {}
    for href in links_of(client.get(page).text):
        if not href.startswith(prefix):
            continue
        response = client.get(href)
        assert response.status_code == 200, (page, href, response.status_code)
        found.update((word, href) for word in words if word in response.text)
    return found


def test_every_odd_name_opens_from_the_lists(client, odd_kb):
    words = [word for _name, word in odd_kb]
    for record_list in ("/casestudies", "/customers", "/interviews"):
        found = reached(client, record_list, record_list + "/", words)
        assert sorted(found) == sorted(words), (record_list, sorted(set(words) - set(found)))
        for name, word in odd_kb:
            api = client.get("/api" + found[word])
            assert api.status_code == 200 and api.get_json()["slug"] == name, found[word]
    stories = reached(client, "/casestudies", "/casestudies/", words)
    for name, word in odd_kb:
        edit = reached(client, stories[word], "/casestudies/", [word, "story-form"])
        assert edit.get("story-form") == edit.get(word), (name, edit)


def test_every_odd_name_opens_from_search(client, odd_kb):
    for _name, word in odd_kb:
        found = reached(client, f"/search?q={word}", ("/casestudies/", "/customers/", "/interviews/"), [word])
        assert word in found, word


def test_records_named_new_open_and_the_forms_live_under_new(client, odd_kb):
    assert "zorblax" in client.get("/casestudies/new").text
    assert "zorblax" in client.get("/interviews/new").text
    assert client.get("/casestudies/new/edit").status_code == 200
    assert 'class="story-form"' in client.get("/new/casestudy").text
    assert 'class="call-form"' in client.get("/new/interview").text


def test_a_story_without_any_heading_opens_in_the_form(client, odd_kb):
    assert client.get("/casestudies/bare").status_code == 200
    response = client.get("/casestudies/bare/edit")
    assert response.status_code == 200, response.text[:500]
    assert 'name="answer_why_change"' in response.text


@pytest.mark.parametrize("slug", [".hidden", "#lock", "x" * 300, "a\x00b"])
def test_what_no_file_can_be_named_is_404(client, odd_kb, slug):
    assert client.get(f"/casestudies/{quote(slug)}").status_code == 404
    assert client.get(f"/casestudies/{quote(slug)}/edit").status_code == 404


def test_the_real_server_opens_odd_names_from_their_links(kb_root, odd_kb):
    app = create_app(kb_root.root)
    try:
        with serve(app) as url:
            token = app.config.get("KB_TOKEN")
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)

            def get(path: str) -> tuple[int, str]:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                return response.status, response.read().decode("utf-8")

            status, listing = get("/casestudies")
            assert status == 200
            hrefs = [h for h in links_of(listing) if h.startswith("/casestudies/")]
            for name, word in odd_kb:
                status, page = get(f"/casestudies/{quote(name)}")
                assert status == 200 and word in page, name
            for href in hrefs:
                status, _page = get(href)
                assert status == 200, href
            connection.close()
    finally:
        close_app(app)


def test_links_in_a_story_to_odd_names_open_them(client, odd_kb):
    # A [[link]] holds no `|`, `[`, `]` or line break, and its ends are trimmed.
    linkable = [(name, word) for name, word in odd_kb if not set(name) & set("|[]\n") and name == name.strip()]
    body = " ".join(f"[[interview:{name}]]" for name, _word in linkable)
    client.application.extensions["kb"].workspace.kb.root.joinpath("casestudies/links.md").write_text(
        f"---\ncustomer: acme\nperson: P\nstatus: draft\n---\n## Why did they have to change?\n{body}\n",
        encoding="utf-8",
    )
    found = reached(client, "/casestudies/links", "/interviews/", [word for _name, word in linkable])
    assert sorted(found) == sorted(word for _name, word in linkable)
