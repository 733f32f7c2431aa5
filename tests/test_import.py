"""`kb import`: call transcripts and notes, as Zoom, Teams, Otter, Granola, Fathom, Notion and Word write them,
become interview records that kb checks clean and search finds."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kb.authoring.transcripts import UnreadableTranscript, merged_turns, read_transcript
from kb.config import Kb
from kb.records.parse import parse_bytes

FIXTURES = Path(__file__).parent / "fixtures" / "import"

# Each fixture: the day to give when the file tells none, the speakers in order, the turns once merged, and a
# phrase one of them said.
CASES = {
    "GMT20260112-150312_Recording.transcript.vtt": (
        None,
        ["Maya Chen", "Daniel Okafor", "Rosa Lindqvist"],
        7,
        "nobody owned the evidence",
    ),
    "Acme weekly sync.vtt": ("2026-01-19", ["Priya Raman", "Tom Becker"], 4, "the bus factor we worry about"),
    "webinar-captions.vtt": ("2026-01-20", [], 2, "continuous monitoring"),
    "discovery-call-2026-02-03.srt": (None, ["Maya Chen", "Lena Vogel"], 4, "same change tickets"),
    "Otter - Brightline onboarding.txt": ("2026-01-26", ["Maya Chen", "Luis Ortega"], 4, "forty vendor questionnaires"),
    "call with tidewater.txt": (None, ["Ines Duarte", "Maya Chen"], 5, "nobody opened it after onboarding"),
    "Granola - Acme discovery.md": (None, ["Maya Chen", "Rosa Lindqvist", "Daniel Okafor"], 3, "chasing screenshots"),
    "fathom-northwind-onboarding.md": (None, ["Maya Chen", "Grace Lee (Northwind)"], 3, "freight partners"),
    "Northwind renewal 3f2a9c1e8b7d4e6fa1b2c3d4e5f6a7b8.md": (
        None,
        ["Grace Lee", "Maya Chen"],
        3,
        "passed without a single finding",
    ),
    "kestrel-check-in.docx": (None, ["Maya Chen", "Ravi Kapoor", "Hannah Brandt"], 3, "two days early"),
}


def written(kb_root) -> dict[str, bytes]:
    """Every file under the KB's record folders, by path."""
    return {
        str(p.relative_to(kb_root.root)): p.read_bytes()
        for folder in ("content", "casestudies")
        for p in (kb_root.root / folder).rglob("*")
        if p.is_file()
    }


def import_one(runner, kb_root, name: str, *options: str):
    day = CASES[name][0]
    args = ["import", str(FIXTURES / name), "--customer", "acme", "--kind", "discovery", *options]
    return runner(kb_root, *args, *(["--date", day] if day else []))


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_format_becomes_an_interview_with_its_speakers_and_merged_turns(runner, kb_root, name):
    day, speakers, turns, phrase = CASES[name]
    result = import_one(runner, kb_root, name, "--owner", "Ana Ruiz")
    assert result.exit_code == 0, result.output
    (path,) = [p for p in written(kb_root) if p.startswith("content/interviews/")]
    assert result.output.startswith(f"{FIXTURES / name}: {path}")
    record = parse_bytes((kb_root.root / path).read_bytes(), path, "interview")
    assert [p for p in record.problems] == []
    assert record.fields["people"] == speakers
    assert record.fields["customer"] == "acme" and record.fields["kind"] == "discovery"
    assert record.fields["owner"] == "Ana Ruiz"
    if day:
        assert record.fields["date"].isoformat() == day
    transcript = (kb_root.root / path).read_text(encoding="utf-8").split("## Transcript\n", 1)[1]
    paragraphs = [p for p in transcript.split("\n\n")[1:] if p.strip()]
    assert len(paragraphs) == turns, transcript
    for paragraph in paragraphs:
        assert "\n" not in paragraph.strip() and "[" not in paragraph  # one line a turn, no link syntax
        if speakers:
            assert paragraph.startswith("**")
    # consecutive turns of one speaker are merged: no two neighbours share a speaker
    names = [p.split("**")[1] for p in paragraphs if p.startswith("**")]
    assert all(a != b for a, b in zip(names, names[1:], strict=False))
    assert "\n## Notes\n" in (kb_root.root / path).read_text(encoding="utf-8")

    found = runner(kb_root, "search", f'"{phrase}"', "--json")
    assert found.exit_code == 0, found.output
    assert [hit["path"] for hit in json.loads(found.stdout)["hits"]] == [path]


