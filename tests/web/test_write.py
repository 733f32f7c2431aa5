"""Writing in the browser, through the Flask test client: new and edited stories, the preview, the
conflict page, and logging a call. Real files, real index; nothing typed is lost on any error."""

from __future__ import annotations

import base64

import pytest

from bench.load import FormFields
from kb.records.files import content_hash
from kb.records.parse import parse_bytes
from tests.web.helpers import hits

STORY = """\
---
customer: acme
person: Jane Doe, CFO
status: draft
renewal_date: 2027-01-31   # from the contract
champion: {name: Jane, since: 2025-11-01}
interviews: [2026-02-10-acme-discovery]
tags: [soc2]
---
Told by Ana after the check-in.

## Why did they have to change?
The audit took 14 weeks [[2026-02-10-acme-discovery]].

## What did success look like?
<!-- What did success look like to them? -->

## Notes
Keep   this  exactly.
\t- even this tab

## Why are they renewing?
They bought back their close.
"""


def fields_of(html: str) -> dict[str, str]:
    return FormFields(html).fields


@pytest.fixture
def acme(kb_root):
    kb_root.customer("acme", name="Acme")
    kb_root.interview("2026-02-10-acme-discovery", "acme", "2026-02-10", body="The audit hurt.")
    return kb_root.write("casestudies/acme-story.md", STORY)


def open_form(client, url: str) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    return fields_of(response.text)


def test_the_new_story_form_asks_the_five_questions_with_their_prompts(client):
    from kb.records.fields import QUESTIONS

    response = client.get("/new/casestudy")
    assert response.status_code == 200
    for question in QUESTIONS:
        assert question.heading in response.text and question.prompt in response.text
        assert f'name="answer_{question.key}"' in response.text
    fields = fields_of(response.text)
    assert fields["csrf_token"] and fields["base_sha256"] == "" and fields["status"] == "draft"


def test_a_new_story_is_saved_parses_cleanly_and_is_found_by_search_at_once(app, client, kb_root):
    form = open_form(client, "/new/casestudy")
    form.update(
        customer="Quokka Labs",
        person="Mia Chen, Head of Ops",
        status="meh",
        tags="ops, audit",
        answer_why_change="Their zephyrine audit failed twice.\r\nThen the board asked.",
        answer_fit="We fit their **weekly** review.",
    )
    response = client.post("/new/casestudy", data=form)
    assert response.status_code == 303, response.text[:800]
    assert response.headers["Location"] == "/casestudies/quokka-labs-story"
    data = (kb_root.root / "casestudies/quokka-labs-story.md").read_bytes()
    record = parse_bytes(data, "casestudies/quokka-labs-story.md", "casestudy")
    assert record.problems == []
    assert record.fields["customer"] == "quokka-labs" and record.fields["tags"] == ["ops", "audit"]
    assert record.answers("why_change")[0].text == "Their zephyrine audit failed twice.\nThen the board asked."
    assert record.missing_answers == ["success", "options", "renewal"]
    assert b"\r" not in data
    assert hits(app, "zephyrine") == ["casestudies/quokka-labs-story.md"]
    customer = kb_root.root / "content/customers/quokka-labs.md"
    assert 'name: "Quokka Labs"' in customer.read_text()
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Saved casestudies/quokka-labs-story.md" in page.text


