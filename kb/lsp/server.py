"""`kb lsp`: the language server's wiring (pygls) over stdio; each feature lives in its own module.

No exception reaches the editor as a traceback: a failing request is logged and answered with nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from kb.config import CONFIG_FILE
from kb.errors import KbError
from kb.lsp import actions, completion, diagnostics, navigation, positions, rename
from kb.lsp.state import Document, KbState, path_of_uri

WATCHED = ("**/*.md", "**/kb.toml")
DEBOUNCE = 0.08  # seconds of quiet typing before a document's diagnostics are judged again
F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("kb.lsp")


class KbLanguageServer(LanguageServer):
    """The server and the KB it answers for (None until initialized, and when the folder holds no KB)."""

    def __init__(self, root: str | None = None) -> None:
        super().__init__("kb", "0.1.0")
        self.root = root  # `kb --root DIR lsp`: this KB, whatever the workspace folder
        self.state: KbState | None = None
        self.pending: dict[str, asyncio.TimerHandle] = {}
        self.told: set[str] = set()  # the documents and folders already said to be outside any KB

    def tell(self, about: str, message: str) -> None:
        """Say once in the editor's log why kb stays silent about a document or folder."""
        if about not in self.told:
            self.told.add(about)
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Info, message=message))

    def find_kb(self, folder: Path | None) -> None:
        """Answer for the KB at or above `folder` (the workspace folder, else an opened file's), once found."""
        if self.state is not None:
            return
        try:
            self.state = KbState.find(folder, self.root)
        except KbError as exc:
            self.tell(str(folder), f"kb: no diagnostics: {exc}")
            return
        self.say(self.state.refresh())
        self.tell(str(self.state.root), f"kb: answering for the knowledge base in {self.state.root}")

    def document(self, uri: str) -> Document | None:
        """An open document of the KB, parsed from the editor's text."""
        if self.state is None:
            return None
        return self.state.document(uri, self.workspace.get_text_document(uri).source)

    def lines_of(self, uri: str) -> list[str]:
        """The lines of a file as the editor has it (open), else as on disk; none when unreadable."""
        if uri in self.workspace.text_documents:
            return self.workspace.text_documents[uri].source.split("\n")
        path = path_of_uri(uri)
        try:
            return path.read_text(encoding="utf-8").split("\n") if path is not None else []
        except (OSError, UnicodeDecodeError):
            return []

    def opened(self, uri: str) -> None:
        """A document the editor opened: its diagnostics, or a line in the log saying why it gets none."""
        path = path_of_uri(uri)
        if self.state is None and path is not None:
            self.find_kb(path.parent)  # an editor started outside the KB, on one of its files
        if self.state is not None and (path is None or self.state.shown(path) is None):
            self.tell(uri, f"kb: {path or uri} is no record of the KB at {self.state.root}: no diagnostics")
        self.publish(uri)

    def publish(self, uri: str) -> None:
        """Judge one open document and send its diagnostics (none for a file outside the KB)."""
        self.pending.pop(uri, None)
        doc = self.document(uri)
        found = diagnostics.diagnose(self.state, doc) if doc is not None and self.state is not None else []
        if doc is not None:
            positions.outbound(self.workspace.position_codec, found, doc.lines, self.lines_of)
        # The version judged: an editor drops diagnostics of a text it no longer has.
        version = self.workspace.text_documents[uri].version if uri in self.workspace.text_documents else None
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=version)
        )

    def publish_all(self) -> None:
        """Judge every open document again (after a save or a change on disk)."""
        for uri in list(self.workspace.text_documents):
            safely(self, self.publish)(uri)

    def changed(self, paths: list[Path]) -> None:
        """Files saved or changed on disk: the store refreshed for those of the KB, every open document judged again."""
        if self.state is None:
            return
        ours = [path for path in paths if path.resolve().is_relative_to(self.state.root)]
        if not ours:
            return
        if any(path.name == CONFIG_FILE and path.resolve().parent == self.state.root for path in ours):
            old, self.state = self.state, KbState(self.state.kb)  # kb.toml's settings and as-of date read again
            old.workspace.close()
        self.say(self.state.refresh(changed=ours))
        self.publish_all()

    def say(self, notices: list[str]) -> None:
        """A refresh's notices (rebuilt, busy, read-only, files not read) in the editor's log."""
        for line in notices:
            self.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=line))

    def later(self, uri: str) -> None:
        """Judge a document once typing pauses."""
        waiting = self.pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        loop = asyncio.get_running_loop()
        self.pending[uri] = loop.call_later(DEBOUNCE, safely(self, self.publish), uri)


def safely(server: LanguageServer, handler: F) -> F:
    """The handler, with any exception logged to the editor's log in one line and answered with None."""

    @functools.wraps(handler)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except JsonRpcException:
            raise  # an answer the user can act on, as its message says
        except Exception as exc:  # noqa: BLE001 (an editor gets a line in its log, never a traceback)
            log.error("kb lsp: %s failed: %r", getattr(handler, "__name__", "request"), exc)
            log.debug("kb lsp: the traceback", exc_info=True)
            message = f"kb: {getattr(handler, '__name__', 'request')} failed: {exc}"
            try:
                server.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=message))
            except Exception:  # noqa: BLE001 (the log itself may be gone at exit)
                pass
            return None

    return run  # type: ignore[return-value]


