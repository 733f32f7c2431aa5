"""Change one front-matter key or one section of a record's text, leaving every other byte as it was."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from kb.errors import KbError
from kb.records.front_matter import FrontMatterError, InvalidYaml, key_name, load_yaml
from kb.records.parse import split_sections


class NotEditable(KbError):
    """A file kb cannot change in place (no front matter, or YAML it cannot read): edit it in an editor."""

    http_status = 409


@dataclass(frozen=True)
class Block:
    """The lines [first, end) of one top-level front-matter key; `flow` is its list's style."""

    first: int
    end: int
    flow: bool | None


@dataclass(frozen=True)
class Span:
    """One section: its heading line, the line after its last, and the question it answers."""

    heading: int
    end: int
    title: str
    question: str | None
    text: str
    level: int = 2
    underlined: bool = False

    @property
    def first(self) -> int:
        """The section's first line of text (after the underline of an underlined heading)."""
        return self.heading + (2 if self.underlined else 1)


def clean_line(text: str) -> str:
    """A one-line field as it is written: spaces squeezed, no line breaks."""
    return " ".join(text.split())


def list_items(text: str, comma_only: bool) -> list[str]:
    """A list field as typed: items split on commas and new lines (and on spaces, for slugs)."""
    pattern = r"[,\n]+" if comma_only else r"[,\s]+"
    return [clean_line(item) for item in re.split(pattern, text) if item.strip()]