def test_a_field_error_keeps_every_typed_value_and_writes_nothing(client, kb_root):
    form = open_form(client, "/new/casestudy")
    typed = {
        "customer": "acme",
        "person": "",
        "status": "hellyes",
        "slug": "acme-story",
        "tags": "a & b, <c>",
        "interviews": "2026-02-10-acme-discovery\n2026-03-01-acme-demo",
        "answer_why_change": "Line one\n\n  indented <b>bold</b> & more\n",
        "answer_options": "Spreadsheets.",
    }
    form.update(typed)
    response = client.post("/new/casestudy", data=form)
    assert response.status_code == 400
    shown = fields_of(response.text)
    for name, value in typed.items():
        assert shown[name] == value, name
    assert "required: the ONE person who had to change" in response.text
    assert "expected one of draft, meh, churned, hell-yes; got &#39;hellyes&#39;" in response.text
    assert list((kb_root.root / "casestudies").iterdir()) == []


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(client, kb_root):
    form = open_form(client, "/new/casestudy")
    form.pop("csrf_token")
    form.update(customer="acme", person="Jane Doe, CFO")
    response = client.post("/new/casestudy", data=form)
    assert response.status_code == 400
    assert "security token was missing" in response.text
    assert list((kb_root.root / "casestudies").iterdir()) == []
    for url in ("/new/interview", "/preview", "/write/conflict", "/casestudies/x/edit"):
        assert client.post(url, data={"customer": "acme"}).status_code == 400, url


@pytest.mark.parametrize("slug", ["../evil", "a/b", "..", ".hidden", "Acme Story", "casestudies/../../x"])
def test_a_file_name_that_is_not_a_plain_slug_is_refused(client, kb_root, slug):
    form = open_form(client, "/new/casestudy")
    form.update(customer="acme", person="Jane Doe, CFO", slug=slug)
    response = client.post("/new/casestudy", data=form)
    assert response.status_code == 400
    assert "use lowercase letters, digits and hyphens" in response.text
    assert fields_of(response.text)["slug"] == slug
    assert list((kb_root.root / "casestudies").iterdir()) == []
    assert not (kb_root.root.parent / "evil.md").exists()


@pytest.mark.parametrize(
    "url",
    [
        "/casestudies/nothing-here/edit",
        "/casestudies/..%2F..%2Fkb/edit",
        "/casestudies/%2E%2E/edit",
        "/casestudies/.kb/edit",
    ],
)
def test_editing_an_unknown_or_odd_slug_is_404(client, acme, url):
    assert client.get(url).status_code == 404


def test_the_conflict_page_refuses_a_path_outside_the_story_folders(client, acme, kb_root):
    form = open_form(client, "/casestudies/acme-story/edit")
    text = "---\ncustomer: acme\nperson: x\nstatus: draft\n---\n"
    for path in (
        "../outside.md",
        "casestudies/../kb.toml",
        "content/customers/acme.md",
        "content/interviews/2026-02-10-acme-discovery.md",
    ):
        data = {
            "csrf_token": form["csrf_token"],
            "choice": "typed",
            "path": path,
            "disk_sha256": "",
            "typed": base64.b64encode(text.encode()).decode(),
            "disk": "",
        }
        response = client.post("/write/conflict", data=data)
        assert response.status_code == 400, path
        assert "refused to write" in response.text
    assert not (kb_root.root.parent / "outside.md").exists()
    assert "person: x" not in (kb_root.root / "content/customers/acme.md").read_text()


def test_edit_shows_the_story_and_saving_it_untouched_changes_no_byte(client, acme):
    before = acme.read_bytes()
    form = open_form(client, "/casestudies/acme-story/edit")
    assert form["person"] == "Jane Doe, CFO" and form["status"] == "draft"
    assert form["answer_why_change"] == "The audit took 14 weeks [[2026-02-10-acme-discovery]]."
    assert form["answer_success"] == ""  # only the prompt: shown empty
    assert form["base_sha256"] == content_hash(before)
    page = client.get("/casestudies/acme-story/edit").text
    assert "<code>renewal_date</code>, <code>champion</code>" in page and "“Notes”" in page
    response = client.post("/casestudies/acme-story/edit", data=form)
    assert response.status_code == 303 and response.headers["Location"] == "/casestudies/acme-story"
    assert acme.read_bytes() == before


