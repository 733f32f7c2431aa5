"""Columns between the editor's units and kb's: kb counts characters, an editor UTF-16 or UTF-8 code units.

The features compute every column as a Python string index (a character). A position the editor sends is
turned into one at the door, and every range of an answer is turned back into the editor's units, each
with the lines of the file it is in (a location or an edit of another file: that file's lines).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

Lines = list[str]


def inbound(codec: PositionCodec, lines: Lines, position: types.Position) -> types.Position:
    """A position the editor sent, with its column in characters."""
    if codec.encoding == types.PositionEncodingKind.Utf32 or position.line >= len(lines):
        return position
    line = lines[position.line]
    units = 0
    for at, char in enumerate(line):
        if units >= position.character:
            return types.Position(position.line, at)
        units += codec.impl.code_units_for_char(char)
    return types.Position(position.line, len(line))


def inbound_range(codec: PositionCodec, lines: Lines, asked: types.Range) -> types.Range:
    """A range the editor sent, with its columns in characters."""
    return types.Range(inbound(codec, lines, asked.start), inbound(codec, lines, asked.end))


def _out(codec: PositionCodec, lines: Lines, position: types.Position) -> types.Position:
    if position.line >= len(lines):
        return position
    return types.Position(position.line, codec.client_num_units(lines[position.line][: position.character]))


def outbound(codec: PositionCodec, answer: Any, lines: Lines, lines_of: Callable[[str], Lines]) -> Any:
    """An answer with every range's columns in the editor's units (changed in place), returned."""
    if codec.encoding != types.PositionEncodingKind.Utf32:
        _convert(codec, answer, lines, lines_of, set())
    return answer


def _convert(codec: PositionCodec, answer: Any, lines: Lines, lines_of: Callable[[str], Lines], done: set[int]) -> None:
    if answer is None or id(answer) in done:
        return
    done.add(id(answer))  # a range several items share (completion's typed part) is converted once
    if isinstance(answer, types.Range):
        answer.start, answer.end = _out(codec, lines, answer.start), _out(codec, lines, answer.end)
    elif isinstance(answer, list | tuple):
        for item in answer:
            _convert(codec, item, lines, lines_of, done)
    elif isinstance(answer, types.Location):
        _convert(codec, answer.range, lines_of(answer.uri), lines_of, done)
    elif isinstance(answer, types.WorkspaceEdit):
        for uri, edits in (answer.changes or {}).items():
            _convert(codec, edits, lines_of(uri), lines_of, done)
    elif attrs.has(type(answer)):
        for field in attrs.fields(type(answer)):
            _convert(codec, getattr(answer, field.name), lines, lines_of, done)