def shown_value(value: Any) -> str:
    """A front-matter value as a one-line form field shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return _flow(value)
    return str(value)


def shown_list(value: Any, separator: str) -> str:
    """A list value as a form shows it: its items joined by `separator`."""
    if isinstance(value, list):
        return separator.join(shown_value(item) for item in value)
    return shown_value(value)


def _flow(value: Any) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1 << 30).strip()


def _scalar(value: str) -> str:
    dumped = yaml.safe_dump(value, allow_unicode=True, width=1 << 30)
    return dumped.removesuffix("\n").removesuffix("\n...").removesuffix("\n")


class Document:
    """A record's text as lines (LF), with its byte-order mark and CRLF line ends restored on output."""

    def __init__(self, text: str):
        self.bom = text.startswith("\ufeff")
        text = text.removeprefix("\ufeff")
        self.crlf = "\r\n" in text
        self.lines = text.replace("\r\n", "\n").split("\n")
        self._front()  # refuse, now, what kb cannot change in place

    @property
    def text(self) -> str:
        text = "\n".join(self.lines)
        return ("\ufeff" if self.bom else "") + (text.replace("\n", "\r\n") if self.crlf else text)

    def _closing(self) -> int:
        if self.lines[0].strip() != "---":
            raise NotEditable(
                "the file has no front matter (a '---' line, keys, another '---' line): "
                "fix it in your editor, then edit it here"
            )
        for number in range(1, len(self.lines)):
            if self.lines[number].rstrip() in ("---", "..."):
                return number
        raise NotEditable("the front matter is not closed by a '---' line: fix it in your editor, then edit it here")

    def _front(self) -> tuple[int, dict[str, Block], dict[str, Any]]:
        """The closing line of the front matter, each key's block of lines, and the values."""
        closing = self._closing()
        try:
            node, data = load_yaml("\n".join(self.lines[1:closing]))
        except InvalidYaml as exc:
            raise NotEditable(
                f"the front matter is not valid YAML (line {exc.line + 2}): fix it in your editor, then edit it here"
            ) from None
        except FrontMatterError as exc:
            raise NotEditable(f"line {exc.line + 2}: {exc.message}: fix it in your editor, then edit it here") from None
        if node is None:
            data = {}  # no keys at all
        if not isinstance(data, dict):
            raise NotEditable("the front matter is not a mapping of keys to values: fix it in your editor")
        blocks: dict[str, Block] = {}
        for key_node, value_node in node.value if node is not None else []:
            first = 1 + key_node.start_mark.line
            end = 1 + value_node.end_mark.line + (1 if value_node.end_mark.column else 0)
            end = min(max(end, first + 1), closing)
            # Blank and comment lines after a value belong to what follows: keep them.
            while end - 1 > first and (not self.lines[end - 1].strip() or self.lines[end - 1].lstrip().startswith("#")):
                end -= 1
            blocks[key_name(key_node)] = Block(first, end, getattr(value_node, "flow_style", None))
        return closing, blocks, {str(k): v for k, v in data.items()}

    def values(self) -> dict[str, Any]:
        """The front matter's values by key (the last one of a key set twice, as records read it)."""
        return self._front()[2]

    def set_value(self, key: str, value: str | list[str], block: bool | None = None, plain: bool = False) -> None:
        """Rewrite one key's lines (or add the key at the end of the front matter); others stay as written.

        `plain` writes a text value as it is, unquoted: for a date or a number the caller has checked."""
        closing, blocks, _values = self._front()
        known = blocks.get(key)
        if isinstance(value, list):
            use_block = block if block is not None else bool(known and known.flow is False)
            if not value:
                written = [f"{key}: []"]
            elif use_block:
                written = [f"{key}:", *(f"  - {_scalar(item)}" for item in value)]
            else:
                written = [f"{key}: {_flow(value)}"]
        elif plain and value:
            written = [f"{key}: {value}"]
        else:
            written = [f"{key}: {_scalar(value)}" if value else f"{key}:"]
        if known is None:
            self.lines[closing:closing] = written
        else:
            self.lines[known.first : known.end] = written

    def body(self) -> str:
        """The text after the front matter."""
        return "\n".join(self.lines[self._closing() + 1 :])

    def set_body(self, body: str) -> None:
        """Replace the whole text after the front matter (a blank line after it, one line break at the end)."""
        closing = self._closing()
        self.lines[closing + 1 :] = ["", *body.split("\n"), ""] if body else [""]

    def sections(self, questions: bool = True) -> list[Span]:
        """The body's sections, found as a record's are (kb.records.headings); `questions` for a case study."""
        start = self._closing() + 1
        _intro, found = split_sections("\n".join(self.lines[start:]), first_line=start, questions=questions)
        # Each section ends where the next begins, the last one at the end of the file (a body without
        # any heading has no sections at all).
        ends = [section.line for section in found[1:]] + ([len(self.lines)] if found else [])
        return [
            Span(s.line, end, s.heading, s.question, s.text, s.level, s.underlined)
            for s, end in zip(found, ends, strict=True)
        ]

    def answer(self, key: str) -> Span | None:
        """The first section answering question `key` (a second one stays as it is, as an extra section)."""
        return next((s for s in self.sections() if s.question == key), None)

    def _replace_content(self, span: Span, text: str) -> None:
        content = self.lines[span.first : span.end]
        blank_tail = len(content) - len(_rstrip_blank(content))
        if blank_tail == 0 and span.end < len(self.lines):
            blank_tail = 1  # keep the next heading apart from the new text
        self.lines[span.first : span.end] = [*text.split("\n"), *[""] * blank_tail]

    def set_answer(self, key: str, heading: str, text: str) -> None:
        """Replace the text of the section answering `key`, or add one after the last answer, at its level."""
        spans = self.sections()
        current = next((s for s in spans if s.question == key), None)
        if current is not None:
            self._replace_content(current, text)
            return
        answers = [s for s in spans if s.question]
        at = answers[-1].end if answers else len(self.lines)
        level = answers[-1].level if answers else 2
        self._insert_section(at, [f"{'#' * level} {heading}", *text.split("\n")])

    def _insert_section(self, at: int, lines: list[str]) -> None:
        if at == len(self.lines) and self.lines[-1] == "":
            at -= 1  # before the file's final line break
        elif at < len(self.lines):
            lines = [*lines, ""]  # a blank line before the heading that follows
        if at > 0 and self.lines[at - 1].strip():
            lines = ["", *lines]
        self.lines[at:at] = lines

    def set_notes(self, notes: str) -> None:
        """Put a logged call's notes in its `## Notes` section; notes with headings of their own are the body."""
        closing = self._closing()
        if split_sections(notes, questions=False)[1]:
            self.lines[closing + 1 :] = ["", *notes.split("\n"), ""]
            return
        target = next((s for s in self.sections(questions=False) if s.title.lower().rstrip(":") == "notes"), None)
        if target is not None:
            self._replace_content(target, notes)
        else:
            self.lines[closing + 1 : closing + 1] = ["", *notes.split("\n")]


def _rstrip_blank(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]