def test_edit_keeps_unknown_keys_and_extra_sections_byte_for_byte(app, client, acme):
    form = open_form(client, "/casestudies/acme-story/edit")
    form.update(
        status="hell-yes",
        answer_success="A close on day 6 with no quorbital follow-ups.",
        answer_renewal="They REALLY bought back their close.",
    )
    response = client.post("/casestudies/acme-story/edit", data=form)
    assert response.status_code == 303, response.text[:800]
    expected = (
        STORY.replace("status: draft", "status: hell-yes")
        .replace("<!-- What did success look like to them? -->", "A close on day 6 with no quorbital follow-ups.")
        .replace("They bought back their close.", "They REALLY bought back their close.")
    )
    assert acme.read_text() == expected
    assert hits(app, "quorbital") == ["casestudies/acme-story.md"]


def test_edit_of_a_crlf_file_keeps_its_line_ends(client, kb_root):
    path = kb_root.write("casestudies/crlf-story.md", STORY.replace("\n", "\r\n").encode())
    form = open_form(client, "/casestudies/crlf-story/edit")
    form["answer_options"] = "Hiring.\r\nDoing nothing."
    assert client.post("/casestudies/crlf-story/edit", data=form).status_code == 303
    text = path.read_bytes().decode()
    assert text.count("\r\n") == text.count("\n")
    assert "## What options did they consider?\r\nHiring.\r\nDoing nothing.\r\n" in text
    assert text.startswith(STORY.replace("\n", "\r\n")[:-1])


def test_an_edit_with_a_field_error_keeps_everything_and_writes_nothing(client, acme):
    form = open_form(client, "/casestudies/acme-story/edit")
    form.update(person="  ", customer="two words!", answer_options="Typed and kept.\n\nTwo paragraphs.")
    response = client.post("/casestudies/acme-story/edit", data=form)
    assert response.status_code == 400
    shown = fields_of(response.text)
    assert (shown["person"], shown["customer"]) == ("  ", "two words!")
    assert shown["answer_options"] == "Typed and kept.\n\nTwo paragraphs."
    assert shown["base"] == form["base"] and shown["base_sha256"] == form["base_sha256"]
    assert 'href="/casestudies/acme-story">Cancel</a>' in response.text
    assert acme.read_text() == STORY


def test_a_file_kb_cannot_edit_in_place_says_so_without_a_500(client, kb_root):
    kb_root.write("casestudies/broken.md", "---\ncustomer: [acme\n---\n## Why did they have to change?\nX\n")
    response = client.get("/casestudies/broken/edit")
    assert response.status_code == 409
    assert "not valid YAML" in response.text and "fix it in your editor" in response.text


NOTE = "<!-- ask Laura after the draft report -->"


@pytest.mark.parametrize(
    ("on_disk", "typed", "written"),
    [
        (f"<!-- Why are they renewing / expanding with you? -->\n{NOTE}", "Their close.", f"{NOTE}\nTheir close."),
        (f"{NOTE}\nThey bought back their close.", "Their close.", f"{NOTE}\nTheir close."),
        (f"They bought back their close.\n\n{NOTE}", "Their close.", f"Their close.\n\n{NOTE}"),
        (
            f"They bought back their close.\n{NOTE}\nAnd time.",
            "They bought back their close.\nAnd their time.",
            f"They bought back their close.\n{NOTE}\nAnd their time.",
        ),
    ],
)
def test_saving_an_answer_keeps_the_authors_comment_in_it(client, acme, on_disk, typed, written):
    acme.write_text(STORY.replace("They bought back their close.", on_disk))
    form = open_form(client, "/casestudies/acme-story/edit")
    assert "<!--" not in form["answer_renewal"]  # the form shows the answer; the note stays in the file
    form["answer_renewal"] = typed
    response = client.post("/casestudies/acme-story/edit", data=form)
    assert response.status_code == 303, response.text[:800]
    assert acme.read_text() == STORY.replace("They bought back their close.", written)