def make_server(root: str | None = None) -> KbLanguageServer:
    """The language server with every feature registered (for the KB of `root`, when given)."""
    server = KbLanguageServer(root)

    def feature(name: str, options: Any = None) -> Callable[[F], F]:
        def register(handler: F) -> F:
            server.feature(name, options)(safely(server, handler))
            return handler

        return register

    @feature(types.INITIALIZED)
    def initialized(ls: KbLanguageServer, params: types.InitializedParams) -> None:
        folders = ls.workspace.folders
        root = next(iter(folders.values())).uri if folders else ls.workspace.root_uri
        folder = path_of_uri(root) if root else None
        ls.find_kb(folder)
        watching = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if ls.state is not None and watching and watching.dynamic_registration:
            # Files changed outside the editor (git, kb serve, another editor) refresh the cross-file problems.
            watchers = [types.FileSystemWatcher(glob_pattern=pattern) for pattern in WATCHED]
            options = types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers)
            registration = types.Registration(id="kb-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
            registration.register_options = options
            ls.client_register_capability(types.RegistrationParams(registrations=[registration]))

    @feature(types.SHUTDOWN)
    def shutdown(ls: KbLanguageServer, params: None) -> None:
        if ls.state is not None:
            ls.state.workspace.close()  # the store's connections let go before the editor says exit
            ls.state = None

    @feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: KbLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.opened(params.text_document.uri)

    @feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: KbLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.later(params.text_document.uri)

    @feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: KbLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        path = path_of_uri(params.text_document.uri)
        ls.changed([path] if path is not None else [])

    @feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: KbLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        waiting = ls.pending.pop(params.text_document.uri, None)
        if waiting is not None:
            waiting.cancel()
        ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
        )

    @feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: KbLanguageServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.changed([p for p in (path_of_uri(change.uri) for change in params.changes) if p is not None])

    def answer(ls: KbLanguageServer, uri: str, use: Callable[..., Any], at: types.Position | types.Range) -> Any:
        doc = ls.document(uri)
        if doc is None or ls.state is None:
            return None
        codec, lines = ls.workspace.position_codec, doc.lines
        if isinstance(at, types.Position):
            at = positions.inbound(codec, lines, at)
        else:
            at = positions.inbound_range(codec, lines, at)
        with ls.state.catalog() as catalog:
            return positions.outbound(codec, use(ls.state, catalog, doc, at), lines, ls.lines_of)

    @feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["[", "^", ":", " ", "#"]))
    def complete(ls: KbLanguageServer, params: types.CompletionParams):
        return answer(
            ls,
            params.text_document.uri,
            lambda state, catalog, doc, at: completion.complete(catalog, doc, at),
            params.position,
        )

    @feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: KbLanguageServer, params: types.HoverParams):
        return answer(ls, params.text_document.uri, navigation.hover, params.position)

    @feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: KbLanguageServer, params: types.DefinitionParams):
        return answer(ls, params.text_document.uri, navigation.definition, params.position)

    @feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls: KbLanguageServer, params: types.ReferenceParams):
        return answer(ls, params.text_document.uri, navigation.references, params.position)

    @feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: KbLanguageServer, params: types.DocumentSymbolParams):
        doc = ls.document(params.text_document.uri)
        if doc is None:
            return None
        return positions.outbound(ls.workspace.position_codec, navigation.symbols(doc), doc.lines, ls.lines_of)

    @feature(types.TEXT_DOCUMENT_RENAME)
    def rename_slug(ls: KbLanguageServer, params: types.RenameParams):
        doc = ls.document(params.text_document.uri)
        if doc is None or ls.state is None:
            return None
        unsaved = {}
        for uri, opened in ls.workspace.text_documents.items():
            path = path_of_uri(uri)
            if path is not None:
                unsaved[path.resolve()] = opened.source
        try:
            with ls.state.catalog() as catalog:
                at = positions.inbound(ls.workspace.position_codec, doc.lines, params.position)
                target = rename.target_of(catalog, doc, at)
                done = rename.rename(ls.state, catalog, target, params.new_name, unsaved)
        except (KbError, OSError) as exc:
            raise JsonRpcException(f"kb: not renamed: {exc}", code=rename.REQUEST_FAILED) from None
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=done.report()))
        ls.publish_all()
        # The files are written by kb (guarded, atomic): the editor has nothing left to apply.
        return types.WorkspaceEdit(changes={})

    @feature(types.TEXT_DOCUMENT_CODE_ACTION)
    def code_actions(ls: KbLanguageServer, params: types.CodeActionParams):
        return answer(
            ls,
            params.text_document.uri,
            lambda state, catalog, doc, at: actions.actions(catalog, doc, at),
            params.range,
        )

    @server.command(actions.CREATE_CUSTOMER)
    def create_customer(ls: KbLanguageServer, *arguments: Any) -> None:
        if ls.state is None or not arguments:
            return
        try:
            message = actions.create_customer(ls.state, str(arguments[0]))
        except KbError as exc:
            message = f"kb: no customer file made: {exc}"
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Info, message=message))
        ls.publish_all()

    return server


def serve(root: str | None = None) -> None:
    """Answer an editor over stdin and stdout until it says exit."""
    make_server(root).start_io()
