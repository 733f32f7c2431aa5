"""Front matter's YAML, read safely and in bounded time: a safe loader without implicit timestamps, a
limit on what aliases and nesting may expand to, and every failure a `FrontMatterError` with its line.

The parser and the in-place editor both read front matter here, so a file one of them refuses the
other refuses too.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Aliases let a few hundred bytes stand for billions of values ("billion laughs": ten levels of ten
# aliases each): everything that reads the values afterwards (normalizers, the database, JSON) would
# then run for minutes. Front matter is a handful of keys, so an alias may repeat this many values in
# all, which no real record comes near.
MAX_REPEATED_VALUES = 10_000
# A value nested deeper than this is no record's field; JSON and Python's recursion give out near 1,000.
MAX_DEPTH = 100
# Python refuses to turn a decimal text of more digits than this into an int, or an int into text.
MAX_INT_DIGITS = 4300

_INT_TAG = "tag:yaml.org,2002:int"
# Decimal digits a digit of each base is worth (rounded up), to bound an int written in hex, octal or binary.
_DIGIT_WORTH = {"0x": 1.21, "0o": 0.91, "0b": 0.31}


try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class Loader(_SafeLoader):
    """Safe YAML (libyaml when present) without implicit timestamps: dates stay text so that
    2026-02-30 is a clear error."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class FrontMatterError(Exception):
    """Front matter kb does not read; `line` counts from 0 at the first line of the YAML text."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


class InvalidYaml(FrontMatterError):
    """Front matter that is not YAML at all (a syntax error)."""


def load_yaml(source: str) -> tuple[Node | None, Any]:
    """The YAML document in `source`: its node (None when there is none) and its value.

    Raises FrontMatterError, and nothing else, when the YAML is not valid, expands too far, or holds a
    value Python cannot make.
    """
    try:
        loader = Loader(source)
    except Exception as exc:  # libyaml takes UTF-8: a text with a lone surrogate cannot be given to it
        raise FrontMatterError(0, f"front matter cannot be read: {_reason(exc)}") from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise _invalid(exc) from None
        except Exception as exc:  # without libyaml, deep nesting is a RecursionError
            raise FrontMatterError(0, f"front matter cannot be read: {_reason(exc)}") from None
        if node is None:
            return None, None
        _check_size(node)
        try:
            return node, loader.construct_document(node)
        except yaml.YAMLError as exc:
            raise _invalid(exc) from None
        except Exception as exc:  # e.g. `!!timestamp 2026-02-30`: a ValueError from the constructor
            raise _construct_failure(node, exc) from None
    finally:
        loader.dispose()


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"


def _invalid(exc: yaml.YAMLError) -> InvalidYaml:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    reason = getattr(exc, "problem", None) or str(exc)
    return InvalidYaml(mark.line if mark else 0, f"front matter is not valid YAML: {reason}")


def key_name(key_node: Node) -> str:
    """A top-level key as kb names it in messages (a key that is not a plain value has no name)."""
    return str(key_node.value) if isinstance(key_node, ScalarNode) else "a key"


def _top_level(node: Node) -> list[tuple[str, int, Node]]:
    """(key name, key line, node) for each part of the document a problem can be named after."""
    if isinstance(node, MappingNode):
        pairs = []
        for key_node, value_node in node.value:
            name, line = key_name(key_node), key_node.start_mark.line
            pairs += [(name, line, key_node), (name, line, value_node)]
        return pairs
    return [("front matter", node.start_mark.line, node)]


def _check_size(root: Node) -> None:
    """Refuse a document whose aliases repeat too many values, that nests too deep, or whose int
    Python cannot make; walked without recursion and stopped as soon as a limit is passed."""
    seen: set[int] = set()
    repeated = 0
    for name, line, top in _top_level(root):
        pending: list[tuple[Node, int]] = [(top, 1)]
        while pending:
            node, depth = pending.pop()
            if id(node) in seen:
                repeated += 1  # reached again through an alias: the value is copied once more
                if repeated > MAX_REPEATED_VALUES:
                    raise FrontMatterError(
                        line,
                        f"{name}: front matter uses YAML aliases that expand too far (more than "
                        f"{MAX_REPEATED_VALUES:,} repeated values); write the values out instead",
                    )
            seen.add(id(node))
            if depth > MAX_DEPTH:
                why = (
                    "uses YAML aliases that refer to themselves" if repeated else f"nests over {MAX_DEPTH} levels deep"
                )
                raise FrontMatterError(node.start_mark.line, f"{name}: front matter {why}")
            if isinstance(node, ScalarNode):
                if node.tag == _INT_TAG:
                    digits = int_digits(str(node.value))
                    if digits > MAX_INT_DIGITS:
                        raise FrontMatterError(
                            node.start_mark.line, f"{name}: a number of {digits:,} digits is too long"
                        )
            elif isinstance(node, SequenceNode):
                pending += [(item, depth + 1) for item in node.value]
            elif isinstance(node, MappingNode):
                for key_node, value_node in node.value:
                    pending += [(key_node, depth + 1), (value_node, depth + 1)]


def int_digits(text: str) -> int:
    """How many decimal digits (at most) the YAML int written as `text` has."""
    digits = text.lstrip("+-").replace("_", "")
    for prefix, worth in _DIGIT_WORTH.items():
        if digits.startswith(prefix):
            return int(len(digits[2:]) * worth) + 1
    if ":" in digits:  # YAML 1.1's base 60 (1:30:00): each part after the first is worth under two digits
        parts = digits.split(":")
        return len(parts[0]) + 2 * (len(parts) - 1)
    if digits.startswith("0") and len(digits) > 1:  # octal
        return int(len(digits) * _DIGIT_WORTH["0o"]) + 1
    return len(digits)


def _construct_failure(root: Node, exc: Exception) -> FrontMatterError:
    """Name the top-level key whose value made the constructor fail, by making each value on its own."""
    reason = _reason(exc)
    if isinstance(root, MappingNode):
        for key_node, value_node in root.value:
            probe = Loader("")
            try:
                probe.construct_object(value_node, deep=True)
            except Exception:
                return FrontMatterError(
                    key_node.start_mark.line, f"{key_name(key_node)}: YAML cannot read this value: {reason}"
                )
            finally:
                probe.dispose()
    return FrontMatterError(root.start_mark.line, f"front matter cannot be read: {reason}")