def test_a_story_without_any_section_can_be_edited(client, kb_root):
    path = kb_root.write("casestudies/bare.md", "---\ncustomer: acme\nperson: P\nstatus: draft\n---\nJust notes.\n")
    form = open_form(client, "/casestudies/bare/edit")
    form["answer_why_change"] = "The audit took 14 weeks."
    assert client.post("/casestudies/bare/edit", data=form).status_code == 303
    assert path.read_text().endswith("Just notes.\n\n## Why did they have to change?\nThe audit took 14 weeks.\n")


def test_a_damaged_base_field_keeps_the_typed_text(client, acme):
    form = open_form(client, "/casestudies/acme-story/edit")
    form.update(base="%%% not base64", answer_options="Typed and kept.")
    response = client.post("/casestudies/acme-story/edit", data=form)
    assert response.status_code == 400
    assert fields_of(response.text)["answer_options"] == "Typed and kept."
    assert acme.read_text() == STORY


def conflict_fields(client, acme) -> tuple[dict[str, str], str]:
    """Open the edit form, type an answer, change the file on disk, save: the conflict page's fields."""
    form = open_form(client, "/casestudies/acme-story/edit")
    form["answer_options"] = "Typed: a second accountant."
    disk = STORY.replace("They bought back their close.", "Changed in the editor.")
    acme.write_text(disk)
    response = client.post("/casestudies/acme-story/edit", data=form)
    assert response.status_code == 409, response.text[:800]
    assert "Nothing was saved" in response.text
    return fields_of(response.text), response.text


def test_a_conflict_shows_both_full_texts_and_writes_nothing(client, acme):
    fields, page = conflict_fields(client, acme)
    disk = acme.read_text()
    assert "Changed in the editor." in disk and "Typed: a second accountant." not in disk
    typed = base64.b64decode(fields["typed"]).decode()
    assert "Typed: a second accountant." in typed and "They bought back their close." in typed
    shown = FormFields(page)
    assert shown.fields == fields
    assert "Changed in the editor." in page and "Typed: a second accountant." in page
    assert "renewal_date: 2027-01-31   # from the contract" in page  # both texts in full
    assert "Keep what I typed" in page and "Keep the version on disk" in page and "Edit again" in page


def test_keep_what_i_typed_writes_exactly_the_typed_text(app, client, acme):
    fields, _page = conflict_fields(client, acme)
    typed = base64.b64decode(fields["typed"]).decode()
    response = client.post("/write/conflict", data={**fields, "choice": "typed"})
    assert response.status_code == 303 and response.headers["Location"] == "/casestudies/acme-story"
    assert acme.read_text() == typed
    assert hits(app, "accountant") == ["casestudies/acme-story.md"]


def test_keep_the_version_on_disk_writes_nothing(client, acme):
    fields, _page = conflict_fields(client, acme)
    disk = acme.read_bytes()
    response = client.post("/write/conflict", data={**fields, "choice": "disk"})
    assert response.status_code == 303 and response.headers["Location"] == "/casestudies/acme-story"
    assert acme.read_bytes() == disk


def test_keep_what_i_typed_conflicts_again_if_the_disk_changed_again(client, acme):
    fields, _page = conflict_fields(client, acme)
    acme.write_text(STORY.replace("Keep   this", "Changed twice"))
    response = client.post("/write/conflict", data={**fields, "choice": "typed"})
    assert response.status_code == 409
    assert "Changed twice" in acme.read_text() and "Typed: a second accountant." not in acme.read_text()
    again = fields_of(response.text)
    assert base64.b64decode(again["typed"]) == base64.b64decode(fields["typed"])
    assert client.post("/write/conflict", data={**again, "choice": "typed"}).status_code == 303
    assert acme.read_bytes() == base64.b64decode(fields["typed"])