def test_dates_come_from_the_file_its_metadata_or_its_name():
    days = {name: read_transcript(name, (FIXTURES / name).read_bytes()).date for name in CASES}
    assert str(days["GMT20260112-150312_Recording.transcript.vtt"]) == "2026-01-12"  # Zoom's file name
    assert str(days["discovery-call-2026-02-03.srt"]) == "2026-02-03"  # a date in the name
    assert str(days["call with tidewater.txt"]) == "2026-02-10"  # Date: line
    assert str(days["Granola - Acme discovery.md"]) == "2026-01-12"  # **Date:** January 12, 2026 3:00 PM
    assert str(days["fathom-northwind-onboarding.md"]) == "2026-01-28"  # the title
    assert str(days["Northwind renewal 3f2a9c1e8b7d4e6fa1b2c3d4e5f6a7b8.md"]) == "2026-02-03"
    assert str(days["kestrel-check-in.docx"]) == "2026-02-17"  # the document's properties
    assert days["Acme weekly sync.vtt"] is None


def test_teams_cues_are_read_in_time_order_and_notes_exports_keep_their_notes():
    teams = read_transcript("Acme weekly sync.vtt", (FIXTURES / "Acme weekly sync.vtt").read_bytes())
    assert [t.start for t in teams.turns] == sorted(t.start for t in teams.turns)
    assert teams.turns[-2].text.startswith("So the renewal depends")
    granola = read_transcript("g.md", (FIXTURES / "Granola - Acme discovery.md").read_bytes())
    assert granola.title == "Acme × Ledgerly — discovery"
    assert "### What they want" in granola.notes and "Daniel Okafor" not in granola.notes
    otter = read_transcript("o.txt", (FIXTURES / "Otter - Brightline onboarding.txt").read_bytes())
    assert "otter.ai" not in " ".join(t.text for t in otter.turns)


def test_the_notes_of_an_export_go_in_notes_with_headings_below_the_records_sections(runner, kb_root):
    assert import_one(runner, kb_root, "Northwind renewal 3f2a9c1e8b7d4e6fa1b2c3d4e5f6a7b8.md").exit_code == 0
    (path,) = [p for p in written(kb_root) if p.startswith("content/interviews/")]
    text = (kb_root.root / path).read_text(encoding="utf-8")
    notes = text.split("## Notes\n", 1)[1].split("\n## ", 1)[0]
    assert "### Summary" in notes and "Budget approved by the CFO" in notes and "Type: Renewal" in notes
    assert "Date:" not in text.split("---", 2)[2]  # taken into the front matter, not left as a note


def test_subtitle_markup_and_character_references_are_not_words_of_the_call():
    srt = b"1\n00:00:01,000 --> 00:00:03,000\n<i>Jane:</i> We use <b>spreadsheets</b> {\\an8}for it.\n\n"
    srt += b'2\n00:00:03,500 --> 00:00:06,000\nBob: <font color="#fff">Painful</font>.\n'
    vtt = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Jane>Audit &amp; close</v>\n"

    assert [(t.speaker, t.text) for t in read_transcript("call.srt", srt).turns] == [
        ("Jane", "We use spreadsheets for it."),
        ("Bob", "Painful."),
    ]
    assert [(t.speaker, t.text) for t in read_transcript("call.vtt", vtt).turns] == [("Jane", "Audit & close")]


def test_a_second_import_writes_nothing(runner, kb_root):
    name = "GMT20260112-150312_Recording.transcript.vtt"
    first = import_one(runner, kb_root, name)
    assert first.exit_code == 0, first.output
    before = written(kb_root)
    (path,) = [p for p in before if p.startswith("content/interviews/")]
    again = import_one(runner, kb_root, name)
    assert again.exit_code == 0, again.output
    assert again.output == f"{FIXTURES / name}: already imported as {path}\n"
    assert written(kb_root) == before
    # the same bytes under another name, another customer or kind: still the same call
    copy = kb_root.root.parent / "renamed.vtt"
    copy.write_bytes((FIXTURES / name).read_bytes())
    third = runner(kb_root, "import", str(copy), "--customer", "other-co", "--kind", "sales")
    assert third.exit_code == 0 and "already imported as" in third.output
    assert written(kb_root) == before


