"""The long lists a page at a time: /casestudies, /customers and /interviews paged, sorted and filtered.

Every page is checked against the list's full export (/api/...), which holds every matching row: pages
put together give the export's rows in its order, and each sort orders them as Python would sort the
export (case folded, empty values last either way, ties in the list's own order).
"""

from __future__ import annotations

import html
import json
import random
import re
from pathlib import Path

import pytest

from kb.views.lists import CASE_STUDY_SORTS, CUSTOMER_SORTS, INTERVIEW_SORTS, STATUS_ORDER
from kb.views.paging import CHOICES_MAX, sort_choices
from kb.web import create_app
from tests.helpers import KbFolder
from tests.web.helpers import RowCount, close_app

ROW_RE = re.compile(r"<tr data-row='([^']*)'>")
STAGES = ("lead", "qualified", "customer", "churned")
KINDS = ("discovery", "sales", "demo", "onboarding", "check-in", "renewal", "other")
STATUSES = ("draft", "meh", "churned", "hell-yes")
OWNERS = ("Ana", "ana", "Bob", "carl", "Dana", None)  # one owner in two cases, and calls with none
NAMES = ("Zeta Co", "alpha inc", "Beta LLC", "gamma GmbH", "Delta", "")  # mixed case; "" shows the slug
TAGS = ("soc2", "audit", "finance-led", "series-b", "iso")


def write_lists_kb(root: Path, seed: int = 7, scale: int = 1) -> Path:
    """A KB whose lists fill several pages: 130 customers (10 named by calls only), 170 calls, 120 stories
    (times `scale`), and the same few probe records at any scale (customer `probe`, its calls and story).

    Values repeat (ties), come in several cases, and some are missing (an owner, a date, a story's status),
    so every sort has something to get wrong; stories cite calls of their customer, so the answers' marks
    have links to resolve.
    """
    rng = random.Random(seed)
    kb = KbFolder(root)
    kb.write("kb.toml", "as_of = 2026-03-18\n")
    slugs = [f"cust-{n:03d}" for n in range(120 * scale)]
    for n, slug in enumerate(slugs):
        lines = [f"name: {rng.choice(NAMES)} {n}" if n % 9 else "name: ''", f"stage: {rng.choice(STAGES[:2])}"]
        if n % 4:
            lines.append(f"source: {rng.choice(('referral', 'Cold email', 'conference'))}")
        owner = rng.choice(OWNERS)
        if owner:
            lines.append(f"owner: {owner}")
        if n % 5 == 1:  # some customers won, on dates that tie
            lines.append(f"won_on: 2025-{n % 12 + 1:02d}-{n % 3 + 1:02d}")
        kb.write(f"content/customers/{slug}.md", "---\n" + "\n".join(lines) + f"\n---\nNotes on {slug}.\n")
    ghosts = [f"ghost-{n:02d}" for n in range(10 * scale)]  # customers with no file of their own
    calls: dict[str, list[str]] = {}
    for n in range(170 * scale):
        customer = rng.choice(slugs + ghosts)
        date = f"2026-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}"
        kind = rng.choice(KINDS)
        owner = rng.choice(OWNERS)
        front = f"customer: {customer}\n" + (f"date: {date}\n" if n % 50 else "") + f"kind: {kind}\n"
        front += f"owner: {owner}\n" if owner else ""
        front += f'people: ["{rng.choice(("Jane Doe", "Raj Nair", "Ada Kim"))}"]\n'
        slug = f"{date}-{customer}-{n:04d}"
        calls.setdefault(customer, []).append(slug)
        kb.write(f"content/interviews/{slug}.md", f"---\n{front}---\nNotes.\n")
    for n in range(120 * scale):
        customer = rng.choice(slugs[: 60 * scale] + ghosts)
        person = rng.choice(("Jane Doe, CFO", "raj Nair, Controller", "Ada Kim, COO", ""))
        tags = ", ".join(rng.sample(TAGS, 2))
        cited = f" [[{rng.choice(calls[customer])}]]" if customer in calls and n % 3 else ""
        status = rng.choice(STATUSES) if n % 23 else ""  # a few stories with no status yet
        kb.write(
            f"casestudies/{customer}-story-{n:04d}.md",
            f"---\ncustomer: {customer}\nperson: {person!r}\nstatus: {status}\ntags: [{tags}]\n---\n"
            f"## Why did they have to change?\nThe audit took too long.{cited}\n",
        )
    kb.customer("probe", name="Probe Co", stage="qualified", owner="Ana")
    for day in (3, 4, 5):
        kb.interview(f"2026-02-0{day}-probe", "probe", f"2026-02-0{day}", body="Said [[probe-story]].")
    kb.casestudy("probe-story", "probe", answers={"why_change": "Audits [[2026-02-03-probe]] and [[cust-000]]."})
    return root


