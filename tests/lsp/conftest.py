"""An editor for the language server tests: pygls' own client driving `kb lsp` as a real process."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from tests.helpers import KbFolder


class Editor:
    """A client of `kb [options] lsp` started in `root` (its workspace folder), each request answered in turn."""

    def __init__(self, root: Path, *options: str):
        self.root = root
        self.loop = asyncio.new_event_loop()
        self.client = LanguageClient("kb-tests", "1")
        self.diagnostics: dict[str, list[types.Diagnostic]] = {}
        self.versions: dict[str, int] = {}
        self.messages: list[str] = []

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            self.diagnostics[params.uri] = params.diagnostics

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams) -> None:
            self.messages.append(params.message)

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams) -> None:
            self.messages.append(params.message)

        self.run(self.client.start_io(sys.executable, "-m", "kb", *options, "lsp", cwd=str(root)))
        capabilities = types.ClientCapabilities(
            workspace=types.WorkspaceClientCapabilities(
                workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)
            )
        )
        folder = types.WorkspaceFolder(uri=root.as_uri(), name="kb")
        self.run(
            self.client.initialize_async(
                types.InitializeParams(capabilities=capabilities, root_uri=root.as_uri(), workspace_folders=[folder])
            )
        )
        self.client.initialized(types.InitializedParams())

    def run(self, awaitable: Any, timeout: float = 30) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(awaitable, timeout))

    def uri(self, relative: str) -> str:
        return (self.root / relative).as_uri()

    def open(self, relative: str, text: str | None = None) -> str:
        """Open a file (with `text` as the editor's unsaved text, else its text on disk); its diagnostics."""
        uri = self.uri(relative)
        text = text if text is not None else (self.root / relative).read_text(encoding="utf-8")
        self.diagnostics.pop(uri, None)
        self.versions[uri] = 1
        item = types.TextDocumentItem(uri=uri, language_id="markdown", version=1, text=text)
        self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
        return uri

    def change(self, relative: str, text: str) -> None:
        """Replace an open document's whole text, unsaved."""
        uri = self.uri(relative)
        self.versions[uri] += 1
        self.diagnostics.pop(uri, None)
        document = types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri])
        change = types.TextDocumentContentChangeWholeDocument(text=text)
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(text_document=document, content_changes=[change])
        )

    def save(self, relative: str) -> None:
        uri = self.uri(relative)
        self.diagnostics.pop(uri, None)
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri))
        )

    def diagnostics_of(self, relative: str, timeout: float = 20) -> list[types.Diagnostic]:
        """The next diagnostics the server publishes for a file of the KB."""
        return self.diagnostics_of_uri(self.uri(relative), timeout)

    def diagnostics_of_uri(self, uri: str, timeout: float = 20) -> list[types.Diagnostic]:
        """The next diagnostics the server publishes for a document."""
        relative = uri
        deadline = time.monotonic() + timeout
        while uri not in self.diagnostics:
            assert time.monotonic() < deadline, f"no diagnostics for {relative}; server said {self.messages}"
            self.run(asyncio.sleep(0.02))
        return self.diagnostics[uri]

    def at(self, relative: str, line: int, character: int) -> dict:
        document = types.TextDocumentIdentifier(self.uri(relative))
        return {"text_document": document, "position": types.Position(line, character)}

    def said(self, start: str, timeout: float = 20) -> str:
        """The first message from the server that starts with `start`, waited for."""
        deadline = time.monotonic() + timeout
        while not any(message.startswith(start) for message in self.messages):
            assert time.monotonic() < deadline, f"the server never said {start!r}; it said {self.messages}"
            self.run(asyncio.sleep(0.02))
        return next(message for message in self.messages if message.startswith(start))

    def close(self) -> None:
        try:
            self.run(self.client.shutdown_async(None), timeout=10)
            self.client.exit(None)
            self.run(self.client.stop(), timeout=10)
        finally:
            self.loop.close()


def write_kb(root: Path) -> KbFolder:
    """A small KB: two customers, two calls (one with quotes), two stories."""
    kb = KbFolder(root)
    kb.write("kb.toml", 'name = "Tests"\nas_of = 2026-03-18\n')
    kb.customer("acme", name="Acme Corp", stage="customer", won_on="2025-11-02")
    kb.customer("zenith", name="Zenith Labs", stage="qualified")
    kb.interview(
        "2026-01-12-acme-discovery",
        "acme",
        "2026-01-12",
        body=(
            "Notes.\n\n> We failed the audit twice. — Maya Chen ^failed-audit\n\n"
            "> Month end took ten days. — Raj ^month-end\n"
        ),
    )
    kb.write(
        "content/interviews/2026-02-03-acme-check-in.md",
        "---\ncustomer: acme\ndate: 2026-02-03\nkind: check-in\npeople: [Maya Chen, Raj Patel]\n---\nNotes.\n",
    )
    kb.casestudy(
        "acme-story",
        "acme",
        answers={
            "why_change": "They failed the audit [[2026-01-12-acme-discovery#^failed-audit]].",
            "success": "A clean audit with [[acme]].",
            "options": "Spreadsheets.",
            "fit": "We fit.",
            "renewal": "They renewed.",
        },
    )
    kb.casestudy("zenith-story", "zenith", status="draft", answers={"why_change": "See [[acme-story]]."})
    return kb


@pytest.fixture(scope="module")
def editor(tmp_path_factory) -> Editor:
    """`kb lsp` on a small KB shared by a module's tests, which must not change it."""
    kb = write_kb(tmp_path_factory.mktemp("lsp") / "kb")
    started = Editor(kb.root)
    yield started
    started.close()


@pytest.fixture
def own_editor(tmp_path) -> Editor:
    """`kb lsp` on a small KB of the test's own, which it may change."""
    kb = write_kb(tmp_path / "kb")
    started = Editor(kb.root)
    yield started
    started.close()
