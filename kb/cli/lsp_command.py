"""`kb lsp`: the language server an editor starts, speaking LSP over stdin and stdout."""

from __future__ import annotations

from kb.cli.base import cli


@cli.command()
def lsp():
    """Run the language server for editors (LSP over stdio): diagnostics, completion, hover, rename.

    The editor starts it; the KB is found from the editor's workspace folder.
    """
    from kb.lsp.server import serve  # here: pygls loads only when an editor asks for it

    serve()