LISTS = {
    "/interviews": ("calls", INTERVIEW_SORTS.choices()),
    "/casestudies": ("case studies", CASE_STUDY_SORTS.choices()),
    "/customers": ("customers", sort_choices(CUSTOMER_SORTS)),
}


def _lower(value):
    return value.lower() if isinstance(value, str) else value


# Per list and sort name: the column of the export the sort orders by, and how its values compare.
SORT_KEYS = {
    "/interviews": {
        "date": ("date", None),
        "call": ("call", None),
        "customer": ("customer", _lower),
        "kind": ("kind", None),
        "owner": ("owner", _lower),
    },
    "/casestudies": {
        "story": ("story", None),
        "customer": ("customer", _lower),
        "person": ("person", _lower),
        "status": ("status", lambda status: STATUS_ORDER.get(status, 9)),
    },
    "/customers": {
        "name": ("name", _lower),
        "stage": ("stage", None),
        "source": ("source", _lower),
        "owner": ("owner", _lower),
        "won": ("won", None),
        "calls": ("calls", None),
        "stories": ("stories", None),
    },
}


@pytest.fixture(scope="module")
def lists_app(tmp_path_factory):
    made = create_app(write_lists_kb(tmp_path_factory.mktemp("lists") / "kb"))
    yield made
    close_app(made)


@pytest.fixture
def client(lists_app):
    return lists_app.test_client()


def rows_of(page_html: str) -> list[dict]:
    """The rows a list page shows, as its <tr data-row> hold them (the /api/ twin's shape)."""
    return [json.loads(html.unescape(raw)) for raw in ROW_RE.findall(page_html)]


def shown(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:500])
    return response.text


def export(client, path: str, **args) -> list[dict]:
    """Every row of a list's /api/ twin."""
    response = client.get(f"/api{path}", query_string=args)
    assert response.status_code == 200, response.text[:500]
    return response.get_json()["rows"]


def every_page(client, path: str, **args) -> list[dict]:
    """The rows of each page of a list, page 1 to its last, put together (no page may be empty)."""
    first = client.get(path, query_string=args)
    assert first.status_code == 200, first.text[:500]
    pages = int(re.search(r'data-pages="(\d+)"', first.text).group(1))
    found = rows_of(first.text)
    for number in range(2, pages + 1):
        rows = rows_of(client.get(path, query_string={**args, "page": number}).text)
        assert rows, (path, args, number)
        found += rows
    return found


def sorted_like_the_list(rows: list[dict], column: str, key, descending: bool) -> list[dict]:
    """`rows` (in the list's own order) sorted by `column`: empty values last either way, ties kept in order."""
    key = key or (lambda value: value)
    present = [row for row in rows if row[column] is not None]
    empty = [row for row in rows if row[column] is None]
    return sorted(present, key=lambda row: key(row[column]), reverse=descending) + empty


def pager_text(page_html: str) -> str:
    return " ".join(re.search(r"data-rows>([^<]*)<", page_html).group(1).split())