def test_edit_again_puts_the_typed_change_on_top_of_the_disk_version(client, acme):
    fields, _page = conflict_fields(client, acme)
    response = client.post("/casestudies/acme-story/edit", data={**fields, "action": "reopen"})
    assert response.status_code == 200
    form = fields_of(response.text)
    assert form["answer_options"] == "Typed: a second accountant."
    assert form["answer_renewal"] == "Changed in the editor."
    assert client.post("/casestudies/acme-story/edit", data=form).status_code == 303
    text = acme.read_text()
    assert "Typed: a second accountant." in text and "Changed in the editor." in text


def test_a_story_deleted_while_editing_is_a_conflict_and_can_be_written_back(client, acme):
    form = open_form(client, "/casestudies/acme-story/edit")
    form["answer_options"] = "Still typed."
    acme.unlink()
    response = client.post("/casestudies/acme-story/edit", data=form)
    assert response.status_code == 409 and "was deleted" in response.text
    fields = fields_of(response.text)
    assert client.post("/write/conflict", data={**fields, "choice": "typed"}).status_code == 303
    assert "Still typed." in acme.read_text()


def test_a_new_story_over_a_file_that_appeared_meanwhile_is_a_conflict(client, kb_root):
    form = open_form(client, "/new/casestudy")
    form.update(customer="acme", person="Mia Chen, COO", slug="acme-story", answer_fit="Typed fit.")
    theirs = kb_root.write("casestudies/acme-story.md", STORY)
    response = client.post("/new/casestudy", data=form)
    assert response.status_code == 409
    assert "appeared while you were writing" in response.text and "Typed fit." in response.text
    assert theirs.read_text() == STORY
    fields = fields_of(response.text)
    again = client.post("/new/casestudy", data={**fields, "action": "reopen"})
    assert again.status_code == 200 and fields_of(again.text)["answer_fit"] == "Typed fit."
    assert "exists now: choose another name" in again.text


def test_the_preview_endpoint_answers_sanitized_html(client, acme):
    form = open_form(client, "/casestudies/acme-story/edit")
    form["answer_options"] = (
        '<script>alert(1)</script><img src=x onerror="alert(2)"> [click](javascript:alert(3)) **bold** [[acme]]'
    )
    response = client.post("/preview", data=form, headers={"X-CSRFToken": form["csrf_token"]})
    assert response.status_code == 200
    html = response.text
    assert "<strong>bold</strong>" in html and 'href="/customers/acme"' in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "Keep   this  exactly." in html  # the extra section is in the preview too
    assert acme.read_text() == STORY


def test_the_preview_button_without_javascript_shows_the_form_and_the_preview(client, acme):
    form = open_form(client, "/casestudies/acme-story/edit")
    form.update(action="preview", answer_options="Previewed *text*.")
    response = client.post("/casestudies/acme-story/edit", data=form)
    assert response.status_code == 200
    assert "<em>text</em>" in response.text
    assert fields_of(response.text)["answer_options"] == "Previewed *text*."
    assert acme.read_text() == STORY


def test_log_a_call_writes_the_interview_and_a_new_customer(app, client, kb_root):
    form = open_form(client, "/new/interview")
    assert form["date"] and form["kind"] == "discovery"
    form.update(
        customer="Brand New Co",
        date="2026-03-04",
        kind="demo",
        people="Al Stone, CTO\r\n\r\nBo Li, CFO",
        owner="Ana Ruiz",
        notes="They asked about the xylograph export.\r\n\r\n> We need it by May.",
    )
    response = client.post("/new/interview", data=form)
    assert response.status_code == 303, response.text[:800]
    assert response.headers["Location"] == "/interviews/2026-03-04-brand-new-co-demo"
    path = kb_root.root / "content/interviews/2026-03-04-brand-new-co-demo.md"
    record = parse_bytes(path.read_bytes(), "content/interviews/2026-03-04-brand-new-co-demo.md", "interview")
    assert record.problems == []
    assert record.fields["customer"] == "brand-new-co" and record.fields["kind"] == "demo"
    assert record.fields["people"] == ["Al Stone, CTO", "Bo Li, CFO"] and record.fields["owner"] == "Ana Ruiz"
    assert "They asked about the xylograph export.\n\n> We need it by May." in record.sections[0].text
    assert 'name: "Brand New Co"' in (kb_root.root / "content/customers/brand-new-co.md").read_text()
    assert hits(app, "xylograph") == ["content/interviews/2026-03-04-brand-new-co-demo.md"]
    page = client.get("/interviews/2026-03-04-brand-new-co-demo")
    assert page.status_code == 200 and "xylograph" in page.text


