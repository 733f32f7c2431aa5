"""Logging a call in the browser: only the sections the user filled are written, and the call's day
defaults to the as-of date kb.toml pins (a later day is saved, with a note that Home will not count it yet)."""

from __future__ import annotations

import datetime as dt

from bench.load import FormFields
from kb.records.parse import parse_bytes


def open_form(client, url: str) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    return FormFields(response.text).fields


def test_a_call_with_notes_only_writes_no_empty_quotes_or_next_steps(client, kb_root):
    kb_root.customer("acme", name="Acme")
    form = open_form(client, "/new/interview?customer=acme")
    form.update(date="2026-02-10", kind="demo", notes="They liked the export.")
    response = client.post("/new/interview", data=form)
    assert response.status_code == 303, response.text[:800]
    text = (kb_root.root / "content/interviews/2026-02-10-acme-demo.md").read_text()
    assert text.endswith("---\n\n## Notes\nThey liked the export.\n")
    assert "## Quotes" not in text and "## Next steps" not in text and "<!--" not in text


def test_a_call_with_no_notes_is_front_matter_alone(client, kb_root):
    kb_root.customer("acme", name="Acme")
    form = open_form(client, "/new/interview?customer=acme")
    form.update(date="2026-02-10", kind="demo", notes="")
    assert client.post("/new/interview", data=form).status_code == 303
    path = "content/interviews/2026-02-10-acme-demo.md"
    text = (kb_root.root / path).read_text()
    assert text.endswith("owner:\n---\n") and "##" not in text
    assert parse_bytes(text.encode(), path, "interview").problems == []


def test_a_new_call_defaults_to_the_pinned_as_of_date(client, kb_root):
    kb_root.write("kb.toml", 'name = "Pinned"\nas_of = 2026-03-18\n')
    assert open_form(client, "/new/interview")["date"] == "2026-03-18"


def test_a_new_call_defaults_to_today_when_nothing_is_pinned(client, kb_root):
    assert open_form(client, "/new/interview")["date"] == dt.date.today().isoformat()


def test_a_call_after_the_pinned_date_is_saved_with_a_note_why_home_leaves_it_out(client, kb_root):
    kb_root.write("kb.toml", 'name = "Pinned"\nas_of = 2026-03-18\n')
    kb_root.customer("acme", name="Acme")
    form = open_form(client, "/new/interview?customer=acme")
    form.update(date="2026-03-20", kind="sales")
    response = client.post("/new/interview", data=form, follow_redirects=True)
    assert response.status_code == 200
    assert "Saved content/interviews/2026-03-20-acme-sales.md" in response.text
    assert "after the as-of date 2026-03-18 pinned in kb.toml" in response.text
    form = open_form(client, "/new/interview?customer=acme")
    form.update(date="2026-03-18", kind="sales")
    response = client.post("/new/interview", data=form, follow_redirects=True)
    assert "Saved content/interviews/2026-03-18-acme-sales.md" in response.text
    assert "after the as-of date" not in response.text


def test_kb_new_interview_defaults_to_the_pinned_as_of_date(runner, kb_root):
    kb_root.write("kb.toml", 'name = "Pinned"\nas_of = 2026-03-18\n')
    kb_root.customer("acme", name="Acme")
    result = runner(kb_root, "new", "interview", "acme", "--kind", "sales", "--no-edit")
    assert result.exit_code == 0, result.output
    assert (kb_root.root / "content/interviews/2026-03-18-acme-sales.md").is_file()
