"""Read one Markdown file into a record (front matter, body, answers, links)."""

from __future__ import annotations

import difflib
import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from kb.errors import ERROR, WARNING, Problem
from kb.records.fields import FIELDS, QUESTION_KEYS, FieldError, customer_date_warnings, yaml_number
from kb.records.files import content_hash
from kb.records.front_matter import FrontMatterError, key_name, load_yaml
from kb.records.headings import Heading, find_headings, missing_note, section_starts
from kb.records.quotes import Quote, find_quotes, split_target
from kb.vocabulary import slug_of

LINK_RE = re.compile(r"\[\[(?:(customer|casestudy|interview):)?([^\[\]|\n]+?)(?:\|([^\[\]\n]+?))?\]\]")
COMMENT_RE = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
FENCED_RE = re.compile(r"^\s{0,3}(```|~~~).*?(?:^\s{0,3}\1[^\n]*$|\Z)", re.S | re.M)
INLINE_CODE_RE = re.compile(r"`[^`\n]+`")


@dataclass
class Link:
    """A `[[slug]]`, `[[slug|label]]` or `[[type:slug]]` in a body, or a slug in front matter."""

    slug: str
    line: int
    target_type: str | None = None
    label: str | None = None
    question: str | None = None  # the answer it sits in, for case studies
    source_field: str | None = None  # "customer" or "interviews" when it comes from front matter
    block: str | None = None  # the quote it cites in that record (`[[slug#^block]]`), if any


@dataclass
class Section:
    """A section of the body (kb.records.headings says which headings start one); `question` is set when
    it answers one of the five. `line` is its heading's (the title line of an underlined heading)."""

    heading: str
    line: int
    text: str
    question: str | None = None
    level: int = 2
    underlined: bool = False

    @property
    def answered(self) -> bool:
        """Holds text other than HTML comments (the skeleton's prompts) and whitespace."""
        return bool(COMMENT_RE.sub("", self.text).strip())


@dataclass
class Record:
    """One file of the KB, parsed; `problems` holds what is wrong in this file alone."""

    type: str
    path: str
    slug: str
    fields: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    key_lines: dict[str, int] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1
    sections: list[Section] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)  # an interview's (kb.records.quotes)
    problems: list[Problem] = field(default_factory=list)
    sha256: str = ""
    size: int = 0
    mtime_ns: int = 0

    def answers(self, key: str) -> list[Section]:
        return [s for s in self.sections if s.question == key]

    def answered(self, key: str) -> bool:
        return any(s.answered for s in self.answers(key))

    @property
    def missing_answers(self) -> list[str]:
        return [key for key in QUESTION_KEYS if not self.answered(key)]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, 1)

    def problem(self, line: int, severity: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, severity, message))


def parse_bytes(data: bytes, shown_path: str, record_type: str) -> Record:
    """Parse the bytes of a file of type `record_type` shown as `shown_path`."""
    slug = slug_of(shown_path)
    record = Record(type=record_type, path=shown_path, slug=slug, sha256=content_hash(data), size=len(data))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        record.problem(
            line,
            ERROR,
            f"not UTF-8 text: byte {exc.start} is {data[exc.start]:#04x} "
            "(save the file as UTF-8); the rest is read with that byte replaced",
        )
        text = data.decode("utf-8", errors="replace")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        record.problem(
            1, ERROR, "empty file: a record needs front matter between '---' lines (try `kb new` for a skeleton)"
        )
        return record
    lines = text.split("\n")
    if lines[0].strip() != "---":
        record.problem(
            1, ERROR, "no front matter: a record starts with a '---' line, then YAML keys, then another '---' line"
        )
        _read_body(record, text, 1)
        return record
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        record.problem(1, ERROR, "front matter is not closed: expected a '---' line after the keys")
        _read_body(record, "\n".join(lines[1:]), 2)
        return record
    _read_front_matter(record, "\n".join(lines[1:end]), first_line=2)
    _read_body(record, "\n".join(lines[end + 1 :]), end + 2)
    return record


def _read_front_matter(record: Record, source: str, first_line: int) -> None:
    try:
        node, data = load_yaml(source)
    except FrontMatterError as exc:
        record.problem(first_line + exc.line, ERROR, exc.message)
        return
    if data is None:
        data = {}
    elif not isinstance(data, dict):
        shown = repr(data) if len(repr(data)) <= 80 else repr(data)[:80] + "…"
        kind = "a list" if isinstance(data, list) else f"the text {shown}"
        record.problem(first_line, ERROR, f"front matter must be a mapping of keys to values (key: value); got {kind}")
        return
    else:
        for key_node, _value in node.value if node is not None else []:
            key = key_name(key_node)
            line = first_line + key_node.start_mark.line
            if key in record.key_lines:
                record.problem(
                    line, WARNING, f"{key}: set twice (lines {record.key_lines[key]} and {line}); the last one is used"
                )
            record.key_lines[key] = line
    data = {str(k): v for k, v in data.items()}
    _apply_fields(record, data, first_line - 1)