def test_a_new_customer_gets_its_file_and_a_known_one_is_kept(runner, kb_root):
    kb_root.customer("acme", name="Acme Corp")
    known = (kb_root.root / "content/customers/acme.md").read_bytes()
    result = import_one(runner, kb_root, "discovery-call-2026-02-03.srt")
    assert result.exit_code == 0 and "new customer" not in result.output
    assert (kb_root.root / "content/customers/acme.md").read_bytes() == known
    name = "call with tidewater.txt"
    result = runner(kb_root, "import", str(FIXTURES / name), "--customer", "Tidewater Insurtech")
    assert result.exit_code == 0, result.output
    assert "(new customer: content/customers/tidewater-insurtech.md)" in result.output
    customer = parse_bytes((kb_root.root / "content/customers/tidewater-insurtech.md").read_bytes(), "c.md", "customer")
    assert customer.fields["name"] == "Tidewater Insurtech"
    assert (kb_root.root / "content/interviews/2026-02-10-tidewater-insurtech-other.md").is_file()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("broken.vtt", "expected a WebVTT file, its first line WEBVTT"),
        ("broken.docx", "expected a Word .docx file (a zip package)"),
    ],
)
def test_a_broken_file_names_itself_and_writes_nothing(runner, kb_root, name, expected):
    good = FIXTURES / "discovery-call-2026-02-03.srt"
    result = runner(kb_root, "import", str(FIXTURES / name), str(good), "--customer", "acme")
    assert result.exit_code == 1, result.output
    assert f"kb: {FIXTURES / name}: not imported: {expected}" in result.stderr
    # the good file beside it is imported; nothing is written for the broken one
    assert [p for p in written(kb_root) if p.startswith("content/interviews/")] == [
        "content/interviews/2026-02-03-acme-other.md"
    ]


def test_unknown_unreadable_and_undated_files_are_named_with_what_was_expected(runner, kb_root, tmp_path):
    (tmp_path / "deck.pdf").write_bytes(b"%PDF-1.7\n")
    (tmp_path / "latin1.txt").write_bytes("Zoë: ça va\n".encode("latin-1"))
    (tmp_path / "empty.md").write_text("\n\n", encoding="utf-8")
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    files = ["deck.pdf", "latin1.txt", "empty.md", "old.doc", "missing.vtt"]
    result = runner(kb_root, "import", *(str(tmp_path / f) for f in files), "--customer", "acme")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == len(files), result.stderr
    for name, line in zip(files, lines, strict=True):
        assert line.startswith(f"kb: {tmp_path / name}: not imported: "), line
    assert "expected a call transcript or notes: .vtt (WebVTT), .srt, .txt, .md or .docx; found a .pdf file" in lines[0]
    assert "expected text in UTF-8" in lines[1]
    assert "found no text text in it" in lines[2] or "found no Markdown text in it" in lines[2]
    assert "save the .doc as .docx" in lines[3]
    assert "cannot be read" in lines[4]
    undated = runner(kb_root, "import", str(FIXTURES / "Acme weekly sync.vtt"), "--customer", "acme")
    assert undated.exit_code == 1 and "give it with --date YYYY-MM-DD" in undated.stderr
    assert written(kb_root) == {}


def test_a_wrong_kind_is_refused_before_any_file(runner, kb_root):
    result = runner(kb_root, "import", str(FIXTURES / "broken.vtt"), "--customer", "acme", "--kind", "discovry")
    assert result.exit_code == 2
    assert "--kind: expected one of" in result.output and "discovery" in result.output
    assert written(kb_root) == {}


