"""Editing a customer and an interview in the browser, through the Flask test client: a save rewrites only
what the form changed, a file changed on disk since the form was opened is a conflict, and a bad value is a
400 with the field named beside it. Real files, real index."""

from __future__ import annotations

import base64

import pytest

from bench.load import FormFields
from kb.records.parse import parse_bytes

CUSTOMER = """\
---
name: Acme Corp
stage: customer
source: referral   # met at a meetup
owner: Maya
qualified_on: 2025-10-28
won_on: 2025-12-09
acv: 18000
segment: digital health
champion: {name: Jane, since: 2025-11-01}
---

## Who they are
A   payroll  company.
\t- kept tab

## Notes
Referred by [[beta]].
"""

CALL = """\
---
customer: acme
date: 2026-02-10
kind: discovery
people:
  - Jane Doe, CFO
owner: Maya
recording: https://example.com/rec/1
---

## Notes
The audit hurt.

## Quotes
> "We failed twice." ^q1
"""


@pytest.fixture
def files(kb_root):
    kb_root.write("content/customers/acme.md", CUSTOMER)
    kb_root.write("content/interviews/2026-02-10-acme-discovery.md", CALL)
    return kb_root


def open_form(client, url: str) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    return FormFields(response.text).fields


def test_the_pages_link_to_their_edit_forms(client, files):
    assert 'href="/customers/acme/edit"' in client.get("/customers/acme").text
    assert (
        'href="/interviews/2026-02-10-acme-discovery/edit"' in client.get("/interviews/2026-02-10-acme-discovery").text
    )


def test_the_customer_form_shows_its_fields_and_body(client, files):
    form = open_form(client, "/customers/acme/edit")
    assert (form["name"], form["stage"], form["source"], form["owner"]) == ("Acme Corp", "customer", "referral", "Maya")
    assert (form["won_on"], form["acv"], form["lost_on"]) == ("2025-12-09", "18000", "")
    assert form["body"].startswith("## Who they are\nA   payroll  company.")
    assert base64.b64decode(form["base"]).decode() == CUSTOMER
    page = client.get("/customers/acme/edit").text
    assert "<code>segment</code>" in page and "<code>champion</code>" in page


@pytest.mark.parametrize("url", ["/customers/acme/edit", "/interviews/2026-02-10-acme-discovery/edit"])
def test_saving_an_untouched_form_changes_no_byte(client, files, url):
    path = files.root / (
        "content/customers/acme.md" if "customers" in url else "content/interviews/2026-02-10-acme-discovery.md"
    )
    before = path.read_bytes()
    form = open_form(client, url)
    form["body"] = form["body"].replace("\n", "\r\n")  # as a browser sends it
    response = client.post(url, data=form)
    assert response.status_code == 303, response.text[:800]
    assert path.read_bytes() == before


def test_a_customer_save_rewrites_only_the_changed_keys(client, files):
    form = open_form(client, "/customers/acme/edit")
    form.update(owner="Tomás Reyes", acv="24000", churned_on="2026-03-01", stage="churned")
    response = client.post("/customers/acme/edit", data=form)
    assert response.status_code == 303, response.text[:800]
    assert response.headers["Location"] == "/customers/acme"
    text = (files.root / "content/customers/acme.md").read_text()
    expected = (
        CUSTOMER.replace("stage: customer", "stage: churned")
        .replace("owner: Maya", "owner: Tomás Reyes")
        .replace("acv: 18000", "acv: 24000")
        .replace(
            "champion: {name: Jane, since: 2025-11-01}\n",
            "champion: {name: Jane, since: 2025-11-01}\nchurned_on: 2026-03-01\n",
        )
    )
    assert text == expected
    record = parse_bytes(text.encode(), "content/customers/acme.md", "customer")
    assert [p for p in record.problems if p.severity == "error"] == []
    assert "Tomás Reyes" in client.get("/customers/acme").text