def _apply_fields(record: Record, data: dict[str, Any], opening_line: int) -> None:
    spec = FIELDS[record.type]
    unknown = [k for k in data if k not in spec]
    for key, field_spec in spec.items():
        if key not in data or data[key] is None or data[key] == "":
            if field_spec.required:
                near = [k for k in unknown if _close(k, key)]
                hint = f"; did you mean '{near[0]}' on line {record.line_of(near[0])}?" if near else ""
                record.problem(max(opening_line, 1), ERROR, f"{key}: required key is missing ({field_spec.hint}){hint}")
            record.fields[key] = (
                list(field_spec.default) if isinstance(field_spec.default, tuple) else field_spec.default
            )
            continue
        try:
            record.fields[key] = field_spec.normalize(data[key])
        except FieldError as exc:
            record.problem(record.line_of(key), ERROR, f"{key}: {exc}")
            record.fields[key] = (
                list(field_spec.default) if isinstance(field_spec.default, tuple) else field_spec.default
            )
    record.extra = {k: _plain(data[k]) for k in unknown}
    if record.type == "customer":
        for key, message in customer_date_warnings(record.fields):
            record.problem(record.line_of(key), WARNING, message)
    for key in ("customer",) if record.type != "customer" else ():
        if record.fields.get(key):
            record.links.append(Link(record.fields[key], record.line_of(key), "customer", source_field=key))
    if record.type == "casestudy":
        for slug in record.fields.get("interviews") or []:
            record.links.append(Link(slug, record.line_of("interviews"), "interview", source_field="interviews"))


def _close(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, a.lower(), b).ratio() >= 0.7


def _plain(value: Any) -> Any:
    """Unknown keys are kept as JSON-able values: `.inf` and `.nan`, which JSON has no word for, as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return yaml_number(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def split_sections(body: str, first_line: int = 1, questions: bool = True) -> tuple[str, list[Section]]:
    """The text before the first section, and the sections (the rule is kb.records.headings').

    Each section's `line` is its heading's, counting the body's first line as `first_line`; with
    `questions`, each knows the question its heading answers.
    """
    lines = body.split("\n")
    return _sections(lines, section_starts(find_headings(lines, questions)), first_line)


def _sections(lines: list[str], starts: list[Heading], first_line: int) -> tuple[str, list[Section]]:
    sections = []
    for number, heading in enumerate(starts):
        end = starts[number + 1].at if number + 1 < len(starts) else len(lines)
        text = "\n".join(lines[heading.at + (2 if heading.underlined else 1) : end]).strip("\n")
        sections.append(
            Section(heading.title, first_line + heading.at, text, heading.question, heading.level, heading.underlined)
        )
    intro = "\n".join(lines[: starts[0].at] if starts else lines).strip("\n")
    return intro, sections


def _read_body(record: Record, body: str, first_line: int) -> None:
    record.body = body
    record.body_line = first_line
    lines = body.split("\n")
    headings = find_headings(lines, questions=record.type == "casestudy")
    starts = section_starts(headings)
    _intro, record.sections = _sections(lines, starts, first_line)
    if record.type == "casestudy":
        # A story whose answers kb cannot find is told which headings kb saw, and why none answers.
        note = missing_note(lines, headings, starts, first_line)
        if note is not None:
            record.problem(note[0], WARNING, note[1])
    seen: dict[str, int] = {}
    for section in record.sections:
        if section.question in seen:
            record.problem(
                section.line,
                WARNING,
                f"'{section.question}' is answered twice (lines "
                f"{seen[section.question]} and {section.line}); both texts are kept",
            )
        elif section.question:
            seen[section.question] = section.line
    _read_links(record, body, first_line)


def visible_text(text: str) -> str:
    """A Markdown text with its HTML comments and code blanked out, every position and line kept.

    Links and quotes inside HTML comments are prompts, and inside code they are examples, not evidence.
    """
    visible = text
    for hidden in (FENCED_RE, COMMENT_RE, INLINE_CODE_RE):
        visible = hidden.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), visible)
    return visible


def visible_links(text: str) -> list[re.Match]:
    """The `[[links]]` of a Markdown text, at their places in it, leaving out those in comments and code."""
    return list(LINK_RE.finditer(visible_text(text)))


def _read_links(record: Record, body: str, first_line: int) -> None:
    # Links come in order: count the line breaks since the last one, and find the section by bisection,
    # so that a body of many thousand links takes time in proportion to its length.
    starts = [section.line for section in record.sections]
    line, counted = first_line, 0
    visible = visible_text(body)
    for match in LINK_RE.finditer(visible):
        line += body.count("\n", counted, match.start())
        counted = match.start()
        at = bisect_right(starts, line)
        question = record.sections[at - 1].question if at else None
        slug, block = split_target(match.group(2).strip())
        label = (match.group(3) or "").strip() or None
        record.links.append(Link(slug, line, match.group(1), label, question, block=block))
    if record.type == "interview":
        record.quotes, problems = find_quotes(visible, first_line, record.path)
        record.problems.extend(problems)