def test_kb_check_reports_nothing_on_the_imported_calls(runner, kb_root):
    kb_root.customer("acme", name="Acme Corp")
    for name in CASES:
        assert import_one(runner, kb_root, name).exit_code == 0
    result = runner(kb_root, "check", "--strict", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []


def test_imported_text_with_link_and_tag_syntax_stays_plain_words(runner, kb_root, tmp_path):
    source = tmp_path / "odd.txt"
    source.write_text(
        "Date: 2026-03-02\n\nMaya Chen: See [[acme-story]] and <!-- this --> and <b>bold</b>.\n"
        "Sam Lee: [00:01:02] is not a link\n",
        encoding="utf-8",
    )
    kb_root.customer("acme", name="Acme Corp")
    assert runner(kb_root, "import", str(source), "--customer", "acme").exit_code == 0
    result = runner(kb_root, "check", "--strict", "--json")
    assert json.loads(result.stdout) == []
    from kb.views.markdown import render_markdown

    (path,) = [p for p in written(kb_root) if p.startswith("content/interviews/")]
    html = render_markdown(
        (kb_root.root / path).read_text(encoding="utf-8").split("## Transcript", 1)[1], lambda slug, _type: f"/r/{slug}"
    )
    assert "<a " not in html and "[[acme-story]]" in html and "&lt;!-- this --&gt;" in html


def test_a_two_hour_transcript_imports_well_under_a_second(runner, kb_root, tmp_path):
    cues, speakers = ["WEBVTT", ""], ["Maya Chen", "Daniel Okafor", "Rosa Lindqvist"]
    for number in range(2000):
        start = number * 3.6
        cues += [
            str(number + 1),
            f"{clock(start)} --> {clock(start + 3.4)}",
            f"{speakers[(number // 3) % 3]}: sentence {number} about audits, evidence and the quarter close.",
            "",
        ]
    source = tmp_path / "GMT20260301-090000_Recording.transcript.vtt"
    source.write_text("\n".join(cues), encoding="utf-8")
    began = time.perf_counter()
    result = runner(kb_root, "import", str(source), "--customer", "acme")
    elapsed = time.perf_counter() - began
    assert result.exit_code == 0, result.output
    assert elapsed < 5, f"a 2-hour transcript took {elapsed:.2f} s"  # a guard only: it takes a fraction of it
    record = parse_bytes(
        (kb_root.root / "content/interviews/2026-03-01-acme-other.md").read_bytes(), "i.md", "interview"
    )
    assert record.fields["people"] == speakers and record.problems == []


def clock(seconds: float) -> str:
    whole, millis = int(seconds), int(round(seconds % 1 * 1000)) % 1000
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{millis:03d}"


def test_the_library_plans_without_writing(kb_root):
    from kb.authoring.importing import plan_import, write_import

    kb = Kb(kb_root.root)
    name = "GMT20260112-150312_Recording.transcript.vtt"
    transcript = read_transcript(name, (FIXTURES / name).read_bytes())
    plan = plan_import(kb, transcript, customer="Acme Corp", kind="discovery", owner="Ana Ruiz")
    assert plan.path == "content/interviews/2026-01-12-acme-corp-discovery.md"
    assert plan.customer == "acme-corp" and plan.customer_name == "Acme Corp" and not plan.already_imported
    assert f"source_sha256: {transcript.sha256}" in plan.text
    assert written(kb_root) == {}
    saved = write_import(kb, plan)
    assert saved.path == plan.path and saved.created == ["content/customers/acme-corp.md"]
    assert (kb_root.root / plan.path).read_text(encoding="utf-8") == plan.text
    assert plan_import(kb, transcript, customer="acme-corp").already_imported


def test_calls_are_filed_by_month_when_the_kb_does(runner, kb_root):
    kb_root.interview("2026-01/2026-01-05-acme-sales", "acme", "2026-01-05")
    assert import_one(runner, kb_root, "discovery-call-2026-02-03.srt").exit_code == 0
    assert (kb_root.root / "content/interviews/2026-02/2026-02-03-acme-discovery.md").is_file()


def test_cues_without_a_name_continue_the_speaker_before_once_the_file_names_speakers():
    srt = "".join(
        f"{n}\n00:00:0{n},000 --> 00:00:0{n},900\n{text}\n\n"
        for n, text in enumerate(["Maya: We start now.", "and keep going", "Sam: ok", "Maya: and more", "words"], 1)
    )
    transcript = read_transcript("continued.srt", srt.encode())
    assert [(t.speaker, t.text) for t in merged_turns(transcript.turns)] == [
        ("Maya", "We start now. and keep going"),
        ("Sam", "ok"),
        ("Maya", "and more words"),
    ]


def test_binary_data_named_text_is_refused():
    with pytest.raises(UnreadableTranscript, match=r"nul\.txt: not imported: expected text; found binary data"):
        read_transcript("nul.txt", b"Maya: hi\x00\x01")