def test_an_interview_save_changes_its_people_and_notes_and_keeps_the_rest(client, files):
    url = "/interviews/2026-02-10-acme-discovery/edit"
    form = open_form(client, url)
    assert form["people"] == "Jane Doe, CFO" and form["kind"] == "discovery" and form["date"] == "2026-02-10"
    form.update(
        people="Jane Doe, CFO\r\nOwen Sato, CTO", kind="sales", body=form["body"].replace("hurt.", "hurt a lot.")
    )
    assert client.post(url, data=form).status_code == 303
    text = (files.root / "content/interviews/2026-02-10-acme-discovery.md").read_text()
    assert text == (
        CALL.replace("kind: discovery", "kind: sales")
        .replace("  - Jane Doe, CFO\n", "  - Jane Doe, CFO\n  - Owen Sato, CTO\n")
        .replace("The audit hurt.", "The audit hurt a lot.")
    )


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("stage", "prospect", "expected one of lead, qualified, customer, churned"),
        ("won_on", "2025-13-40", "expected a real date as YYYY-MM-DD"),
        ("acv", "lots", "expected a number"),
        ("name", "", "required"),
    ],
)
def test_a_bad_customer_value_is_a_400_beside_its_field_and_writes_nothing(client, files, field, value, message):
    before = (files.root / "content/customers/acme.md").read_bytes()
    form = open_form(client, "/customers/acme/edit")
    form[field] = value
    response = client.post("/customers/acme/edit", data=form)
    assert response.status_code == 400
    assert f'<p class="field-error" id="{field}-error">' in response.text and message in response.text
    assert FormFields(response.text).fields[field] == value  # what was typed stays
    assert (files.root / "content/customers/acme.md").read_bytes() == before


def test_a_bad_interview_date_is_a_400_beside_the_date(client, files):
    url = "/interviews/2026-02-10-acme-discovery/edit"
    form = open_form(client, url)
    form.update(date="2026-02-30", kind="lunch")
    response = client.post(url, data=form)
    assert response.status_code == 400
    assert 'id="date-error"' in response.text and 'id="kind-error"' in response.text


def test_a_file_changed_since_the_form_opened_is_a_conflict_and_nothing_is_written(client, files):
    form = open_form(client, "/customers/acme/edit")
    path = files.root / "content/customers/acme.md"
    changed = CUSTOMER.replace("owner: Maya", "owner: Ana")
    path.write_text(changed)
    form.update(source="conference")
    response = client.post("/customers/acme/edit", data=form)
    assert response.status_code == 409
    assert "changed on disk while you were editing" in response.text
    assert path.read_text() == changed
    # Edit again: the typed change on top of the disk's version, then saved.
    fields = FormFields(response.text).fields
    fields["action"] = "reopen"
    again = client.post("/customers/acme/edit", data=fields)
    assert again.status_code == 200
    reopened = FormFields(again.text).fields
    assert (reopened["owner"], reopened["source"]) == ("Ana", "conference")
    reopened["action"] = "save"
    assert client.post("/customers/acme/edit", data=reopened).status_code == 303
    assert path.read_text() == changed.replace("source: referral   # met at a meetup", "source: conference")


def test_keep_what_i_typed_writes_the_typed_text(client, files):
    form = open_form(client, "/interviews/2026-02-10-acme-discovery/edit")
    path = files.root / "content/interviews/2026-02-10-acme-discovery.md"
    path.write_text(CALL.replace("owner: Maya", "owner: Ana"))
    form.update(owner="Bo")
    response = client.post("/interviews/2026-02-10-acme-discovery/edit", data=form)
    assert response.status_code == 409
    fields = FormFields(response.text).fields
    fields["choice"] = "typed"
    assert client.post("/write/record-conflict", data=fields).status_code == 303
    assert path.read_text() == CALL.replace("owner: Maya", "owner: Bo")


def test_editing_an_unknown_record_is_404(client, files):
    assert client.get("/customers/nobody/edit").status_code == 404
    assert client.get("/interviews/nothing/edit").status_code == 404
