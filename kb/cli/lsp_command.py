"""`kb lsp`: the language server an editor starts, speaking LSP over stdin and stdout."""

from __future__ import annotations

import click

from kb.cli.base import cli


@cli.command()
@click.pass_context
def lsp(ctx):
    """Run the language server for editors (LSP over stdio): diagnostics, completion, hover, rename.

    The editor starts it; the KB is found from the editor's workspace folder (or --root, KB_ROOT).
    """
    from kb.lsp.server import serve  # here: pygls loads only when an editor asks for it

    serve(ctx.obj["root"])
