"""`kb lsp` timed through the protocol on a KB: completion, hover and diagnostics, as an editor asks them.

    python -m bench.lsp ROOT [--runs N] [--json]    # one line a request: median and p95 in ms

A real client (pygls' own) starts `python -m kb lsp` in ROOT, opens the first case study by name and asks,
N times each: completion after `[[` with two letters typed (records by slug), after `customer: ` (every
customer, up to the list's limit) and after `status: `; hover on the story's customer; and diagnostics,
timed from a keystroke (a didChange of the whole unsaved text) to the diagnostics published for it, the
server's debounce included; and from a save (the file written with a line more or less, in turn) to the
diagnostics published after the refresh it starts. The story is saved as it was at the end. The server's
start and its first refresh of `.kb/` (a whole build when there is none) are not timed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from .measure import median, p95

TIMEOUT = 60.0  # seconds any one answer may take before the run fails


async def _timed(runs: int, ask: Callable[[], Awaitable[Any]]) -> list[float]:
    await ask()  # the first answer warms the server's caches and is not counted
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await asyncio.wait_for(ask(), TIMEOUT)
        times.append(time.perf_counter() - start)
    return times


async def _measure(root: Path, runs: int) -> dict[str, list[float]]:
    story = sorted((root / "casestudies").glob("*.md"))[0]
    text = story.read_text(encoding="utf-8")
    lines = text.split("\n")
    customer_line = next(i for i, line in enumerate(lines) if line.startswith("customer:"))
    status_line = next(i for i, line in enumerate(lines) if line.startswith("status:"))
    uri = story.resolve().as_uri()
    published: dict[int, asyncio.Event] = {}
    version = 1

    client = LanguageClient("kb-bench", "1")

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnosed(params: types.PublishDiagnosticsParams) -> None:
        if params.uri == uri and version in published:
            published[version].set()

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def logged(params: types.LogMessageParams) -> None:
        """The server's log lines (the KB it answers for, a refresh's notices): not measured."""

    await client.start_io(sys.executable, "-m", "kb", "lsp", cwd=str(root))
    try:
        folder = types.WorkspaceFolder(uri=root.resolve().as_uri(), name="kb")
        params = types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=folder.uri, workspace_folders=[folder]
        )
        await asyncio.wait_for(client.initialize_async(params), TIMEOUT)
        client.initialized(types.InitializedParams())
        published[version] = asyncio.Event()
        item = types.TextDocumentItem(uri=uri, language_id="markdown", version=version, text=text)
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
        await asyncio.wait_for(published[version].wait(), TIMEOUT)  # the initial refresh is done: untimed

        # The editor's own text with a link being typed at its end: `[[cu` completes records.
        typing = text.rstrip("\n") + "\n\nSee [[cu"
        last = typing.count("\n")

        def at(line: int, character: int) -> dict:
            return {"text_document": types.TextDocumentIdentifier(uri), "position": types.Position(line, character)}

        async def keystroke() -> None:
            nonlocal version
            version += 1
            published[version] = asyncio.Event()
            document = types.VersionedTextDocumentIdentifier(uri=uri, version=version)
            edited = typing if version % 2 else text
            change = types.TextDocumentContentChangeWholeDocument(text=edited)
            client.text_document_did_change(types.DidChangeTextDocumentParams(document, [change]))
            await published[version].wait()

        saves = 0

        async def save() -> None:
            # The file written with a line more or less at its end, in turn: the refresh a save starts (the
            # record indexed again and committed), then every open document judged again.
            nonlocal saves
            saves += 1
            published[version] = asyncio.Event()
            story.write_text(text + "\n" * (saves % 2), encoding="utf-8")
            client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
            await published[version].wait()

        found: dict[str, list[float]] = {}
        found["diagnostics after a keystroke"] = await _timed(runs, keystroke)
        if version % 2:  # the editor's text as on disk, as after a save
            await keystroke()
        found["diagnostics after a save"] = await _timed(runs, save)
        if version % 2 == 0:  # leave the text with the link being typed in the editor
            await keystroke()
        found["completion after [[cu"] = await _timed(
            runs, lambda: client.text_document_completion_async(types.CompletionParams(**at(last, 8)))
        )
        found["completion after customer: "] = await _timed(
            runs, lambda: client.text_document_completion_async(types.CompletionParams(**at(customer_line, 10)))
        )
        found["completion after status: "] = await _timed(
            runs, lambda: client.text_document_completion_async(types.CompletionParams(**at(status_line, 8)))
        )
        found["hover on customer:"] = await _timed(
            runs, lambda: client.text_document_hover_async(types.HoverParams(**at(customer_line, 12)))
        )
        await save_as_it_was(client, uri, story, text)
        await asyncio.wait_for(client.shutdown_async(None), TIMEOUT)
        client.exit(None)
    finally:
        story.write_text(text, encoding="utf-8")
        await client.stop()
    return found


async def save_as_it_was(client: LanguageClient, uri: str, story: Path, text: str) -> None:
    """The story saved as it was before the run, and the server given time to index it again."""
    story.write_text(text, encoding="utf-8")
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
    await asyncio.wait_for(
        client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(0, 0))),
        TIMEOUT,
    )


def measure_lsp(root: Path, runs: int) -> dict[str, dict[str, Any]]:
    """Each request's times in seconds, with their median and p95, on the KB at `root`."""
    times = asyncio.run(_measure(root, runs))
    return {name: {"times": t, "median": median(t), "p95": p95(t)} for name, t in times.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lsp", description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print the times as JSON")
    args = parser.parse_args(argv)
    found = measure_lsp(args.root, args.runs)
    if args.json:
        print(json.dumps(found, indent=2))
        return
    for name, figures in found.items():
        print(f"{name:32} median {figures['median'] * 1000:7.1f} ms   p95 {figures['p95'] * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
