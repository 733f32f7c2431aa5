"""The `kb` command: thin Click commands over the domain (Click is imported only here).

`base` holds the group and what every command shares; each other module registers its commands on it.
Heavy imports (SQLModel, Whoosh, Flask) happen inside the commands that need them, so that `kb --help`
and light commands start fast.
"""

from __future__ import annotations

from kb.cli import files_commands, import_command, lsp_command, method_commands, search_command, serve_command
from kb.cli.base import cli, main
from kb.cli.method_commands import metrics

__all__ = [
    "cli",
    "files_commands",
    "import_command",
    "lsp_command",
    "main",
    "method_commands",
    "metrics",
    "search_command",
    "serve_command",
]
