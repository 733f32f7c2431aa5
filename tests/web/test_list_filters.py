"""Filtering the lists by their columns: customers by stage, source, owner and won date, calls by kind, customer,
owner and dates, stories by status and customer; each list says how many rows it shows of how many, a download
of a filtered list holds every matching row, and a bad value is a 400 naming the parameter."""

from __future__ import annotations

import html
import json
import re

import pytest

from kb.web import create_app
from tests.web.helpers import close_app
from tests.web.test_paging import rows_of, shown, write_lists_kb


@pytest.fixture(scope="module")
def lists_app(tmp_path_factory):
    made = create_app(write_lists_kb(tmp_path_factory.mktemp("filters") / "kb"))
    yield made
    close_app(made)


@pytest.fixture
def client(lists_app):
    return lists_app.test_client()


def every_row(client, path: str, **args) -> list[dict]:
    response = client.get(f"/api{path}", query_string=args)
    assert response.status_code == 200, response.text[:300]
    return response.get_json()["rows"]


def summary_of(page_html: str) -> str:
    found = re.search(r"<p class=\"list-summary\" data-summary>([^<]*)</p>", page_html)
    assert found, "no summary on the page"
    return html.unescape(found.group(1))


@pytest.mark.parametrize(
    ("path", "args", "keep"),
    [
        ("/customers", {"stage": "qualified"}, lambda row: row["stage"] == "qualified"),
        ("/customers", {"stage": "no profile yet"}, lambda row: row["stage"] == "no profile yet"),
        ("/customers", {"source": "COLD EMAIL"}, lambda row: (row["source"] or "").lower() == "cold email"),
        ("/customers", {"owner": "ana"}, lambda row: (row["owner"] or "").lower() == "ana"),
        ("/customers", {"won": "2025"}, lambda row: (row["won"] or "").startswith("2025-")),
        ("/customers", {"won": "2025-03"}, lambda row: (row["won"] or "").startswith("2025-03-")),
        ("/customers", {"won": "not won"}, lambda row: row["won"] is None),
        ("/interviews", {"kind": "demo"}, lambda row: row["kind"] == "demo"),
        ("/interviews", {"since": "2026-02-01"}, lambda row: (row["date"] or "") >= "2026-02-01"),
        (
            "/interviews",
            {"since": "2026-02-01", "until": "2026-02-14"},
            lambda row: "2026-02-01" <= (row["date"] or "") <= "2026-02-14",
        ),
        ("/casestudies", {"customer": "probe"}, lambda row: row["customer"] == "Probe Co"),
    ],
)
def test_a_filter_keeps_exactly_the_matching_rows_of_the_whole_list(client, path, args, keep):
    everything = every_row(client, path)
    matching = every_row(client, path, **args)
    assert matching == [row for row in everything if keep(row)]
    assert matching, "the KB has rows for every filter tried"
    # The page shows the first of them, and says how many match of how many.
    page = shown(client, f"{path}?{'&'.join(f'{k}={v}' for k, v in args.items())}")
    assert rows_of(page) == matching[:50]
    what = ", ".join(f"{k}: {v}" for k, v in args.items())
    told = summary_of(page)
    assert told.startswith(f"{len(matching):,} of {len(everything):,} ") and what in told, told


def test_filters_and_a_sort_combine_and_the_downloads_hold_every_matching_row(client):
    args = "stage=qualified&owner=Ana&sort=-won"
    page = shown(client, f"/customers?{args}")
    matching = every_row(client, "/customers", stage="qualified", owner="Ana", sort="-won")
    assert all(row["stage"] == "qualified" and row["owner"].lower() == "ana" for row in matching)
    assert rows_of(page) == matching[:50]
    csv = client.get(f"/customers.csv?{args}").text.splitlines()
    assert len(csv) == len(matching) + 1
    markdown = client.get(f"/customers.md?{args}").text
    assert all(row["name"] in markdown for row in matching)


def test_a_list_without_a_filter_says_how_many_it_shows_of_how_many(client):
    calls = every_row(client, "/interviews")
    assert summary_of(shown(client, "/interviews")) == f"Showing 50 of {len(calls):,} interviews"
    assert summary_of(shown(client, "/interviews?page=2&per=20")) == f"Showing 20 of {len(calls):,} interviews"
    stories = every_row(client, "/casestudies")
    assert summary_of(shown(client, "/casestudies")) == f"Showing 50 of {len(stories):,} case studies"
    customers = every_row(client, "/customers")
    assert summary_of(shown(client, "/customers?per=500")) == f"Showing {len(customers)} of {len(customers)} customers"


def test_the_filter_forms_offer_the_values_present(client):
    customers = shown(client, "/customers")
    for value in ("lead", "qualified", "no profile yet", "referral", "conference", "2025", "not won"):
        assert f'<option value="{value}"' in customers, value
    assert 'value="customer"' not in customers  # no customer of this KB is at that stage
    stories = shown(client, "/casestudies")
    assert '<select name="customer">' in stories or 'name="customer"' in stories
    calls = shown(client, "/interviews")
    assert '<input type="date" name="since"' in calls and '<input type="date" name="until"' in calls


def test_a_sorted_column_header_says_so_on_the_header_cell(client):
    page = shown(client, "/customers?sort=-won")
    assert re.search(r'<th scope="col" data-col="won" aria-sort="descending"[^>]*><a href="[^"]*sort=won"', page)
    assert page.count("aria-sort=") == 1


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/customers?won=last-year", "won"),
        ("/customers?won=2025-13", "won"),
        ("/customers?sort=wonn", "sort"),
        ("/interviews?since=yesterday", "since"),
        ("/interviews?until=2026-02-30", "until"),
        ("/casestudies?customer=" + "x" * 300, "customer"),
        ("/api/customers?won=x", "won"),
        ("/customers.csv?won=x", "won"),
    ],
)
def test_a_bad_filter_value_is_a_400_naming_it(client, url, parameter):
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    text = json.dumps(response.get_json()) if url.startswith("/api/") else response.text
    assert parameter in text


def test_each_cell_carries_its_column_header_for_small_screens(client):
    page = shown(client, "/interviews")
    cells = re.findall(r'<td data-col="([^"]+)" data-label="([^"]+)"', page)
    assert cells and dict(cells) == {
        "date": "Date",
        "call": "Call",
        "customer": "Customer",
        "kind": "Kind",
        "owner": "Owner",
        "people": "People",
    }
