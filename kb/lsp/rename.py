"""Rename a record's slug: its file renamed and every link to it rewritten, guarded and atomic per file.

Every file is read and its SHA-256 kept before anything is written; a file open in the editor with unsaved
changes, or changed on disk meanwhile, refuses the rename (kb.records.files.atomic_write checks the hash
again as it writes). The new file name is made without overwriting a file that appeared meanwhile.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types

from kb.errors import KbError
from kb.lsp.navigation import backlinks, pointer_at, resolve
from kb.lsp.state import Document, KbState
from kb.records.files import atomic_write, content_hash
from kb.records.parse import LINK_RE, visible_text
from kb.records.quotes import split_target
from kb.store.catalog import Catalog, Target
from kb.store.models import LinkRow
from kb.vocabulary import RECORD_SUFFIX, slug_of

SLUG_RE = re.compile(r"[^\s/\\\[\]|:#^]+")
# Code of an LSP request that failed for a reason the user can act on (LSP's RequestFailed).
REQUEST_FAILED = -32803


class RenameRefused(KbError):
    """A rename kb will not do; the message says why."""


@dataclass
class Renamed:
    """What a rename changed: the file renamed, and the links rewritten in each file."""

    old: str
    new: str
    links: dict[str, int] = field(default_factory=dict)

    def report(self) -> str:
        count = sum(self.links.values())
        where = f"{count} link{'s' * (count != 1)} in {len(self.links)} file{'s' * (len(self.links) != 1)}"
        files = "".join(f"\n  {path}: {n}" for path, n in sorted(self.links.items()))
        return f"kb: renamed {self.old} to {self.new}; rewrote {where}{files}"


def target_of(catalog: Catalog, doc: Document, position: types.Position) -> Target:
    """The record to rename: the one a link under the cursor names, else the document's own."""
    pointer = pointer_at(doc, position)
    target = resolve(catalog, pointer) if pointer else None
    return target or Target(doc.type, slug_of(doc.shown), doc.shown)


def rename(state: KbState, catalog: Catalog, target: Target, new_slug: str, unsaved: dict[Path, str]) -> Renamed:
    """Rename `target` to `new_slug` on disk and rewrite its links; refuse before writing anything when unsafe."""
    new_slug = new_slug.strip().removesuffix(RECORD_SUFFIX)
    if not SLUG_RE.fullmatch(new_slug):
        raise RenameRefused(f"'{new_slug}' is not a slug: a file name without .md, no spaces, slashes or colons")
    if new_slug == target.slug:
        raise RenameRefused(f"{target.path} is already named {new_slug}")
    if catalog.paths_of(target.type, new_slug):
        raise RenameRefused(
            f"a {target.type} named {new_slug} exists already: {catalog.paths_of(target.type, new_slug)[0]}"
        )
    old_file = state.file_of(target.path)
    new_file = old_file.with_name(new_slug + RECORD_SUFFIX)
    if new_file.exists():
        raise RenameRefused(f"{state.kb.relative(new_file)} exists already")
    by_file: dict[str, list[LinkRow]] = {}
    for link in backlinks(catalog, target.type, target.slug):
        by_file.setdefault(link.path, []).append(link)
    plans: list[tuple[Path, str, str, int]] = []
    for shown in sorted({*by_file, target.path}):
        path = state.file_of(shown)
        data = path.read_bytes()
        text = data.decode("utf-8")
        if path in unsaved and unsaved[path] != text:
            raise RenameRefused(f"{shown} has unsaved changes in the editor: save it, then rename again")
        new_text, count = rewrite(text, by_file.get(shown, []), target, new_slug)
        if count:
            plans.append((path, content_hash(data), new_text, count))
    done = Renamed(target.path, state.kb.relative(new_file))
    for path, sha, text, count in plans:
        atomic_write(path, text, expected_sha256=sha)
        done.links[state.kb.relative(path) if path != old_file else done.new] = count
    os.link(old_file, new_file)  # fails if the name appeared meanwhile: never overwrite
    os.unlink(old_file)
    state.refresh(changed=[old_file, new_file, *(path for path, *_ in plans)])
    return done


def rewrite(text: str, links: list[LinkRow], target: Target, new_slug: str) -> tuple[str, int]:
    """`text` with the links to `target` on the stored links' lines renamed, and how many were."""
    lines = text.split("\n")
    visible = visible_text(text).split("\n")
    wanted = {link.line - 1 for link in links if not link.source_field}
    fields = {link.line - 1 for link in links if link.source_field}
    count = 0
    for number in sorted(wanted):
        if number >= len(lines):
            continue
        line, shift = lines[number], 0
        for match in LINK_RE.finditer(visible[number]):
            slug, _block = split_target(match.group(2).strip())
            if slug != target.slug or match.group(1) not in (None, target.type):
                continue
            start = lines[number].find(slug, match.start(2)) + shift
            line = line[:start] + new_slug + line[start + len(slug) :]
            shift += len(new_slug) - len(slug)
            count += 1
        lines[number] = line
    word = re.compile(rf"(?<![\w.-]){re.escape(target.slug)}(?![\w.-])")
    for number in sorted(fields):
        # A front-matter list may go on over the lines below its key (`- slug` items).
        end = number + 1
        while end < len(lines) and re.match(r"^\s+-|^\s*-\s", lines[end]):
            end += 1
        for at in range(number, end):
            lines[at], found = word.subn(new_slug, lines[at])
            count += found
    return "\n".join(lines), count
