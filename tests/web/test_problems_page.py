"""The Problems page: 50 problems a page with page links and the total; its downloads hold every problem."""

from __future__ import annotations

import json
import re


def test_problems_are_paged_and_their_downloads_whole(kb_root, client, runner):
    links = "\n".join(f"See [[missing-{n:03d}]]." for n in range(70))
    kb_root.write("content/customers/acme.md", "---\nname: Acme\n---\nNotes.\n")
    kb_root.write("casestudies/acme-story.md", f"---\ncustomer: acme\nperson: Jane\nstatus: meh\n---\n{links}\n")
    first = client.get("/problems").get_data(as_text=True)
    assert 'data-total="70"' in first
    assert len(re.findall(r"<tr data-row=", first)) == 50
    assert "problems 1–50 of 70" in first and 'rel="next"' in first
    second = client.get("/problems?page=2").get_data(as_text=True)
    assert len(re.findall(r"<tr data-row=", second)) == 20
    assert "problems 51–70 of 70" in second and 'rel="prev"' in second
    past = client.get("/problems?page=9").get_data(as_text=True)
    assert "past the end" in past
    assert client.get("/problems?page=0").status_code == 400
    assert len(client.get("/api/problems").get_json()["rows"]) == 70
    assert client.get("/problems.csv").get_data(as_text=True).count("points to no record") == 70
    # The rows of both pages, in order, are what `kb check` prints.
    shown = [
        json.loads(row.replace("&#39;", "'").replace("&#34;", '"').replace("&amp;", "&"))
        for page in (first, second)
        for row in re.findall(r"<tr data-row='([^']*)'", page)
    ]
    checked = json.loads(runner(kb_root, "check", "--json").output)
    assert [row["message"] for row in shown] == [p["message"] for p in checked]