def test_log_a_call_for_a_known_customer_makes_no_customer_file(client, acme, kb_root):
    form = open_form(client, "/new/interview?customer=acme")
    assert form["customer"] == "acme"
    form.update(date="2026-02-10", kind="discovery")
    response = client.post("/new/interview", data=form)
    assert response.headers["Location"] == "/interviews/2026-02-10-acme-discovery-2"
    assert sorted(p.name for p in (kb_root.root / "content/customers").iterdir()) == ["acme.md"]


def test_log_a_call_with_bad_fields_keeps_what_was_typed(client, kb_root):
    form = open_form(client, "/new/interview")
    form.update(customer="", date="2026-02-30", kind="lunch", people="Al", notes="Long notes\nkept.")
    response = client.post("/new/interview", data=form)
    assert response.status_code == 400
    shown = fields_of(response.text)
    assert (shown["date"], shown["kind"], shown["people"], shown["notes"]) == (
        "2026-02-30",
        "lunch",
        "Al",
        "Long notes\nkept.",
    )
    assert "required: who was the call with?" in response.text
    assert "expected a real date as YYYY-MM-DD" in response.text and "expected one of discovery" in response.text
    assert list((kb_root.root / "content/interviews").iterdir()) == []


def test_pages_link_to_writing(client, acme):
    assert 'href="/new/casestudy"' in client.get("/casestudies").text
    assert 'href="/casestudies/acme-story/edit"' in client.get("/casestudies/acme-story").text
    assert 'href="/new/interview"' in client.get("/interviews").text
    customer = client.get("/customers/acme").text
    assert 'href="/new/interview?customer=acme"' in customer and 'href="/new/casestudy?customer=acme"' in customer


@pytest.mark.parametrize("name", ["with space", "colon:name", "émoji-🙂", "UPPER", "hash#", "question?", "new"])
def test_a_story_with_an_odd_but_legal_name_saves_from_its_edit_form(client, kb_root, name):
    from urllib.parse import quote

    kb_root.customer("acme", name="Acme")
    path = kb_root.write(f"casestudies/{name}.md", STORY.replace("14 weeks", "nine weeks"))
    url = f"/casestudies/{quote(name, safe='')}/edit"
    form = open_form(client, url)
    form["answer_renewal"] = "They bought calm month ends."
    response = client.post(url, data=form)
    assert response.status_code == 303, response.text[:500]
    text = path.read_text(encoding="utf-8")
    assert "They bought calm month ends." in text and "nine weeks" in text


def test_a_story_that_is_a_symbolic_link_is_not_written_through(client, kb_root, tmp_path):
    kb_root.customer("acme", name="Acme")
    outside = tmp_path / "elsewhere.md"
    outside.write_text(STORY, encoding="utf-8")
    kb_root.write("casestudies/real.md", STORY)
    link = kb_root.root / "casestudies" / "linked.md"
    link.symlink_to(kb_root.root / "casestudies" / "real.md")
    response = client.get("/casestudies/linked/edit")
    if response.status_code == 200:
        form = fields_of(response.text)
        form["answer_renewal"] = "Changed through a link."
        response = client.post("/casestudies/linked/edit", data=form)
        assert response.status_code in (400, 404, 409), response.status_code
    assert "Changed through a link." not in (kb_root.root / "casestudies" / "real.md").read_text(encoding="utf-8")
