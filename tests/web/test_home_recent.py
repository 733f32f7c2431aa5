"""Home's "Recent edits": the records changed last, by title, newest first, a save of a second ago
included, and a change later than the pinned as-of date marked as such."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from bench.load import FormFields

AS_OF = "2026-03-18"


def stamp(path, day: str) -> None:
    when = dt.datetime.fromisoformat(f"{day}T12:00:00").timestamp()
    os.utime(path, (when, when))


@pytest.fixture
def pinned(kb_root):
    kb_root.write("kb.toml", f'name = "Pinned"\nas_of = {AS_OF}\n')
    stamp(kb_root.customer("acme", name="Acme Corp"), "2026-03-01")
    stamp(kb_root.interview("2026-02-10-acme-discovery", "acme", "2026-02-10", body="The audit hurt."), "2026-03-10")
    stamp(kb_root.casestudy("acme-story", "acme", status="draft"), "2026-03-12")
    return kb_root


def recent(html: str) -> list[str]:
    """The entries of the Recent edits list, as text."""
    listed = html.split("<h2>Recent edits</h2>", 1)[1].split("</ul>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", "<li" + item).split()) for item in listed.split("<li")[1:]]


def test_recent_edits_are_titled_newest_first(client, pinned):
    entries = recent(client.get("/").text)
    assert [e.split(" 2026-03-")[0] for e in entries] == [
        "Acme Corp: Jane Doe, CFO",
        "2026-02-10 · discovery call with Acme Corp",
        "Acme Corp",
    ]
    assert not any("after the as-of date" in e for e in entries)
    assert 'href="/casestudies/acme-story"' in client.get("/").text


def test_a_save_of_a_second_ago_is_first_and_marked_after_the_pinned_date(client, pinned):
    form = FormFields(client.get("/casestudies/acme-story/edit").text).fields
    form.update(person="Ravi Kapoor, Controller", action="save")
    assert client.post("/casestudies/acme-story/edit", data=form).status_code == 303
    entries = recent(client.get("/").text)
    today = dt.date.today().isoformat()
    assert entries[0].startswith(f"Acme Corp: Ravi Kapoor, Controller {today}"), entries
    assert entries[0].endswith(f"after the as-of date {AS_OF}")
    assert [e.split(" 2026-03-")[0] for e in entries[1:]] == ["2026-02-10 · discovery call with Acme Corp", "Acme Corp"]


def test_a_file_changed_after_the_pinned_date_says_so(client, pinned):
    stamp(pinned.root / "content/customers/acme.md", "2026-04-02")
    entries = recent(client.get("/").text)
    assert entries[0] == f"Acme Corp 2026-04-02 12:00 after the as-of date {AS_OF}"
