"""Properties of the parser and the in-place editor over generated files: whatever the bytes, parsing
returns a record whose problems sit on lines of the file, quickly, and holds only strict JSON; the editor
either edits or says the file is not editable.

Hypothesis runs with a fixed seed (derandomize) and no example database, so every run, in CI too,
tries the same bounded set of files.
"""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.records.document import Document, NotEditable
from kb.records.fields import FIELDS, QUESTIONS
from kb.records.parse import parse_bytes, split_sections
from kb.vocabulary import INTERVIEW_KINDS, STAGES, STATUSES

RECORD_PATHS = {
    "customer": "content/customers/acme.md",
    "interview": "content/interviews/2026-01-10-acme.md",
    "casestudy": "casestudies/acme-story.md",
}

PROPERTIES = settings(
    derandomize=True,
    database=None,
    max_examples=150,
    deadline=2000,  # milliseconds for one file of a few kilobytes: a hang or a blow-up fails
    suppress_health_check=[HealthCheck.too_slow],
)

# --- files -------------------------------------------------------------------------------------------

KEYS = sorted({key for fields in FIELDS.values() for key in fields}) + ["tags", "extra", "<<", "? x", "a b"]
WORDS = ["acme", "2026-01-10", "2026-02-30", "hell-yes", "yes", "no", "~", "null", "x: y", "- a", "#", "&a", "*a"]
WORDS += list(STAGES + STATUSES + INTERVIEW_KINDS)

scalars = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["1" * 4301, "0x" + "f" * 3600, "1:30:00", "0o17", "0b101", "1_000"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from([".inf", "-.inf", ".nan", ".NaN", "1.0e+999", "1e3", "true", "False", "~", "null", ""]),
    st.sampled_from(WORDS),
    st.text(max_size=30).map(json.dumps),  # a double-quoted YAML string, escapes and all
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
    st.sampled_from(["!!timestamp 2026-02-30", "!!binary aGk=", "!!binary !!", "!!int abc", "!!set {a, b}"]),
    st.sampled_from(["!!python/object:os.system x", "!!float nope", "*a", "&a [1, 2]", "&b {x: 1}", "*b"]),
)


def flow(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A YAML flow list or mapping of `children`."""
    return st.one_of(
        st.lists(children, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(st.sampled_from(KEYS), children), max_size=4).map(
            lambda pairs: "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"
        ),
    )


values = st.recursive(scalars, flow, max_leaves=12)


@st.composite
def front_matter(draw) -> str:
    """Front matter lines: registered and random keys, values of every YAML type, block lists, aliases."""
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        key = draw(st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=8)))
        if draw(st.booleans()):
            lines.append(f"{key}: {draw(values)}")
        else:
            lines.append(f"{key}:")
            lines += [f"  - {draw(scalars)}" for _ in range(draw(st.integers(0, 3)))]
    return "\n".join(lines)


body_lines = st.one_of(
    st.sampled_from([f"## {q.heading}" for q in QUESTIONS] + ["## Notes", "##", "## ", "##  ", "## ##", "###"]),
    st.text(max_size=40).map(lambda title: f"## {title}"),
    # Other levels, underlines, breaks and the blocks an underline must not turn into a heading.
    st.sampled_from([f"### {q.heading}" for q in QUESTIONS] + [f"# {QUESTIONS[0].heading}", "# Acme", "#### Sub"]),
    st.sampled_from(["---", "===", "- - -", "***", "", "", "- item", "> quote", "    code", "**Why now?**", "1) x"]),
    st.sampled_from(["```", "~~~", "```python", "<!--", "-->", "<!-- [[hidden]] -->", "`[[code]]`"]),
    st.sampled_from(["[[acme]]", "[[customer:acme]]", "[[acme|Acme]]", "[[interview:x|y]]", "[[", "]]", "[[a|"]),
    st.text(max_size=60),
)


@st.composite
def record_files(draw) -> bytes:
    """A record file: front matter (closed or not) and a body of headings, links, fences and comments."""
    opening = draw(st.sampled_from(["---\n", "---\r\n", "\ufeff---\n", "", "--- \n"]))
    closing = draw(st.sampled_from(["\n---\n", "\n...\n", "\n", "\r\n---\r\n"]))
    body = "\n".join(draw(st.lists(body_lines, max_size=12)))
    return (opening + draw(front_matter()) + closing + body).encode("utf-8")


# --- properties --------------------------------------------------------------------------------------


def line_count(data: bytes) -> int:
    """The number of lines the parser counts in a file (CRLF and CR are line ends; a BOM is no line)."""
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1


def assert_parses(data: bytes, record_type: str) -> None:
    record = parse_bytes(data, RECORD_PATHS[record_type], record_type)

    assert record.type == record_type and record.path == RECORD_PATHS[record_type]
    last = line_count(data)
    for problem in record.problems:
        assert 1 <= problem.line <= last, (problem, last)
    for link in record.links:
        assert 1 <= link.line <= last, (link, last)
    # Everything the store and the exports keep is strict JSON: no Infinity, no NaN, no lone surrogate.
    kept = {"fields": record.fields, "extra": record.extra, "key_lines": record.key_lines, "body": record.body}
    shown = json.dumps(kept, allow_nan=False, ensure_ascii=False, default=_date_text)
    shown.encode("utf-8")


def _date_text(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{value!r} is not JSON")


def assert_editable_or_refused(text: str) -> None:
    try:
        document = Document(text)
    except NotEditable:
        return
    document.values()
    document.sections()
    if "\r\n" not in text:  # a file of CRLF lines is written back in CRLF throughout
        assert document.text == text


record_types = st.sampled_from(sorted(RECORD_PATHS))


def assert_no_line_left_out(data: bytes, record_type: str) -> None:
    """Every non-blank line of the body is in the text before the sections, a section's text, or a heading."""
    record = parse_bytes(data, RECORD_PATHS[record_type], record_type)
    lines = record.body.split("\n")
    intro, sections = split_sections(record.body, questions=record_type == "casestudy")
    assert [(s.line, s.question) for s in sections] == [
        (s.line - record.body_line + 1, s.question) for s in record.sections
    ]
    kept = intro.split("\n")
    for section in sections:
        kept += lines[section.line - 1 : section.line + (1 if section.underlined else 0)]
        kept += section.text.split("\n")
    assert sorted(line for line in kept if line.strip()) == sorted(line for line in lines if line.strip())


@PROPERTIES
@given(data=st.binary(max_size=2000), record_type=record_types)
def test_any_bytes_parse_into_a_record(data, record_type):
    assert_parses(data, record_type)


@PROPERTIES
@given(text=st.text(max_size=2000), record_type=record_types)
def test_any_text_parses_into_a_record(text, record_type):
    assert_parses(text.encode("utf-8"), record_type)
    assert_parses(("---\n" + text).encode("utf-8"), record_type)


@PROPERTIES
@given(data=record_files(), record_type=record_types)
def test_generated_records_parse_with_problems_on_their_lines(data, record_type):
    assert_parses(data, record_type)


@PROPERTIES
@given(data=record_files(), record_type=record_types)
def test_no_line_of_the_body_is_left_out(data, record_type):
    assert_no_line_left_out(data, record_type)


@PROPERTIES
@given(data=record_files())
def test_the_editor_edits_a_file_or_refuses_it(data):
    assert_editable_or_refused(data.decode("utf-8"))


@PROPERTIES
@given(text=st.text(max_size=500))
def test_the_editor_edits_any_text_or_refuses_it(text):
    assert_editable_or_refused(text)
    assert_editable_or_refused("---\n" + text + "\n---\n")