@pytest.mark.parametrize("path", list(LISTS))
def test_pages_follow_one_another_in_the_exports_order(client, path):
    noun, _sorts = LISTS[path]
    everything = export(client, path)
    total = len(everything)
    assert total > 100  # three pages at least

    first = shown(client, path)
    assert rows_of(first) == everything[:50]
    assert pager_text(first).startswith(f"{noun} 1–50 of {total}")
    assert f'data-total="{total}"' in first
    second = shown(client, f"{path}?page=2")
    assert rows_of(second) == everything[50:100]
    assert pager_text(second).startswith(f"{noun} 51–100 of {total}")

    last = -(-total // 50)
    final = shown(client, f"{path}?page={last}")
    assert rows_of(final) == everything[(last - 1) * 50 :]
    assert pager_text(final).startswith(f"{noun} {(last - 1) * 50 + 1}–{total} of {total}")
    assert 'rel="next"' not in final and 'rel="prev"' in final
    assert every_page(client, path) == everything


@pytest.mark.parametrize("path", list(LISTS))
def test_per_sets_the_page_size(client, path):
    everything = export(client, path)
    page = shown(client, f"{path}?per=20&page=3")
    assert rows_of(page) == everything[40:60]
    assert f'data-pages="{-(-len(everything) // 20)}"' in page
    # The links to other pages keep the page size.
    assert re.search(r'href="[^"]*per=20[^"]*page=4[^"]*"|href="[^"]*page=4[^"]*per=20[^"]*"', page)
    whole = shown(client, f"{path}?per=500")
    assert rows_of(whole) == everything
    assert 'rel="next"' not in whole and 'rel="prev"' not in whole


@pytest.mark.slow
@pytest.mark.parametrize("path", list(LISTS))
def test_every_sort_orders_the_rows_as_sorting_the_export_would(client, path):
    _noun, choices = LISTS[path]
    own_order = export(client, path)
    assert set(choices) == {f"{sign}{name}" for name in SORT_KEYS[path] for sign in ("", "-")}
    for sort in choices:
        column, key = SORT_KEYS[path][sort.lstrip("-")]
        expected = sorted_like_the_list(own_order, column, key, sort.startswith("-"))
        assert export(client, path, sort=sort) == expected, sort
        paged = every_page(client, path, sort=sort, per=40)
        assert [row[column] for row in paged] == [row[column] for row in expected], sort
        assert paged == expected, sort


@pytest.mark.parametrize("path", list(LISTS))
def test_a_column_header_sorts_one_way_then_the_other_from_page_one(client, path):
    page = shown(client, f"{path}?page=2")
    headers = dict(re.findall(r'<a href="([^"]*)" data-sort="([^"]+)"', page))
    by_name = {name: html.unescape(url) for url, name in headers.items()}
    assert set(by_name) == set(SORT_KEYS[path])
    for name, url in by_name.items():
        assert f"sort={name}" in url and "page=" not in url, url
        sorted_page = shown(client, url)
        # The header of the order shown now turns it around, and says which way it is (aria-sort on its <th>).
        back = re.search(rf'aria-sort="ascending"[^>]*><a href="([^"]*)" data-sort="{name}"', sorted_page)
        assert back, name
        assert f"sort=-{name}" in html.unescape(back.group(1))


def test_filters_page_their_own_rows_and_count_them(client):
    for path, args in (
        ("/interviews", {"kind": "demo"}),
        ("/interviews", {"owner": "ANA"}),  # any case: both "Ana" and "ana"
        ("/casestudies", {"status": "meh"}),
        ("/casestudies", {"tag": "audit"}),
    ):
        matching = export(client, path, **args)
        assert 0 < len(matching) < len(export(client, path)), (path, args)
        page = client.get(path, query_string={**args, "per": 10}).text
        assert f'data-total="{len(matching)}"' in page, (path, args)
        assert pager_text(page).endswith(f"of {len(matching)} · page 1 of {-(-len(matching) // 10)}"), pager_text(page)
        assert every_page(client, path, **args, per=10) == matching
    owners = {row["owner"] for row in export(client, "/interviews", owner="ANA")}
    assert owners == {"Ana", "ana"}


def test_changing_a_filter_starts_again_at_page_one_in_the_same_order(client):
    page = shown(client, "/interviews?kind=demo&sort=-owner&per=10&page=2")
    form = re.search(r'<form class="filters".*?</form>', page, re.S).group(0)
    assert 'action="/interviews"' in form
    fields = re.findall(r'<(?:input|select)[^>]*name="([^"]+)"', form)
    assert "page" not in fields
    assert re.search(r'<input type="hidden" name="sort" value="-owner">', form)
    assert re.search(r'<input type="hidden" name="per" value="10">', form)
    # What the form sends once another kind is chosen: page 1 of that kind, same order and page size.
    sent = shown(client, "/interviews?kind=sales&owner=&customer=&week=&sort=-owner&per=10")
    expected = export(client, "/interviews", kind="sales", sort="-owner")
    assert rows_of(sent) == expected[:10]
    # A tag in the case studies list is a filter too: its link has no page.
    stories = shown(client, "/casestudies?page=2")
    assert not [url for url in re.findall(r'href="([^"]*tag=[^"]*)"', stories) if "page=" in url]


@pytest.mark.parametrize("path", list(LISTS))
def test_a_page_past_the_end_says_so_and_links_back(client, path):
    total = len(export(client, path))
    last = -(-total // 50)
    response = client.get(f"{path}?page=40")
    assert response.status_code == 200
    assert rows_of(response.text) == []
    notice = re.search(r"<p class=\"notice\" data-past-end>(.*?)</p>", response.text, re.S).group(1)
    assert "Page 40 is past the end" in notice and f"{last} pages" in notice
    back = html.unescape(re.search(r'href="([^"]+)"', notice).group(1))
    assert rows_of(shown(client, back)) == export(client, path)[(last - 1) * 50 :]


def test_a_page_past_the_end_of_a_filtered_list_links_to_its_own_last_page(client):
    matching = export(client, "/interviews", kind="demo")
    response = shown(client, "/interviews?kind=demo&per=10&page=500")
    notice = re.search(r"data-past-end>(.*?)</p>", response, re.S).group(1)
    back = html.unescape(re.search(r'href="([^"]+)"', notice).group(1))
    assert "kind=demo" in back and "per=10" in back
    assert rows_of(shown(client, back)) == matching[(-(-len(matching) // 10) - 1) * 10 :]


@pytest.mark.parametrize("path", list(LISTS))
@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=99999999999", "page"),
        ("per=0", "per"),
        ("per=100000", "per"),
        ("per=501", "per"),
        ("per=ten", "per"),
        ("sort=nonsense", "sort"),
        ("sort=--date", "sort"),
    ],
)
def test_a_bad_page_per_or_sort_is_a_400_naming_it(client, path, query, parameter):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400, (path, query, response.status_code)
    assert f"{parameter}: expected" in html.unescape(response.text), response.text[:1000]
    answer = client.get(f"/api{path}?{query}")
    assert answer.status_code == 400
    assert answer.get_json()["error"]["message"].startswith(f"{parameter}: expected")


@pytest.mark.parametrize("path", list(LISTS))
def test_downloads_and_the_api_hold_every_matching_row_whatever_the_page(client, path):
    import csv
    import io

    everything = export(client, path)
    assert export(client, path, page=2, per=10) == everything
    table = client.get(f"{path}.csv?page=2&per=10")
    assert table.status_code == 200
    assert len(list(csv.reader(io.StringIO(table.text)))) == len(everything) + 1
    markdown = client.get(f"{path}.md?page=3")
    assert markdown.status_code == 200
    table_lines = [line for line in markdown.text.splitlines() if line.startswith("|")]
    assert len(table_lines) == len(everything) + 2  # the header and its rule
    demos = export(client, "/interviews", kind="demo")
    assert len(list(csv.reader(io.StringIO(client.get("/interviews.csv?kind=demo&page=2").text)))) == len(demos) + 1


def test_an_empty_kb_shows_one_empty_page(kb_root, make_app):
    empty = make_app(kb_root.root).test_client()
    for path in LISTS:
        first = empty.get(path)
        assert first.status_code == 200
        assert "data-past-end" not in first.text and 'rel="next"' not in first.text
        past = empty.get(f"{path}?page=2")
        assert past.status_code == 200 and "data-past-end" in past.text


# -- what a page reads does not grow with the KB ---------------------------------------------------------


COSTED_PAGES = (
    "/interviews",
    "/interviews?page=3&sort=customer",
    "/interviews?kind=demo&per=10&page=2",
    "/casestudies",
    "/casestudies?sort=-person&page=2",
    "/casestudies?tag=audit",
    "/customers",
    "/customers?sort=calls&page=2",
    "/casestudies/probe-story",
    "/customers/probe",
    "/interviews/2026-02-03-probe",
)


def rows_read(root: Path, row_count: RowCount) -> dict[str, dict[str, int]]:
    """Per page of COSTED_PAGES, the rows each statement read, once every page has been visited."""
    app = create_app(root)
    try:
        client = app.test_client()
        for url in COSTED_PAGES:
            assert client.get(url).status_code == 200, url  # the first visits may bring .kb/ up to date
        found = {}
        for url in COSTED_PAGES:
            row_count.by_statement = {}
            assert client.get(url).status_code == 200, url
            found[url] = row_count.by_statement
        return found
    finally:
        close_app(app)


@pytest.mark.slow
def test_a_list_page_or_a_record_page_reads_about_as_many_rows_at_four_times_the_size(tmp_path, row_count):
    small = rows_read(write_lists_kb(tmp_path / "small", scale=1), row_count)
    large = rows_read(write_lists_kb(tmp_path / "large", scale=4), row_count)
    grown = {}
    for url in COSTED_PAGES:
        # A filter's list of values reads at most CHOICES_MAX + 1 rows whatever the size: not counted as growth.
        choice_lists = {s: rows for s, rows in large[url].items() if s.startswith("SELECT DISTINCT") and "LIMIT ?" in s}
        assert all(rows <= CHOICES_MAX + 1 for rows in choice_lists.values()), choice_lists
        before = sum(rows for s, rows in small[url].items() if s not in choice_lists)
        after = sum(rows for s, rows in large[url].items() if s not in choice_lists)
        # 3 × 120 more stories and customers, 3 × 170 more calls: reading them all would add hundreds of rows.
        if after > before + 20:
            more = {statement: rows - small[url].get(statement, 0) for statement, rows in large[url].items()}
            worst = sorted(more.items(), key=lambda item: item[1], reverse=True)
            grown[url] = (before, after, [(rows, statement[:400]) for statement, rows in worst[:3]])
    assert not grown, json.dumps(grown, indent=1)


# -- in a browser ------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_a_founder_pages_through_the_calls_and_sorts_them_by_customer(tmp_path, make_app, page):
    from playwright.sync_api import expect

    from bench.corpus import generate
    from tests.web.helpers import enter, serve

    app = make_app(generate(tmp_path / "kb", 300))
    everything = export(app.test_client(), "/interviews")
    assert len(everything) > 150

    def rows_shown() -> list[dict]:
        raw = page.locator("table.data tbody tr").evaluate_all("rows => rows.map(row => row.dataset.row)")
        return [json.loads(row) for row in raw]

    with serve(app) as url:
        enter(page, url, app)
        page.goto(f"{url}/interviews")
        expect(page.locator("[data-rows]")).to_contain_text(f"calls 1–50 of {len(everything)}")
        assert rows_shown() == everything[:50]

        page.get_by_role("link", name="Next ›").click()
        expect(page).to_have_url(re.compile(r"/interviews\?page=2$"))
        expect(page.locator("[data-rows]")).to_contain_text(f"calls 51–100 of {len(everything)}")
        assert rows_shown() == everything[50:100]

        page.locator('th[data-col="customer"] a[data-sort="customer"]').click()
        expect(page).to_have_url(re.compile(r"/interviews\?sort=customer$"))  # back to page 1
        by_customer = sorted_like_the_list(everything, "customer", _lower, descending=False)
        assert rows_shown() == by_customer[:50]
        header = page.locator('th[data-col="customer"]')
        expect(header).to_have_attribute("aria-sort", "ascending")
        page.get_by_role("link", name="Next ›").click()
        assert rows_shown() == by_customer[50:100]
        page.screenshot(path="/tmp/work/paging.png", full_page=True)
        page.locator('th[data-col="customer"] a[data-sort="customer"]').click()
        expect(page).to_have_url(re.compile(r"sort=-customer"))
        expect(page.locator('th[data-col="customer"]')).to_have_attribute("aria-sort", "descending")
        assert rows_shown() == sorted_like_the_list(everything, "customer", _lower, descending=True)[:50]
